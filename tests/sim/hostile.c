/*
 * A compromised member: node n3 holds a valid certificate from the
 * cluster's CA and signs every kind of extreme value. The rest of the
 * cluster must keep its members alive, converge, accept drains and never
 * be asked to run at once again (a deadline in the past).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "scenarios.h"
#include "sim.h"

#define EVIL 3
#define ALIVE_ONLY (1u << GSP_ALIVE)

/* Signs @n records as n3 and sends them to @to in one gossip packet from
 * n3's address. */
static void
send_as(struct sim *s, int from, int to, struct gsp_record *recs, size_t n)
{
	static uint8_t bufs[GSP_MSG_RECS_MAX][GSP_REC_MAX];
	static const uint8_t *ptrs[GSP_MSG_RECS_MAX];
	static size_t lens[GSP_MSG_RECS_MAX];
	size_t cap = 2048 + n * GSP_REC_MAX, len;
	uint8_t *pkt = malloc(cap);

	for (size_t i = 0; i < n; i++) {
		if (gsp_record_encode(&recs[i], s->nodes[from].sk, bufs[i],
				      sizeof(bufs[i]), &lens[i]))
			abort();
		ptrs[i] = bufs[i];
	}
	if (!pkt ||
	    gsp_msg_encode("sim", s->nodes[from].name, GSP_MSG_GOSSIP, 0, "", 0,
			   ptrs, lens, n, s->nodes[from].sk, pkt, cap, &len))
		abort();
	sim_inject(s, from, to, pkt, len);
	free(pkt);
}

static void
intent(struct sim *s, struct gsp_record *r, const char *target,
       uint64_t version, uint64_t expires_at)
{
	memset(r, 0, sizeof(*r));
	r->kind = GSP_REC_INTENT;
	snprintf(r->subject, sizeof(r->subject), "%s", target);
	snprintf(r->author, sizeof(r->author), "%s", s->nodes[EVIL].name);
	gsp_record_set_intent_version(r, version);
	r->drained = true;
	r->issued_at = sim_now(s).unix_s;
	r->expires_at = expires_at;
	snprintf(r->user, sizeof(r->user), "mallory");
	memcpy(r->cert, s->nodes[EVIL].cert, s->nodes[EVIL].cert_len);
	r->cert_len = s->nodes[EVIL].cert_len;
}

static void
about(struct sim *s, struct gsp_record *r, uint8_t kind, int subject,
      uint64_t gen, uint64_t inc)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	snprintf(r->subject, sizeof(r->subject), "%s", s->nodes[subject].name);
	snprintf(r->author, sizeof(r->author), "%s", s->nodes[EVIL].name);
	r->gen = gen;
	r->inc = inc;
}

static uint64_t
implausible(struct sim *s, int i)
{
	return gsp_stats(s->nodes[i].g)->rejected[GSP_REJ_BOUNDS];
}

/* Whether node @i, ticked now, asks to be called back in the future. */
static bool
sane_deadline(struct sim *s, int i)
{
	struct gsp_now now = sim_now(s);

	return gsp_tick(s->nodes[i].g, now) > now.ms;
}

static bool
digests_equal(struct sim *s, void *arg)
{
	(void)arg;
	uint64_t d = gsp_intent_digest(s->nodes[0].g);
	for (size_t i = 1; i < s->n; i++)
		if (s->nodes[i].up && gsp_intent_digest(s->nodes[i].g) != d)
			return false;
	return true;
}

/* The cluster still works: a drain from n0 reaches every node, and so
 * does the undrain after it, and every honest member is alive. */
