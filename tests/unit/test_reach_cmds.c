/*
 * The reachability command (node/control/reach.c) on three gossip state
 * machines that joined on a virtual clock (2 ms each way, LAN timings):
 * the healthy matrix, a one-way cut (lb1 -> lb3 datagrams lost) seen the
 * same way from every node with one split view per target, the heal, and
 * a node that goes silent (its row goes stale). Each test gets a fresh
 * cluster, and the suite runs forward and then backwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gossip/gossip.h"
#include "node/control/server.h"
#include "node/control/commands.h"
#include "node/control/reach.h"
#include "common/ctl_proto.h"

#include "cmdnet.h"

#define N 3

/* --- three nodes on a virtual clock (tests/unit/cmdnet.h) --- */

struct net {
	struct cmdnet *cn;
	/* GSP_EV_SPLIT events seen by node i about node j: starts (or
	 * changes of who cannot reach it) and heals. */
	int split_on[N][N], split_off[N][N];
};

static int
node_named(const char *name)
{
	return name[0] == 'l' && name[1] == 'b' && name[2] >= '1' &&
			       name[2] < '1' + N && !name[3]
		       ? name[2] - '1'
		       : -1;
}

static void
count_split(void *ctx, int i, const struct gsp_event *ev)
{
	struct net *n = ctx;
	int t = node_named(ev->name);

	if (ev->type != GSP_EV_SPLIT || t < 0)
		return;
	if (ev->new_state)
		n->split_on[i][t]++;
	else
		n->split_off[i][t]++;
}

static int
setup(void **state)
{
	struct net *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	const struct gspnet_opts o = { .nodes = N,
				       .ca_seed = 2,
				       .key_seed = 0x20,
				       .rnd = 7,
				       .on_event = count_split,
				       .event_ctx = n };
	/* Five probe rounds, and a row publication period. */
	n->cn = cmdnet_new(&o, 6000);
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	struct net *n = *state;

	cmdnet_free(n->cn);
	free(n);
	return 0;
}

/* --- the command's answer --- */

static struct cmdnet_reply *
reach(struct net *n, int i)
{
	struct node_cmd_env env = cmdnet_env(n->cn, i);

	return cmdnet_ok(&env, "reachability");
}

static bool
is_nil(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_NIL;
}

static const msgpack_object *
observer(const msgpack_object *d, const char *name)
{
	const msgpack_object *o =
		mp_find(mp_array(d, "observers"), "name", name);

	if (!o)
		fail_msg("no row of observer %s", name);
	return o;
}

/* Observer @obs's cell about @peer. */
static const msgpack_object *
peer(const msgpack_object *d, const char *obs, const char *name)
{
	const msgpack_object *p =
		mp_find(mp_array(observer(d, obs), "peers"), "name", name);

	if (!p)
		fail_msg("%s's row has no cell for %s", obs, name);
	return p;
}

