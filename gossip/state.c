/*
 * Members and the rules for records: who may say what, and which record
 * wins. A member's version is (generation, incarnation); at equal versions
 * alive < suspect < dead < left. Only a member signs its own alive and left
 * records (so only it can raise its incarnation); any certified member may
 * sign suspect and dead records about another.
 */
#include "gossip/internal.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static const char *const reject_names[GSP_REJ__COUNT] = {
	[GSP_REJ_DECODE] = "decode",	   [GSP_REJ_CLUSTER] = "cluster",
	[GSP_REJ_SIGNATURE] = "signature", [GSP_REJ_UNKNOWN] = "unknown_cert",
	[GSP_REJ_CERT] = "bad_cert",	   [GSP_REJ_EXPIRED] = "expired_cert",
	[GSP_REJ_OLD] = "old_version",	   [GSP_REJ_DECRYPT] = "decrypt",
	[GSP_REJ_PLAIN] = "not_encrypted", [GSP_REJ_BOUNDS] = "implausible",
	[GSP_REJ_SOURCE] = "source",	   [GSP_REJ_REVOKED] = "revoked",
};

const char *
gsp_reject_name(enum gsp_reject r)
{
	return r < GSP_REJ__COUNT ? reject_names[r] : "unknown";
}

const char *
gsp_state_name(enum gsp_state s)
{
	static const char *const names[] = { "alive", "suspect", "dead",
					     "left" };
	return (unsigned)s < 4 ? names[s] : "unknown";
}

void
gsp_timing_profile(struct gsp_timing *t, bool wan)
{
	memset(t, 0, sizeof(*t));
	if (wan) {
		t->probe_interval_ms = 5000;
		t->probe_timeout_ms = 3000;
		t->suspicion_min_ms = 15000;
		t->suspicion_mult = 4;
		t->gossip_interval_ms = 500;
		t->gossip_fanout = 4;
		t->pushpull_interval_ms = 60000;
	} else {
		t->probe_interval_ms = 1000;
		t->probe_timeout_ms = 500;
		t->suspicion_min_ms = 2500;
		t->suspicion_mult = 1;
		t->gossip_interval_ms = 100;
		t->gossip_fanout = 3;
		t->pushpull_interval_ms = 15000;
	}
	t->row_interval_ms = wan ? 30000 : 10000;
	t->indirect_k = 3;
	t->retransmit_mult = 4;
	t->reap_ms = 24ull * 3600 * 1000;
	t->udp_max = 1400;
}

uint32_t
gsp__rand32(struct gsp *g)
{
	uint32_t v;

	g->rand.fill(g->rand.ctx, &v, sizeof(v));
	return v;
}

bool
gsp__blob_set(struct gsp *g, struct blob *b, const uint8_t *data, size_t len)
{
	uint8_t *p = realloc(b->data, len ? len : 1);

	if (!p) {
		gsp__oom(g);
		return false; /* keeps the old record: stale, never corrupt */
	}
	memcpy(p, data, len);
	b->data = p;
	b->len = len;
	return true;
}

static void
blob_clear(struct blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

struct member *
gsp__find(struct gsp *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->m[i].name, name) == 0)
			return &g->m[i];
	return NULL;
}

bool
gsp__cert_valid(const struct member *m, uint64_t unix_s)
{
	return unix_s >= m->cert_not_before && unix_s <= m->cert_not_after;
}

size_t
gsp__active(const struct gsp *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->m[i].state <= GSP_SUSPECT;
	return n;
}

struct gsp_event *
gsp__event(struct gsp *g, enum gsp_event_type type, const struct member *m,
	   int old_state, const char *by)
{
	assert(!m || gsp__member_held(g, m));
	struct gsp_event *ev = gsp__ring_push(&g->events);

	if (!ev) {
		gsp__oom(g);
		return NULL;
	}
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->old_state = old_state;
	if (m) {
		memcpy(ev->name, m->name, sizeof(ev->name));
		ev->new_state = m->state;
		ev->gen = m->gen;
		ev->inc = m->inc;
	}
	if (by)
		snprintf(ev->by, sizeof(ev->by), "%s", by);
	return ev;
}

bool
gsp_event_next(struct gsp *g, struct gsp_event *ev)
{
	return gsp__ring_pop(&g->events, ev);
}

