/*
 * A year in production, compressed: certificates renewed one node at a
 * time, an issuer whose certificate runs out, revocation, re-keying and a
 * CA rotation, with drains in force throughout. Peers must never suspect
 * a renewed node, refuse a valid record or lose a drain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gossip/revoke.h"
#include "scenarios.h"
#include "sim.h"

#define ALIVE_ONLY (1u << GSP_ALIVE)

/* A new certificate for node @i from @ca_sk, valid @life seconds from
 * now (a new key when @rekey); handed to the running node like a reload
 * does. Returns what gsp_set_identity() said (0 when the node is down). */
static int
renew(struct sim *s, int i, const uint8_t *ca_sk, uint64_t life, bool rekey)
{
	struct sim_node *n = &s->nodes[i];
	struct gsp_cert c;
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN];

	if (rekey)
		crypto_sign_keypair(pk, sk);
	else {
		memcpy(sk, n->sk, sizeof(sk));
		crypto_sign_ed25519_sk_to_pk(pk, sk);
	}
	if (gsp_cert_issue(&c, "sim", n->name, pk, sim_now(s).unix_s, life,
			   ca_sk) ||
	    gsp_cert_encode(&c, n->cert, sizeof(n->cert), &n->cert_len))
		abort();
	memcpy(n->sk, sk, sizeof(sk));
	if (!n->up)
		return 0;
	s->nodes[i].deadline = s->now;
	return gsp_set_identity(n->g, sim_now(s), n->sk, n->cert, n->cert_len);
}

static uint64_t
rejected(struct sim *s, int reason)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->nodes[i].up) {
			const struct gsp_stats *st = gsp_stats(s->nodes[i].g);
			if (reason >= 0)
				n += st->rejected[reason];
			else
				for (int r = 0; r < GSP_REJ__COUNT; r++)
					n += st->rejected[r];
		}
	return n;
}

static uint64_t
suspicions(struct sim *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->nodes[i].suspects_seen + s->nodes[i].deads_seen;
	return n;
}

static bool
drained_everywhere(struct sim *s, const char *target, bool want)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->nodes[i].up &&
		    gsp_drained(s->nodes[i].g, sim_now(s), target) != want)
			return false;
	return true;
}

static int64_t
drain(struct sim *s, int from, const char *target, bool on)
{
	s->nodes[from].deadline = s->now;
	return gsp_drain(s->nodes[from].g, sim_now(s), target, on, "root",
			 on ? "maintenance" : "", 0);
}

static uint64_t
cert_after(struct sim *s, int viewer, const char *name)
{
	struct gsp_member_info m;

	for (size_t k = 0; gsp_member_get(s->nodes[viewer].g, k, &m); k++)
		if (!strcmp(m.name, name))
			return m.cert_not_after;
	return 0;
}

/* Every node renewed in turn (the last with a new key) while drains come
 * and go: no suspicion, no refused record, every peer holds the new
 * certificate. */
static void
rolling_renewal(uint64_t seed)
{
	struct sim s;
	int rc = 0;
	bool drains = true, certs = true;

	sim_quiet_four(&s, seed);
	uint64_t rej0 = rejected(&s, -1), sus0 = suspicions(&s);
	for (int i = 0; i < 4; i++) {
		rc |= renew(&s, i, s.ca_sk, 60 * 86400, i == 3);
		char t[8];
		snprintf(t, sizeof(t), "n%d", (i + 2) % 4);
		rc |= drain(&s, (i + 1) % 4, t, true) <= 0;
		sim_run(&s, s.now + 3000);
		drains = drains && drained_everywhere(&s, t, true);
		rc |= drain(&s, (i + 3) % 4, t, false) <= 0;
		sim_run(&s, s.now + 3000);
		drains = drains && drained_everywhere(&s, t, false);
	}
	sim_run(&s, s.now + 5000);
	for (int v = 0; v < 4; v++)
		for (int i = 0; i < 4; i++)
			certs = certs &&
				cert_after(&s, v, s.nodes[i].name) >
					sim_now(&s).unix_s + 59 * 86400;
	CHECK(rc == 0 && drains, "lifecycle: drains work while every node "
				 "renews its certificate");
	CHECK(suspicions(&s) == sus0 && rejected(&s, -1) == rej0,
	      "lifecycle: renewals (one with a new key) cause no suspicion "
	      "and no refused record (%llu suspicions, %llu refused)",
	      (unsigned long long)(suspicions(&s) - sus0),
	      (unsigned long long)(rejected(&s, -1) - rej0));
	CHECK(certs, "lifecycle: every node holds every renewed certificate");
	sim_fini(&s);
}

