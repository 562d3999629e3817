/*
 * The drain and drain_progress commands (node/control/drain.c), and what
 * members and status show of intents, on three gossip state machines that
 * joined on a virtual clock (2 ms each way). Each test has a cluster of
 * its own, so any test runs alone and in any order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "gossip/gossip.h"
#include "node/config/config.h"
#include "node/control/server.h"
#include "node/control/commands.h"
#include "common/ctl_proto.h"

#include "cmdnet.h"

#define N 3

/* Every member joined, five LAN probe rounds ago; nothing drained. */
static int
setup(void **state)
{
	const struct gspnet_opts o = {
		.nodes = N, .ca_seed = 1, .key_seed = 0x10, .rnd = 1
	};
	struct cmdnet *n = cmdnet_new(&o, 5000);

	for (int i = 0; i < N; i++)
		cmdnet_config(n, i)->cluster.min_active = 1;
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	cmdnet_free(*state);
	return 0;
}

/* --- calling commands --- */

/* A call that must fail with @code and exactly @msg. */
static void
expect_fail(struct cmdnet *n, int node, const char *cmd,
	    const struct cmdnet_arg *a, size_t n_args, int code,
	    const char *msg)
{
	struct cmdnet_reply *c = cmdnet_call(n, node, cmd, a, n_args, "alice");

	assert_int_equal(c->code, code);
	assert_string_equal(c->err, msg);
	cmdnet_reply_free(c);
}

/* drain / undrain that must succeed; returns the version. */
static uint64_t
drain(struct cmdnet *n, int node, const char *target, bool drained,
      const char *reason, const char *user)
{
	struct cmdnet_arg a[] = { ARG_S("target", target),
				  ARG_B("drained", drained),
				  ARG_S("reason", reason) };
	struct cmdnet_reply *c =
		cmdnet_call(n, node, "drain", a, reason ? 3 : 2, user);

	if (c->code)
		fail_msg("drain %s: %s", target, c->err);
	assert_non_null(c->d);
	uint64_t v = ctl_map_get(c->d, "version")->via.u64;
	cmdnet_reply_free(c);
	return v;
}

/* Member @name in a members or drain_progress list. */
static const msgpack_object *
member(const msgpack_object *list, const char *name)
{
	const msgpack_object *m = mp_find(list, "name", name);

	if (!m)
		fail_msg("no member %s", name);
	return m;
}

/* --- tests --- */

static void
test_standalone(void **state)
{
	struct cmdnet *n = *state;
	struct node_cmd_env env = { .cfg = cmdnet_config(n, 0),
				    .now_ms = 1000 };
	struct ctl_buf b;
	msgpack_packer pk;
	msgpack_object args = { .type = MSGPACK_OBJECT_MAP };
	char err[CTL_ERROR_MAX];

	ctl_buf_init(&b, 4096);
	ctl_packer_init(&pk, &b);
	assert_int_equal(
		node_cmd_run(&env, "drain", &args, NULL, &pk, err, sizeof(err)),
		CTL_ERROR);
	assert_string_equal(err, "drain needs a cluster");
	assert_int_equal(node_cmd_run(&env, "drain_progress", &args, NULL, &pk,
				      err, sizeof(err)),
			 CTL_ERROR);
	assert_string_equal(err, "drain needs a cluster");
	assert_int_equal(b.len, 0);
	ctl_buf_fini(&b);
}

