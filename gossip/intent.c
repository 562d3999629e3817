/*
 * Drain intents: which node is out of service, by whose word. One winning
 * intent per target: the highest (version, drained, issuer). Versions are
 * hybrid clocks (INTENT_CLOCK_SHIFT): an intent issued after seeing another
 * always wins over it, two issued at the same moment resolve the same way
 * everywhere, and no peer can push versions beyond our clock.
 *
 * Intents outlive their issuer's certificate through endorsement. From a
 * peer, a copy is believed only when the certificate that signs it is
 * valid now and not revoked: the issuer's own record, or an endorsement,
 * in which a live node wraps the issuer's record verbatim and signs it
 * with its own certificate (the wrapped record must still carry a
 * certificate our CA signed for its issuer, valid when it was issued, and
 * that issuer's signature, unless its CA has been rotated away). Every node
 * endorses the intents it holds before the certificate of the copy it holds
 * runs out (a quarter of its life ahead, at most 7 days), or at once when that
 * certificate was revoked or its CA is no longer trusted; the copy signed by
 * the certificate that lasts longest wins everywhere. So a key whose
 * certificate expired, or was revoked, cannot bring in an intent from
 * then on, back-dated or not: nothing it signs verifies now, and what
 * nodes hold was verified while it still did. From our own state file a
 * copy is checked at the time it was signed (issued_at, endorsed_at),
 * so a cluster down across an expiry restarts with its intents, and
 * endorses them at once.
 */
#include "gossip/internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static struct intent *
find(const struct gsp *g, const char *target)
{
	for (size_t i = 0; i < g->n_intents; i++)
		if (strcmp(g->intents[i].r.subject, target) == 0)
			return &g->intents[i];
	return NULL;
}

/* Whether @a beats @b. Between intents issued concurrently (equal
 * versions) a drain beats an undrain, the safe side: an operator's drain
 * racing a health check's automatic undrain stays. Then the issuer name
 * decides, the same way on every node. */
static bool
newer(const struct intent_fields *a, const struct intent_fields *b)
{
	if (a->version != b->version)
		return a->version > b->version;
	if (a->drained != b->drained)
		return a->drained;
	return strcmp(a->author, b->author) > 0;
}

static bool
effective(const struct intent_fields *r, uint64_t unix_s)
{
	return r->drained && (!r->expires_at || unix_s < r->expires_at);
}

static void
emit(struct gsp *g, const struct intent *in, uint64_t unix_s)
{
	struct gsp_event *ev =
		gsp__event(g, GSP_EV_INTENT, NULL, -1, in->r.author);

	if (!ev)
		return;
	snprintf(ev->name, sizeof(ev->name), "%s", in->r.subject);
	ev->new_state = effective(&in->r, unix_s);
	ev->gen = in->r.version;
}

/* The newest version our clock allows (see INTENT_CLOCK_SHIFT). */
static uint64_t
clock_version(uint64_t unix_s)
{
	return sat_mul(unix_s, UINT64_C(1) << INTENT_CLOCK_SHIFT);
}

/* What an intent may claim: a version no later than our clock allows, an
 * issue time not in the future, an expiry after it and within
 * INTENT_TTL_MAX_S. */
static bool
plausible(struct gsp_now now, const struct gsp_record *r)
{
	uint64_t latest = clock_version(sat_add(now.unix_s, CLOCK_SKEW_S));
	uint64_t version = gsp_record_intent_version(r);

	if (version == 0 || version > latest)
		return false;
	if (r->issued_at == 0 ||
	    r->issued_at > sat_add(now.unix_s, CLOCK_SKEW_S))
		return false;
	return r->expires_at == 0 ||
	       (r->expires_at > r->issued_at &&
		r->expires_at - r->issued_at <= INTENT_TTL_MAX_S);
}

/* Whether the table keeps @a before @b when it is full: intents about
 * members first, then the newest; the same choice on every node, so
 * nodes that saw the same intents hold the same ones. */
static bool
keep_before(const struct gsp *g, const struct intent_fields *a,
	    const struct intent_fields *b)
{
	bool ma = gsp__find((struct gsp *)g, a->subject) != NULL,
	     mb = gsp__find((struct gsp *)g, b->subject) != NULL;

	if (ma != mb)
		return ma;
	if (a->version != b->version)
		return a->version > b->version;
	return strcmp(a->subject, b->subject) < 0;
}

/* Makes room for an intent about a new target when the table is full:
 * drops the one kept last, if @r is to be kept before it. */
