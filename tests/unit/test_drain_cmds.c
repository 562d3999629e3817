/*
 * The drain and drain_progress commands (node/control/drain.c), and what
 * members and status show of intents, on three gossip state machines that
 * joined on a virtual clock (2 ms each way). The tests run in order on
 * one cluster: each leaves every member undrained for the next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gossip/gossip.h"
#include "node/config/config.h"
#include "node/control/server.h"
#include "node/control/commands.h"
#include "common/ctl_proto.h"

#include "gspnet.h"

#ifndef PMGTM_TEST_DATA
#error "PMGTM_TEST_DATA must point to tests/data"
#endif

#define N 3

/* --- three nodes on a virtual clock (tests/unit/gspnet.h) --- */

struct net;

/* Node @i issuing intents, as node_gossip_drain() does in pmgtmd. */
struct issuer {
	struct net *net;
	int i;
};

struct net {
	struct gspnet *gn;
	struct node_config *cfg[N];
	struct issuer issuers[N];
	struct node_cmd_cluster cluster[N];
	int issued;
};

static int64_t
issue(void *ctx, const char *target, bool drained, const char *user,
      const char *reason, uint64_t expires_at)
{
	struct issuer *is = ctx;
	struct net *n = is->net;

	n->issued++;
	return gsp_drain(gspnet_gsp(n->gn, is->i), gspnet_now(n->gn), target,
			 drained, user, reason, expires_at);
}

/* The command environment of node @i, as pmgtmd fills it. */
static struct node_cmd_env
env_of(struct net *n, int i)
{
	n->issuers[i] = (struct issuer){ n, i };
	n->cluster[i] = (struct node_cmd_cluster){ issue, &n->issuers[i] };
	return (struct node_cmd_env){
		.cfg = n->cfg[i],
		.g = gspnet_gsp(n->gn, i),
		.now_ms = gspnet_now(n->gn).ms,
		.serving = true,
		.unix_s = gspnet_now(n->gn).unix_s,
		.cluster = &n->cluster[i],
	};
}

/* The config as node @i's own: its name, one zone of TTL 30. */
static void
load_config(struct net *n, int i)
{
	char name[16], err[512];

	snprintf(name, sizeof(name), "lb%d", i + 1); /* as gspnet names it */
	if (node_config_load(PMGTM_TEST_DATA "/good_minimal.yaml", &n->cfg[i],
			     err, sizeof(err)))
		fail_msg("%s", err);
	free(n->cfg[i]->node.name);
	n->cfg[i]->node.name = strdup(name);
	assert_non_null(n->cfg[i]->node.name);
	n->cfg[i]->cluster.min_active = 1;
}

static int
setup(void **state)
{
	const struct gspnet_opts o = {
		.nodes = N, .ca_seed = 1, .key_seed = 0x10, .rnd = 1
	};
	struct net *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	n->gn = gspnet_new(&o);
	for (int i = 0; i < N; i++)
		load_config(n, i);
	for (int i = 1; i < N; i++)
		gspnet_join(n->gn, i, 0);
	gspnet_run(n->gn, 5000); /* five LAN probe rounds */
	*state = n;
	return 0;
}

static int
teardown(void **state)
{
	struct net *n = *state;

	gspnet_free(n->gn);
	for (int i = 0; i < N; i++)
		node_config_free(n->cfg[i]);
	free(n);
	return 0;
}

/* --- calling commands --- */

/* One argument for args(): a string, a bool, an unsigned integer or nil
 * (a wrong type on purpose). */
struct arg {
	const char *key;
	char type; /* 's', 'b', 'u', '-' */
	const char *s;
	uint64_t u;
};

#define S(k, v)                                                                \
	{                                                                      \
		k, 's', v, 0                                                   \
	}
#define B(k, v)                                                                \
	{                                                                      \
		k, 'b', NULL, v                                                \
	}
#define U(k, v)                                                                \
	{                                                                      \
		k, 'u', NULL, v                                                \
	}