/* How many times a new record is piggybacked: mult * ceil(log10(n+1)). */
static uint32_t
transmits(const struct gsp *g)
{
	double l = ceil(log10((double)g->n + 1));

	return g->t.retransmit_mult * (uint32_t)(l < 1 ? 1 : l);
}

void
gsp__queue(struct gsp *g, uint8_t family, const char *subject,
	   const uint8_t *rec, size_t len)
{
	/* A record too big to ride in a datagram (a large cluster's
	 * reachability row) is left to push-pull: queued, it would never be
	 * sent and would keep the gossip rounds busy for nothing. */
	if (len + GSP_PIGGYBACK_RESERVE > g->t.udp_max) {
		for (size_t i = 0; i < g->n_queue; i++) {
			if (g->queue[i].family == family &&
			    strcmp(g->queue[i].subject, subject) == 0) {
				free(g->queue[i].rec.data);
				g->queue[i] = g->queue[--g->n_queue];
				break;
			}
		}
		return;
	}
	/* A newer record about the same member (or the same target's newer
	 * intent) replaces the older one. */
	for (size_t i = 0; i < g->n_queue; i++) {
		if (g->queue[i].family == family &&
		    strcmp(g->queue[i].subject, subject) == 0) {
			gsp__blob_set(g, &g->queue[i].rec, rec, len);
			g->queue[i].transmits = transmits(g);
			return;
		}
	}
	assert(g->n_queue <= QUEUE_MAX);
	if (g->n_queue == QUEUE_MAX)
		return; /* anti-entropy will carry it */
	if (!g->queue) {
		g->queue = calloc(QUEUE_MAX, sizeof(*g->queue));
		if (!g->queue) {
			gsp__oom(g);
			return;
		}
	}
	struct queued *q = &g->queue[g->n_queue];
	memset(q, 0, sizeof(*q));
	if (!gsp__blob_set(g, &q->rec, rec, len))
		return;
	snprintf(q->subject, sizeof(q->subject), "%s", subject);
	q->family = family;
	q->transmits = transmits(g);
	g->n_queue++;
}

static struct member *
member_add(struct gsp *g, const char *name)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 8;
		struct member *m = realloc(g->m, cap * sizeof(*m));
		if (!m) {
			gsp__oom(g);
			return NULL;
		}
		g->m = m;
		g->cap = cap;
	}
	struct member *m = &g->m[g->n++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->suspect_deadline = NO_DEADLINE;
	return m;
}

static int
rank(uint8_t kind)
{
	return kind - GSP_REC_ALIVE; /* alive 0, suspect 1, dead 2, left 3 */
}

static int
version_cmp(uint64_t g1, uint64_t i1, uint64_t g2, uint64_t i2)
{
	if (g1 != g2)
		return g1 < g2 ? -1 : 1;
	if (i1 != i2)
		return i1 < i2 ? -1 : 1;
	return 0;
}

static uint64_t
suspicion_ms(const struct gsp *g)
{
	double scaled = g->t.suspicion_mult * log10((double)g->n + 1) *
			g->t.probe_interval_ms;

	return scaled > g->t.suspicion_min_ms ? (uint64_t)scaled
					      : g->t.suspicion_min_ms;
}

/* The key that signed @r: from the embedded cert for alive records (which
 * must be our CA's, for that name, and valid now), else from the author's
 * alive record we hold. */
static int
author_key(struct gsp *g, struct gsp_now now, const struct gsp_record *r,
	   uint8_t *pk, struct gsp_cert *cert, enum gsp_reject *why)
{
	if (r->kind == GSP_REC_ALIVE) {
		if (gsp_cert_decode(r->cert, r->cert_len, cert))
			return gsp__refuse(why, GSP_REJ_CERT);
		int v = gsp_cert_verify(cert, &g->trust, now.unix_s);
		if (v == GSP_ECERTEXPIRED)
			return gsp__refuse(why, GSP_REJ_EXPIRED);
		if (v || strcmp(cert->name, r->subject) != 0)
			return gsp__refuse(why, GSP_REJ_CERT);
		if (gsp__revoked(g, cert->name, cert->pk, cert->not_before,
				 NULL))
			return gsp__refuse(why, GSP_REJ_REVOKED);
		memcpy(pk, cert->pk, GSP_PK_LEN);
		return 0;
	}
	struct member *a = gsp__find(g, r->author);
	if (!a || !a->alive.data)
		return gsp__refuse(why, GSP_REJ_UNKNOWN);
	if (a->revoked)
		return gsp__refuse(why, GSP_REJ_REVOKED);
	if (!gsp__cert_valid(a, now.unix_s))
		return gsp__refuse(why, GSP_REJ_EXPIRED);
	memcpy(pk, a->pk, GSP_PK_LEN);
	return 0;
}