static bool
make_room(struct gsp *g, const struct intent_fields *r)
{
	size_t last = 0;

	if (g->n_intents < INTENTS_MAX)
		return true;
	for (size_t i = 1; i < g->n_intents; i++)
		if (keep_before(g, &g->intents[last].r, &g->intents[i].r))
			last = i;
	if (!keep_before(g, r, &g->intents[last].r))
		return false;
	free(g->intents[last].rec.data);
	g->digest_dirty = true;
	memmove(&g->intents[last], &g->intents[last + 1],
		(g->n_intents - last - 1) * sizeof(g->intents[0]));
	g->n_intents--;
	return true;
}

/* The copy in hand: the issuer's record, and who signed the copy. */
struct copy {
	const struct gsp_record *orig;
	struct gsp_cert issuer, signer;
	uint8_t id[16];
};

static int
cert_code(int v, enum gsp_reject *why)
{
	if (v == GSP_ECERTEXPIRED)
		return gsp__refuse(why, GSP_REJ_EXPIRED);
	return v ? gsp__refuse(why, GSP_REJ_CERT) : 0;
}

/* The issuer's record @o: plausible, its certificate for its author, and
 * issued within that certificate's life and not after a revocation of
 * it. */
static int
check_issuer(struct gsp *g, struct gsp_now now, const struct gsp_record *o,
	     struct copy *c, enum gsp_reject *why)
{
	uint64_t at;

	if (o->kind != GSP_REC_INTENT || o->inc != 0)
		return gsp__refuse(why, GSP_REJ_DECODE);
	if (!plausible(now, o))
		return gsp__refuse(why, GSP_REJ_BOUNDS);
	if (gsp_cert_decode(o->cert, o->cert_len, &c->issuer) ||
	    strcmp(c->issuer.name, o->author) != 0)
		return gsp__refuse(why, GSP_REJ_CERT);
	if (o->issued_at < c->issuer.not_before ||
	    o->issued_at > c->issuer.not_after)
		return gsp__refuse(why, GSP_REJ_EXPIRED);
	if (gsp__revoked(g, c->issuer.name, c->issuer.pk, c->issuer.not_before,
			 &at) &&
	    o->issued_at >= at)
		return gsp__refuse(why, GSP_REJ_REVOKED);
	return 0;
}

/* The signer of the copy: its certificate (ours, valid @at), not revoked
 * (@disk: not revoked before @at), and its signature over @r. */
static int
check_signer(struct gsp *g, const struct gsp_record *r, uint64_t at, bool disk,
	     struct gsp_cert *signer, enum gsp_reject *why)
{
	uint64_t rev;
	int k = cert_code(gsp_cert_verify(signer, &g->trust, at), why);

	if (k)
		return k;
	if (gsp__revoked(g, signer->name, signer->pk, signer->not_before,
			 &rev) &&
	    (!disk || at >= rev))
		return gsp__refuse(why, GSP_REJ_REVOKED);
	if (!gsp__sig_ok(g, gsp_record_check(r, signer->pk)))
		return gsp__refuse(why, GSP_REJ_SIGNATURE);
	return 0;
}

/* Whether one of our CA keys has key id @id. */
static bool
ca_trusted(const struct gsp *g, const uint8_t id[GSP_KEY_ID_LEN])
{
	uint8_t k[GSP_KEY_ID_LEN];

	for (size_t i = 0; i < g->trust.n_ca; i++) {
		gsp_key_id(g->trust.ca_pk[i], k);
		if (!memcmp(k, id, sizeof(k)))
			return true;
	}
	return false;
}

/* The issuer's record an endorsement wraps: its certificate and signature
 * are checked when a CA of ours signed it, so an endorser cannot put an
 * intent in another node's name. One from a CA we no longer trust (a CA
 * rotation) has only the endorser's word. */
static int
check_wrapped(struct gsp *g, const struct gsp_record *o, struct copy *c,
	      enum gsp_reject *why)
{
	if (!ca_trusted(g, c->issuer.ca_id))
		return 0;
	int v = gsp_cert_verify(&c->issuer, &g->trust, o->issued_at);
	if (v)
		return cert_code(v, why);
	if (!gsp__sig_ok(g, gsp_record_check(o, c->issuer.pk)))
		return gsp__refuse(why, GSP_REJ_SIGNATURE);
	return 0;
}

/* Checks a copy (@r: an intent or an endorsement; @inner: room for the
 * intent an endorsement wraps) and fills *@c. */