/* A command's answer: the code, the message and the data unpacked. */
struct call {
	int code;
	char err[CTL_ERROR_MAX];
	struct ctl_buf args, data;
	msgpack_unpacked args_up, data_up;
	const msgpack_object *d; /* NULL when nothing was packed */
};

static void
unpack(struct ctl_buf *b, msgpack_unpacked *up)
{
	size_t off = 0;

	assert_int_equal(b->err, 0);
	msgpack_unpacked_init(up);
	assert_int_equal(
		msgpack_unpack_next(up, (const char *)b->data, b->len, &off),
		MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, b->len); /* exactly one object */
}

static struct call *
call(struct net *n, int node, const char *cmd, const struct arg *a,
     size_t n_args, const char *user)
{
	struct call *c = calloc(1, sizeof(*c));
	struct ctl_peer who = { .uid = 1000 };
	struct node_cmd_env env = env_of(n, node);
	msgpack_packer pk;

	assert_non_null(c);
	snprintf(who.user, sizeof(who.user), "%s", user);
	ctl_buf_init(&c->args, 4096);
	ctl_packer_init(&pk, &c->args);
	msgpack_pack_map(&pk, n_args);
	for (size_t i = 0; i < n_args; i++) {
		msgpack_pack_str_with_body(&pk, a[i].key, strlen(a[i].key));
		if (a[i].type == 's')
			msgpack_pack_str_with_body(&pk, a[i].s, strlen(a[i].s));
		else if (a[i].type == 'b' && a[i].u)
			msgpack_pack_true(&pk);
		else if (a[i].type == 'b')
			msgpack_pack_false(&pk);
		else if (a[i].type == 'u')
			msgpack_pack_uint64(&pk, a[i].u);
		else
			msgpack_pack_nil(&pk);
	}
	unpack(&c->args, &c->args_up);

	ctl_buf_init(&c->data, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &c->data);
	c->code = node_cmd_run(&env, cmd, &c->args_up.data, &who, &pk, c->err,
			       sizeof(c->err));
	if (c->data.len) {
		unpack(&c->data, &c->data_up);
		c->d = &c->data_up.data;
	}
	return c;
}

static void
call_free(struct call *c)
{
	msgpack_unpacked_destroy(&c->args_up);
	if (c->d)
		msgpack_unpacked_destroy(&c->data_up);
	ctl_buf_fini(&c->args);
	ctl_buf_fini(&c->data);
	free(c);
}

/* A call that must fail with @code and exactly @msg. */
static void
expect_fail(struct net *n, int node, const char *cmd, const struct arg *a,
	    size_t n_args, int code, const char *msg)
{
	struct call *c = call(n, node, cmd, a, n_args, "alice");

	assert_int_equal(c->code, code);
	assert_string_equal(c->err, msg);
	call_free(c);
}

/* drain / undrain that must succeed; returns the version. */
static uint64_t
drain(struct net *n, int node, const char *target, bool drained,
      const char *reason, const char *user)
{
	struct arg a[] = { S("target", target), B("drained", drained),
			   S("reason", reason) };
	struct call *c = call(n, node, "drain", a, reason ? 3 : 2, user);

	if (c->code)
		fail_msg("drain %s: %s", target, c->err);
	assert_non_null(c->d);
	uint64_t v = ctl_map_get(c->d, "version")->via.u64;
	call_free(c);
	return v;
}

static const msgpack_object *
get(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = ctl_map_get(map, key);

	if (!v)
		fail_msg("no key '%s'", key);
	return v;
}

static void
assert_str(const msgpack_object *o, const char *s)
{
	if (!ctl_str_eq(o, s))
		fail_msg("expected the string '%s'", s);
}

static bool
boolean(const msgpack_object *o)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_BOOLEAN);
	return o->via.boolean;
}

