/*
 * Gossip scenarios on the simulated network, asserted at virtual times.
 *
 *   sim_gossip            run every scenario (CI)
 *   sim_gossip --report [SEEDS [lan|wan [N]]]
 *                         measure propagation, drain, failure detection
 *                         and bandwidth for N = 3, 10, 50, both profiles
 *
 * PMGTM_SIM_SEED=N reproduces a run; the seed is printed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gossip/codec.h"
#include "scenarios.h"
#include "sim.h"

int sim_passed, sim_failed;
static uint64_t base_seed;

#define ALIVE (1u << GSP_ALIVE)
#define DEAD (1u << GSP_DEAD)
#define SUSPECT (1u << GSP_SUSPECT)

static bool
all_alive(struct sim *s, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < s->n; i++)
		if (s->nodes[i].up && !sim_all_see(s, s->nodes[i].name, ALIVE))
			return false;
	return true;
}

static bool
all_see_dead(struct sim *s, void *arg)
{
	return sim_all_see(s, arg, DEAD);
}

static bool
all_know_inc(struct sim *s, void *arg)
{
	const int *who = arg;
	uint64_t want = sim_inc(s, who[0], s->nodes[who[0]].name);

	for (size_t i = 0; i < s->n; i++)
		if (s->nodes[i].up &&
		    sim_inc(s, (int)i, s->nodes[who[0]].name) != want)
			return false;
	return true;
}

static void
build(struct sim *s, size_t n, uint64_t seed, bool wan)
{
	sim_init(s, seed, wan);
	s->quiet = true;
	for (size_t i = 0; i < n; i++)
		sim_add(s);
}

static uint64_t
total_suspects(struct sim *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->nodes[i].suspects_seen;
	return t;
}

static uint64_t
total_deads(struct sim *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->nodes[i].deads_seen;
	return t;
}

/* A fact born at node 0 (a new incarnation): how long until all know. */
static uint64_t
propagation_ms(struct sim *s)
{
	int who[1] = { 0 };
	struct ip_addr ip = { 4, { 10, 99, 9, 9 } };
	uint64_t t0 = s->now, when = 0;
	struct gsp_now now = { .ms = s->now,
			       .unix_s = s->epoch + s->now / 1000 };

	gsp_update_self(s->nodes[0].g, now, &ip, 1, "moved.example.com");
	s->nodes[0].deadline = s->now; /* let it send */
	if (!sim_run_until(s, s->now + 60000, all_know_inc, who, &when))
		return UINT64_MAX;
	return when - t0;
}

static uint64_t
detection_ms(struct sim *s, int victim)
{
	uint64_t t0 = s->now, when = 0;

	sim_kill(s, victim);
	if (!sim_run_until(s, s->now + 600000, all_see_dead,
			   s->nodes[victim].name, &when))
		return UINT64_MAX;
	return when - t0;
}

/* --- scenarios --- */

static void
converge3(void)
{
	struct sim s;
	uint64_t when = 0;

	build(&s, 3, base_seed, false);
	bool ok = sim_run_until(&s, 5000, all_alive, NULL, &when);
	CHECK(ok,
	      "3 nodes converge: all alive everywhere at %.3f s (bound 5 s)",
	      when / 1000.0);
	sim_fini(&s);
}

static void
dead3(void)
{
	struct sim s;

	build(&s, 3, base_seed + 1, false);
	sim_run(&s, 5000);
	uint64_t d = detection_ms(&s, 2);
	CHECK(d < 5000, "killed node seen dead by all in %.3f s (bound 5 s)",
	      d / 1000.0);
	sim_fini(&s);
}

static void
oneway_cut(void)
{
	struct sim s;

	build(&s, 3, base_seed + 2, false);
	sim_run(&s, 5000);
	uint64_t before = total_suspects(&s);
	s.cut[0][1] = true; /* n0 -> n1 never arrives; both reach n2 */
	sim_run(&s, 65000);
	CHECK(total_suspects(&s) == before && all_alive(&s, NULL),
	      "one-way cut n0->n1 for 60 s, both reach n2: nobody suspected "
	      "(%llu suspicions)",
	      (unsigned long long)(total_suspects(&s) - before));
	s.cut[0][1] = false;
	s.cut[1][0] = true;
	sim_run(&s, 125000);
	CHECK(total_suspects(&s) == before && all_alive(&s, NULL),
	      "one-way cut n1->n0 for 60 s: nobody suspected");
	sim_fini(&s);
}