static void
take_alive(struct gsp *g, struct member *m, const struct gsp_record *r,
	   const struct gsp_cert *cert, const uint8_t *rec, size_t len)
{
	memcpy(m->pk, cert->pk, GSP_PK_LEN);
	m->cert_not_before = cert->not_before;
	m->cert_not_after = cert->not_after;
	m->revoked = false; /* author_key() checked it is not */
	memcpy(m->addrs, r->addrs, sizeof(m->addrs));
	m->n_addrs = r->n_addrs;
	memcpy(m->ns_name, r->ns_name, sizeof(m->ns_name));
	m->gossip = r->gossip;
	m->alive_gen = r->gen;
	m->alive_inc = r->inc;
	gsp__blob_set(g, &m->alive, rec, len);
}

/* Someone says we are suspect or dead: raise our incarnation past it and
 * announce that we are alive (SWIM refutation). */
static void
refute(struct gsp *g, struct gsp_now now, const struct gsp_record *r)
{
	struct member *self = &g->m[0];

	if (r->gen != self->gen || r->inc < self->inc || g->left)
		return;
	self->inc = sat_add(r->inc, 1);
	gsp__declare(g, now, self, GSP_REC_ALIVE);
	gsp__event(g, GSP_EV_REFUTE, self, self->state, r->author);
}

/* Whether @r is about a member we forgot, at a version not newer. */
static bool
buried(struct gsp *g, struct gsp_now now, const struct gsp_record *r)
{
	for (size_t i = 0; i < g->n_tombs;) {
		struct tomb *t = &g->tombs[i];
		if (now.ms >= t->until) {
			*t = g->tombs[--g->n_tombs];
			continue;
		}
		if (strcmp(t->name, r->subject) == 0)
			return version_cmp(r->gen, r->inc, t->gen, t->inc) <= 0;
		i++;
	}
	return false;
}

static void
bury(struct gsp *g, struct gsp_now now, const struct member *m)
{
	struct tomb *t = realloc(g->tombs, (g->n_tombs + 1) * sizeof(*t));

	if (!t) {
		gsp__oom(g);
		return;
	}
	g->tombs = t;
	t += g->n_tombs++;
	memcpy(t->name, m->name, sizeof(t->name));
	t->gen = m->gen;
	t->inc = m->inc;
	t->until = now.ms + g->t.reap_ms;
}

/* The bounds on what a record may claim, checked before its signature
 * costs anything. A generation is a wall-clock start time, so it cannot
 * be far in the future. Only a member raises its own incarnation: a
 * suspicion or death names the generation we hold and at most a small
 * step past the incarnation it announced (one we may not have heard of yet;
 * about ourselves, one a hostile peer made up, which we still refute: the step
 * bounds how fast it can push ours towards the end). Returns 0,
 * GSP_EREJECTED (*why says why), or 1 for a record to ignore quietly: a
 * suspicion of a generation whose alive record has not reached us yet. */
static int
plausible(const struct gsp *g, struct gsp_now now, const struct gsp_record *r,
	  const struct member *m, enum gsp_reject *why)
{
	if (r->gen > sat_add(now.unix_s, CLOCK_SKEW_S))
		return gsp__refuse(why, GSP_REJ_BOUNDS);
	if (r->kind != GSP_REC_SUSPECT && r->kind != GSP_REC_DEAD)
		return 0;
	if (!m)
		return 0; /* refused later: we would not know it */
	if (r->gen > m->gen)
		return 1;
	if (r->gen < m->gen)
		return 0; /* refused later as old */
	/* The step counts from the incarnation the member itself signed, not
	 * from one a suspicion raised: a chain of steps taken here would
	 * reach past what the subject accepts, and it could never refute. */
	uint64_t base =
		m == &g->m[0] || m->alive_gen != m->gen ? m->inc : m->alive_inc;
	return r->inc > sat_add(base, INC_STEP_MAX)
		       ? gsp__refuse(why, GSP_REJ_BOUNDS)
		       : 0;
}