/* Member @name in a members or drain_progress list. */
static const msgpack_object *
member(const msgpack_object *list, const char *name)
{
	for (uint32_t i = 0; i < list->via.array.size; i++)
		if (ctl_str_eq(get(&list->via.array.ptr[i], "name"), name))
			return &list->via.array.ptr[i];
	fail_msg("no member %s", name);
	return NULL;
}

/* --- tests --- */

static void
test_standalone(void **state)
{
	struct net *n = *state;
	struct node_cmd_env env = { .cfg = n->cfg[0], .now_ms = 1000 };
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
	struct net *n = *state;
	char long_reason[300];

	memset(long_reason, 'x', 256);
	long_reason[256] = '\0';
	struct arg no_target[] = { B("drained", true) };
	struct arg no_drained[] = { S("target", "lb2") };
	struct arg not_bool[] = { S("target", "lb2"), S("drained", "yes") };
	struct arg too_long[] = { S("target", "lb2"), B("drained", true),
				  S("reason", long_reason) };
	struct arg ctrl[] = { S("target", "lb2"), B("drained", true),
			      S("reason", "a\nb") };
	struct arg ttl_undrain[] = { S("target", "lb2"), B("drained", false),
				     U("ttl_ms", 1000) };
	struct arg empty[] = { S("target", ""), B("drained", true) };
	struct arg bad_ttl[] = { S("target", "lb2"), B("drained", true),
				 S("ttl_ms", "1s") };
	struct arg no_version[] = { S("target", "lb2") };

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
	assert_int_equal(n->issued, 2);
	gspnet_run(n->gn, 2000);
}

static void
test_unknown_and_noop(void **state)
{
	struct net *n = *state;
	struct arg unknown[] = { S("target", "lb9"), B("drained", true) };
	struct arg progress[] = { S("target", "lb9"), U("version", 1) };
	struct arg undrain[] = { S("target", "lb3"), B("drained", false) };
	int issued = n->issued;

	expect_fail(n, 0, "drain", unknown, 2, CTL_REFUSED,
		    "no member named lb9");
	expect_fail(n, 0, "drain_progress", progress, 2, CTL_REFUSED,
		    "no member named lb9");

	struct call *c = call(n, 0, "drain", undrain, 2, "alice");
	assert_int_equal(c->code, CTL_OK);
	assert_true(boolean(get(c->d, "noop")));
	assert_str(get(c->d, "target"), "lb3");
	assert_str(get(c->d, "message"), "lb3 is not drained");
	call_free(c);
	assert_int_equal(n->issued, issued); /* nothing was issued */
}

static void
test_min_active(void **state)
{
	struct net *n = *state;
	struct arg lb3[] = { S("target", "lb3"), B("drained", true) };
	struct arg lb1[] = { S("target", "lb1"), B("drained", true) };
	struct arg lb3_force[] = { S("target", "lb3"), B("drained", true),
				   B("force", true) };

	n->cfg[0]->cluster.min_active = 2;
	drain(n, 0, "lb2", true, "disk", "alice"); /* 3 -> 2 active */
	expect_fail(n, 0, "drain", lb3, 2, CTL_REFUSED,
		    "refused: draining lb3 would leave 1 active member "
		    "(cluster.min_active is 2); use --force");
	/* Re-draining a drained member does not lower the count. */
	drain(n, 0, "lb2", true, "disk, still", "alice");

	struct call *c = call(n, 0, "drain", lb3_force, 3, "bob");
	assert_int_equal(c->code, CTL_OK);
	assert_true(boolean(get(c->d, "drained")));
	assert_str(get(c->d, "user"), "bob");
	call_free(c);

	/* The last active member is this node itself. */
	n->cfg[0]->cluster.min_active = 1;
	expect_fail(n, 0, "drain", lb1, 2, CTL_REFUSED,
		    "refused: draining lb1 would leave 0 active members "
		    "(cluster.min_active is 1); use --force");
	/* min_active 0 allows draining everything. */
	n->cfg[0]->cluster.min_active = 0;
	drain(n, 0, "lb1", true, NULL, "alice");
	n->cfg[0]->cluster.min_active = 1;

	/* Undrains are never refused. */
	drain(n, 0, "lb1", false, NULL, "alice");
	drain(n, 0, "lb2", false, NULL, "alice");
	drain(n, 0, "lb3", false, NULL, "alice");
	gspnet_run(n->gn, 2000);
}