static void
loss20(size_t n, uint64_t seconds)
{
	struct sim s;

	build(&s, n, base_seed + 3 + n, false);
	sim_run(&s, 5000);
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			s.loss[a][b] = 20;
	uint64_t d0 = total_deads(&s);
	sim_run(&s, 5000 + seconds * 1000);
	CHECK(total_deads(&s) == d0 && all_alive(&s, NULL),
	      "%zu nodes, 20%% loss on every link for %llu s: no member "
	      "flaps to dead (%llu suspicions refuted)",
	      n, (unsigned long long)seconds,
	      (unsigned long long)total_suspects(&s));
	sim_fini(&s);
}

static void
restart(void)
{
	struct sim s;
	uint64_t when = 0;

	build(&s, 3, base_seed + 4, false);
	sim_run(&s, 5000);
	detection_ms(&s, 1);
	sim_run(&s, s.now + 1000);
	sim_restart(&s, 1);
	bool ok = sim_run_until(&s, s.now + 10000, all_alive, NULL, &when);
	struct gsp_member_info info;
	bool gen_ok = false;
	for (size_t k = 0; gsp_member_get(s.nodes[0].g, k, &info); k++)
		if (strcmp(info.name, "n1") == 0)
			gen_ok = info.gen == 2 && info.inc == 0;
	CHECK(ok && gen_ok,
	      "restarted node (generation 2, incarnation 0) alive again "
	      "everywhere, not mistaken for its old self");
	sim_fini(&s);
}

static void
partition_heals(void)
{
	struct sim s;
	uint64_t when = 0;

	build(&s, 4, base_seed + 5, false);
	sim_run(&s, 5000);
	/* {n0, n1} | {n2, n3} */
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++)
			s.cut[a][b] = (a < 2) != (b < 2);
	sim_run(&s, 30000);
	bool split = sim_state(&s, 0, "n2") == GSP_DEAD &&
		     sim_state(&s, 2, "n0") == GSP_DEAD;
	memset(s.cut, 0, sizeof(s.cut));
	bool ok = sim_run_until(&s, s.now + 60000, all_alive, NULL, &when);
	CHECK(split && ok,
	      "full partition: each side sees the other dead; healed, all "
	      "alive again %.1f s later",
	      (when - 30000) / 1000.0);
	sim_fini(&s);
}

/* Dead members are kept for reap_ms, then forgotten everywhere. */
static void
reaped(void)
{
	struct sim s;

	sim_init(&s, base_seed + 10, false);
	s.quiet = true;
	s.timing.reap_ms = 60000;
	for (int i = 0; i < 3; i++)
		sim_add(&s);
	sim_run(&s, 5000);
	detection_ms(&s, 2);
	sim_run(&s, s.now + 30000);
	bool kept = sim_state(&s, 0, "n2") == GSP_DEAD &&
		    sim_state(&s, 1, "n2") == GSP_DEAD;
	sim_run(&s, s.now + 40000);
	bool gone = sim_state(&s, 0, "n2") < 0 && sim_state(&s, 1, "n2") < 0;
	CHECK(kept && gone,
	      "a dead member is kept (30 s after) and forgotten after "
	      "reap_ms (60 s) on every node");
	sim_fini(&s);
}

/* The seed starts last: the others keep asking it until it answers. */
static void
late_seed(void)
{
	struct sim s;
	uint64_t when = 0;

	sim_init(&s, base_seed + 9, false);
	s.quiet = true;
	sim_add(&s);
	sim_kill(&s, 0);
	sim_add(&s);
	sim_add(&s);
	sim_run(&s, 3000);
	bool apart = sim_state(&s, 1, "n2") < 0;
	sim_restart(&s, 0);
	bool ok = sim_run_until(&s, 10000, all_alive, NULL, &when);
	CHECK(apart && ok,
	      "seed down at start: the others retry and converge %.1f s "
	      "after it comes up",
	      (when - 3000) / 1000.0);
	sim_fini(&s);
}

static void
converge50(void)
{
	struct sim s;
	uint64_t when = 0;

	build(&s, 50, base_seed + 6, false);
	bool ok = sim_run_until(&s, 30000, all_alive, NULL, &when);
	CHECK(ok, "50 nodes converge: all alive everywhere at %.3f s",
	      when / 1000.0);
	uint64_t p = propagation_ms(&s);
	CHECK(p < 1000,
	      "50 nodes: a new fact reaches all in %.3f s "
	      "(target < 1 s)",
	      p / 1000.0);
	sim_fini(&s);
}

