/*
 * libFuzzer target for what lies behind a valid signature: a certified but
 * compromised member (n3) signs whatever records the fuzzer describes and
 * sends them, in envelopes it signs too, to a small simulated cluster
 * (tests/sim: n0-n2 honest, n3 running honestly besides what it forges),
 * between stretches of virtual time.
 *
 * The input is a sequence of operations, one byte each then its operands:
 *   run        a stretch of virtual time;
 *   send       1-8 records of any kind (alive, suspect, dead, left,
 *              intent, row, a revocation it signs itself, an
 *              endorsement of an intent it makes up) about real
 *              members, the attacker itself or
 *              ghosts, every number drawn from the input (raw 64-bit
 *              values, the extremes, or a small step from what the
 *              receiver holds), in a datagram or a push-pull frame;
 *   flood      up to 64 intents about ghost names in one frame, or on
 *              a magic byte more than INTENTS_MAX (twice at most);
 *   drain      an honest node drains or undrains someone meanwhile.
 * After every operation each honest node's gsp_tick() must ask to be
 * called back strictly after now. At the end the cluster runs until every
 * honest node sees every honest member alive and all hold the same intents
 * (digest), none more than INTENTS_MAX; then n0 drains and undrains n1 and
 * both reach every honest node. A broken invariant prints what it saw and
 * aborts.
 *
 * Ed25519 costs ~70 us per signed and verified packet, and a simulated
 * cluster exchanges hundreds of packets per input: the target is linked
 * with --wrap for crypto_sign_detached and crypto_sign_verify_detached,
 * which here make and check a BLAKE2b hash of the public key and the
 * message. A signature still binds a message to one key (a record signed
 * by n3 does not verify as n0's); PMGTM_FUZZ_ED25519=1 in the environment
 * brings the real signatures back, to confirm a finding.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/codec.h"
#include "gossip/gossip.h"
#include "tests/sim/sim.h"

#define NODES 4
#define HONEST 3 /* n0-n2; n3 is the compromised member */
#define EVIL 3
#define INTENTS_MAX 512		  /* gossip/internal.h */
#define ATTACK_MS 3000		  /* virtual time the input may spend */
#define OPS_MAX 64		  /* operations per input */
#define SETTLE_MS 30000		  /* to refute and converge, at most */
#define SPREAD_MS 10000		  /* for a drain to reach every node */
#define FLOOD_MAX 600		  /* ghost intents in one frame, at most */
#define FLOODS_MAX 2		  /* floods per input */
#define FAR 239807672958224171ull /* FAR * 1000 == -8 mod 2^64 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* Every packet allocates and frees a decoded message of ~17 KB: with the
 * default 256 MB quarantine each one lands on fresh pages, and page
 * faults take most of the time. */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

int __real_crypto_sign_detached(unsigned char *sig,
				unsigned long long *siglen_p,
				const unsigned char *m, unsigned long long mlen,
				const unsigned char *sk);
int __real_crypto_sign_verify_detached(const unsigned char *sig,
				       const unsigned char *m,
				       unsigned long long mlen,
				       const unsigned char *pk);
int __wrap_crypto_sign_detached(unsigned char *sig,
				unsigned long long *siglen_p,
				const unsigned char *m, unsigned long long mlen,
				const unsigned char *sk);
int __wrap_crypto_sign_verify_detached(const unsigned char *sig,
				       const unsigned char *m,
				       unsigned long long mlen,
				       const unsigned char *pk);

static int real_sigs = -1;

static bool
use_real_sigs(void)
{
	if (real_sigs < 0) {
		const char *e = getenv("PMGTM_FUZZ_ED25519");
		real_sigs = e && *e == '1';
	}
	return real_sigs;
}

/* The stand-in signature: BLAKE2b-512 of the public key and message. */
static void
fake_sig(uint8_t *sig, const uint8_t *m, unsigned long long mlen,
	 const uint8_t *pk)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, GSP_SIGLEN);
	crypto_generichash_update(&st, pk, GSP_PK_LEN);
	crypto_generichash_update(&st, m, mlen);
	crypto_generichash_final(&st, sig, GSP_SIGLEN);
}