/* A list of one name, @name. */
static void
assert_only(const msgpack_object *arr, const char *name)
{
	assert_int_equal(arr->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(arr->via.array.size, 1);
	assert_str(&arr->via.array.ptr[0], name);
}

/* Every field of a peer cell is there, with its type and range. */
static void
assert_cell_shape(const msgpack_object *p)
{
	assert_int_equal(p->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(p->via.map.size, 8);
	assert_int_equal(mp_get(p, "name")->type, MSGPACK_OBJECT_STR);
	bool reachable = mp_bool(mp_get(p, "reachable"));
	const msgpack_object *path = mp_get(p, "path");
	assert_true(reachable ? ctl_str_eq(path, "direct")
			      : ctl_str_eq(path, "indirect") ||
					ctl_str_eq(path, "none"));
	double loss = mp_f64(mp_get(p, "loss"));
	assert_true(loss >= 0.0 && loss <= 1.0);
	const char *const opt[] = { "rtt_ms", "p50_ms", "p99_ms",
				    "last_ack_s" };
	for (size_t i = 0; i < 4; i++) {
		const msgpack_object *v = mp_get(p, opt[i]);
		assert_true(is_nil(v) || mp_f64(v) >= 0.0);
	}
	if (!reachable)
		assert_true(is_nil(mp_get(p, "rtt_ms")));
}

/* --- tests --- */

static void
test_standalone(void **state)
{
	struct net *n = *state;
	struct node_cmd_env env = { .cfg = cmdnet_config(n->cn, 0),
				    .now_ms = 1000 };
	struct cmdnet_reply *r = cmdnet_ok(&env, "reachability");

	assert_int_equal(r->d->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(r->d->via.map.size, 2);
	assert_int_equal(mp_array(r->d, "observers")->via.array.size, 0);
	assert_int_equal(mp_array(r->d, "split_views")->via.array.size, 0);
	cmdnet_reply_free(r);
}

static void
test_healthy(void **state)
{
	struct net *n = *state;

	for (int i = 0; i < N; i++) {
		struct cmdnet_reply *r = reach(n, i);
		const msgpack_object *obs = mp_array(r->d, "observers");
		char self[8];

		snprintf(self, sizeof(self), "lb%d", i + 1);
		assert_int_equal(r->d->via.map.size, 2);
		assert_int_equal(obs->via.array.size, N);
		/* Our own live row first. */
		const msgpack_object *o0 = &obs->via.array.ptr[0];
		assert_str(mp_get(o0, "name"), self);
		assert_true(mp_bool(mp_get(o0, "self")));
		assert_true(mp_f64(mp_get(o0, "age_s")) == 0.0);
		assert_false(mp_bool(mp_get(o0, "stale")));
		for (uint32_t k = 0; k < obs->via.array.size; k++) {
			const msgpack_object *o = &obs->via.array.ptr[k];
			const msgpack_object *peers = mp_array(o, "peers");
			assert_int_equal(o->via.map.size, 5);
			assert_true(mp_bool(mp_get(o, "self")) == (k == 0));
			assert_false(mp_bool(mp_get(o, "stale")));
			/* A period (5 s), whole seconds, and the way. */
			assert_true(mp_f64(mp_get(o, "age_s")) <= 7.0);
			assert_int_equal(peers->via.array.size, N - 1);
			for (uint32_t c = 0; c < peers->via.array.size; c++) {
				const msgpack_object *p =
					&peers->via.array.ptr[c];
				assert_cell_shape(p);
				assert_true(mp_bool(mp_get(p, "reachable")));
				assert_str(mp_get(p, "path"), "direct");
				/* 2 ms each way. */
				double rtt = mp_f64(mp_get(p, "rtt_ms"));
				assert_true(fabs(rtt - 4.0) < 0.5);
				assert_true(fabs(mp_f64(mp_get(p, "p50_ms")) -
						 4.0) < 0.5);
				assert_true(mp_f64(mp_get(p, "p99_ms")) >= 3.5);
				assert_true(mp_f64(mp_get(p, "loss")) == 0.0);
				assert_true(mp_f64(mp_get(p, "last_ack_s")) <
					    3.0);
			}
		}
		assert_int_equal(mp_array(r->d, "split_views")->via.array.size,
				 0);
		cmdnet_reply_free(r);
	}
	for (int i = 0; i < N; i++)
		for (int t = 0; t < N; t++)
			assert_int_equal(n->split_on[i][t], 0);
}

/* lb1 -> lb3 datagrams lost: lb1 does not reach lb3 (its pings are lost)
 * and lb3 does not reach lb1 (the acks are); lb2 reaches both, and both
 * reach each other through lb2. */
static void
test_one_way_cut(void **state)
{
	struct net *n = *state;
	gspnet_cut(cmdnet_gspnet(n->cn), 0, 2, true);
	gspnet_run(cmdnet_gspnet(n->cn), 15000);
	for (int i = 0; i < N; i++) {
		struct cmdnet_reply *r = reach(n, i);
		const msgpack_object *d = r->d;

		assert_int_equal(mp_array(d, "observers")->via.array.size, N);
		const msgpack_object *c = peer(d, "lb1", "lb3");
		assert_cell_shape(c);
		assert_false(mp_bool(mp_get(c, "reachable")));
		assert_str(mp_get(c, "path"), "indirect");
		assert_true(is_nil(mp_get(c, "rtt_ms")));
		assert_true(mp_f64(mp_get(c, "loss")) > 0.0);
		/* Acked before the cut: an age, not nil. */
		assert_true(mp_f64(mp_get(c, "last_ack_s")) > 3.0);
		c = peer(d, "lb3", "lb1");
		assert_false(mp_bool(mp_get(c, "reachable")));
		assert_str(mp_get(c, "path"), "indirect");
		assert_true(
			mp_bool(mp_get(peer(d, "lb2", "lb3"), "reachable")));
		assert_true(
			mp_bool(mp_get(peer(d, "lb2", "lb1"), "reachable")));
		assert_true(
			mp_bool(mp_get(peer(d, "lb1", "lb2"), "reachable")));
		assert_true(
			mp_bool(mp_get(peer(d, "lb3", "lb2"), "reachable")));

		const msgpack_object *splits = mp_array(d, "split_views");
		assert_int_equal(splits->via.array.size, 2);
		const msgpack_object *s = mp_find(splits, "target", "lb3");
		assert_non_null(s);
		assert_int_equal(s->via.map.size, 3);
		assert_only(mp_get(s, "reachable_from"), "lb2");
		assert_only(mp_get(s, "unreachable_from"), "lb1");
		s = mp_find(splits, "target", "lb1");
		assert_non_null(s);
		assert_only(mp_get(s, "reachable_from"), "lb2");
		assert_only(mp_get(s, "unreachable_from"), "lb3");
		assert_null(mp_find(splits, "target", "lb2"));
		cmdnet_reply_free(r);
	}
	/* One split view per target on every node: no flapping. */
	for (int i = 0; i < N; i++) {
		assert_int_equal(n->split_on[i][2], 1);
		assert_int_equal(n->split_on[i][0], 1);
		assert_int_equal(n->split_on[i][1], 0);
		assert_int_equal(n->split_off[i][2], 0);
	}

	/* Heal: every cell reachable again, no split view left. */
	gspnet_cut(cmdnet_gspnet(n->cn), 0, 2, false);
	gspnet_run(cmdnet_gspnet(n->cn), 10000);
	for (int i = 0; i < N; i++) {
		struct cmdnet_reply *r = reach(n, i);
		const msgpack_object *obs = mp_array(r->d, "observers");
		for (uint32_t k = 0; k < obs->via.array.size; k++) {
			const msgpack_object *p =
				mp_array(&obs->via.array.ptr[k], "peers");
			assert_false(mp_bool(
				mp_get(&obs->via.array.ptr[k], "stale")));
			for (uint32_t c = 0; c < p->via.array.size; c++) {
				assert_true(mp_bool(mp_get(&p->via.array.ptr[c],
							   "reachable")));
				assert_str(mp_get(&p->via.array.ptr[c], "path"),
					   "direct");
			}
		}
		assert_int_equal(mp_array(r->d, "split_views")->via.array.size,
				 0);
		cmdnet_reply_free(r);
		assert_int_equal(n->split_off[i][2], 1);
		assert_int_equal(n->split_off[i][0], 1);
	}
}

/* A matrix larger than the frame: the write error sticks in the buffer
 * (node/control/server.c answers "response too large"), nothing overflows. */
static void
test_small_frame(void **state)
{
	struct net *n = *state;
	struct node_cmd_env env = cmdnet_env(n->cn, 0);
	msgpack_object args = { .type = MSGPACK_OBJECT_MAP };
	char err[CTL_ERROR_MAX] = "";
	struct ctl_buf b;
	msgpack_packer pk;

	ctl_buf_init(&b, 100);
	ctl_packer_init(&pk, &b);
	assert_int_equal(node_cmd_run(&env, "reachability", &args, NULL, &pk,
				      err, sizeof(err)),
			 CTL_OK);
	assert_int_equal(b.err, -EMSGSIZE);
	assert_true(b.len <= 100);
	ctl_buf_fini(&b);
}

/* lb3 goes silent: lb1 and lb2 agree it is unreachable (no split view),
 * and the last row it published goes stale. */
static void
test_silent_node(void **state)
{
	struct net *n = *state;

	gspnet_down(cmdnet_gspnet(n->cn), 2, true);
	gspnet_run(cmdnet_gspnet(n->cn), 20000);
	for (int i = 0; i < 2; i++) {
		struct cmdnet_reply *r = reach(n, i);
		const msgpack_object *d = r->d;
		const msgpack_object *o = observer(d, "lb3");
		assert_true(mp_bool(mp_get(o, "stale")));
		assert_false(mp_bool(mp_get(o, "self")));
		assert_true(mp_f64(mp_get(o, "age_s")) >= 15.0);
		const msgpack_object *c = peer(d, "lb1", "lb3");
		assert_false(mp_bool(mp_get(c, "reachable")));
		assert_str(mp_get(c, "path"), "none");
		assert_true(mp_f64(mp_get(c, "loss")) > 0.0);
		c = peer(d, "lb2", "lb3");
		assert_false(mp_bool(mp_get(c, "reachable")));
		assert_str(mp_get(c, "path"), "none");
		assert_false(mp_bool(mp_get(observer(d, "lb1"), "stale")));
		assert_false(mp_bool(mp_get(observer(d, "lb2"), "stale")));
		assert_int_equal(mp_array(d, "split_views")->via.array.size, 0);
		cmdnet_reply_free(r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_standalone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_way_cut, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_small_frame, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_silent_node, setup,
						teardown),
	};
	size_t count = sizeof(tests) / sizeof(tests[0]);
	struct CMUnitTest backwards[sizeof(tests) / sizeof(tests[0])];

	/* Once more in reverse, so that no test leans on one before it. */
	for (size_t i = 0; i < count; i++)
		backwards[i] = tests[count - 1 - i];
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	return failed +
	       cmocka_run_group_tests_name("backwards", backwards, NULL, NULL);
}