static bool
still_works(struct sim *s, int target)
{
	const char *t = s->nodes[target].name;
	struct gsp_now now = sim_now(s);
	bool ok = gsp_drain(s->nodes[0].g, now, t, true, "root", "test", 0) > 0;

	s->nodes[0].deadline = s->now;
	sim_run(s, s->now + 3000);
	for (size_t i = 0; i < s->n; i++)
		ok = ok && gsp_drained(s->nodes[i].g, sim_now(s), t);
	now = sim_now(s);
	ok = ok && gsp_drain(s->nodes[0].g, now, t, false, "root", "", 0) > 0;
	s->nodes[0].deadline = s->now;
	sim_run(s, s->now + 3000);
	for (size_t i = 0; i < s->n; i++)
		ok = ok && !gsp_drained(s->nodes[i].g, sim_now(s), t);
	for (int i = 0; i < EVIL; i++)
		ok = ok && sim_all_see(s, s->nodes[i].name, ALIVE_ONLY);
	return ok;
}

/* An expiry whose deadline in milliseconds wraps to just before now. */
static void
far_expiry(uint64_t seed)
{
	struct sim s;
	struct gsp_record r;

	sim_quiet_four(&s, seed);
	uint64_t k = 239807672958224171ull; /* k * 1000 == -8 mod 2^64 */
	intent(&s, &r, "n1", 50, sim_now(&s).unix_s + k);
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 100);
	CHECK(implausible(&s, 0) == 1 &&
		      !gsp_drained(s.nodes[0].g, sim_now(&s), "n1"),
	      "hostile: an expiry 7.6e9 years ahead is refused");
	CHECK(sane_deadline(&s, 0), "hostile: no deadline in the past");

	/* Nine years is allowed, and its deadline does not wrap. */
	intent(&s, &r, "n1", 51, sim_now(&s).unix_s + 9 * 366 * 86400ull);
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 2000);
	bool drained = true;
	for (size_t i = 0; i < s.n; i++)
		drained =
			drained && gsp_drained(s.nodes[i].g, sim_now(&s), "n1");
	CHECK(drained && sane_deadline(&s, 0) && sane_deadline(&s, 1),
	      "hostile: a nine-year drain spreads, deadlines sane");
	CHECK(still_works(&s, 1), "hostile: n0 can still undrain n1");
	sim_fini(&s);
}

static void
versions(uint64_t seed)
{
	struct sim s;
	struct gsp_record r;

	sim_quiet_four(&s, seed);
	uint64_t before = implausible(&s, 0);
	intent(&s, &r, "n2", UINT64_MAX, 0);
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 100);
	CHECK(implausible(&s, 0) == before + 1 &&
		      !gsp_drained(s.nodes[0].g, sim_now(&s), "n2"),
	      "hostile: an intent at version 2^64-1 is refused");
	uint64_t unix_s = sim_now(&s).unix_s;
	intent(&s, &r, "n2", (unix_s + 7200) << 20, 0);
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 100);
	CHECK(implausible(&s, 0) == before + 2,
	      "hostile: a version two hours ahead of the clock is refused");
	/* A version half an hour ahead is taken, and drains go on. */
	intent(&s, &r, "n2", (unix_s + 1800) << 20, 0);
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 2000);
	CHECK(gsp_drained(s.nodes[1].g, sim_now(&s), "n2") &&
		      still_works(&s, 2),
	      "hostile: after a version half an hour ahead, n0 still drains "
	      "and undrains n2");
	/* A node with no history takes the cluster's intents. */
	sim_kill(&s, 1);
	for (size_t k = 0; k < s.nodes[1].n_saved; k++)
		free(s.nodes[1].saved[k]); /* its intents file is gone */
	s.nodes[1].n_saved = 0;
	sim_restart(&s, 1);
	sim_run(&s, s.now + 20000);
	CHECK(digests_equal(&s, NULL),
	      "hostile: a node restarted without its intents catches up");

	/* A death at generation 2^64-1, a suspicion at incarnation 2^64-1,
	 * a death of a generation not yet seen. */
	uint64_t gen = s.nodes[2].generation;
	about(&s, &r, GSP_REC_DEAD, 2, UINT64_MAX, 0);
	send_as(&s, EVIL, 0, &r, 1);
	about(&s, &r, GSP_REC_SUSPECT, 2, gen, UINT64_MAX);
	send_as(&s, EVIL, 1, &r, 1);
	send_as(&s, EVIL, 2, &r, 1);
	about(&s, &r, GSP_REC_DEAD, 2, gen + 5, 0);
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 10000);
	CHECK(sim_all_see(&s, "n2", ALIVE_ONLY) && sim_inc(&s, 0, "n2") < 10 &&
		      sim_inc(&s, 2, "n2") < 10,
	      "hostile: extreme generations and incarnations change nothing "
	      "(n2 alive, incarnation %llu)",
	      (unsigned long long)sim_inc(&s, 0, "n2"));

	/* A suspicion a small step ahead is an honest race: n2 refutes. */
	about(&s, &r, GSP_REC_SUSPECT, 2, gen, sim_inc(&s, 0, "n2") + 3);
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 5000);
	CHECK(sim_all_see(&s, "n2", ALIVE_ONLY),
	      "hostile: a near suspicion is refuted");
	CHECK(still_works(&s, 1), "hostile: drains still work");
	sim_fini(&s);
}

