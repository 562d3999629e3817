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

#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/gossip.h"
#include "node/config/config.h"
#include "node/control/commands.h"
#include "common/ctl_proto.h"

#include "cmdnet.h"

#ifndef PMGTM_TEST_DATA
#error "PMGTM_TEST_DATA must point to tests/data"
#endif

#define LATENCY_MS GSPNET_LATENCY_MS

/* The key id of the node key from 32 bytes of @fill, as gspnet makes
 * them. */
static const char *
key_id_of(uint8_t fill)
{
	static char text[GSP_KEY_ID_TEXT];
	uint8_t seed[crypto_sign_SEEDBYTES], pk[GSP_PK_LEN], sk[GSP_SK_LEN];

	memset(seed, fill, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
	gsp_key_id_text(pk, text);
	return text;
}

static void
test_standalone(void **state)
{
	struct node_config *cfg = NULL;
	char err[512];

	if (node_config_load(PMGTM_TEST_DATA "/good_minimal.yaml", &cfg, err,
			     sizeof(err)))
		fail_msg("%s", err);
	struct node_cmd_env env = { .cfg = cfg,
				    .now_ms = 123456,
				    .serving = true };

	struct cmdnet_reply *r = cmdnet_ok(&env, "members");
	const msgpack_object *d = r->d;
	const msgpack_object *list = mp_get(d, "members");
	assert_int_equal(list->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(list->via.array.size, 1);
	const msgpack_object *m = &list->via.array.ptr[0];
	assert_str(mp_get(m, "name"), "lb1");
	assert_str(mp_get(m, "state"), "alive");
	assert_false(mp_get(m, "drained")->via.boolean);
	assert_int_equal(mp_get(m, "addresses")->via.array.size, 1);
	assert_str(&mp_get(m, "addresses")->via.array.ptr[0], "198.51.100.10");
	assert_nil(mp_get(m, "rtt_ms"));
	assert_nil(mp_get(m, "drain"));
	assert_nil(mp_get(m, "ns_name"));
	assert_int_equal(mp_get(m, "generation")->via.u64, 0);
	assert_int_equal(mp_get(m, "incarnation")->via.u64, 0);
	assert_true(mp_get(m, "self")->via.boolean);
	/* no cluster, no certificate */
	assert_nil(mp_get(m, "cert_not_before"));
	assert_nil(mp_get(m, "cert_not_after"));
	assert_nil(mp_get(m, "key_id"));
	assert_false(mp_bool(mp_get(m, "revoked")));
	cmdnet_reply_free(r);

	r = cmdnet_ok(&env, "status");
	d = r->d;
	assert_str(mp_get(d, "name"), "lb1");
	assert_str(mp_get(d, "mode"), "standalone");
	assert_str(mp_get(d, "version"), PMGTM_VERSION);
	assert_false(mp_get(d, "drained")->via.boolean);
	assert_true(mp_get(d, "serving")->via.boolean);
	assert_true(mp_get(d, "synced")->via.boolean);
	assert_int_equal(mp_get(d, "zones")->via.array.size, 1);
	assert_str(&mp_get(d, "zones")->via.array.ptr[0], "api.example.com");
	assert_int_equal(mp_get(mp_get(d, "peers"), "alive")->via.u64, 0);
	assert_int_equal(mp_get(mp_get(d, "peers"), "left")->via.u64, 0);
	assert_nil(mp_get(d, "gossip"));
	assert_nil(mp_get(d, "generation"));
	assert_nil(mp_get(d, "cert"));
	cmdnet_reply_free(r);

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
	/* Five LAN probe rounds: ticks at 0 to 5000 ms, both included. */
	struct cmdnet *n = cmdnet_new(&opts, 5001);
	struct node_cmd_env env = cmdnet_env(n, 0);

	env.serving = false; /* the view is not answering yet */
	struct cmdnet_reply *r = cmdnet_ok(&env, "members");
	const msgpack_object *d = r->d;
	const msgpack_object *list = mp_get(d, "members");
	assert_int_equal(list->via.array.size, 2);
	const msgpack_object *me = &list->via.array.ptr[0];
	const msgpack_object *peer = &list->via.array.ptr[1];
	assert_str(mp_get(me, "name"), "lb1");
	assert_true(mp_get(me, "self")->via.boolean);
	assert_nil(mp_get(me, "rtt_ms"));
	assert_nil(mp_get(me, "last_ack_s"));
	assert_str(mp_get(me, "gossip"), "10.0.0.1:7946");
	assert_str(mp_get(peer, "name"), "lb2");
	assert_str(mp_get(peer, "state"), "alive");
	assert_false(mp_get(peer, "self")->via.boolean);
	assert_str(&mp_get(peer, "addresses")->via.array.ptr[0],
		   "198.51.100.11");
	assert_str(mp_get(peer, "ns_name"), "lb2.api.example.com");
	assert_int_equal(mp_get(peer, "generation")->via.u64, GSPNET_T0 - 59);
	assert_int_equal(mp_get(peer, "rtt_ms")->type, MSGPACK_OBJECT_FLOAT64);
	assert_true(mp_get(peer, "rtt_ms")->via.f64 == 2.0 * LATENCY_MS);
	assert_int_equal(mp_get(peer, "state_since_s")->type,
			 MSGPACK_OBJECT_FLOAT64);
	assert_true(mp_get(peer, "state_since_s")->via.f64 > 0);
	assert_true(mp_get(peer, "last_ack_s")->via.f64 < 1.5);
	assert_nil(mp_get(peer, "drain"));
	/* certificates: gspnet's, valid 30 days from GSPNET_T0, for the
	 * keys of seeds 0x10 and 0x11 */
	for (int i = 0; i < 2; i++) {
		const msgpack_object *x = &list->via.array.ptr[i];
		const msgpack_object *v = mp_get(x, "cert_not_after");
		assert_int_equal(v->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
		assert_int_equal(v->via.u64, GSPNET_T0 + 30 * 86400);
		v = mp_get(x, "cert_not_before");
		assert_int_equal(v->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
		assert_int_equal(v->via.u64, GSPNET_T0 - 300);
		assert_str(mp_get(x, "key_id"), key_id_of(0x10 + i));
		assert_false(mp_bool(mp_get(x, "revoked")));
	}
	cmdnet_reply_free(r);

	r = cmdnet_ok(&env, "status");
	d = r->d;
	assert_str(mp_get(d, "mode"), "cluster");
	assert_false(mp_get(d, "serving")->via.boolean);
	assert_true(mp_get(d, "synced")->via.boolean);
	assert_int_equal(mp_get(d, "generation")->via.u64, GSPNET_T0 - 60);
	assert_int_equal(mp_get(mp_get(d, "peers"), "alive")->via.u64, 1);
	assert_int_equal(mp_get(mp_get(d, "peers"), "dead")->via.u64, 0);
	assert_int_equal(mp_get(d, "members")->via.u64, 2);
	const msgpack_object *g = mp_get(d, "gossip");
	assert_true(mp_get(g, "sent")->via.u64 > 0);
	assert_true(mp_get(g, "received")->via.u64 > 0);
	assert_int_equal(mp_get(g, "rejected")->via.map.size, GSP_REJ__COUNT);
	assert_int_equal(mp_get(mp_get(g, "rejected"), "signature")->via.u64,
			 0);
	const msgpack_object *c = mp_get(d, "cert");
	assert_int_equal(c->type, MSGPACK_OBJECT_MAP);
	assert_str(mp_get(c, "key_id"), key_id_of(0x10));
	assert_int_equal(mp_get(c, "not_before")->via.u64, GSPNET_T0 - 300);
	assert_int_equal(mp_get(c, "not_after")->via.u64,
			 GSPNET_T0 + 30 * 86400);
	assert_str(mp_get(c, "not_before_time"), "2025-11-27T10:55:00Z");
	assert_str(mp_get(c, "not_after_time"), "2025-12-27T11:00:00Z");
	/* five seconds in: 29 whole days and a bit are left */
	assert_int_equal(mp_get(c, "days_left")->via.u64, 29);
	assert_false(mp_bool(mp_get(c, "revoked")));
	cmdnet_reply_free(r);

	/* the days left count down with the node's clock, and below zero
	 * once expired */
	env.unix_s = GSPNET_T0 + 30 * 86400;
	r = cmdnet_ok(&env, "status");
	assert_int_equal(mp_get(mp_get(r->d, "cert"), "days_left")->via.u64, 0);
	cmdnet_reply_free(r);
	env.unix_s = GSPNET_T0 + 33 * 86400;
	r = cmdnet_ok(&env, "status");
	c = mp_get(r->d, "cert");
	assert_int_equal(mp_get(c, "days_left")->type,
			 MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_int_equal(mp_get(c, "days_left")->via.i64, -3);
	cmdnet_reply_free(r);
	cmdnet_free(n);
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