/* n1 drains n3, then n1's certificate runs out and is never renewed: the
 * drain stays in force 10 minutes later on every node, and after every
 * node restarted from its state file. */
static void
issuer_expires(uint64_t seed)
{
	struct sim s;
	int rc;

	sim_quiet_four(&s, seed);
	rc = renew(&s, 1, s.ca_sk, 120, false);
	sim_run(&s, s.now + 2000);
	rc |= drain(&s, 1, "n3", true) <= 0;
	sim_run(&s, s.now + 3000);
	bool before = drained_everywhere(&s, "n3", true);
	sim_kill(&s, 1); /* gone with its certificate */
	sim_run(&s, s.now + 10 * 60 * 1000 + 120000);
	CHECK(rc == 0 && before && drained_everywhere(&s, "n3", true),
	      "lifecycle: a drain outlives its issuer's certificate by 10 "
	      "minutes on every node");
	for (int i = 0; i < 4; i++)
		if (s.nodes[i].up)
			sim_kill(&s, i);
	renew(&s, 1, s.ca_sk, 30 * 86400, false);
	for (int i = 0; i < 4; i++)
		sim_restart(&s, i);
	sim_run(&s, s.now + 10000);
	uint64_t refused = 0;
	for (int i = 0; i < 4; i++)
		refused += s.nodes[i].load_refused;
	CHECK(drained_everywhere(&s, "n3", true) && refused == 0,
	      "lifecycle: and after every node restarted from its state "
	      "file (%llu saved records refused)",
	      (unsigned long long)refused);
	/* A key whose certificate expired cannot bring in an intent, even
	 * one dated back into its life. */
	struct gsp_cert old;
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN];
	crypto_sign_keypair(pk, sk);
	uint64_t then = sim_now(&s).unix_s - 3 * 86400;
	if (gsp_cert_issue(&old, "sim", "n2", pk, then, 86400, s.ca_sk))
		abort();
	struct gsp_record r;
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_INTENT;
	snprintf(r.subject, sizeof(r.subject), "n0");
	snprintf(r.author, sizeof(r.author), "n2");
	gsp_record_set_intent_version(&r, UINT64_C(1) << 62 >> 20);
	r.drained = true;
	r.issued_at = then + 10;
	snprintf(r.user, sizeof(r.user), "mallory");
	r.cert_len = sizeof(r.cert);
	if (gsp_cert_encode(&old, r.cert, sizeof(r.cert), &r.cert_len))
		abort();
	uint8_t rec[GSP_REC_MAX], pkt[8192];
	size_t rlen, len;
	const uint8_t *recs[1] = { rec };
	uint64_t exp0 = rejected(&s, GSP_REJ_EXPIRED);
	if (gsp_record_encode(&r, sk, rec, sizeof(rec), &rlen) ||
	    gsp_msg_encode("sim", "n2", GSP_MSG_GOSSIP, 0, "", 0, recs, &rlen,
			   1, s.nodes[2].sk, pkt, sizeof(pkt), &len))
		abort();
	sim_inject(&s, 2, 0, pkt, len);
	sim_run(&s, s.now + 3000);
	CHECK(drained_everywhere(&s, "n0", false) &&
		      rejected(&s, GSP_REJ_EXPIRED) > exp0,
	      "lifecycle: a back-dated intent signed by an expired key is "
	      "refused and counted");
	sim_fini(&s);
}