static int
check_copy(struct gsp *g, struct gsp_now now, const struct gsp_record *r,
	   const uint8_t *rec, size_t len, bool disk, struct gsp_record *inner,
	   struct copy *c, enum gsp_reject *why)
{
	int k;

	if (r->kind == GSP_REC_INTENT) {
		c->orig = r;
		if ((k = check_issuer(g, now, r, c, why)))
			return k;
		c->signer = c->issuer;
		crypto_generichash(c->id, sizeof(c->id), rec, len, NULL, 0);
		return check_signer(g, r, disk ? r->issued_at : now.unix_s,
				    disk, &c->signer, why);
	}
	if (gsp_record_decode(r->inner, r->inner_len, inner) ||
	    strcmp(inner->subject, r->subject) != 0 || inner->gen != r->gen)
		return gsp__refuse(why, GSP_REJ_DECODE);
	c->orig = inner;
	if ((k = check_issuer(g, now, inner, c, why)) ||
	    (k = check_wrapped(g, inner, c, why)))
		return k;
	if (r->endorsed_at < inner->issued_at ||
	    r->endorsed_at > sat_add(now.unix_s, CLOCK_SKEW_S))
		return gsp__refuse(why, GSP_REJ_BOUNDS);
	if (gsp_cert_decode(r->cert, r->cert_len, &c->signer) ||
	    strcmp(c->signer.name, r->author) != 0)
		return gsp__refuse(why, GSP_REJ_CERT);
	crypto_generichash(c->id, sizeof(c->id), r->inner, r->inner_len, NULL,
			   0);
	return check_signer(g, r, disk ? r->endorsed_at : now.unix_s, disk,
			    &c->signer, why);
}

/* Keeps @rec as the copy held of @in, signed as *@c says. */
static void
hold_copy(struct gsp *g, struct intent *in, const struct copy *c,
	  const uint8_t *rec, size_t len)
{
	memcpy(in->id, c->id, sizeof(in->id));
	memcpy(in->issuer_pk, c->issuer.pk, GSP_PK_LEN);
	in->issuer_not_before = c->issuer.not_before;
	memcpy(in->signer, c->signer.name, sizeof(c->signer.name));
	memcpy(in->signer_pk, c->signer.pk, GSP_PK_LEN);
	in->signer_not_before = c->signer.not_before;
	in->signer_not_after = c->signer.not_after;
	in->signer_void = false;
	in->endorse_at = 0;
	gsp__blob_set(g, &in->rec, rec, len);
	gsp__queue(g, QUEUE_INTENT, in->r.subject, rec, len);
}

static void
fields_of(const struct gsp_record *r, struct intent_fields *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->subject, r->subject, sizeof(f->subject));
	memcpy(f->author, r->author, sizeof(f->author));
	f->version = gsp_record_intent_version(r);
	f->drained = r->drained;
	f->issued_at = r->issued_at;
	f->expires_at = r->expires_at;
	memcpy(f->user, r->user, sizeof(f->user));
	memcpy(f->reason, r->reason, sizeof(f->reason));
}

/* Room for one more entry: the array grows by doubling, so a burst of
 * new targets does not copy the table once per intent. */
static bool
grow(struct gsp *g)
{
	if (g->n_intents < g->cap_intents)
		return true;
	size_t cap = g->cap_intents ? 2 * g->cap_intents : 16;
	struct intent *p = realloc(g->intents, cap * sizeof(*p));
	if (!p) {
		gsp__oom(g);
		return false;
	}
	g->intents = p;
	g->cap_intents = cap;
	return true;
}

int
gsp__intent_apply(struct gsp *g, struct gsp_now now, const struct gsp_record *r,
		  const uint8_t *rec, size_t len, bool disk,
		  enum gsp_reject *why)
{
	struct intent_fields f;
	struct intent *cur = find(g, r->subject);
	struct gsp_record *inner = NULL;
	struct copy c;
	int rc;

