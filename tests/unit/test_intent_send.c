/*
 * An intent this node issues leaves with its next tick, not with the next
 * gossip round: pmgtmctl drain is answered once the intent is on the wire
 * path, and the rest of the cluster holds it a round trip later.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gossip/gossip.h"

#include "gspnet.h"

static struct gspnet *
joined(void)
{
	struct gspnet_opts o = { .nodes = 3, .ca_seed = 7, .key_seed = 40 };
	struct gspnet *n = gspnet_new(&o);

	gspnet_join(n, 1, 0);
	gspnet_join(n, 2, 0);
	gspnet_run(n, 3000);
	return n;
}

/* Node 0 drains node 2 halfway between gossip rounds: node 1 holds the
 * intent after one latency, plus the millisecond the tick waits for. */
static void
own_intent_leaves_at_next_tick(void **state)
{
	(void)state;
	struct gspnet *n = joined();

	for (int k = 0; k < 20; k++) {
		gspnet_run(n, 37);
		struct gsp_now now = gspnet_now(n);
		assert_true(gsp_drain(gspnet_gsp(n, 0), now, "lb3", k % 2 == 0,
				      "root", "test", 0) > 0);
		gspnet_run(n, GSPNET_LATENCY_MS + 1);
		now = gspnet_now(n);
		assert_int_equal(gsp_drained(gspnet_gsp(n, 1), now, "lb3"),
				 k % 2 == 0);
	}
	gspnet_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(own_intent_leaves_at_next_tick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
