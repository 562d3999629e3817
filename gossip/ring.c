/*
 * A FIFO of fixed-size items kept in one array used as a ring, grown by
 * doubling: the event queue and the outbox.
 */
#include "gossip/internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void
gsp__ring_init(struct gsp_ring *r, size_t size, size_t first_cap)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->first_cap = first_cap;
}

void *
gsp__ring_at(const struct gsp_ring *r, size_t i)
{
	assert(i < r->n && r->head < r->cap);
	return r->items + (r->head + i) % r->cap * r->size;
}

/* Doubles the array, unrolling the ring into it from the head. */
static bool
grow(struct gsp_ring *r)
{
	size_t cap = r->cap ? 2 * r->cap : r->first_cap;
	unsigned char *items = malloc(cap * r->size);

	if (!items)
		return false;
	for (size_t i = 0; i < r->n; i++)
		memcpy(items + i * r->size, gsp__ring_at(r, i), r->size);
	free(r->items);
	r->items = items;
	r->cap = cap;
	r->head = 0;
	return true;
}

void *
gsp__ring_push(struct gsp_ring *r)
{
	if (r->n == r->cap && !grow(r))
		return NULL;
	assert(r->n < r->cap);
	r->n++;
	return gsp__ring_at(r, r->n - 1);
}

bool
gsp__ring_pop(struct gsp_ring *r, void *out)
{
	if (!r->n)
		return false;
	memcpy(out, gsp__ring_at(r, 0), r->size);
	r->head = (r->head + 1) % r->cap;
	r->n--;
	return true;
}

void
gsp__ring_fini(struct gsp_ring *r)
{
	free(r->items);
	r->items = NULL;
	r->n = r->cap = r->head = 0;
}