	if (cur && cur->rec.len == len && !memcmp(cur->rec.data, rec, len))
		return 0;
	if (r->kind == GSP_REC_ENDORSE && !(inner = malloc(sizeof(*inner)))) {
		gsp__oom(g);
		return 0;
	}
	rc = check_copy(g, now, r, rec, len, disk, inner, &c, why);
	if (rc)
		goto out;
	fields_of(c.orig, &f);
	if (cur && !memcmp(cur->id, c.id, sizeof(c.id))) {
		/* The intent held, in another copy: the one whose signer
		 * lasts longer stays. */
		rc = 0;
		if (cur->signer_void ||
		    c.signer.not_after > cur->signer_not_after) {
			hold_copy(g, cur, &c, rec, len);
			struct gsp_event *ev = gsp__event(
				g, GSP_EV_ENDORSED, NULL, -1, c.signer.name);
			if (ev)
				snprintf(ev->name, sizeof(ev->name), "%s",
					 r->subject);
			rc = 1;
		}
		goto out;
	}
	if (cur && !newer(&f, &cur->r)) {
		rc = newer(&cur->r, &f) ? gsp__refuse(why, GSP_REJ_OLD) : 0;
		goto out;
	}
	if (!cur && !make_room(g, &f)) {
		rc = gsp__refuse(why, GSP_REJ_BOUNDS);
		goto out;
	}
	if (f.version > g->lamport)
		g->lamport = f.version;
	rc = 0;
	if (!cur) {
		if (!grow(g))
			goto out;
		/* Keep them sorted by target: the digest depends on order. */
		size_t at = 0;
		while (at < g->n_intents &&
		       strcmp(g->intents[at].r.subject, r->subject) < 0)
			at++;
		memmove(&g->intents[at + 1], &g->intents[at],
			(g->n_intents - at) * sizeof(g->intents[0]));
		g->n_intents++;
		cur = &g->intents[at];
		memset(cur, 0, sizeof(*cur));
		assert(at + 1 == g->n_intents ||
		       strcmp(g->intents[at + 1].r.subject, r->subject) > 0);
	}
	g->digest_dirty = true;
	cur->r = f;
	cur->expired_reported = false;
	hold_copy(g, cur, &c, rec, len);
	emit(g, cur, now.unix_s);
	rc = 1;
out:
	free(inner);
	return rc;
}

int64_t
gsp_drain(struct gsp *g, struct gsp_now now, const char *target, bool drained,
	  const char *user, const char *reason, uint64_t expires_at)
{
	struct gsp_record r;
	uint8_t buf[GSP_REC_MAX];
	size_t len;

	if (!gsp_name_valid(target) || strlen(user) >= sizeof(r.user) ||
	    strlen(reason) >= sizeof(r.reason))
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_INTENT;
	snprintf(r.subject, sizeof(r.subject), "%s", target);
	memcpy(r.author, g->m[0].name, sizeof(r.author));
	if (g->lamport == UINT64_MAX)
		return -EOVERFLOW;
	uint64_t version = g->lamport + 1;
	if (version < clock_version(now.unix_s))
		version = clock_version(now.unix_s);
	gsp_record_set_intent_version(&r, version);
	r.drained = drained;
	r.issued_at = now.unix_s;
	r.expires_at = expires_at;
	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	memcpy(r.cert, g->cert, g->cert_len);
	r.cert_len = g->cert_len;
	if (gsp_record_encode(&r, g->sk, buf, sizeof(buf), &len))
		return -ENOSPC;
	struct gsp_record d;
	enum gsp_reject why;
	if (gsp_record_decode(buf, len, &d) ||
	    gsp__intent_apply(g, now, &d, buf, len, false, &why) != 1)
		return -EINVAL;
	/* An operator waits for it: it leaves with the next tick, not with
	 * the next gossip round. */
	g->next_gossip = now.ms;
	return (int64_t)version;
}

static void
to_info(const struct intent *in, uint64_t unix_s, struct gsp_intent *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->target, in->r.subject, sizeof(out->target));
	out->drained = in->r.drained;
	out->effective = effective(&in->r, unix_s);
	out->version = in->r.version;
	memcpy(out->issuer, in->r.author, sizeof(out->issuer));
	memcpy(out->user, in->r.user, sizeof(out->user));
	memcpy(out->reason, in->r.reason, sizeof(out->reason));
	out->issued_at = in->r.issued_at;
	out->expires_at = in->r.expires_at;
}

bool
gsp_intent_get(const struct gsp *g, struct gsp_now now, const char *target,
	       struct gsp_intent *out)
{
	const struct intent *in = find(g, target);

	if (!in)
		return false;
	to_info(in, now.unix_s, out);
	return true;
}

bool
gsp_drained(const struct gsp *g, struct gsp_now now, const char *name)
{
	const struct intent *in = find(g, name);

	return in && effective(&in->r, now.unix_s);
}