static size_t
make_revocation(struct sim *s, const uint8_t *ca_sk, const char *cluster,
		const char *name, uint8_t *out, size_t cap)
{
	struct gsp_revocation rv;
	size_t len;

	memset(&rv, 0, sizeof(rv));
	snprintf(rv.cluster, sizeof(rv.cluster), "%s", cluster);
	snprintf(rv.name, sizeof(rv.name), "%s", name);
	rv.any_key = true;
	rv.revoked_at = sim_now(s).unix_s;
	if (gsp_revocation_make(&rv, ca_sk, out, cap, &len))
		abort();
	return len;
}

static bool
revoked_in(struct sim *s, int viewer, const char *name)
{
	struct gsp_member_info m;

	for (size_t k = 0; gsp_member_get(s->nodes[viewer].g, k, &m); k++)
		if (!strcmp(m.name, name))
			return m.revoked;
	return false;
}

/* n2's key leaks. A revocation handed to n0 alone reaches every node
 * within 2 s; n2 stops; what its key signs is refused; n2 comes back with
 * a new key and certificate and is a member again. */
static void
revocation(uint64_t seed)
{
	struct sim s;
	uint8_t rv[512], ca2_pk[GSP_PK_LEN], ca2_sk[GSP_SK_LEN];
	enum gsp_reject why = GSP_REJ__COUNT;

	sim_quiet_four(&s, seed);
	int rc = drain(&s, 2, "n1", true) <= 0; /* n2's drain, before */
	sim_run(&s, s.now + 3000);
	/* Not signed by our CA: refused. */
	crypto_sign_keypair(ca2_pk, ca2_sk);
	size_t len = make_revocation(&s, ca2_sk, "sim", "n2", rv, sizeof(rv));
	int bad =
		gsp_revocation_import(s.nodes[0].g, sim_now(&s), rv, len, &why);
	CHECK(bad == GSP_EREJECTED && why == GSP_REJ_SIGNATURE,
	      "lifecycle: a revocation not signed by the CA is refused");
	len = make_revocation(&s, s.ca_sk, "other", "n2", rv, sizeof(rv));
	bad = gsp_revocation_import(s.nodes[0].g, sim_now(&s), rv, len, &why);
	CHECK(bad == GSP_EREJECTED && why == GSP_REJ_CLUSTER,
	      "lifecycle: a revocation for another cluster is refused");
	sim_run(&s, s.now + 1000);
	len = make_revocation(&s, s.ca_sk, "sim", "n2", rv, sizeof(rv));
	rc |= gsp_revocation_import(s.nodes[0].g, sim_now(&s), rv, len, NULL) !=
	      1;
	s.nodes[0].deadline = s.now;
	sim_run(&s, s.now + 2000);
	bool all = gsp_self_revoked(s.nodes[2].g);
	for (int i = 0; i < 4; i++)
		all = all && (i == 2 || revoked_in(&s, i, "n2"));
	CHECK(rc == 0 && all,
	      "lifecycle: a revocation given to one node reaches every node "
	      "within 2 s, and the revoked node knows");
	CHECK(drained_everywhere(&s, "n1", true),
	      "lifecycle: an intent the key signed before its revocation "
	      "stays");
	/* The leaked key signs a new intent: refused everywhere. */
	struct gsp_record r;
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_INTENT;
	snprintf(r.subject, sizeof(r.subject), "n3");
	snprintf(r.author, sizeof(r.author), "n2");
	gsp_record_set_intent_version(&r, (sim_now(&s).unix_s + 1) << 20);
	r.drained = true;
	r.issued_at = sim_now(&s).unix_s;
	memcpy(r.cert, s.nodes[2].cert, s.nodes[2].cert_len);
	r.cert_len = s.nodes[2].cert_len;
	uint8_t rec[GSP_REC_MAX], pkt[8192];
	size_t rlen, plen;
	const uint8_t *recs[1] = { rec };
	uint64_t rev0 = rejected(&s, GSP_REJ_REVOKED);
	if (gsp_record_encode(&r, s.nodes[2].sk, rec, sizeof(rec), &rlen) ||
	    gsp_msg_encode("sim", "n0", GSP_MSG_GOSSIP, 0, "", 0, recs, &rlen,
			   1, s.nodes[0].sk, pkt, sizeof(pkt), &plen))
		abort();
	sim_inject(&s, 0, 1, pkt, plen);
	sim_run(&s, s.now + 3000);
	CHECK(drained_everywhere(&s, "n3", false) &&
		      rejected(&s, GSP_REJ_REVOKED) > rev0,
	      "lifecycle: an intent signed by a revoked key is refused and "
	      "counted");
	/* Re-keyed: a new key and certificate, issued after the
	 * revocation. */
	sim_kill(&s, 2);
	sim_run(&s, s.now + 2000);
	renew(&s, 2, s.ca_sk, 30 * 86400, true);
	sim_restart(&s, 2);
	sim_run(&s, s.now + 15000);
	all = !gsp_self_revoked(s.nodes[2].g);
	for (int i = 0; i < 4; i++)
		all = all && sim_all_see(&s, s.nodes[i].name, ALIVE_ONLY) &&
		      !revoked_in(&s, i, "n2");
	CHECK(all, "lifecycle: re-keyed after its revocation, the node is a "
		   "member again everywhere");
	sim_fini(&s);
}