/* Forged, replayed, expired and foreign packets are dropped and counted. */
static void
rejections(void)
{
	struct sim s;
	uint8_t pkt[2048], rec[GSP_REC_MAX];
	size_t len, rlen;

	build(&s, 3, base_seed + 7, false);
	sim_run(&s, 5000);
	const struct gsp_stats *st = gsp_stats(s.nodes[0].g);

	/* Garbage. */
	uint64_t dec0 = st->rejected[GSP_REJ_DECODE];
	memset(pkt, 0xab, 64);
	sim_inject(&s, 1, 0, pkt, 64);
	sim_run(&s, s.now + 10);
	CHECK(st->rejected[GSP_REJ_DECODE] == dec0 + 1,
	      "garbage: counted as decode (%llu before)",
	      (unsigned long long)dec0);

	/* Signed by n1's key but claiming to be n2: from n1's address it is
	 * refused before any signature check, from n2's it fails one. */
	int rc = gsp_msg_encode("sim", "n2", GSP_MSG_PING, 1, "n0", 0, NULL,
				NULL, 0, s.nodes[1].sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, 1, 0, pkt, len);
	sim_run(&s, s.now + 10);
	CHECK(rc == 0 && st->rejected[GSP_REJ_SOURCE] == 1 &&
		      st->rejected[GSP_REJ_SIGNATURE] == 0 &&
		      !memcmp(&st->last_source[GSP_REJ_SOURCE],
			      &s.nodes[1].ep.ip, sizeof(struct ip_addr)),
	      "forged sender from another address: refused as source, "
	      "the address kept for the log");
	sim_inject(&s, 2, 0, pkt, len);
	sim_run(&s, s.now + 10);
	CHECK(rc == 0 && st->rejected[GSP_REJ_SIGNATURE] == 1,
	      "forged sender: bad signature counted");

	/* Another cluster's name. */
	rc = gsp_msg_encode("other", "n1", GSP_MSG_PING, 1, "n0", 0, NULL, NULL,
			    0, s.nodes[1].sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, 1, 0, pkt, len);
	sim_run(&s, s.now + 10);
	CHECK(rc == 0 && st->rejected[GSP_REJ_CLUSTER] == 1,
	      "wrong cluster name: counted");

	/* A node with a cert from another CA. */
	uint8_t ca_pk[32], ca_sk[64], pk[32], sk[64];
	struct gsp_cert cert;
	struct gsp_record r;
	crypto_sign_keypair(ca_pk, ca_sk);
	crypto_sign_keypair(pk, sk);
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_ALIVE;
	strcpy(r.subject, "mallory");
	strcpy(r.author, "mallory");
	r.gen = 1;
	r.gossip = s.nodes[1].ep;
	rc = gsp_cert_issue(&cert, "sim", "mallory", pk, s.epoch, 30 * 86400,
			    ca_sk);
	rc |= gsp_cert_encode(&cert, r.cert, sizeof(r.cert), &r.cert_len);
	rc |= gsp_record_encode(&r, sk, rec, sizeof(rec), &rlen);
	const uint8_t *recs[1] = { rec };
	rc |= gsp_msg_encode("sim", "mallory", GSP_MSG_PING, 1, "n0", 0, recs,
			     &rlen, 1, sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, 1, 0, pkt, len);
	sim_run(&s, s.now + 10);
	CHECK(rc == 0 && st->rejected[GSP_REJ_CERT] >= 1 &&
		      sim_state(&s, 0, "mallory") < 0,
	      "cert from another CA: rejected, mallory unknown");

	/* Our CA, but expired. */
	rc = gsp_cert_issue(&cert, "sim", "mallory", pk, s.epoch - 40 * 86400,
			    1 * 86400, s.ca_sk);
	rc |= gsp_cert_encode(&cert, r.cert, sizeof(r.cert), &r.cert_len);
	rc |= gsp_record_encode(&r, sk, rec, sizeof(rec), &rlen);
	rc |= gsp_msg_encode("sim", "mallory", GSP_MSG_PING, 1, "n0", 0, recs,
			     &rlen, 1, sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, 1, 0, pkt, len);
	sim_run(&s, s.now + 10);
	CHECK(rc == 0 && st->rejected[GSP_REJ_EXPIRED] >= 1 &&
		      sim_state(&s, 0, "mallory") < 0,
	      "expired cert: rejected");

	/* Replay: n1's alive record of incarnation 0 after it moved on. */
	struct gsp_member_info info;
	gsp_member_get(s.nodes[1].g, 0, &info);
	uint8_t old[GSP_REC_MAX];
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_ALIVE;
	strcpy(r.subject, "n1");
	strcpy(r.author, "n1");
	r.gen = info.gen;
	r.inc = info.inc;
	r.gossip = s.nodes[1].ep;
	memcpy(r.cert, s.nodes[1].cert, s.nodes[1].cert_len);
	r.cert_len = s.nodes[1].cert_len;
	size_t olen;
	rc = gsp_record_encode(&r, s.nodes[1].sk, old, sizeof(old), &olen);
	struct ip_addr ip = { 4, { 10, 99, 1, 1 } };
	struct gsp_now now = { .ms = s.now, .unix_s = s.epoch + s.now / 1000 };
	gsp_update_self(s.nodes[1].g, now, &ip, 1, "");
	s.nodes[1].deadline = s.now;
	sim_run(&s, s.now + 3000);
	uint64_t old_before = st->rejected[GSP_REJ_OLD];
	const uint8_t *orecs[1] = { old };
	rc |= gsp_msg_encode("sim", "n1", GSP_MSG_GOSSIP, 0, "", 0, orecs,
			     &olen, 1, s.nodes[1].sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, 1, 0, pkt, len);
	sim_run(&s, s.now + 10);
	CHECK(rc == 0 && st->rejected[GSP_REJ_OLD] == old_before + 1 &&
		      sim_inc(&s, 0, "n1") == info.inc + 1,
	      "replayed older record: dropped and counted, newer kept");
	CHECK(all_alive(&s, NULL), "after all that, the cluster is intact");
	sim_fini(&s);
}