/* A member's alive record that arrives after a suspicion or death at the
 * same version: its state stays, but its addresses and name are the
 * newest it announced. */
static int
late_alive(struct gsp *g, struct member *m, const struct gsp_record *r,
	   const struct gsp_cert *cert, const uint8_t *rec, size_t len)
{
	if (r->kind != GSP_REC_ALIVE ||
	    version_cmp(r->gen, r->inc, m->alive_gen, m->alive_inc) <= 0)
		return 0;
	take_alive(g, m, r, cert, rec, len);
	gsp__event(g, GSP_EV_UPDATE, m, (int)m->state, r->author);
	return 1;
}

int
gsp__apply(struct gsp *g, struct gsp_now now, const uint8_t *rec, size_t len,
	   enum gsp_reject *why)
{
	struct gsp_record r;
	struct gsp_cert cert;
	uint8_t pk[GSP_PK_LEN];

	if (gsp_record_decode(rec, len, &r))
		return gsp__refuse(why, GSP_REJ_DECODE);
	if (r.kind == GSP_REC_INTENT || r.kind == GSP_REC_ENDORSE)
		return gsp__intent_apply(g, now, &r, rec, len, false, why);
	if (r.kind == GSP_REC_REVOKE)
		return gsp__revoke_apply(g, now, &r, rec, len, why);
	if (r.kind == GSP_REC_ROW)
		return gsp__row_apply(g, now, &r, rec, len, why);
	struct member *m = gsp__find(g, r.subject);

	/* The same bytes again: nothing to verify, nothing new. */
	if (m &&
	    ((m->alive.len == len && !memcmp(m->alive.data, rec, len)) ||
	     (m->state_rec.len == len && !memcmp(m->state_rec.data, rec, len))))
		return 0;
	if ((r.kind == GSP_REC_ALIVE || r.kind == GSP_REC_LEFT) &&
	    strcmp(r.author, r.subject) != 0)
		return gsp__refuse(why, GSP_REJ_SIGNATURE);
	int b = plausible(g, now, &r, m, why);
	if (b)
		return b < 0 ? b : 0;
	int k = author_key(g, now, &r, pk, &cert, why);
	if (k)
		return k;
	if (!gsp__sig_ok(g, gsp_record_check(&r, pk)))
		return gsp__refuse(why, GSP_REJ_SIGNATURE);

	if (m == &g->m[0]) {
		/* About ourselves: only a suspicion needs an answer. */
		if (r.kind == GSP_REC_SUSPECT || r.kind == GSP_REC_DEAD)
			refute(g, now, &r);
		return 0;
	}
	if (!m) {
		if (r.kind != GSP_REC_ALIVE)
			return gsp__refuse(
				why,
				GSP_REJ_UNKNOWN); /* we would not know it */
		if (buried(g, now, &r))
			return 0;
	} else {
		int c = version_cmp(r.gen, r.inc, m->gen, m->inc);
		if (c < 0)
			return gsp__refuse(why, GSP_REJ_OLD);
		if (c == 0 && rank(r.kind) <= (int)m->state)
			return late_alive(g, m, &r, &cert, rec, len);
	}

	int old_state = m ? (int)m->state : -1;
	if (!m) {
		m = member_add(g, r.subject);
		if (!m)
			return 0;
		/* Spread first probes over one interval. */
		m->next_probe =
			now.ms + gsp__rand32(g) % g->t.probe_interval_ms;
	}
	m->gen = r.gen;
	m->inc = r.inc;
	if (r.kind == GSP_REC_ALIVE) {
		take_alive(g, m, &r, &cert, rec, len);
		blob_clear(&m->state_rec);
		/* Presumed reachable until a probe of ours says otherwise. */
		if (old_state != GSP_ALIVE && old_state != GSP_SUSPECT)
			m->reached = true;
	} else {
		gsp__blob_set(g, &m->state_rec, rec, len);
	}
	m->state = (enum gsp_state)rank(r.kind);
	m->suspect_deadline = m->state == GSP_SUSPECT ? now.ms + suspicion_ms(g)
						      : NO_DEADLINE;
	if ((int)m->state != old_state)
		m->state_since = now.ms;
	gsp__queue(g, QUEUE_MEMBER, m->name, rec, len);
	gsp__event(g, (int)m->state != old_state ? GSP_EV_STATE : GSP_EV_UPDATE,
		   m, old_state, r.author);
	return 1;
}