/* A new CA for a live cluster: trust both, re-issue every certificate
 * under the new one, then trust only the new one. Drains issued under the
 * old CA stay, with no suspicion and no refused valid record. */
static void
ca_rotation(uint64_t seed)
{
	struct sim s;
	uint8_t pk2[GSP_PK_LEN], sk2[GSP_SK_LEN];
	uint8_t both[2][GSP_PK_LEN];
	int rc = 0;

	sim_quiet_four(&s, seed);
	rc |= drain(&s, 1, "n2", true) <= 0;
	sim_run(&s, s.now + 3000);
	uint64_t rej0 = rejected(&s, -1), sus0 = suspicions(&s);
	crypto_sign_keypair(pk2, sk2);
	memcpy(both[0], s.ca_pk, GSP_PK_LEN);
	memcpy(both[1], pk2, GSP_PK_LEN);
	for (int i = 0; i < 4; i++)
		rc |= gsp_set_trust(s.nodes[i].g, sim_now(&s),
				    (const uint8_t(*)[32])both, 2);
	sim_run(&s, s.now + 2000);
	for (int i = 0; i < 4; i++) {
		rc |= renew(&s, i, sk2, 30 * 86400, false);
		sim_run(&s, s.now + 2000);
	}
	for (int i = 0; i < 4; i++) {
		s.nodes[i].deadline = s.now;
		rc |= gsp_set_trust(s.nodes[i].g, sim_now(&s),
				    (const uint8_t(*)[32]) & both[1], 1);
		sim_run(&s, s.now + 1000);
	}
	sim_run(&s, s.now + 5000);
	CHECK(rc == 0 && drained_everywhere(&s, "n2", true) &&
		      suspicions(&s) == sus0 && rejected(&s, -1) == rej0,
	      "lifecycle: a CA rotation keeps drains, with no suspicion and "
	      "no refused record (%llu suspicions, %llu refused)",
	      (unsigned long long)(suspicions(&s) - sus0),
	      (unsigned long long)(rejected(&s, -1) - rej0));
	/* A node restarted afterwards trusts the new CA only. */
	memcpy(s.trust[0], pk2, GSP_PK_LEN);
	s.n_trust = 1;
	sim_kill(&s, 3);
	sim_restart(&s, 3);
	sim_run(&s, s.now + 10000);
	CHECK(drained_everywhere(&s, "n2", true) &&
		      sim_all_see(&s, "n3", ALIVE_ONLY),
	      "lifecycle: after the rotation a node restarts with its "
	      "intents and rejoins");
	sim_fini(&s);
}