int
__wrap_crypto_sign_detached(unsigned char *sig, unsigned long long *siglen_p,
			    const unsigned char *m, unsigned long long mlen,
			    const unsigned char *sk)
{
	if (use_real_sigs())
		return __real_crypto_sign_detached(sig, siglen_p, m, mlen, sk);
	/* libsodium's secret key is the seed then the public key. */
	fake_sig(sig, m, mlen, sk + 32);
	if (siglen_p)
		*siglen_p = GSP_SIGLEN;
	return 0;
}

int
__wrap_crypto_sign_verify_detached(const unsigned char *sig,
				   const unsigned char *m,
				   unsigned long long mlen,
				   const unsigned char *pk)
{
	uint8_t want[GSP_SIGLEN];

	if (use_real_sigs())
		return __real_crypto_sign_verify_detached(sig, m, mlen, pk);
	fake_sig(want, m, mlen, pk);
	return sodium_memcmp(want, sig, GSP_SIGLEN) == 0 ? 0 : -1;
}

/* --- reading the input: past its end, every value is 0 --- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t
get(struct in *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes && in->n; i++, in->n--)
		v = v << 8 | *in->p++;
	return v;
}

static uint8_t
get8(struct in *in)
{
	return (uint8_t)get(in, 1);
}

/* A 64-bit value: raw, an extreme, a power of two, or a step from @base
 * (wrapping on purpose: the receiver must saturate, not us). */
static uint64_t
value(struct in *in, uint64_t base)
{
	switch (get8(in) % 11) {
	case 0:
		return get(in, 8);
	case 1:
		return base + get8(in);
	case 2:
		return base - get8(in);
	case 3:
		return UINT64_MAX - get8(in);
	case 4:
		return get8(in);
	case 5:
		return (uint64_t)1 << (get8(in) % 64);
	case 6:
		return base + ((uint64_t)1 << (get8(in) % 64));
	case 7:
		return base + get(in, 4);
	case 8:
		return base + FAR - get8(in);
	case 9:
		return (uint64_t)INT64_MAX + get8(in);
	default:
		return base;
	}
}

/* --- names, addresses, certificates --- */