static void
test_bad_args(void **state)
{
	struct cmdnet *n = *state;
	char long_reason[300];

	memset(long_reason, 'x', 256);
	long_reason[256] = '\0';
	struct cmdnet_arg no_target[] = { ARG_B("drained", true) };
	struct cmdnet_arg no_drained[] = { ARG_S("target", "lb2") };
	struct cmdnet_arg not_bool[] = { ARG_S("target", "lb2"),
					 ARG_S("drained", "yes") };
	struct cmdnet_arg too_long[] = { ARG_S("target", "lb2"),
					 ARG_B("drained", true),
					 ARG_S("reason", long_reason) };
	struct cmdnet_arg ctrl[] = { ARG_S("target", "lb2"),
				     ARG_B("drained", true),
				     ARG_S("reason", "a\nb") };
	struct cmdnet_arg ttl_undrain[] = { ARG_S("target", "lb2"),
					    ARG_B("drained", false),
					    ARG_U("ttl_ms", 1000) };
	struct cmdnet_arg empty[] = { ARG_S("target", ""),
				      ARG_B("drained", true) };
	struct cmdnet_arg bad_ttl[] = { ARG_S("target", "lb2"),
					ARG_B("drained", true),
					ARG_S("ttl_ms", "1s") };
	struct cmdnet_arg no_version[] = { ARG_S("target", "lb2") };

	expect_fail(n, 0, "drain", no_target, 1, CTL_ERROR,
		    "\"target\" is required");
	expect_fail(n, 0, "drain", no_drained, 1, CTL_ERROR,
		    "\"drained\" is required");
	expect_fail(n, 0, "drain", not_bool, 2, CTL_ERROR,
		    "\"drained\" must be true or false");
	expect_fail(n, 0, "drain", too_long, 3, CTL_ERROR,
		    "\"reason\" is longer than 255 bytes");
	expect_fail(n, 0, "drain", ctrl, 3, CTL_ERROR,
		    "\"reason\" has a control character");
	expect_fail(n, 0, "drain", ttl_undrain, 3, CTL_ERROR,
		    "\"ttl_ms\" is for drains only");
	expect_fail(n, 0, "drain", empty, 2, CTL_ERROR, "\"target\" is empty");
	expect_fail(n, 0, "drain", bad_ttl, 3, CTL_ERROR,
		    "\"ttl_ms\" must be a non-negative integer");
	expect_fail(n, 0, "drain_progress", no_version, 1, CTL_ERROR,
		    "\"version\" is required");

	/* 255 bytes is fine. */
	long_reason[255] = '\0';
	uint64_t v = drain(n, 0, "lb2", true, long_reason, "alice");
	assert_true(v > 0);
	drain(n, 0, "lb2", false, NULL, "alice");
	assert_int_equal(cmdnet_issued(n), 2);
}

static void
test_unknown_and_noop(void **state)
{
	struct cmdnet *n = *state;
	struct cmdnet_arg unknown[] = { ARG_S("target", "lb9"),
					ARG_B("drained", true) };
	struct cmdnet_arg progress[] = { ARG_S("target", "lb9"),
					 ARG_U("version", 1) };
	struct cmdnet_arg undrain[] = { ARG_S("target", "lb3"),
					ARG_B("drained", false) };

	expect_fail(n, 0, "drain", unknown, 2, CTL_REFUSED,
		    "no member named lb9");
	expect_fail(n, 0, "drain_progress", progress, 2, CTL_REFUSED,
		    "no member named lb9");

	struct cmdnet_reply *c =
		cmdnet_call(n, 0, "drain", undrain, 2, "alice");
	assert_int_equal(c->code, CTL_OK);
	assert_true(mp_bool(mp_get(c->d, "noop")));
	assert_str(mp_get(c->d, "target"), "lb3");
	assert_str(mp_get(c->d, "message"), "lb3 is not drained");
	cmdnet_reply_free(c);
	assert_int_equal(cmdnet_issued(n), 0); /* nothing was issued */
}

static void
test_min_active(void **state)
{
	struct cmdnet *n = *state;
	struct cmdnet_arg lb3[] = { ARG_S("target", "lb3"),
				    ARG_B("drained", true) };
	struct cmdnet_arg lb1[] = { ARG_S("target", "lb1"),
				    ARG_B("drained", true) };
	struct cmdnet_arg lb3_force[] = { ARG_S("target", "lb3"),
					  ARG_B("drained", true),
					  ARG_B("force", true) };

	cmdnet_config(n, 0)->cluster.min_active = 2;
	drain(n, 0, "lb2", true, "disk", "alice"); /* 3 -> 2 active */
	expect_fail(n, 0, "drain", lb3, 2, CTL_REFUSED,
		    "refused: draining lb3 would leave 1 active member "
		    "(cluster.min_active is 2); use --force");
	/* Re-draining a drained member does not lower the count. */
	drain(n, 0, "lb2", true, "disk, still", "alice");

	struct cmdnet_reply *c =
		cmdnet_call(n, 0, "drain", lb3_force, 3, "bob");
	assert_int_equal(c->code, CTL_OK);
	assert_true(mp_bool(mp_get(c->d, "drained")));
	assert_str(mp_get(c->d, "user"), "bob");
	cmdnet_reply_free(c);

	/* The last active member is this node itself. */
	cmdnet_config(n, 0)->cluster.min_active = 1;
	expect_fail(n, 0, "drain", lb1, 2, CTL_REFUSED,
		    "refused: draining lb1 would leave 0 active members "
		    "(cluster.min_active is 1); use --force");
	/* min_active 0 allows draining everything. */
	cmdnet_config(n, 0)->cluster.min_active = 0;
	drain(n, 0, "lb1", true, NULL, "alice");
	cmdnet_config(n, 0)->cluster.min_active = 1;

	/* Undrains are never refused. */
	drain(n, 0, "lb1", false, NULL, "alice");
	drain(n, 0, "lb2", false, NULL, "alice");
	drain(n, 0, "lb3", false, NULL, "alice");
}