static void
set_keys(struct sim *s, int i, const uint8_t (*keys)[GSP_KEY_LEN], size_t n)
{
	if (gsp_keyring_init(&s->keyrings[i], keys, n))
		abort();
	if (s->nodes[i].g)
		gsp_set_keyring(s->nodes[i].g, &s->keyrings[i]);
}

/* Every packet sealed; keys rotated without a single suspicion. */
static void
sealed(void)
{
	struct sim s;
	uint8_t k[2][GSP_KEY_LEN], pkt[512];
	uint64_t when = 0;
	size_t len;

	memset(k[0], 1, GSP_KEY_LEN);
	memset(k[1], 2, GSP_KEY_LEN);
	sim_init(&s, base_seed + 8, false);
	s.quiet = true;
	s.sealed = true;
	for (int i = 0; i < 3; i++) {
		set_keys(&s, i, k, 1);
		sim_add(&s);
	}
	bool ok = sim_run_until(&s, 5000, all_alive, NULL, &when);
	CHECK(ok, "sealed cluster converges at %.3f s", when / 1000.0);

	const struct gsp_stats *st = gsp_stats(s.nodes[0].g);
	int rc = gsp_msg_encode("sim", "n1", GSP_MSG_PING, 1, "n0", 0, NULL,
				NULL, 0, s.nodes[1].sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, 1, 0, pkt, len);
	sim_run(&s, s.now + 10);
	CHECK(rc == 0 && st->rejected[GSP_REJ_PLAIN] == 1,
	      "a plain packet to a sealed cluster: rejected");

	uint64_t before = total_suspects(&s);
	uint8_t k12[2][GSP_KEY_LEN], k21[2][GSP_KEY_LEN];
	memcpy(k12[0], k[0], GSP_KEY_LEN);
	memcpy(k12[1], k[1], GSP_KEY_LEN);
	memcpy(k21[0], k[1], GSP_KEY_LEN);
	memcpy(k21[1], k[0], GSP_KEY_LEN);
	/* Step 1: everyone learns the new key; step 2: everyone sends with
	 * it; step 3: the old one goes. One node at a time, 5 s apart. */
	for (int step = 0; step < 3; step++) {
		for (int i = 0; i < 3; i++) {
			if (step == 0)
				set_keys(&s, i, k12, 2);
			else if (step == 1)
				set_keys(&s, i, k21, 2);
			else
				set_keys(&s, i, k21, 1);
			sim_run(&s, s.now + 5000);
		}
	}
	CHECK(total_suspects(&s) == before && all_alive(&s, NULL),
	      "key rotation (add, switch, retire) one node at a time: "
	      "nobody suspected");

	/* A node with only a key the others do not have is not heard. */
	uint8_t stranger[1][GSP_KEY_LEN];
	memset(stranger[0], 9, GSP_KEY_LEN);
	set_keys(&s, 2, stranger, 1);
	sim_run(&s, s.now + 3000);
	CHECK(st->rejected[GSP_REJ_DECRYPT] > 0,
	      "packets sealed with an unknown key: rejected (%llu)",
	      (unsigned long long)st->rejected[GSP_REJ_DECRYPT]);
	sim_fini(&s);
}

