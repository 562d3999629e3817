#include "node/obs/metrics_guard.h"

#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/source.h"

void
node_mguard_add(struct node_mguard *g, struct node_mguard_conn *c,
		const struct sockaddr *peer, uint64_t now)
{
	node_source_of(peer, c->source);
	c->since = now;
	c->seq = ++g->seq;
	c->cut = false;
	c->prev = NULL;
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
}

void
node_mguard_remove(struct node_mguard *g, struct node_mguard_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

void
node_mguard_done(struct node_mguard *g, struct node_mguard_conn *c,
		 uint64_t now)
{
	c->since = now;
	c->seq = ++g->seq;
}

static bool
stalled(const struct node_mguard_conn *c, uint64_t now, uint64_t grace_ms)
{
	return !c->cut && now - c->since >= grace_ms;
}

/* Stalled connections from @c's source that started waiting after it. */
static size_t
stalled_after(const struct node_mguard *g, const struct node_mguard_conn *c,
	      uint64_t now, uint64_t grace_ms)
{
	size_t n = 0;

	for (const struct node_mguard_conn *o = g->head; o; o = o->next)
		if (o != c && o->seq > c->seq && stalled(o, now, grace_ms) &&
		    !memcmp(o->source, c->source, NODE_MGUARD_SOURCE))
			n++;
	return n;
}

uint64_t
node_mguard_sweep(struct node_mguard *g, uint64_t now, uint64_t deadline_ms,
		  uint64_t grace_ms, size_t per_source, node_mguard_cut_cb cut,
		  void *arg)
{
	uint64_t next = UINT64_MAX;

	/* Quadratic, but over at most the endpoint's connection limit. */
	for (struct node_mguard_conn *c = g->head; c; c = c->next) {
		if (c->cut)
			continue;
		uint64_t waited = now > c->since ? now - c->since : 0;
		if (waited >= deadline_ms ||
		    (waited >= grace_ms &&
		     stalled_after(g, c, now, grace_ms) >= per_source)) {
			c->cut = true;
			cut(c, arg);
			continue;
		}
		uint64_t left = deadline_ms - waited;
		if (waited < grace_ms && grace_ms - waited < left)
			left = grace_ms - waited;
		if (left < next)
			next = left;
	}
	return next;
}
