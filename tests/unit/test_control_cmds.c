/*
 * The members and status commands (node/control_cmds.c): for a standalone
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
#include "node/config.h"
#include "node/control_cmds.h"
#include "node/ctl_proto.h"

#ifndef PMGTM_TEST_DATA
#error "PMGTM_TEST_DATA must point to tests/data"
#endif

#define T0 1764241200u /* 2025-11-27T11:00:00Z */
#define LATENCY_MS 2

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

/* --- two nodes on a virtual clock --- */

struct pkt {
	uint64_t at;
	int to, from;
	bool tcp, reply;
	uint8_t *data;
	size_t len;
};

struct net {
	struct gsp *g[2];
	struct gsp_endpoint ep[2];
	uint64_t now;
	struct pkt q[4096]; /* FIFO: constant latency keeps it ordered */
	size_t head, tail;
	uint64_t rnd;
};

static struct gsp_now
now_of(const struct net *n)
{
	return (struct gsp_now){ .ms = n->now, .unix_s = T0 + n->now / 1000 };
}

/* Deterministic "randomness": the test asserts no random outcome. */
static void
fill(void *ctx, void *buf, size_t len)
{
	struct net *n = ctx;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		n->rnd = n->rnd * 6364136223846793005ull +
			 1442695040888963407ull;
		p[i] = (uint8_t)(n->rnd >> 56);
	}
}

static void
enqueue(struct net *n, int from, int to, bool tcp, bool reply, uint8_t *data,
	size_t len)
{
	assert_true(n->tail - n->head < 4096);
	n->q[n->tail++ % 4096] = (struct pkt){
		n->now + LATENCY_MS, to, from, tcp, reply, data, len
	};
}

static int
node_at(const struct net *n, const struct gsp_endpoint *ep)
{
	for (int i = 0; i < 2; i++)
		if (!memcmp(&n->ep[i].ip, &ep->ip, sizeof(ep->ip)) &&
		    n->ep[i].port == ep->port)
			return i;
	return -1;
}

static void
flush(struct net *n, int i)
{
	struct gsp_out o;
	struct gsp_event ev;

	while (gsp_out_next(n->g[i], &o)) {
		int to = node_at(n, &o.to);
		if (to < 0) {
			free(o.data);
			continue;
		}
		enqueue(n, i, to, o.transport == GSP_OUT_TCP, false, o.data,
			o.len);
	}
	while (gsp_event_next(n->g[i], &ev))
		;
}

static void
pump(struct net *n, uint64_t until)
{
	for (; n->now <= until; n->now++) {
		while (n->head < n->tail && n->q[n->head % 4096].at <= n->now) {
			struct pkt p = n->q[n->head++ % 4096];
			if (!p.tcp) {
				gsp_recv(n->g[p.to], now_of(n), &n->ep[p.from],
					 p.data, p.len);
			} else {
				uint8_t *reply = NULL;
				size_t rlen = 0;
				(void)gsp_stream_input(n->g[p.to], now_of(n),
						       p.data, p.len, &reply,
						       &rlen);
				if (reply && !p.reply)
					enqueue(n, p.to, p.from, true, true,
						reply, rlen);
				else
					free(reply);
			}
			free(p.data);
			flush(n, p.to);
		}
		for (int i = 0; i < 2; i++) {
			gsp_tick(n->g[i], now_of(n));
			flush(n, i);
		}
	}
}

static void
start(struct net *n, int i, const char *name, const uint8_t *ca_pk,
      const uint8_t *ca_sk)
{
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN], seed[32], cert[GSP_CERT_MAX];
	struct gsp_cert c;
	size_t cert_len;
	struct gsp_ip addr = { 4, { 198, 51, 100, (uint8_t)(10 + i) } };
	char ns[64];

	memset(seed, 0x10 + i, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_int_equal(gsp_cert_issue(&c, name, pk, T0, 30, ca_sk), 0);
	assert_int_equal(gsp_cert_encode(&c, cert, sizeof(cert), &cert_len), 0);
	n->ep[i].ip.family = 4;
	memcpy(n->ep[i].ip.bytes, (uint8_t[]){ 10, 0, 0, (uint8_t)(1 + i) }, 4);
	n->ep[i].port = 7946;
	snprintf(ns, sizeof(ns), "%s.api.example.com", name);
	struct gsp_self self = {
		.cluster = "test",
		.name = name,
		.sk = sk,
		.cert = cert,
		.cert_len = cert_len,
		.ca_pk = ca_pk,
		.generation = 1795778948u + (uint64_t)i,
		.addrs = &addr,
		.n_addrs = 1,
		.ns_name = ns,
		.gossip = n->ep[i],
		.rand = { fill, n },
	};
	gsp_timing_profile(&self.timing, false);
	assert_int_equal(gsp_new(&self, now_of(n), &n->g[i]), 0);
}

static void
test_cluster(void **state)
{
	uint8_t ca_pk[GSP_PK_LEN], ca_sk[GSP_SK_LEN], seed[32];
	struct node_config *cfg = NULL;
	struct net *n = calloc(1, sizeof(*n));
	char err[512];
	struct out o;

	assert_non_null(n);
	assert_true(sodium_init() >= 0);
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(ca_pk, ca_sk, seed);
	n->rnd = 1;
	start(n, 0, "lb1", ca_pk, ca_sk);
	start(n, 1, "lb2", ca_pk, ca_sk);
	gsp_join(n->g[1], now_of(n), &n->ep[0], 1);
	flush(n, 1);
	pump(n, 5000); /* five LAN probe rounds */

	if (node_config_load(PMGTM_TEST_DATA "/good_minimal.yaml", &cfg, err,
			     sizeof(err)))
		fail_msg("%s", err);
	struct node_cmd_env env = { .cfg = cfg,
				    .g = n->g[0],
				    .now_ms = n->now };

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
	assert_int_equal(get(peer, "generation")->via.u64, 1795778949u);
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
	assert_int_equal(get(d, "generation")->via.u64, 1795778948u);
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
	while (n->head < n->tail)
		free(n->q[n->head++ % 4096].data);
	gsp_free(n->g[0]);
	gsp_free(n->g[1]);
	free(n);
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