size_t
gsp_active_count(const struct gsp *g, struct gsp_now now)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->m[i].state == GSP_ALIVE &&
		     !gsp_drained(g, now, g->m[i].name);
	return n;
}

uint64_t
gsp_intent_digest(const struct gsp *g)
{
	crypto_generichash_state st;
	uint8_t h[8];
	uint64_t d = 0;

	if (!g->n_intents)
		return 0;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (size_t i = 0; i < g->n_intents; i++) {
		const struct intent_fields *r = &g->intents[i].r;
		uint8_t v[8];
		for (int k = 0; k < 8; k++)
			v[k] = (uint8_t)(r->version >> (56 - 8 * k));
		crypto_generichash_update(&st, (const uint8_t *)r->subject,
					  strlen(r->subject) + 1);
		crypto_generichash_update(&st, (const uint8_t *)r->author,
					  strlen(r->author) + 1);
		crypto_generichash_update(&st, v, sizeof(v));
	}
	crypto_generichash_final(&st, h, sizeof(h));
	for (int k = 0; k < 8; k++)
		d = d << 8 | h[k];
	return d ? d : 1; /* 0 means "no intents" */
}

uint64_t
gsp__digest(struct gsp *g)
{
	if (g->digest_dirty) {
		g->digest = gsp_intent_digest(g);
		g->digest_dirty = false;
	}
	return g->digest;
}

bool
gsp_peer_digest(const struct gsp *g, const char *name, uint64_t *digest)
{
	for (size_t i = 1; i < g->n; i++) {
		if (strcmp(g->m[i].name, name) == 0 && g->m[i].has_digest) {
			*digest = g->m[i].digest;
			return true;
		}
	}
	return false;
}

void
gsp_intents_export(const struct gsp *g,
		   void (*fn)(void *ctx, const uint8_t *rec, size_t len),
		   void *ctx)
{
	for (size_t i = 0; i < g->n_intents; i++)
		fn(ctx, g->intents[i].rec.data, g->intents[i].rec.len);
}

int
gsp_intent_import(struct gsp *g, struct gsp_now now, const uint8_t *rec,
		  size_t len, enum gsp_reject *why)
{
	struct gsp_record r;
	enum gsp_reject ignored;

	if (!why)
		why = &ignored;
	if (gsp_record_decode(rec, len, &r) ||
	    (r.kind != GSP_REC_INTENT && r.kind != GSP_REC_ENDORSE))
		return gsp__refuse(why, GSP_REJ_DECODE);
	return gsp__intent_apply(g, now, &r, rec, len, true, why);
}

/* How long before the certificate of the copy held runs out it is
 * endorsed: a quarter of that certificate's life, at most 7 days. */
static uint64_t
endorse_margin(const struct intent *in)
{
	uint64_t life = in->signer_not_after - in->signer_not_before;

	return life / 4 < 7 * 86400 ? life / 4 : 7 * 86400;
}

/* Wraps the issuer's record of @in in an endorsement signed by us, and
 * holds it. */
static void
endorse(struct gsp *g, struct gsp_now now, struct intent *in)
{
	struct gsp_record *r = malloc(sizeof(*r)), *d = malloc(sizeof(*d));
	uint8_t buf[GSP_REC_MAX];
	enum gsp_reject why;
	size_t len;

	if (!r || !d) {
		gsp__oom(g);
		goto out;
	}
	if (gsp_record_decode(in->rec.data, in->rec.len, d))
		goto out;
	memset(r, 0, sizeof(*r));
	if (d->kind == GSP_REC_INTENT) {
		if (in->rec.len > sizeof(r->inner))
			goto out;
		memcpy(r->inner, in->rec.data, in->rec.len);
		r->inner_len = in->rec.len;
	} else {
		memcpy(r->inner, d->inner, d->inner_len);
		r->inner_len = d->inner_len;
	}
	r->kind = GSP_REC_ENDORSE;
	memcpy(r->subject, in->r.subject, sizeof(r->subject));
	memcpy(r->author, g->m[0].name, sizeof(r->author));
	r->gen = in->r.version;
	r->endorsed_at = now.unix_s;
	memcpy(r->cert, g->cert, g->cert_len);
	r->cert_len = g->cert_len;
	if (gsp_record_encode(r, g->sk, buf, sizeof(buf), &len) ||
	    gsp_record_decode(buf, len, d))
		goto out;
	/* Queued: it leaves with the next gossip round (this runs inside
	 * gsp_tick(), whose deadlines must stay in the future). */
	(void)gsp__intent_apply(g, now, d, buf, len, false, &why);
out:
	free(r);
	free(d);
}