/* A certificate from our CA for another cluster does not join. */
static void
other_cluster(uint64_t seed)
{
	struct sim s;
	struct gsp_cert c;
	struct gsp_record r;
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN], rec[GSP_REC_MAX], pkt[8192];
	size_t rlen, len;
	const uint8_t *recs[1] = { rec };

	sim_quiet_four(&s, seed);
	crypto_sign_keypair(pk, sk);
	if (gsp_cert_issue(&c, "staging", "stage1", pk, sim_now(&s).unix_s,
			   86400, s.ca_sk))
		abort();
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_ALIVE;
	snprintf(r.subject, sizeof(r.subject), "stage1");
	snprintf(r.author, sizeof(r.author), "stage1");
	r.gen = 1;
	r.gossip = s.nodes[3].ep;
	if (gsp_cert_encode(&c, r.cert, sizeof(r.cert), &r.cert_len) ||
	    gsp_record_encode(&r, sk, rec, sizeof(rec), &rlen) ||
	    gsp_msg_encode("sim", "stage1", GSP_MSG_PING, 1, "n0", 0, recs,
			   &rlen, 1, sk, pkt, sizeof(pkt), &len))
		abort();
	uint64_t bad0 = rejected(&s, GSP_REJ_CERT);
	sim_inject(&s, 3, 0, pkt, len);
	sim_run(&s, s.now + 1000);
	CHECK(sim_state(&s, 0, "stage1") < 0 &&
		      rejected(&s, GSP_REJ_CERT) > bad0,
	      "lifecycle: a certificate for another cluster does not join "
	      "(refused as bad_cert)");
	sim_fini(&s);
}

/* A member (n3, its key stolen) endorses an intent it made up in n1's
 * name, with a certificate for n1 that our CA never signed: refused. */
static void
forged_endorsement(uint64_t seed)
{
	struct sim s;
	struct gsp_cert fake;
	struct gsp_record in, e;
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN], irec[GSP_REC_MAX];
	uint8_t rec[GSP_REC_MAX], pkt[8192];
	size_t ilen, rlen, len;
	const uint8_t *recs[1] = { rec };

	sim_quiet_four(&s, seed);
	crypto_sign_keypair(pk, sk);
	/* Signed by n3's key as if it were a CA, naming our CA's key id. */
	if (gsp_cert_issue(&fake, "sim", "n1", pk, sim_now(&s).unix_s, 86400,
			   s.nodes[3].sk))
		abort();
	gsp_key_id(s.ca_pk, fake.ca_id);
	memset(&in, 0, sizeof(in));
	in.kind = GSP_REC_INTENT;
	snprintf(in.subject, sizeof(in.subject), "n2");
	snprintf(in.author, sizeof(in.author), "n1");
	gsp_record_set_intent_version(&in, sim_now(&s).unix_s << 20);
	in.drained = true;
	in.issued_at = sim_now(&s).unix_s;
	if (gsp_cert_encode(&fake, in.cert, sizeof(in.cert), &in.cert_len) ||
	    gsp_record_encode(&in, sk, irec, sizeof(irec), &ilen))
		abort();
	memset(&e, 0, sizeof(e));
	e.kind = GSP_REC_ENDORSE;
	snprintf(e.subject, sizeof(e.subject), "n2");
	snprintf(e.author, sizeof(e.author), "n3");
	e.gen = in.gen;
	memcpy(e.inner, irec, ilen);
	e.inner_len = ilen;
	e.endorsed_at = sim_now(&s).unix_s;
	memcpy(e.cert, s.nodes[3].cert, s.nodes[3].cert_len);
	e.cert_len = s.nodes[3].cert_len;
	if (gsp_record_encode(&e, s.nodes[3].sk, rec, sizeof(rec), &rlen) ||
	    gsp_msg_encode("sim", "n3", GSP_MSG_GOSSIP, 0, "", 0, recs, &rlen,
			   1, s.nodes[3].sk, pkt, sizeof(pkt), &len))
		abort();
	uint64_t bad0 = rejected(&s, GSP_REJ_CERT);
	sim_inject(&s, 3, 0, pkt, len);
	sim_run(&s, s.now + 3000);
	CHECK(drained_everywhere(&s, "n2", false) &&
		      rejected(&s, GSP_REJ_CERT) > bad0,
	      "lifecycle: an endorsement of an intent made up in another "
	      "node's name is refused (bad_cert)");
	sim_fini(&s);
}

void
lifecycle_scenarios(uint64_t seed)
{
	rolling_renewal(seed + 601);
	issuer_expires(seed + 602);
	revocation(seed + 603);
	ca_rotation(seed + 604);
	other_cluster(seed + 605);
	forged_endorsement(seed + 606);
}