void
gsp__declare(struct gsp *g, struct gsp_now now, struct member *subject,
	     uint8_t kind)
{
	struct gsp_record r;
	struct member *self = &g->m[0];
	uint8_t buf[GSP_REC_MAX];
	size_t len;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	memcpy(r.subject, subject->name, sizeof(r.subject));
	memcpy(r.author, self->name, sizeof(r.author));
	r.gen = subject->gen;
	r.inc = subject->inc;
	if (kind == GSP_REC_ALIVE) {
		memcpy(r.addrs, self->addrs, sizeof(r.addrs));
		r.n_addrs = self->n_addrs;
		memcpy(r.ns_name, self->ns_name, sizeof(r.ns_name));
		r.gossip = self->gossip;
		memcpy(r.cert, g->cert, g->cert_len);
		r.cert_len = g->cert_len;
	}
	int e = gsp_record_encode(&r, g->sk, buf, sizeof(buf), &len);
	/* Our own records fit GSP_REC_MAX whatever we announce. */
	assert(e == 0 || e == -ENOMEM);
	if (e) {
		if (e == -ENOMEM)
			gsp__oom(g);
		return;
	}
	if (subject == self) {
		if (kind == GSP_REC_ALIVE) {
			gsp__blob_set(g, &self->alive, buf, len);
			blob_clear(&self->state_rec);
			/* Every peer gets the new record with our next
			 * ping. */
			for (size_t i = 1; i < g->n; i++)
				g->m[i].knows_us = false;
		} else {
			gsp__blob_set(g, &self->state_rec, buf, len);
			self->state = (enum gsp_state)rank(kind);
		}
		gsp__queue(g, QUEUE_MEMBER, self->name, buf, len);
		return;
	}
	enum gsp_reject why;
	uint64_t drops = g->stats.oom_drops;
	int rc = gsp__apply(g, now, buf, len, &why);
	/* A record about a member we hold adds none: @subject stays. */
	assert(gsp__member_held(g, subject));
	/* Our own record about a peer is refused only when our certificate
	 * has expired, our clock went back past the member's generation, or
	 * there was no memory to check it. Then a suspicion must not keep
	 * its deadline in the past, or every tick would try again at once. */
	assert(rc >= 0 || why == GSP_REJ_EXPIRED || why == GSP_REJ_BOUNDS ||
	       g->stats.oom_drops > drops);
	(void)drops;
	if (rc < 0 && subject->state == GSP_SUSPECT)
		subject->suspect_deadline = now.ms + suspicion_ms(g);
}

void
gsp__reap(struct gsp *g, struct gsp_now now)
{
	for (size_t i = 1; i < g->n;) {
		struct member *m = &g->m[i];
		if (m->state < GSP_DEAD ||
		    now.ms - m->state_since < g->t.reap_ms) {
			i++;
			continue;
		}
		gsp__event(g, GSP_EV_REAPED, m, (int)m->state, NULL);
		bury(g, now, m);
		gsp__member_reach_free(m);
		blob_clear(&m->alive);
		blob_clear(&m->state_rec);
		for (size_t q = 0; q < g->n_queue; q++) {
			if (g->queue[q].family == QUEUE_MEMBER &&
			    strcmp(g->queue[q].subject, m->name) == 0) {
				blob_clear(&g->queue[q].rec);
				g->queue[q] = g->queue[--g->n_queue];
				break;
			}
		}
		g->m[i] = g->m[--g->n];
	}
}

void
gsp_update_self(struct gsp *g, struct gsp_now now, const struct ip_addr *addrs,
		size_t n_addrs, const char *ns_name)
{
	struct member *self = &g->m[0];

	if (n_addrs > GSP_ADDRS_MAX || g->left)
		return;
	memset(self->addrs, 0, sizeof(self->addrs));
	if (n_addrs)
		memcpy(self->addrs, addrs, n_addrs * sizeof(*addrs));
	self->n_addrs = n_addrs;
	snprintf(self->ns_name, sizeof(self->ns_name), "%s",
		 ns_name ? ns_name : "");
	self->inc = sat_add(self->inc, 1);
	gsp__declare(g, now, self, GSP_REC_ALIVE);
	gsp__event(g, GSP_EV_UPDATE, self, self->state, self->name);
}

