/*
 * The cluster room's commands on two real nodes: lb1 and lb2 gossiping
 * over UDP on 127.0.0.216 and 127.0.0.217 (port 7946), each with its own
 * state_dir in a temporary directory and one libuv loop for both.
 *
 * A drain issued through the room is applied and on disk before the call
 * returns, the daemon's callback runs once and is never re-entered (not
 * even by a drain issued from inside it, as auto-drain does), and the
 * intent is on the wire before the callback runs: it does not wait for
 * the next gossip round, nor for the view rebuild.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sodium.h>
#include <uv.h>

#include "common/keyfile.h"
#include "gossip/cert.h"
#include "gossip/gossip.h"
#include "node/cluster/cluster.h"
#include "node/cluster/intent_store.h"
#include "node/config/config.h"

#define N 2
#define PORT 7946
#define WAIT_S 20 /* a bound for convergence, not a measurement */

/* What one node's daemon callback saw. */
struct node {
	struct node_gossip *ng;
	struct node_config *cfg;
	int calls, depth, max_depth;
	/* When set, the next callback issues this undrain from inside
	 * itself, as auto-drain does. */
	const char *undrain_inside;
	int64_t inner_version;
	uint64_t sent_at_call; /* datagrams sent when the callback ran */
};

struct world {
	char dir[64];
	uint8_t ca_pk[GSP_PK_LEN], ca_sk[GSP_SK_LEN];
	uv_loop_t loop;
	struct node n[N];
};

static uint64_t datagrams_sent(const struct node_gossip *ng);

static void
on_changed(void *ctx)
{
	struct node *n = ctx;

	n->calls++;
	n->sent_at_call = datagrams_sent(n->ng);
	if (++n->depth > n->max_depth)
		n->max_depth = n->depth;
	if (n->undrain_inside) {
		const char *target = n->undrain_inside;
		n->undrain_inside = NULL;
		n->inner_version = node_gossip_drain(n->ng, target, false,
						     "health-check", "", 0);
	}
	n->depth--;
}