static void
bad_names(uint64_t seed)
{
	struct sim s;
	struct gsp_record r;

	sim_quiet_four(&s, seed);
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_ALIVE;
	strcpy(r.subject, s.nodes[EVIL].name);
	strcpy(r.author, s.nodes[EVIL].name);
	r.gen = s.nodes[EVIL].generation;
	r.inc = 50;
	r.n_addrs = 1;
	r.addrs[0] = (struct ip_addr){ 4, { 10, 99, 0, 4 } };
	strcpy(r.ns_name, "a..b");
	r.gossip = s.nodes[EVIL].ep;
	memcpy(r.cert, s.nodes[EVIL].cert, s.nodes[EVIL].cert_len);
	r.cert_len = s.nodes[EVIL].cert_len;
	uint64_t dec = gsp_stats(s.nodes[0].g)->rejected[GSP_REJ_DECODE];
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 100);
	struct gsp_member_info mi;
	bool seen = false;
	for (size_t i = 0; gsp_member_get(s.nodes[0].g, i, &mi); i++)
		seen |= strcmp(mi.ns_name, "a..b") == 0;
	CHECK(!seen && gsp_stats(s.nodes[0].g)->rejected[GSP_REJ_DECODE] ==
			       dec + 1,
	      "hostile: an NS name 'a..b' is refused when decoded");

	/* Sixteen copies of one address, and a multicast one. */
	strcpy(r.ns_name, "n3.api.example.com");
	r.n_addrs = 16;
	for (int i = 0; i < 16; i++)
		r.addrs[i] = (struct ip_addr){ 4, { 10, 99, 0, 4 } };
	send_as(&s, EVIL, 0, &r, 1);
	r.n_addrs = 1;
	r.addrs[0] = (struct ip_addr){ 4, { 224, 0, 0, 1 } };
	send_as(&s, EVIL, 0, &r, 1);
	sim_run(&s, s.now + 100);
	CHECK(gsp_stats(s.nodes[0].g)->rejected[GSP_REJ_DECODE] == dec + 3,
	      "hostile: repeated and multicast addresses are refused");
	sim_fini(&s);
}