/* --- the report --- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* @only_profile: "lan", "wan" or NULL for both; @only_n: 0 for all. */
static void
report(int seeds, const char *only_profile, size_t only_n)
{
	const size_t sizes[] = { 3, 10, 50 };

	printf("# profile  N   propagation p50/p99 (s)  drain->target p50/p99 "
	       "(s)"
	       "  dead-by-all p50/p99 (s)  gossip bytes/s/node\n");
	for (int wan = 0; wan < 2; wan++) {
		if (only_profile && strcmp(only_profile, wan ? "wan" : "lan"))
			continue;
		for (size_t k = 0; k < 3; k++) {
			size_t n = sizes[k];
			if (only_n && n != only_n)
				continue;
			uint64_t prop[64], det[64], drn[64];
			double bw = 0;
			for (int i = 0; i < seeds; i++) {
				struct sim s;
				build(&s, n, base_seed + 100 * (uint64_t)i,
				      wan);
				sim_run(&s, wan ? 60000 : 15000);
				uint64_t b0 = 0, t0 = s.now;
				for (size_t j = 0; j < n; j++)
					b0 += gsp_stats(s.nodes[j].g)
						      ->bytes_sent;
				sim_run(&s, s.now + (wan ? 60000 : 20000));
				uint64_t b1 = 0;
				for (size_t j = 0; j < n; j++)
					b1 += gsp_stats(s.nodes[j].g)
						      ->bytes_sent;
				bw += (double)(b1 - b0) / n /
				      ((s.now - t0) / 1000.0);
				prop[i] = propagation_ms(&s);
				sim_run(&s, s.now + 2000);
				drn[i] = sim_drain_to_target_ms(&s, 0,
								(int)n - 1);
				sim_run(&s, s.now + 2000);
				det[i] = detection_ms(&s, (int)n - 1);
				sim_fini(&s);
			}
			qsort(prop, (size_t)seeds, sizeof(prop[0]), cmp_u64);
			qsort(det, (size_t)seeds, sizeof(det[0]), cmp_u64);
			qsort(drn, (size_t)seeds, sizeof(drn[0]), cmp_u64);
			size_t p99 = (size_t)ceil(0.99 * seeds) - 1;
			printf("  %-7s %3zu   %6.3f / %6.3f        %6.3f / "
			       "%6.3f"
			       "          %6.3f / %6.3f        %8.0f\n",
			       wan ? "wan" : "lan", n, prop[seeds / 2] / 1000.0,
			       prop[p99] / 1000.0, drn[seeds / 2] / 1000.0,
			       drn[p99] / 1000.0, det[seeds / 2] / 1000.0,
			       det[p99] / 1000.0, bw / seeds);
			fflush(stdout);
		}
	}
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	base_seed = sim_seed(20261127);
	printf("# seed %llu (PMGTM_SIM_SEED overrides)\n",
	       (unsigned long long)base_seed);
	if (argc > 1 && strcmp(argv[1], "--report") == 0) {
		report(argc > 2 ? atoi(argv[2]) : 20, argc > 3 ? argv[3] : NULL,
		       argc > 4 ? (size_t)atoi(argv[4]) : 0);
		return 0;
	}
	converge3();
	dead3();
	oneway_cut();
	loss20(5, 120);
	restart();
	partition_heals();
	rejections();
	sealed();
	late_seed();
	reaped();
	intent_scenarios(base_seed);
	reach_scenarios(base_seed);
	hostile_scenarios(base_seed);
	lifecycle_scenarios(base_seed);
	reach_loss_scenarios(base_seed);
	converge50();
	printf("%d passed, %d failed\n", sim_passed, sim_failed);
	return sim_failed ? 1 : 0;
}

void
sim_quiet_four(struct sim *s, uint64_t seed)
{
	sim_init(s, seed, false);
	s->quiet = true;
	for (int i = 0; i < 4; i++)
		sim_add(s);
	sim_run(s, 6000);
}