static void
test_intent_visible(void **state)
{
	struct net *n = *state;
	struct arg a[] = { S("target", "lb2"), B("drained", true),
			   S("reason", "maintenance"), U("ttl_ms", 3600500) };
	uint64_t unix_s = gspnet_now(n->gn).unix_s;
	char at[32], expires[32];
	time_t t;

	struct call *c = call(n, 0, "drain", a, 4, "alice");
	assert_int_equal(c->code, CTL_OK);
	assert_str(get(c->d, "target"), "lb2");
	assert_true(boolean(get(c->d, "drained")));
	assert_true(boolean(get(c->d, "effective")));
	assert_str(get(c->d, "issuer"), "lb1");
	assert_str(get(c->d, "user"), "alice");
	assert_str(get(c->d, "reason"), "maintenance");
	t = (time_t)unix_s;
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	t = (time_t)(unix_s + 3601); /* rounded up to whole seconds */
	strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	assert_str(get(c->d, "at"), at);
	assert_str(get(c->d, "expires"), expires);
	uint64_t version = get(c->d, "version")->via.u64;
	call_free(c);

	/* Here at once, and on lb3 once gossip carried it. */
	gspnet_run(n->gn, 3000);
	for (int i = 0; i < N; i += 2) {
		c = call(n, i, "members", NULL, 0, "alice");
		const msgpack_object *list = get(c->d, "members");
		const msgpack_object *m = member(list, "lb2");
		assert_true(boolean(get(m, "drained")));
		const msgpack_object *d = get(m, "drain");
		assert_int_equal(d->type, MSGPACK_OBJECT_MAP);
		assert_str(get(d, "by"), "lb1");
		assert_str(get(d, "user"), "alice");
		assert_str(get(d, "reason"), "maintenance");
		assert_str(get(d, "at"), at);
		assert_str(get(d, "expires"), expires);
		assert_int_equal(get(d, "version")->via.u64, version);
		m = member(list, "lb3");
		assert_false(boolean(get(m, "drained")));
		assert_int_equal(get(m, "drain")->type, MSGPACK_OBJECT_NIL);
		call_free(c);
	}
	/* lb2 knows it is drained; lb1 is not. */
	c = call(n, 1, "status", NULL, 0, "alice");
	assert_true(boolean(get(c->d, "drained")));
	call_free(c);
	c = call(n, 0, "status", NULL, 0, "alice");
	assert_false(boolean(get(c->d, "drained")));
	call_free(c);

	/* An undrain from another node, by another user. */
	drain(n, 2, "lb2", false, "done", "bob");
	gspnet_run(n->gn, 3000);
	c = call(n, 0, "members", NULL, 0, "alice");
	const msgpack_object *m = member(get(c->d, "members"), "lb2");
	assert_false(boolean(get(m, "drained")));
	assert_int_equal(get(m, "drain")->type, MSGPACK_OBJECT_NIL);
	call_free(c);
}

static void
test_ttl_expires(void **state)
{
	struct net *n = *state;
	struct arg a[] = { S("target", "lb3"), B("drained", true),
			   U("ttl_ms", 2000) };
	struct arg undrain[] = { S("target", "lb3"), B("drained", false) };

	struct call *c = call(n, 0, "drain", a, 3, "alice");
	assert_int_equal(c->code, CTL_OK);
	call_free(c);
	gspnet_run(n->gn, 1000);
	c = call(n, 0, "members", NULL, 0, "alice");
	assert_true(
		boolean(get(member(get(c->d, "members"), "lb3"), "drained")));
	call_free(c);
	gspnet_run(n->gn, 2500);
	c = call(n, 0, "members", NULL, 0, "alice");
	const msgpack_object *m = member(get(c->d, "members"), "lb3");
	assert_false(boolean(get(m, "drained")));
	assert_int_equal(get(m, "drain")->type, MSGPACK_OBJECT_NIL);
	call_free(c);
	/* Expired is not drained: nothing to undrain. */
	c = call(n, 0, "drain", undrain, 2, "alice");
	assert_int_equal(c->code, CTL_OK);
	assert_true(boolean(get(c->d, "noop")));
	call_free(c);
}