static void
ghost_flood(uint64_t seed)
{
	struct sim s;
	static struct gsp_record recs[600];

	sim_quiet_four(&s, seed);
	/* 1,200 intents about names that are no member, in two packets. */
	for (int batch = 0; batch < 2; batch++) {
		for (int i = 0; i < 600; i++) {
			char name[32];
			snprintf(name, sizeof(name), "ghost-%04d",
				 batch * 600 + i);
			intent(&s, &recs[i], name,
			       (uint64_t)(10 + batch * 600 + i), 0);
		}
		send_as(&s, EVIL, 0, recs, 600);
		sim_run(&s, s.now + 50);
	}
	sim_run(&s, s.now + 1000);
	struct gsp_intent in;
	size_t held = 0;
	for (int i = 0; i < 1200; i++) {
		char name[32];
		snprintf(name, sizeof(name), "ghost-%04d", i);
		held += gsp_intent_get(s.nodes[0].g, sim_now(&s), name, &in);
	}
	CHECK(held == 512, "hostile: 1,200 ghost intents, %zu held", held);

	/* A real drain still gets in, and every node ends up with the same
	 * intents (push-pull every 15 s carries what piggyback dropped). */
	struct gsp_now now = sim_now(&s);
	bool ok = gsp_drain(s.nodes[1].g, now, "n2", true, "root", "", 0) > 0;
	s.nodes[1].deadline = s.now;
	uint64_t when = 0;
	bool conv =
		sim_run_until(&s, s.now + 60000, digests_equal, NULL, &when);
	for (size_t i = 0; i < s.n; i++)
		ok = ok && gsp_drained(s.nodes[i].g, sim_now(&s), "n2");
	CHECK(ok && conv,
	      "hostile: after the flood a drain reaches all and every node "
	      "holds the same intents (%.1f s)",
	      conv ? (double)(when - now.ms) / 1000 : -1.0);
	sim_fini(&s);
}

static void
first_contact(uint64_t seed)
{
	struct sim s;
	struct gsp_record r;
	struct gsp_cert cert;
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN], rec[GSP_REC_MAX], pkt[8192];
	size_t rlen, len;

	sim_quiet_four(&s, seed);
	crypto_sign_keypair(pk, sk);
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_ALIVE;
	strcpy(r.subject, "ghost1");
	strcpy(r.author, "ghost1");
	r.gen = 7;
	r.gossip = s.nodes[EVIL].ep;
	int rc = gsp_cert_issue(&cert, "sim", "ghost1", pk, s.epoch, 30 * 86400,
				s.ca_sk);
	rc |= gsp_cert_encode(&cert, r.cert, sizeof(r.cert), &r.cert_len);
	rc |= gsp_record_encode(&r, sk, rec, sizeof(rec), &rlen);
	const uint8_t *recs[1] = { rec };
	/* A genuine alive record of a node that never joined, in an
	 * envelope signed by another key. */
	uint8_t other_pk[GSP_PK_LEN], other_sk[GSP_SK_LEN];
	crypto_sign_keypair(other_pk, other_sk);
	rc |= gsp_msg_encode("sim", "ghost1", GSP_MSG_PING, 1, "n0", 0, recs,
			     &rlen, 1, other_sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, EVIL, 0, pkt, len);
	sim_run(&s, s.now + 100);
	CHECK(rc == 0 && sim_state(&s, 0, "ghost1") < 0,
	      "hostile: a replayed alive record in a forged envelope is not "
	      "a member");
	/* The same with its own key: a real first contact. */
	rc |= gsp_msg_encode("sim", "ghost1", GSP_MSG_PING, 2, "n0", 0, recs,
			     &rlen, 1, sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, EVIL, 0, pkt, len);
	sim_run(&s, s.now + 100);
	CHECK(rc == 0 && sim_state(&s, 0, "ghost1") >= 0,
	      "hostile: the genuine first contact is a member");
	sim_fini(&s);
}

/* n2 comes back with a new key: its first packets carry the new alive
 * record, which is verified and replaces the old key. */
static void
rekey(uint64_t seed)
{
	struct sim s;
	struct gsp_cert cert;
	uint8_t pk[GSP_PK_LEN];

	sim_quiet_four(&s, seed);
	sim_kill(&s, 2);
	sim_run(&s, s.now + 1000);
	crypto_sign_keypair(pk, s.nodes[2].sk);
	if (gsp_cert_issue(&cert, "sim", "n2", pk, s.epoch, 30 * 86400,
			   s.ca_sk) ||
	    gsp_cert_encode(&cert, s.nodes[2].cert, sizeof(s.nodes[2].cert),
			    &s.nodes[2].cert_len))
		abort();
	sim_restart(&s, 2);
	sim_run(&s, s.now + 15000);
	bool all = true;
	for (int i = 0; i < 4; i++)
		all = all && sim_all_see(&s, s.nodes[i].name, ALIVE_ONLY);
	CHECK(all, "hostile: a node back with a new key is alive to all");
	sim_fini(&s);
}