static void
write_identity(struct world *w, int i)
{
	char path[256], name[16], err[512];
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN];
	struct gsp_cert c;

	snprintf(name, sizeof(name), "lb%d", i + 1);
	crypto_sign_keypair(pk, sk);
	assert_int_equal(gsp_cert_issue(&c, "t", name, pk, (uint64_t)time(NULL),
					30 * 86400, w->ca_sk),
			 0);
	snprintf(path, sizeof(path), "%s/%s.key", w->dir, name);
	assert_int_equal(node_key_save(path, sk, 0, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/%s.cert", w->dir, name);
	assert_int_equal(node_cert_save(path, &c, 0, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void
load_config(struct world *w, int i)
{
	char path[256], err[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/lb%d.yaml", w->dir, i + 1);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"node:\n"
		"  name: lb%d\n"
		"  addresses: [127.0.0.%d]\n"
		"  state_dir: %s/lb%d\n"
		"  key_file: %s/lb%d.key\n"
		"  cert_file: %s/lb%d.cert\n"
		"dns:\n"
		"  listen: [\"127.0.0.%d:5353\"]\n"
		"  zones: [{ name: \"example.net.\" }]\n"
		"cluster:\n"
		"  name: t\n"
		"  listen: \"127.0.0.%d:%d\"\n"
		"  seeds: [\"127.0.0.216:%d\"]\n"
		"  ca_file: %s/ca.pub\n"
		"  profile: lan\n"
		"control: {}\n"
		"log: { level: error }\n",
		i + 1, 216 + i, w->dir, i + 1, w->dir, i + 1, w->dir, i + 1,
		216 + i, 216 + i, PORT, PORT, w->dir);
	fclose(f);
	if (node_config_load(path, &w->n[i].cfg, err, sizeof(err)))
		fail_msg("%s", err);
}

static bool
sees_alive(const struct node_gossip *ng, const char *name)
{
	const struct gsp *g = node_gossip_state(ng);
	struct gsp_member_info m;

	for (size_t i = 0; i < gsp_member_count(g); i++)
		if (gsp_member_get(g, i, &m) && !strcmp(m.name, name))
			return m.state == GSP_ALIVE;
	return false;
}

/* Runs the loop until @done holds; fails after WAIT_S seconds. */
static void
run_until(struct world *w, bool (*done)(struct world *))
{
	time_t end = time(NULL) + WAIT_S;

	while (!done(w)) {
		if (time(NULL) > end)
			fail_msg("no convergence within %d s", WAIT_S);
		uv_run(&w->loop, UV_RUN_ONCE);
	}
}

static bool
joined(struct world *w)
{
	return sees_alive(w->n[0].ng, "lb2") && sees_alive(w->n[1].ng, "lb1");
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char path[256], err[512];

	assert_non_null(w);
	assert_true(sodium_init() >= 0);
	snprintf(w->dir, sizeof(w->dir), "/tmp/pmgtm-test-cluster-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	crypto_sign_keypair(w->ca_pk, w->ca_sk);
	snprintf(path, sizeof(path), "%s/ca.pub", w->dir);
	assert_int_equal(node_ca_pub_save(path, w->ca_pk, 0, err, sizeof(err)),
			 0);
	assert_int_equal(uv_loop_init(&w->loop), 0);
	for (int i = 0; i < N; i++) {
		write_identity(w, i);
		load_config(w, i);
		if (node_gossip_start(&w->loop, w->n[i].cfg, on_changed,
				      &w->n[i], &w->n[i].ng, err, sizeof(err)))
			fail_msg("%s", err);
	}
	run_until(w, joined);
	*state = w;
	return 0;
}

static void
closed(void *ctx)
{
	(*(int *)ctx)++;
}

static int
teardown(void **state)
{
	struct world *w = *state;
	char cmd[128];
	int done = 0;

	for (int i = 0; i < N; i++)
		node_gossip_leave(w->n[i].ng, closed, &done);
	while (done < N)
		uv_run(&w->loop, UV_RUN_ONCE);
	assert_int_equal(uv_loop_close(&w->loop), 0);
	for (int i = 0; i < N; i++)
		node_config_free(w->n[i].cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
	free(w);
	return system(cmd) == 0 ? 0 : -1;
}

static void
reset(struct node *n)
{
	n->calls = n->depth = n->max_depth = 0;
}

static uint64_t
datagrams_sent(const struct node_gossip *ng)
{
	const struct gsp_stats *st = gsp_stats(node_gossip_state(ng));
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(st->sent) / sizeof(st->sent[0]); i++)
		n += st->sent[i];
	return n;
}

static bool
drained_at(const struct node_gossip *ng, const char *name)
{
	return gsp_drained(node_gossip_state(ng), node_gossip_now(ng), name);
}

static void
rand_fill(void *ctx, void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

/* The intents in @w's lb1 state_dir, loaded into a fresh lb3. */
static int
intents_on_disk(struct world *w)
{
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN], cert[GSP_CERT_MAX];
	char dir[128], err[512];
	struct gsp_cert c;
	struct gsp *g = NULL;
	size_t clen;
	struct gsp_now now = node_gossip_now(w->n[0].ng);

	crypto_sign_keypair(pk, sk);
	assert_int_equal(gsp_cert_issue(&c, "t", "lb3", pk, now.unix_s,
					30 * 86400, w->ca_sk),
			 0);
	assert_int_equal(gsp_cert_encode(&c, cert, sizeof(cert), &clen), 0);
	struct gsp_self self = {
		.cluster = "t",
		.name = "lb3",
		.sk = sk,
		.cert = cert,
		.cert_len = clen,
		.ca_pks = (const uint8_t(*)[32])w->ca_pk,
		.n_ca = 1,
		.generation = 1,
		.gossip = { { 4, { 127, 0, 0, 218 } }, PORT },
		.rand = { rand_fill, NULL },
	};
	gsp_timing_profile(&self.timing, false);
	assert_int_equal(gsp_new(&self, now, &g), 0);
	snprintf(dir, sizeof(dir), "%s/lb1", w->dir);
	int loaded = node_intents_load(dir, g, now, err, sizeof(err));
	assert_string_equal(err, "");
	bool drained = gsp_drained(g, now, "lb2");
	gsp_free(g);
	return loaded > 0 && drained ? 1 : loaded > 0 ? 0 : -1;
}

static bool
lb2_holds_drain(struct world *w)
{
	return drained_at(w->n[1].ng, "lb2");
}

static bool
lb2_holds_undrain(struct world *w)
{
	return !drained_at(w->n[1].ng, "lb2");
}

/* Drain then undrain lb2 from lb1. */
static void
drain_sends_applies_and_persists(void **state)
{
	struct world *w = *state;
	struct node *n = &w->n[0];

	reset(n);
	uint64_t sent = datagrams_sent(n->ng);
	int64_t v = node_gossip_drain(n->ng, "lb2", true, "alice", "disk", 0);
	assert_true(v > 0);
	assert_true(drained_at(n->ng, "lb2"));
	assert_int_equal(intents_on_disk(w), 1);
	assert_int_equal(n->calls, 1);
	/* On the wire before the daemon was told, not a round later. */
	assert_true(n->sent_at_call > sent);
	run_until(w, lb2_holds_drain);

	reset(n);
	sent = datagrams_sent(n->ng);
	int64_t u = node_gossip_drain(n->ng, "lb2", false, "alice", "", 0);
	assert_true(u > v);
	assert_false(drained_at(n->ng, "lb2"));
	assert_int_equal(intents_on_disk(w), 0);
	assert_int_equal(n->calls, 1);
	assert_true(n->sent_at_call > sent);
	run_until(w, lb2_holds_undrain);
	assert_int_equal(n->max_depth, 1);
}

/* The callback issues an undrain (auto-drain's path): it is applied and
 * reported by a second call, after the first returned. */
static void
drain_from_callback_does_not_nest(void **state)
{
	struct world *w = *state;
	struct node *n = &w->n[0];

	reset(n);
	n->undrain_inside = "lb1";
	int64_t v = node_gossip_drain(n->ng, "lb1", true, "health-check",
				      "check failed", 0);
	assert_true(v > 0);
	assert_true(n->inner_version > v);
	assert_int_equal(n->max_depth, 1);
	assert_int_equal(n->calls, 2);
	assert_false(drained_at(n->ng, "lb1"));
	uv_run(&w->loop, UV_RUN_NOWAIT);
	assert_int_equal(n->max_depth, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(drain_sends_applies_and_persists),
		cmocka_unit_test(drain_from_callback_does_not_nest),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