static void
test_intent_visible(void **state)
{
	struct cmdnet *n = *state;
	struct cmdnet_arg a[] = { ARG_S("target", "lb2"),
				  ARG_B("drained", true),
				  ARG_S("reason", "maintenance"),
				  ARG_U("ttl_ms", 3600500) };
	uint64_t unix_s = gspnet_now(cmdnet_gspnet(n)).unix_s;
	char at[32], expires[32];
	time_t t;

	struct cmdnet_reply *c = cmdnet_call(n, 0, "drain", a, 4, "alice");
	assert_int_equal(c->code, CTL_OK);
	assert_str(mp_get(c->d, "target"), "lb2");
	assert_true(mp_bool(mp_get(c->d, "drained")));
	assert_true(mp_bool(mp_get(c->d, "effective")));
	assert_str(mp_get(c->d, "issuer"), "lb1");
	assert_str(mp_get(c->d, "user"), "alice");
	assert_str(mp_get(c->d, "reason"), "maintenance");
	t = (time_t)unix_s;
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	t = (time_t)(unix_s + 3601); /* rounded up to whole seconds */
	strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	assert_str(mp_get(c->d, "at"), at);
	assert_str(mp_get(c->d, "expires"), expires);
	uint64_t version = mp_get(c->d, "version")->via.u64;
	cmdnet_reply_free(c);

	/* Here at once, and on lb3 once gossip carried it. */
	gspnet_run(cmdnet_gspnet(n), 3000);
	for (int i = 0; i < N; i += 2) {
		c = cmdnet_call(n, i, "members", NULL, 0, "alice");
		const msgpack_object *list = mp_get(c->d, "members");
		const msgpack_object *m = member(list, "lb2");
		assert_true(mp_bool(mp_get(m, "drained")));
		const msgpack_object *d = mp_get(m, "drain");
		assert_int_equal(d->type, MSGPACK_OBJECT_MAP);
		assert_str(mp_get(d, "by"), "lb1");
		assert_str(mp_get(d, "user"), "alice");
		assert_str(mp_get(d, "reason"), "maintenance");
		assert_str(mp_get(d, "at"), at);
		assert_str(mp_get(d, "expires"), expires);
		assert_int_equal(mp_get(d, "version")->via.u64, version);
		m = member(list, "lb3");
		assert_false(mp_bool(mp_get(m, "drained")));
		assert_int_equal(mp_get(m, "drain")->type, MSGPACK_OBJECT_NIL);
		cmdnet_reply_free(c);
	}
	/* lb2 knows it is drained; lb1 is not. */
	c = cmdnet_call(n, 1, "status", NULL, 0, "alice");
	assert_true(mp_bool(mp_get(c->d, "drained")));
	cmdnet_reply_free(c);
	c = cmdnet_call(n, 0, "status", NULL, 0, "alice");
	assert_false(mp_bool(mp_get(c->d, "drained")));
	cmdnet_reply_free(c);

	/* An undrain from another node, by another user. */
	drain(n, 2, "lb2", false, "done", "bob");
	gspnet_run(cmdnet_gspnet(n), 3000);
	c = cmdnet_call(n, 0, "members", NULL, 0, "alice");
	const msgpack_object *m = member(mp_get(c->d, "members"), "lb2");
	assert_false(mp_bool(mp_get(m, "drained")));
	assert_int_equal(mp_get(m, "drain")->type, MSGPACK_OBJECT_NIL);
	cmdnet_reply_free(c);
}

static void
test_ttl_expires(void **state)
{
	struct cmdnet *n = *state;
	struct cmdnet_arg a[] = { ARG_S("target", "lb3"),
				  ARG_B("drained", true),
				  ARG_U("ttl_ms", 2000) };
	struct cmdnet_arg undrain[] = { ARG_S("target", "lb3"),
					ARG_B("drained", false) };

	struct cmdnet_reply *c = cmdnet_call(n, 0, "drain", a, 3, "alice");
	assert_int_equal(c->code, CTL_OK);
	cmdnet_reply_free(c);
	gspnet_run(cmdnet_gspnet(n), 1000);
	c = cmdnet_call(n, 0, "members", NULL, 0, "alice");
	assert_true(mp_bool(
		mp_get(member(mp_get(c->d, "members"), "lb3"), "drained")));
	cmdnet_reply_free(c);
	gspnet_run(cmdnet_gspnet(n), 2500);
	c = cmdnet_call(n, 0, "members", NULL, 0, "alice");
	const msgpack_object *m = member(mp_get(c->d, "members"), "lb3");
	assert_false(mp_bool(mp_get(m, "drained")));
	assert_int_equal(mp_get(m, "drain")->type, MSGPACK_OBJECT_NIL);
	cmdnet_reply_free(c);
	/* Expired is not drained: nothing to undrain. */
	c = cmdnet_call(n, 0, "drain", undrain, 2, "alice");
	assert_int_equal(c->code, CTL_OK);
	assert_true(mp_bool(mp_get(c->d, "noop")));
	cmdnet_reply_free(c);
}