/* Our own certificate expires while we hold a suspicion: we stop probing
 * instead of retrying a refused death at once, forever. */
static void
own_cert_expired(uint64_t seed)
{
	struct sim s;
	struct gsp_cert cert;
	uint8_t pk[GSP_PK_LEN];

	sim_quiet_four(&s, seed);
	sim_kill(&s, 1);
	crypto_sign_ed25519_sk_to_pk(pk, s.nodes[1].sk);
	/* Valid from a day ago for one day and 20 s. */
	if (gsp_cert_issue(&cert, "sim", "n1", pk,
			   sim_now(&s).unix_s - 86400 + 20, 1 * 86400,
			   s.ca_sk) ||
	    gsp_cert_encode(&cert, s.nodes[1].cert, sizeof(s.nodes[1].cert),
			    &s.nodes[1].cert_len))
		abort();
	sim_restart(&s, 1);
	sim_run(&s, s.now + 25000);
	struct gsp_record r;
	about(&s, &r, GSP_REC_SUSPECT, 2, s.nodes[2].generation,
	      sim_inc(&s, 1, "n2"));
	snprintf(r.author, sizeof(r.author), "n0");
	uint8_t rec[GSP_REC_MAX], pkt[8192];
	size_t rlen, len;
	const uint8_t *recs[1] = { rec };
	int rc = gsp_record_encode(&r, s.nodes[0].sk, rec, sizeof(rec), &rlen);
	rc |= gsp_msg_encode("sim", "n0", GSP_MSG_GOSSIP, 0, "", 0, recs, &rlen,
			     1, s.nodes[0].sk, pkt, sizeof(pkt), &len);
	sim_inject(&s, 0, 1, pkt, len);
	sim_run(&s, s.now + 10000);
	struct gsp_now now = sim_now(&s);
	uint64_t next = gsp_tick(s.nodes[1].g, now);
	CHECK(rc == 0 && gsp_cert_expired(s.nodes[1].g, now) && next > now.ms &&
		      sim_state(&s, 1, "n2") != GSP_DEAD,
	      "hostile: an expired own certificate stops probing, no "
	      "deadline in the past (next in %llu ms)",
	      (unsigned long long)(next - now.ms));
	sim_fini(&s);
}

/* Two steps sent to one node in one packet: a suspicion a full step
 * ahead, then a death a full step past that. The node that takes both
 * gossips only the death, which the subject must still be able to
 * refute. */
static void
chained_steps(uint64_t seed)
{
	struct sim s;
	struct gsp_record r[2];

	sim_quiet_four(&s, seed);
	uint64_t gen = s.nodes[2].generation, inc = sim_inc(&s, 0, "n2");
	about(&s, &r[0], GSP_REC_SUSPECT, 2, gen, inc + 1000);
	about(&s, &r[1], GSP_REC_DEAD, 2, gen, inc + 1900);
	send_as(&s, EVIL, 0, r, 2);
	sim_run(&s, s.now + 15000);
	CHECK(sim_all_see(&s, "n2", ALIVE_ONLY),
	      "hostile: a death two steps ahead, told to one node, is refuted "
	      "(n0 holds n2 at %llu, n2 at %llu)",
	      (unsigned long long)sim_inc(&s, 0, "n2"),
	      (unsigned long long)sim_inc(&s, 2, "n2"));
	CHECK(still_works(&s, 1), "hostile: drains still work");
	sim_fini(&s);
}

void
hostile_scenarios(uint64_t seed)
{
	far_expiry(seed + 501);
	versions(seed + 502);
	bad_names(seed + 503);
	ghost_flood(seed + 504);
	first_contact(seed + 505);
	rekey(seed + 506);
	own_cert_expired(seed + 507);
	chained_steps(seed + 508);
}
