/*
 * The members and status commands (node/control/commands.c): for a standalone
 * node from its config, and for two gossip state machines that joined on
 * a virtual clock (2 ms each way, so RTTs are known exactly).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gossip/gossip.h"
#include "node/config/config.h"
#include "node/control/commands.h"
#include "common/ctl_proto.h"

#include "gspnet.h"

#ifndef PMGTM_TEST_DATA
#error "PMGTM_TEST_DATA must point to tests/data"
#endif

#define LATENCY_MS GSPNET_LATENCY_MS

/* The data a command packs, unpacked. */
struct out {
	struct ctl_buf buf;
	msgpack_unpacked up;
};

static const msgpack_object *
run(int (*cmd)(const struct node_cmd_env *, msgpack_packer *),
    const struct node_cmd_env *env, struct out *o)
{
	msgpack_packer pk;
	size_t off = 0;

	ctl_buf_init(&o->buf, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &o->buf);
	assert_int_equal(cmd(env, &pk), 0);
	assert_int_equal(o->buf.err, 0);
	msgpack_unpacked_init(&o->up);
	assert_int_equal(msgpack_unpack_next(&o->up, (const char *)o->buf.data,
					     o->buf.len, &off),
			 MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, o->buf.len); /* exactly one object */
	return &o->up.data;
}

static void
out_fini(struct out *o)
{
	msgpack_unpacked_destroy(&o->up);
	ctl_buf_fini(&o->buf);
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

static void
assert_nil(const msgpack_object *o)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_NIL);
}