static void
test_progress(void **state)
{
	struct net *n = *state;

	uint64_t v = drain(n, 0, "lb2", true, "rollout", "alice");
	struct arg a[] = { S("target", "lb2"), U("version", v) };

	/* Nobody else has heard of it yet. */
	struct call *c = call(n, 0, "drain_progress", a, 2, "alice");
	assert_int_equal(c->code, CTL_OK);
	assert_str(get(c->d, "target"), "lb2");
	assert_int_equal(get(c->d, "version")->via.u64, v);
	assert_false(boolean(get(c->d, "superseded")));
	assert_false(boolean(get(c->d, "target_applied")));
	assert_true(boolean(get(c->d, "target_drained")));
	assert_str(get(c->d, "target_state"), "alive");
	assert_int_equal(get(c->d, "ttl_s")->via.u64, 30);
	const msgpack_object *in = get(c->d, "intent");
	assert_int_equal(get(in, "version")->via.u64, v);
	assert_str(get(in, "issuer"), "lb1");
	assert_str(get(in, "reason"), "rollout");
	const msgpack_object *list = get(c->d, "members");
	assert_int_equal(list->via.array.size, 3);
	assert_true(boolean(get(member(list, "lb1"), "has")));
	assert_false(boolean(get(member(list, "lb2"), "has")));
	assert_false(boolean(get(member(list, "lb3"), "has")));
	const msgpack_object *lag = get(c->d, "lagging");
	assert_int_equal(lag->via.array.size, 2);
	assert_str(&lag->via.array.ptr[0], "lb2");
	assert_str(&lag->via.array.ptr[1], "lb3");
	call_free(c);

	/* A few gossip rounds later every member has told us it has it. */
	gspnet_run(n->gn, 3000);
	c = call(n, 0, "drain_progress", a, 2, "alice");
	assert_true(boolean(get(c->d, "target_applied")));
	assert_false(boolean(get(c->d, "superseded")));
	assert_int_equal(get(c->d, "lagging")->via.array.size, 0);
	list = get(c->d, "members");
	for (uint32_t i = 0; i < list->via.array.size; i++)
		assert_true(boolean(get(&list->via.array.ptr[i], "has")));
	call_free(c);

	/* The target itself counts as having applied it. */
	c = call(n, 1, "drain_progress", a, 2, "alice");
	assert_true(boolean(get(c->d, "target_applied")));
	call_free(c);

	/* Someone undrains from lb3: the wait on lb1 learns it lost. */
	uint64_t v2 = drain(n, 2, "lb2", false, NULL, "bob");
	assert_true(v2 > v);
	gspnet_run(n->gn, 3000);
	c = call(n, 0, "drain_progress", a, 2, "alice");
	assert_true(boolean(get(c->d, "superseded")));
	in = get(c->d, "intent");
	assert_int_equal(get(in, "version")->via.u64, v2);
	assert_false(boolean(get(in, "drained")));
	assert_str(get(in, "issuer"), "lb3");
	assert_str(get(in, "user"), "bob");
	assert_int_equal(get(in, "reason")->type, MSGPACK_OBJECT_NIL);
	assert_int_equal(get(in, "expires")->type, MSGPACK_OBJECT_NIL);
	assert_false(boolean(get(c->d, "target_drained")));
	call_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standalone),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_unknown_and_noop),
		cmocka_unit_test(test_min_active),
		cmocka_unit_test(test_intent_visible),
		cmocka_unit_test(test_ttl_expires),
		cmocka_unit_test(test_progress),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