static void
test_progress(void **state)
{
	struct cmdnet *n = *state;

	uint64_t v = drain(n, 0, "lb2", true, "rollout", "alice");
	struct cmdnet_arg a[] = { ARG_S("target", "lb2"), ARG_U("version", v) };

	/* Nobody else has heard of it yet. */
	struct cmdnet_reply *c =
		cmdnet_call(n, 0, "drain_progress", a, 2, "alice");
	assert_int_equal(c->code, CTL_OK);
	assert_str(mp_get(c->d, "target"), "lb2");
	assert_int_equal(mp_get(c->d, "version")->via.u64, v);
	assert_false(mp_bool(mp_get(c->d, "superseded")));
	assert_false(mp_bool(mp_get(c->d, "target_applied")));
	assert_true(mp_bool(mp_get(c->d, "target_drained")));
	assert_str(mp_get(c->d, "target_state"), "alive");
	assert_int_equal(mp_get(c->d, "ttl_s")->via.u64, 30);
	const msgpack_object *in = mp_get(c->d, "intent");
	assert_int_equal(mp_get(in, "version")->via.u64, v);
	assert_str(mp_get(in, "issuer"), "lb1");
	assert_str(mp_get(in, "reason"), "rollout");
	const msgpack_object *list = mp_get(c->d, "members");
	assert_int_equal(list->via.array.size, 3);
	assert_true(mp_bool(mp_get(member(list, "lb1"), "has")));
	assert_false(mp_bool(mp_get(member(list, "lb2"), "has")));
	assert_false(mp_bool(mp_get(member(list, "lb3"), "has")));
	const msgpack_object *lag = mp_get(c->d, "lagging");
	assert_int_equal(lag->via.array.size, 2);
	assert_str(&lag->via.array.ptr[0], "lb2");
	assert_str(&lag->via.array.ptr[1], "lb3");
	cmdnet_reply_free(c);

	/* A few gossip rounds later every member has told us it has it. */
	gspnet_run(cmdnet_gspnet(n), 3000);
	c = cmdnet_call(n, 0, "drain_progress", a, 2, "alice");
	assert_true(mp_bool(mp_get(c->d, "target_applied")));
	assert_false(mp_bool(mp_get(c->d, "superseded")));
	assert_int_equal(mp_get(c->d, "lagging")->via.array.size, 0);
	list = mp_get(c->d, "members");
	for (uint32_t i = 0; i < list->via.array.size; i++)
		assert_true(mp_bool(mp_get(&list->via.array.ptr[i], "has")));
	cmdnet_reply_free(c);

	/* The target itself counts as having applied it. */
	c = cmdnet_call(n, 1, "drain_progress", a, 2, "alice");
	assert_true(mp_bool(mp_get(c->d, "target_applied")));
	cmdnet_reply_free(c);

	/* Someone undrains from lb3: the wait on lb1 learns it lost. */
	uint64_t v2 = drain(n, 2, "lb2", false, NULL, "bob");
	assert_true(v2 > v);
	gspnet_run(cmdnet_gspnet(n), 3000);
	c = cmdnet_call(n, 0, "drain_progress", a, 2, "alice");
	assert_true(mp_bool(mp_get(c->d, "superseded")));
	in = mp_get(c->d, "intent");
	assert_int_equal(mp_get(in, "version")->via.u64, v2);
	assert_false(mp_bool(mp_get(in, "drained")));
	assert_str(mp_get(in, "issuer"), "lb3");
	assert_str(mp_get(in, "user"), "bob");
	assert_int_equal(mp_get(in, "reason")->type, MSGPACK_OBJECT_NIL);
	assert_int_equal(mp_get(in, "expires")->type, MSGPACK_OBJECT_NIL);
	assert_false(mp_bool(mp_get(c->d, "target_drained")));
	cmdnet_reply_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_standalone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_noop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_min_active, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_intent_visible, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ttl_expires, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
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