static const char *const names[] = {
	"n0",
	"n1",
	"n2",
	"n3",
	"ghost-a",
	"ghost-b",
	"n4",
	"zz",
	"a-very-long-member-name-of-sixty-three-bytes-xxxxxxxxxxxxxxxxxxx",
	"a-name-of-sixty-four-bytes-is-one-too-many-xxxxxxxxxxxxxxxxxxxxxx",
	"N0",
	"",
	"n0.",
	"-",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* A name among the table, or "ghost-<n>" with n from the input. */
static void
pick_name(struct in *in, char *out, size_t cap)
{
	uint8_t b = get8(in);

	if (b % 16 < N_NAMES)
		snprintf(out, cap, "%s", names[b % 16]);
	else
		snprintf(out, cap, "ghost-%u", (unsigned)get(in, 2));
}

static void
pick_ip(struct in *in, struct ip_addr *ip)
{
	uint8_t b = get8(in);
	size_t n = b & 1 ? 16 : 4;

	memset(ip, 0, sizeof(*ip));
	ip->family = b & 1 ? 6 : 4;
	switch ((b >> 1) % 5) {
	case 0:
		for (size_t i = 0; i < n; i++)
			ip->bytes[i] = get8(in);
		break;
	case 1: /* a node's address: n0-n3 */
		ip->family = 4;
		ip->bytes[0] = 10;
		ip->bytes[1] = 99;
		ip->bytes[3] = (uint8_t)(1 + get8(in) % NODES);
		break;
	case 2: /* unspecified */
		break;
	case 3: /* broadcast */
		memset(ip->bytes, 0xff, n);
		break;
	default: /* multicast */
		ip->bytes[0] = n == 4 ? 224 : 0xff;
		ip->bytes[n - 1] = 1;
		break;
	}
}

static void
pick_cert(struct sim *s, struct in *in, uint8_t *cert, size_t *len)
{
	const struct sim_node *evil = &s->nodes[EVIL];
	uint8_t b = get8(in);

	memcpy(cert, evil->cert, evil->cert_len);
	*len = evil->cert_len;
	switch (b % 8) {
	case 5: /* another member's, valid */
		memcpy(cert, s->nodes[0].cert, s->nodes[0].cert_len);
		*len = s->nodes[0].cert_len;
		break;
	case 6:
		*len = get8(in) % (evil->cert_len + 1);
		break;
	case 7:
		cert[get8(in) % evil->cert_len] ^=
			(uint8_t)(1 + get8(in) % 255);
		break;
	default:
		break;
	}
}

/* Up to @cap - 1 bytes of text from the input (a NUL ends it early). */
static void
pick_text(struct in *in, char *out, size_t cap)
{
	size_t n = get8(in) % cap;

	for (size_t i = 0; i < n; i++)
		out[i] = (char)get8(in);
	out[n] = '\0';
}

static void
pick_ns(struct in *in, char *out, size_t cap)
{
	static const char *const ns[] = {
		"n3.api.example.com", "", "a..b", "n3.", "_x.example", ".",
	};
	uint8_t b = get8(in);

	if (b % 8 < 6) {
		snprintf(out, cap, "%s", ns[b % 8]);
	} else if (b % 8 == 6) {
		/* 253 bytes: the longest a DNS name may be. */
		memset(out, 'a', 253);
		for (size_t i = 63; i < 253; i += 64)
			out[i] = '.';
		out[253 + (b >> 7)] = '\0';
		out[253] = b >> 7 ? 'a' : '\0';
	} else {
		pick_text(in, out, cap);
	}
}

/* --- the world --- */

static bool
find_member(struct sim *s, int node, const char *name,
	    struct gsp_member_info *mi)
{
	for (size_t k = 0; gsp_member_get(s->nodes[node].g, k, mi); k++)
		if (strcmp(mi->name, name) == 0)
			return true;
	return false;
}

static void
count_one(void *ctx, const uint8_t *rec, size_t len)
{
	(void)rec;
	(void)len;
	(*(size_t *)ctx)++;
}

static size_t
intents_held(struct sim *s, int node)
{
	size_t n = 0;

	gsp_intents_export(s->nodes[node].g, count_one, &n);
	return n;
}

static void
dump(struct sim *s)
{
	for (int i = 0; i < NODES; i++) {
		struct gsp_member_info mi;
		fprintf(stderr,
			"  %s: digest %016llx, %zu intents:", s->nodes[i].name,
			(unsigned long long)gsp_intent_digest(s->nodes[i].g),
			intents_held(s, i));
		for (size_t k = 0; gsp_member_get(s->nodes[i].g, k, &mi); k++)
			fprintf(stderr, " %s %s %llu/%llu", mi.name,
				gsp_state_name(mi.state),
				(unsigned long long)mi.gen,
				(unsigned long long)mi.inc);
		fprintf(stderr, "\n");
	}
}

static void
broken(struct sim *s, const char *what)
{
	fprintf(stderr, "fuzz_records: at %llu ms: %s\n",
		(unsigned long long)s->now, what);
	dump(s);
	abort();
}

/* Every honest node asks to be called back after now, never at once. */
static void
check_deadlines(struct sim *s)
{
	struct gsp_now now = sim_now(s);

	for (int i = 0; i < HONEST; i++) {
		uint64_t next = gsp_tick(s->nodes[i].g, now);
		if (next <= now.ms)
			broken(s, "gsp_tick() returned a deadline not after "
				  "now");
		/* The tick may have sent: let the world flush it. */
		s->nodes[i].deadline = now.ms;
	}
	sim_run(s, s->now);
}

static void
check_intents_max(struct sim *s)
{
	for (int i = 0; i < HONEST; i++)
		if (intents_held(s, i) > INTENTS_MAX)
			broken(s, "more than INTENTS_MAX intents held");
}

/* Every honest node sees every node in @states (bit mask). */
static bool
all_honest_see(struct sim *s, unsigned states, int first, int last)
{
	struct gsp_member_info mi;

	for (int i = 0; i < HONEST; i++)
		for (int k = first; k <= last; k++)
			if (!find_member(s, i, s->nodes[k].name, &mi) ||
			    !(states & (1u << mi.state)))
				return false;
	return true;
}

static bool
settled(struct sim *s, void *arg)
{
	(void)arg;
	uint64_t d = gsp_intent_digest(s->nodes[0].g);

	for (int i = 1; i < HONEST; i++)
		if (gsp_intent_digest(s->nodes[i].g) != d)
			return false;
	return all_honest_see(s, 1u << GSP_ALIVE, 0, HONEST - 1);
}

struct drained_arg {
	const char *target;
	bool drained;
};

static bool
spread(struct sim *s, void *arg)
{
	const struct drained_arg *a = arg;

	for (int i = 0; i < HONEST; i++)
		if (gsp_drained(s->nodes[i].g, sim_now(s), a->target) !=
		    a->drained)
			return false;
	return true;
}

/* Runs until @pred holds, looking every 50 ms, at most @ms. */
static bool
run_until(struct sim *s, uint64_t ms, bool (*pred)(struct sim *, void *),
	  void *arg)
{
	uint64_t until = s->now + ms;

	while (!pred(s, arg)) {
		if (s->now >= until)
			return false;
		sim_run(s, s->now + 50);
	}
	return true;
}

static void
setup(struct sim *s)
{
	sim_init(s, 1, false);
	s->quiet = true;
	/* Fast timings: refutation and anti-entropy within a few seconds. */
	s->timing.probe_interval_ms = 200;
	s->timing.probe_timeout_ms = 100;
	s->timing.suspicion_min_ms = 500;
	s->timing.gossip_interval_ms = 20;
	s->timing.pushpull_interval_ms = 1000;
	s->timing.row_interval_ms = 1000;
	for (int i = 0; i < NODES; i++)
		sim_add(s);
	if (!run_until(s, 10000, settled, NULL) ||
	    !all_honest_see(s, 1u << GSP_ALIVE, 0, NODES - 1))
		broken(s, "the cluster did not form");
}

/* --- forging --- */

/* What @node holds about the subject, to step from. */
static void
bases(struct sim *s, int node, const struct gsp_record *r, uint64_t *gen,
      uint64_t *inc)
{
	struct gsp_member_info mi;
	struct gsp_intent it;

	*gen = 1;
	*inc = 0;
	if (r->kind == GSP_REC_INTENT) {
		/* A new intent's version: the wall clock in seconds << 20. */
		*gen = sim_now(s).unix_s << 20;
		if (gsp_intent_get(s->nodes[node].g, sim_now(s), r->subject,
				   &it))
			*gen = it.version;
	} else if (find_member(s, node, r->subject, &mi)) {
		*gen = mi.gen;
		*inc = mi.inc;
	}
}

static void
forge(struct sim *s, struct in *in, int dest, struct gsp_record *r)
{
	struct gsp_now now = sim_now(s);
	uint64_t gen, inc;
	uint8_t b = get8(in);

	memset(r, 0, sizeof(*r));
	r->kind = (uint8_t)(GSP_REC_ALIVE + b % 8);
	pick_name(in, r->subject, sizeof(r->subject));
	/* Mostly its own name; else a claim in someone else's. */
	if (b & 0x80)
		pick_name(in, r->author, sizeof(r->author));
	else
		snprintf(r->author, sizeof(r->author), "%s",
			 s->nodes[EVIL].name);
	bases(s, dest, r, &gen, &inc);
	r->gen = value(in, gen);
	r->inc = value(in, inc);
	switch (r->kind) {
	case GSP_REC_ALIVE:
		r->n_addrs = get8(in) % (GSP_ADDRS_MAX + 1);
		for (size_t i = 0; i < r->n_addrs; i++)
			pick_ip(in, &r->addrs[i]);
		pick_ns(in, r->ns_name, sizeof(r->ns_name));
		pick_ip(in, &r->gossip.ip);
		r->gossip.port = (uint16_t)(b & 0x40 ? get(in, 2) : 7946);
		pick_cert(s, in, r->cert, &r->cert_len);
		break;
	case GSP_REC_INTENT:
		r->drained = b & 0x40;
		r->issued_at = value(in, now.unix_s);
		r->expires_at = b & 0x20 ? value(in, r->issued_at) : 0;
		pick_text(in, r->reason, sizeof(r->reason));
		pick_text(in, r->user, sizeof(r->user));
		pick_cert(s, in, r->cert, &r->cert_len);
		break;
	case GSP_REC_REVOKE: /* not the CA's signature: always refused */
		snprintf(r->rv_cluster, sizeof(r->rv_cluster), "sim");
		r->rv_any_key = b & 0x40;
		r->inc = 0;
		snprintf(r->author, sizeof(r->author), "%s", r->subject);
		break;
	case GSP_REC_ENDORSE: {
		struct gsp_record *o = calloc(1, sizeof(*o));
		size_t len = 0;
		if (!o)
			abort();
		o->kind = GSP_REC_INTENT;
		memcpy(o->subject, r->subject, sizeof(o->subject));
		if (b & 0x40)
			pick_name(in, o->author, sizeof(o->author));
		else
			snprintf(o->author, sizeof(o->author), "%s",
				 s->nodes[EVIL].name);
		o->gen = r->gen;
		o->drained = b & 0x20;
		o->issued_at = value(in, now.unix_s);
		pick_text(in, o->reason, sizeof(o->reason));
		pick_cert(s, in, o->cert, &o->cert_len);
		if (gsp_record_encode(o, s->nodes[EVIL].sk, r->inner,
				      sizeof(r->inner), &len))
			len = 0;
		r->inner_len = len;
		free(o);
		r->inc = 0;
		r->endorsed_at = value(in, now.unix_s);
		pick_cert(s, in, r->cert, &r->cert_len);
		break;
	}
	case GSP_REC_ROW:
		r->observed_at = value(in, now.unix_s);
		r->n_cells = get8(in) % 65;
		for (size_t i = 0; i < r->n_cells; i++) {
			struct gsp_row_cell *c = &r->cells[i];
			pick_name(in, c->peer, sizeof(c->peer));
			c->flags = get8(in) % 5;
			c->rtt_us = (uint32_t)get(in, 4);
			c->p50_us = (uint32_t)get(in, 4);
			c->p99_us = (uint32_t)get(in, 4);
			c->loss_permille = (uint16_t)(get(in, 2) % 1100);
			c->last_ack_ms = value(in, now.ms);
		}
		break;
	default:
		break;
	}
}

/* Wraps @n signed records in an envelope from n3 and delivers it to
 * @dest: a datagram from n3's address, or a push-pull frame. */
static void
deliver(struct sim *s, int dest, uint8_t type, bool stream, const char *target,
	uint32_t seq, uint64_t digest, uint8_t (*recs)[GSP_REC_MAX],
	const size_t *lens, size_t n)
{
	static const uint8_t *ptrs[FLOOD_MAX];
	const uint8_t *sk = s->nodes[EVIL].sk;
	size_t cap = 1024, len;

	for (size_t i = 0; i < n; i++) {
		ptrs[i] = recs[i];
		cap += lens[i] + 8;
	}
	uint8_t *pkt = malloc(cap);
	if (!pkt ||
	    gsp_msg_encode("sim", s->nodes[EVIL].name, type, seq, target,
			   digest, ptrs, lens, n, sk, pkt, cap, &len))
		abort();
	if (stream) {
		uint8_t *reply;
		size_t rlen;
		int rc = gsp_stream_input(s->nodes[dest].g, sim_now(s), pkt,
					  len, &reply, &rlen);
		(void)rc;
		free(reply);
		s->nodes[dest].deadline = s->now;
	} else {
		sim_inject(s, EVIL, dest, pkt, len);
	}
	free(pkt);
	sim_run(s, s->now);
}

static uint8_t recs[FLOOD_MAX][GSP_REC_MAX];
static size_t lens[FLOOD_MAX];

static void
op_send(struct sim *s, struct in *in)
{
	struct gsp_record r;
	char target[GSP_NAME_LEN];
	uint8_t b = get8(in);
	int dest = b % HONEST;
	size_t n = 1 + (b >> 2) % 8, k = 0;
	uint8_t t = get8(in);

	pick_name(in, target, sizeof(target));
	uint32_t seq = (uint32_t)get(in, 4);
	uint64_t digest = value(in, gsp_intent_digest(s->nodes[dest].g));
	for (size_t i = 0; i < n; i++) {
		forge(s, in, dest, &r);
		if (gsp_record_encode(&r, s->nodes[EVIL].sk, recs[k],
				      sizeof(recs[k]), &lens[k]) == 0)
			k++;
	}
	deliver(s, dest, (uint8_t)(GSP_MSG_PING + t % 6), t & 0x80, target, seq,
		digest, recs, lens, k);
}

/* Many intents about ghosts, versions @base + i, in one frame. */
static void
op_flood(struct sim *s, struct in *in)
{
	struct gsp_record r;
	uint8_t b = get8(in);
	int dest = b % HONEST;
	size_t n = get8(in), k = 0;

	/* Past the cap only on a magic byte: filling the table costs a
	 * node ~1 GB of memmove (struct intent holds a 7 KB gsp_record),
	 * seconds under ASan. */
	n = n == 0xa5 ? INTENTS_MAX + get8(in) % (FLOOD_MAX - INTENTS_MAX + 1)
		      : n % 65;
	unsigned first = (unsigned)get(in, 2);
	uint64_t base = value(in, 1);
	struct gsp_now now = sim_now(s);
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_INTENT;
	snprintf(r.author, sizeof(r.author), "%s", s->nodes[EVIL].name);
	r.drained = b & 0x40;
	r.issued_at = now.unix_s;
	r.expires_at = b & 0x20 ? now.unix_s + 1 + get8(in) : 0;
	memcpy(r.cert, s->nodes[EVIL].cert, s->nodes[EVIL].cert_len);
	r.cert_len = s->nodes[EVIL].cert_len;
	for (size_t i = 0; i < n; i++) {
		snprintf(r.subject, sizeof(r.subject), "ghost-%zu", first + i);
		gsp_record_set_intent_version(&r,
					      base + (b & 0x80 ? i : n - i));
		if (gsp_record_encode(&r, s->nodes[EVIL].sk, recs[k],
				      sizeof(recs[k]), &lens[k]) == 0)
			k++;
	}
	deliver(s, dest, GSP_MSG_PUSH, true, "", 0, 0, recs, lens, k);
	check_intents_max(s);
}

/* An honest node drains or undrains someone during the attack. Versions
 * never run out: about a member (always kept) it must succeed. */
static void
op_drain(struct sim *s, struct in *in)
{
	char target[GSP_NAME_LEN];
	uint8_t b = get8(in);
	int from = b % HONEST;

	pick_name(in, target, sizeof(target));
	uint64_t expires = b & 0x40 ? value(in, sim_now(s).unix_s) : 0;
	int64_t v = gsp_drain(s->nodes[from].g, sim_now(s), target, b & 0x80,
			      "root", "fuzz", expires);
	bool member = false;
	for (int i = 0; i < NODES; i++)
		member |= strcmp(target, s->nodes[i].name) == 0;
	if (member && expires == 0 && v <= 0)
		broken(s, "gsp_drain() about a member failed");
	s->nodes[from].deadline = s->now;
	sim_run(s, s->now);
}

/* After the attack: refutation, convergence, and a drain that still
 * reaches everyone. */
static void
check_end(struct sim *s)
{
	struct drained_arg a = { "n1", true };

	check_intents_max(s);
	if (!run_until(s, SETTLE_MS, settled, NULL))
		broken(s, "honest members not all alive, or intent digests "
			  "differ, after 30 s");
	check_intents_max(s);
	for (int k = 0; k < 2; k++) {
		int64_t v = gsp_drain(s->nodes[0].g, sim_now(s), a.target,
				      a.drained, "root", "", 0);
		if (v <= 0)
			broken(s, "n0 cannot issue an intent (versions ran "
				  "out?)");
		s->nodes[0].deadline = s->now;
		if (!run_until(s, SPREAD_MS, spread, &a))
			broken(s, a.drained ? "a drain of n1 by n0 did not "
					      "reach every honest node"
					    : "an undrain of n1 by n0 did not "
					      "reach every honest node");
		a.drained = false;
	}
	/* A suspicion the compromised node's own state machine raised while
	 * the drains spread is refuted, not fatal. */
	if (!run_until(s, SETTLE_MS, settled, NULL))
		broken(s, "an honest member is not alive at the end");
	check_deadlines(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim s;
	struct in in = { data, size };
	uint64_t start;
	int floods = 0;

	if (sodium_init() < 0)
		abort();
	setup(&s);
	start = s.now;
	for (int ops = 0; in.n && ops < OPS_MAX; ops++) {
		uint8_t op = get8(&in);
		switch (op % 8) {
		case 0:
		case 1: {
			uint64_t ms = (uint64_t)get8(&in) * 2;
			if (s.now + ms > start + ATTACK_MS)
				ms = start + ATTACK_MS - s.now;
			sim_run(&s, s.now + ms);
			break;
		}
		case 6:
			if (floods++ < FLOODS_MAX) {
				op_flood(&s, &in);
				break;
			}
			op_send(&s, &in);
			break;
		case 7:
			op_drain(&s, &in);
			break;
		default:
			op_send(&s, &in);
			break;
		}
		check_deadlines(&s);
	}
	check_end(&s);
	sim_fini(&s);
	return 0;
}