void
gsp_set_keyring(struct gsp *g, const struct gsp_keyring *kr)
{
	if (kr)
		g->keyring = *kr;
	else
		memset(&g->keyring, 0, sizeof(g->keyring));
}

size_t
gsp_member_count(const struct gsp *g)
{
	return g->n;
}

bool
gsp_member_get(const struct gsp *g, size_t i, struct gsp_member_info *out)
{
	if (i >= g->n)
		return false;
	const struct member *m = &g->m[i];
	memset(out, 0, sizeof(*out));
	memcpy(out->name, m->name, sizeof(out->name));
	out->state = m->state;
	out->self = i == 0;
	out->gen = m->gen;
	out->inc = m->inc;
	memcpy(out->addrs, m->addrs, sizeof(out->addrs));
	out->n_addrs = m->n_addrs;
	memcpy(out->ns_name, m->ns_name, sizeof(out->ns_name));
	out->gossip = m->gossip;
	out->rtt_us = m->rtt_us;
	out->reached = i > 0 && gsp__reachable(m);
	out->last_ack_ms = m->last_ack;
	out->state_since_ms = m->state_since;
	memcpy(out->pk, m->pk, sizeof(out->pk));
	out->cert_not_before = m->cert_not_before;
	out->cert_not_after = m->cert_not_after;
	out->revoked = m->revoked;
	return true;
}

/* Our certificate @cert (@len bytes) with @sk: what gsp_new() and
 * gsp_set_identity() accept. Fills *@c. */
static bool
own_cert_ok(const struct gsp_trust *t, const char *name, const uint8_t *sk,
	    const uint8_t *cert, size_t len, uint64_t unix_s,
	    struct gsp_cert *c)
{
	uint8_t pk[GSP_PK_LEN];

	if (len > GSP_CERT_MAX || gsp_cert_decode(cert, len, c) ||
	    gsp_cert_verify(c, t, unix_s) || strcmp(c->name, name) != 0)
		return false;
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	return memcmp(pk, c->pk, GSP_PK_LEN) == 0;
}

int
gsp_set_identity(struct gsp *g, struct gsp_now now, const uint8_t *sk,
		 const uint8_t *cert, size_t cert_len)
{
	struct member *me = &g->m[0];
	struct gsp_cert c;

	if (!own_cert_ok(&g->trust, me->name, sk, cert, cert_len, now.unix_s,
			 &c) ||
	    gsp__revoked(g, c.name, c.pk, c.not_before, NULL))
		return -EINVAL;
	memcpy(g->sk, sk, GSP_SK_LEN);
	memcpy(g->cert, cert, cert_len);
	g->cert_len = cert_len;
	memcpy(me->pk, c.pk, GSP_PK_LEN);
	me->cert_not_before = c.not_before;
	me->cert_not_after = c.not_after;
	me->revoked = false;
	g->self_revoked = false;
	if (g->left)
		return 0;
	/* A new alive record with the new certificate, sent first to every
	 * peer: one holding our old key verifies our packets with the new
	 * one only once it has that record. */
	me->inc = sat_add(me->inc, 1);
	gsp__declare(g, now, me, GSP_REC_ALIVE);
	for (size_t i = 1; i < g->n; i++)
		g->m[i].knows_us = false;
	g->next_gossip = now.ms;
	return 0;
}

int
gsp_set_trust(struct gsp *g, struct gsp_now now, const uint8_t (*ca_pks)[32],
	      size_t n_ca)
{
	struct gsp_trust t = g->trust;
	struct gsp_cert c;

	if (n_ca < 1 || n_ca > GSP_CA_MAX)
		return -EINVAL;
	memcpy(t.ca_pk, ca_pks, n_ca * GSP_PK_LEN);
	t.n_ca = n_ca;
	if (!own_cert_ok(&t, g->m[0].name, g->sk, g->cert, g->cert_len,
			 now.unix_s, &c))
		return -EINVAL;
	g->trust = t;
	/* A member whose certificate no CA of ours signed now is refused as
	 * if it had expired, until it announces one that verifies. */
	for (size_t i = 1; i < g->n; i++) {
		struct member *m = &g->m[i];
		struct gsp_record *r =
			m->alive.data ? malloc(sizeof(*r)) : NULL;
		if (m->alive.data && !r) {
			gsp__oom(g);
			continue;
		}
		if (r &&
		    (gsp_record_decode(m->alive.data, m->alive.len, r) ||
		     gsp_cert_decode(r->cert, r->cert_len, &c) ||
		     gsp_cert_verify(&c, &t, c.not_before) == GSP_ECERTSIG))
			m->cert_not_after = 0;
		free(r);
	}
	gsp__intents_trust_changed(g, NULL);
	return 0;
}