/* When @in is to be endorsed by us (monotonic ms), NO_DEADLINE never: its
 * copy's certificate is void or close to its end, and ours lasts longer. */
static uint64_t
endorse_due(struct gsp *g, struct gsp_now now, struct intent *in)
{
	const struct member *me = &g->m[0];

	if (g->left || g->self_revoked || !gsp__cert_valid(me, now.unix_s) ||
	    (!in->signer_void && me->cert_not_after <= in->signer_not_after)) {
		in->endorse_at = 0;
		return NO_DEADLINE;
	}
	uint64_t from = in->signer_not_after - endorse_margin(in);
	if (!in->signer_void && now.unix_s < from)
		return sat_add(now.ms, sat_mul(from - now.unix_s, 1000));
	/* Due: a little later on each node, so the first endorsement
	 * usually reaches the others before they make their own. */
	if (!in->endorse_at)
		in->endorse_at =
			now.ms +
			gsp__rand32(g) % (2 * g->t.gossip_interval_ms + 1);
	return in->endorse_at;
}

uint64_t
gsp__intent_tick(struct gsp *g, struct gsp_now now)
{
	uint64_t next = NO_DEADLINE;

	for (size_t i = 0; i < g->n_intents; i++) {
		struct intent *in = &g->intents[i];
		uint64_t due = endorse_due(g, now, in);
		if (due <= now.ms) {
			endorse(g, now, in);
			in = &g->intents[i];
			due = endorse_due(g, now, in);
			if (due <= now.ms) /* could not: retry later */
				due = now.ms + g->t.gossip_interval_ms;
		}
		if (due < next)
			next = due;
		if (!in->r.drained || !in->r.expires_at || in->expired_reported)
			continue;
		if (now.unix_s >= in->r.expires_at) {
			in->expired_reported = true;
			emit(g, in, now.unix_s);
			continue;
		}
		uint64_t at = sat_add(
			now.ms, sat_mul(in->r.expires_at - now.unix_s, 1000));
		if (at < next)
			next = at;
	}
	return next;
}

/* Whether the copy of @in is signed by a certificate no CA of ours signed
 * (any more). */
static bool
signer_untrusted(const struct gsp *g, const struct intent *in)
{
	struct gsp_record *r = malloc(sizeof(*r));
	struct gsp_cert c;
	bool bad = false;

	if (r && !gsp_record_decode(in->rec.data, in->rec.len, r)) {
		int v = gsp_cert_decode(r->cert, r->cert_len, &c)
				? GSP_ECERTSIG
				: gsp_cert_verify(&c, &g->trust, c.not_before);
		bad = v == GSP_ECERTSIG || v == GSP_ECERTCLUSTER;
	}
	free(r);
	return bad;
}

static void
drop(struct gsp *g, size_t i)
{
	struct gsp_event *ev =
		gsp__event(g, GSP_EV_INTENT, NULL, -1, g->intents[i].r.author);

	if (ev) {
		snprintf(ev->name, sizeof(ev->name), "%s",
			 g->intents[i].r.subject);
		ev->new_state = 0;
		ev->gen = g->intents[i].r.version;
	}
	free(g->intents[i].rec.data);
	memmove(&g->intents[i], &g->intents[i + 1],
		(g->n_intents - i - 1) * sizeof(g->intents[0]));
	g->n_intents--;
	g->digest_dirty = true;
}

void
gsp__intents_trust_changed(struct gsp *g, const struct gsp_revocation *rv)
{
	for (size_t i = 0; i < g->n_intents;) {
		struct intent *in = &g->intents[i];
		if (rv &&
		    gsp_revocation_covers(rv, in->r.author, in->issuer_pk,
					  in->issuer_not_before) &&
		    in->r.issued_at >= rv->revoked_at) {
			drop(g, i); /* issued with a key already revoked */
			continue;
		}
		if (rv ? gsp_revocation_covers(rv, in->signer, in->signer_pk,
					       in->signer_not_before)
		       : signer_untrusted(g, in))
			in->signer_void = true;
		i++;
	}
}

void
gsp__intents_free(struct gsp *g)
{
	for (size_t i = 0; i < g->n_intents; i++)
		free(g->intents[i].rec.data);
	free(g->intents);
	g->intents = NULL;
	g->n_intents = g->cap_intents = 0;
	g->digest_dirty = true;
}
