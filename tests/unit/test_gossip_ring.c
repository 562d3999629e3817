/*
 * The ring behind gossip's event queue and outbox: first in, first out
 * across growth, including when the ring has wrapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gossip/internal.h"

static void
push(struct gsp_ring *r, int v)
{
	int *slot = gsp__ring_push(r);

	assert_non_null(slot);
	*slot = v;
}

/* Wrapped (head past the middle, tail before it), then grown: the
 * order stays. */
static void
fifo_across_growth_while_wrapped(void **state)
{
	(void)state;
	struct gsp_ring r;
	int next_in = 0, next_out = 0, v;

	gsp__ring_init(&r, sizeof(int), 4);
	for (int k = 0; k < 3; k++)
		push(&r, next_in++);
	for (int k = 0; k < 2; k++) {
		assert_true(gsp__ring_pop(&r, &v));
		assert_int_equal(v, next_out++);
	}
	for (int k = 0; k < 3; k++)
		push(&r, next_in++); /* full, head at 2 */
	assert_int_equal(r.cap, 4);
	push(&r, next_in++); /* grows */
	assert_int_equal(r.cap, 8);
	for (int k = 0; k < 40; k++)
		push(&r, next_in++);
	while (gsp__ring_pop(&r, &v))
		assert_int_equal(v, next_out++);
	assert_int_equal(next_out, next_in);
	assert_int_equal(r.n, 0);
	gsp__ring_fini(&r);
}

static void
empty_ring_pops_nothing(void **state)
{
	(void)state;
	struct gsp_ring r;
	int v = 7;

	gsp__ring_init(&r, sizeof(int), 4);
	assert_false(gsp__ring_pop(&r, &v));
	assert_int_equal(v, 7);
	gsp__ring_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fifo_across_growth_while_wrapped),
		cmocka_unit_test(empty_ring_pops_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