void
gsp_self_cert(const struct gsp *g, struct gsp_cert *out)
{
	if (gsp_cert_decode(g->cert, g->cert_len, out))
		memset(out, 0, sizeof(*out));
}

bool
gsp_cert_expired(const struct gsp *g, struct gsp_now now)
{
	return !gsp__cert_valid(&g->m[0], now.unix_s);
}

bool
gsp_synced(const struct gsp *g)
{
	return g->synced;
}

const struct gsp_stats *
gsp_stats(const struct gsp *g)
{
	return &g->stats;
}

int
gsp_new(const struct gsp_self *self, struct gsp_now now, struct gsp **out)
{
	struct gsp_cert cert;
	uint8_t pk[GSP_PK_LEN];

	struct gsp_trust trust;

	*out = NULL;
	if (self->n_ca < 1 || self->n_ca > GSP_CA_MAX ||
	    strlen(self->cluster) >= GSP_NAME_LEN)
		return -EINVAL;
	memset(&trust, 0, sizeof(trust));
	memcpy(trust.ca_pk, self->ca_pks, self->n_ca * GSP_PK_LEN);
	trust.n_ca = self->n_ca;
	snprintf(trust.cluster, sizeof(trust.cluster), "%s", self->cluster);
	if (!own_cert_ok(&trust, self->name, self->sk, self->cert,
			 self->cert_len, now.unix_s, &cert) ||
	    self->n_addrs > GSP_ADDRS_MAX)
		return -EINVAL;
	memcpy(pk, cert.pk, GSP_PK_LEN);

	struct gsp *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	snprintf(g->cluster, sizeof(g->cluster), "%s", self->cluster);
	memcpy(g->sk, self->sk, GSP_SK_LEN);
	g->trust = trust;
	memcpy(g->cert, self->cert, self->cert_len);
	g->cert_len = self->cert_len;
	if (self->keyring)
		g->keyring = *self->keyring;
	g->t = self->timing;
	g->rand = self->rand;
	gsp__ring_init(&g->out, sizeof(struct gsp_out), 64);
	gsp__ring_init(&g->events, sizeof(struct gsp_event), 16);

	struct member *me = member_add(g, self->name);
	if (!me) {
		free(g);
		return -ENOMEM;
	}
	me->gen = self->generation;
	memcpy(me->pk, pk, GSP_PK_LEN);
	me->cert_not_before = cert.not_before;
	me->cert_not_after = cert.not_after;
	if (self->n_addrs)
		memcpy(me->addrs, self->addrs,
		       self->n_addrs * sizeof(*self->addrs));
	me->n_addrs = self->n_addrs;
	if (self->ns_name)
		snprintf(me->ns_name, sizeof(me->ns_name), "%s", self->ns_name);
	me->gossip = self->gossip;
	me->state_since = now.ms;
	gsp__declare(g, now, me, GSP_REC_ALIVE);
	g->next_gossip = now.ms + g->t.gossip_interval_ms;
	g->next_pushpull = now.ms + g->t.pushpull_interval_ms / 2 +
			   gsp__rand32(g) % (g->t.pushpull_interval_ms / 2 + 1);
	*out = g;
	return 0;
}

void
gsp_free(struct gsp *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		blob_clear(&g->m[i].alive);
		blob_clear(&g->m[i].state_rec);
		gsp__member_reach_free(&g->m[i]);
	}
	free(g->m);
	for (size_t i = 0; i < g->n_queue; i++)
		blob_clear(&g->queue[i].rec);
	free(g->queue);
	free(g->tombs);
	gsp__intents_free(g);
	gsp__revocations_free(g);
	for (size_t i = 0; i < g->out.n; i++)
		free(((struct gsp_out *)gsp__ring_at(&g->out, i))->data);
	gsp__ring_fini(&g->out);
	gsp__ring_fini(&g->events);
	sodium_memzero(g->sk, sizeof(g->sk));
	free(g);
}