static void
test_standalone(void **state)
{
	struct node_config *cfg = NULL;
	char err[512];
	struct out o;

	if (node_config_load(PMGTM_TEST_DATA "/good_minimal.yaml", &cfg, err,
			     sizeof(err)))
		fail_msg("%s", err);
	struct node_cmd_env env = { .cfg = cfg,
				    .now_ms = 123456,
				    .serving = true };

	const msgpack_object *d = run(node_cmd_members, &env, &o);
	const msgpack_object *list = get(d, "members");
	assert_int_equal(list->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(list->via.array.size, 1);
	const msgpack_object *m = &list->via.array.ptr[0];
	assert_str(get(m, "name"), "lb1");
	assert_str(get(m, "state"), "alive");
	assert_false(get(m, "drained")->via.boolean);
	assert_int_equal(get(m, "addresses")->via.array.size, 1);
	assert_str(&get(m, "addresses")->via.array.ptr[0], "198.51.100.10");
	assert_nil(get(m, "rtt_ms"));
	assert_nil(get(m, "drain"));
	assert_nil(get(m, "ns_name"));
	assert_int_equal(get(m, "generation")->via.u64, 0);
	assert_int_equal(get(m, "incarnation")->via.u64, 0);
	assert_true(get(m, "self")->via.boolean);
	out_fini(&o);

	d = run(node_cmd_status, &env, &o);
	assert_str(get(d, "name"), "lb1");
	assert_str(get(d, "mode"), "standalone");
	assert_str(get(d, "version"), PMGTM_VERSION);
	assert_false(get(d, "drained")->via.boolean);
	assert_true(get(d, "serving")->via.boolean);
	assert_true(get(d, "synced")->via.boolean);
	assert_int_equal(get(d, "zones")->via.array.size, 1);
	assert_str(&get(d, "zones")->via.array.ptr[0], "api.example.com");
	assert_int_equal(get(get(d, "peers"), "alive")->via.u64, 0);
	assert_int_equal(get(get(d, "peers"), "left")->via.u64, 0);
	assert_nil(get(d, "gossip"));
	assert_nil(get(d, "generation"));
	out_fini(&o);

	/* The dispatcher. */
	struct ctl_buf b;
	msgpack_packer pk;
	msgpack_object args = { .type = MSGPACK_OBJECT_MAP };
	ctl_buf_init(&b, 4096);
	ctl_packer_init(&pk, &b);
	err[0] = '\0';
	assert_int_equal(node_cmd_run(&env, "status", &args, NULL, &pk, err,
				      sizeof(err)),
			 CTL_OK);
	assert_true(b.len > 0);
	b.len = 0;
	assert_int_equal(
		node_cmd_run(&env, "nope", &args, NULL, &pk, err, sizeof(err)),
		CTL_ERROR);
	assert_string_equal(err, "unknown command 'nope'");
	assert_int_equal(b.len, 0);
	ctl_buf_fini(&b);
	node_config_free(cfg);
}

static void
test_cluster(void **state)
{
	const struct gspnet_opts opts = { .nodes = 2,
					  .ca_seed = 1,
					  .key_seed = 0x10,
					  .rnd = 1,
					  .ns_zone = "api.example.com" };
	struct node_config *cfg = NULL;
	struct gspnet *n = gspnet_new(&opts);
	char err[512];
	struct out o;

	gspnet_join(n, 1, 0);
	/* Five LAN probe rounds: ticks at 0 to 5000 ms, both included. */
	gspnet_run(n, 5001);

	if (node_config_load(PMGTM_TEST_DATA "/good_minimal.yaml", &cfg, err,
			     sizeof(err)))
		fail_msg("%s", err);
	struct node_cmd_env env = { .cfg = cfg,
				    .g = gspnet_gsp(n, 0),
				    .now_ms = gspnet_now(n).ms };

	const msgpack_object *d = run(node_cmd_members, &env, &o);
	const msgpack_object *list = get(d, "members");
	assert_int_equal(list->via.array.size, 2);
	const msgpack_object *me = &list->via.array.ptr[0];
	const msgpack_object *peer = &list->via.array.ptr[1];
	assert_str(get(me, "name"), "lb1");
	assert_true(get(me, "self")->via.boolean);
	assert_nil(get(me, "rtt_ms"));
	assert_nil(get(me, "last_ack_s"));
	assert_str(get(me, "gossip"), "10.0.0.1:7946");
	assert_str(get(peer, "name"), "lb2");
	assert_str(get(peer, "state"), "alive");
	assert_false(get(peer, "self")->via.boolean);
	assert_str(&get(peer, "addresses")->via.array.ptr[0], "198.51.100.11");
	assert_str(get(peer, "ns_name"), "lb2.api.example.com");
	assert_int_equal(get(peer, "generation")->via.u64, GSPNET_T0 - 59);
	assert_int_equal(get(peer, "rtt_ms")->type, MSGPACK_OBJECT_FLOAT64);
	assert_true(get(peer, "rtt_ms")->via.f64 == 2.0 * LATENCY_MS);
	assert_int_equal(get(peer, "state_since_s")->type,
			 MSGPACK_OBJECT_FLOAT64);
	assert_true(get(peer, "state_since_s")->via.f64 > 0);
	assert_true(get(peer, "last_ack_s")->via.f64 < 1.5);
	assert_nil(get(peer, "drain"));
	out_fini(&o);

	d = run(node_cmd_status, &env, &o);
	assert_str(get(d, "mode"), "cluster");
	assert_false(get(d, "serving")->via.boolean);
	assert_true(get(d, "synced")->via.boolean);
	assert_int_equal(get(d, "generation")->via.u64, GSPNET_T0 - 60);
	assert_int_equal(get(get(d, "peers"), "alive")->via.u64, 1);
	assert_int_equal(get(get(d, "peers"), "dead")->via.u64, 0);
	assert_int_equal(get(d, "members")->via.u64, 2);
	const msgpack_object *g = get(d, "gossip");
	assert_true(get(g, "sent")->via.u64 > 0);
	assert_true(get(g, "received")->via.u64 > 0);
	assert_int_equal(get(g, "rejected")->via.map.size, GSP_REJ__COUNT);
	assert_int_equal(get(get(g, "rejected"), "signature")->via.u64, 0);
	out_fini(&o);

	node_config_free(cfg);
	gspnet_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standalone),
		cmocka_unit_test(test_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
