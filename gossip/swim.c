/*
 * SWIM over signed packets: each round every peer gets a ping; a ping not
 * acked within the timeout is retried directly and through k other peers
 * (ping-req); a peer that no path reached is suspected, and dead when the
 * suspicion is not refuted in time. New records ride on every packet
 * (piggyback) and on gossip packets to a few random peers; a periodic
 * full-state push-pull over TCP makes convergence independent of luck.
 */
#include "gossip/internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_MAX (4u << 20)

/* --- the outbox --- */

/* Queues @o for sending; takes its data. */
static void
out_push(struct gsp *g, const struct gsp_out *o)
{
	struct gsp_out *slot = gsp__ring_push(&g->out);

	if (!slot) {
		gsp__oom(g);
		free(o->data);
		return;
	}
	*slot = *o;
}

bool
gsp_out_next(struct gsp *g, struct gsp_out *out)
{
	return gsp__ring_pop(&g->out, out);
}

/* Encodes (and seals, with a keyring) an envelope; NULL on failure. */
static uint8_t *
build(struct gsp *g, uint8_t type, uint32_t seq, const char *target,
      const uint8_t *const *recs, const size_t *lens, size_t n, size_t cap,
      size_t *len)
{
	uint8_t *plain = malloc(cap);

	if (!plain) {
		gsp__oom(g);
		return NULL;
	}
	int e = gsp_msg_encode(g->cluster, g->m[0].name, type, seq, target,
			       gsp__digest(g), recs, lens, n, g->sk, plain, cap,
			       len);
	if (e) {
		if (e == -ENOMEM)
			gsp__oom(g);
		free(plain);
		return NULL;
	}
	if (!g->keyring.n)
		return plain;
	uint8_t nonce[GSP_NONCE_LEN];
	size_t sealed_cap = *len + GSP_SEAL_OVERHEAD;
	uint8_t *sealed = malloc(sealed_cap);
	g->rand.fill(g->rand.ctx, nonce, sizeof(nonce));
	if (!sealed)
		gsp__oom(g);
	if (!sealed || gsp_seal(&g->keyring, nonce, plain, *len, sealed,
				sealed_cap, len)) {
		free(sealed);
		sealed = NULL;
	}
	free(plain);
	return sealed;
}

struct picked {
	const uint8_t *recs[64];
	size_t lens[64];
	size_t n, budget;
};

static bool
take(struct picked *p, const struct blob *b)
{
	if (!b->data || p->n == 64 || b->len + 8 > p->budget)
		return false;
	p->recs[p->n] = b->data;
	p->lens[p->n++] = b->len;
	p->budget -= b->len + 8;
	return true;
}

/* Chooses the records to piggyback for @m: our alive record if it may not
 * have it, its own suspicion (so it can refute), then queued records in
 * queue order, within the datagram budget. */
static void
piggyback(struct gsp *g, const struct member *m, struct picked *p)
{
	const struct member *self = &g->m[0];

	p->n = 0;
	p->budget = g->t.udp_max - ENVELOPE_OVERHEAD;
	if (m && (!m->knows_us || g->left)) {
		take(p, &self->alive);
		take(p, &self->state_rec);
	}
	if (m && m->state != GSP_LEFT)
		take(p, &m->state_rec);
	/* Membership and intents first; reachability rows with what room
	 * is left (push-pull carries them all anyway). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < g->n_queue && p->budget > 64; i++) {
			if ((g->queue[i].family == QUEUE_ROW) != (pass == 1))
				continue;
			if (!take(p, &g->queue[i].rec))
				continue;
			/* drop_spent() ran after the last packet. */
			assert(g->queue[i].transmits > 0);
			g->queue[i].transmits--;
		}
	}
}

/* Drops queued records that have been sent often enough. Called once the
 * packet that pointed at them is built. */
static void
drop_spent(struct gsp *g)
{
	for (size_t i = 0; i < g->n_queue;) {
		if (g->queue[i].transmits == 0) {
			free(g->queue[i].rec.data);
			g->queue[i] = g->queue[--g->n_queue];
		} else {
			i++;
		}
	}
}

void
gsp__send(struct gsp *g, struct gsp_now now, struct member *m,
	  const struct gsp_endpoint *to, uint8_t type, uint32_t seq,
	  const char *target)
{
	struct picked p;
	struct gsp_out o;

	assert(!m || gsp__member_held(g, m));
	memset(&o, 0, sizeof(o));
	piggyback(g, m, &p);
	o.data = build(g, type, seq, target, p.recs, p.lens, p.n, g->t.udp_max,
		       &o.len);
	drop_spent(g);
	if (!o.data)
		return;
	o.transport = GSP_OUT_UDP;
	o.to = m ? m->gossip : *to;
	if (m)
		memcpy(o.peer, m->name, sizeof(o.peer));
	o.type = type;
	g->stats.sent[type]++;
	g->stats.bytes_sent += o.len;
	out_push(g, &o);
}

/* --- full state (push-pull) --- */

struct recs {
	const uint8_t **recs;
	size_t *lens;
	size_t n, total;
};

/* Adds @b unless it is empty or the frame holds its most records. */
static void
add(struct recs *r, const struct blob *b)
{
	if (!b->data || r->n == GSP_MSG_RECS_MAX)
		return;
	r->recs[r->n] = b->data;
	r->lens[r->n++] = b->len;
	r->total += b->len + 8;
}

/* Adds blobs @at(0..n-1) starting at *@from and wrapping, while there is
 * room; the next exchange starts where this one stopped, so a state
 * larger than one frame goes out in pages instead of always losing the
 * same tail. */
static void
add_paged(struct recs *r, size_t n, size_t *from,
	  const struct blob *(*at)(const struct gsp *g, size_t i),
	  const struct gsp *g)
{
	size_t i = 0;

	if (!n)
		return;
	*from %= n;
	for (; i < n && r->n < GSP_MSG_RECS_MAX; i++)
		add(r, at(g, (*from + i) % n));
	if (i < n)
		*from = (*from + i) % n;
}

static const struct blob *
intent_at(const struct gsp *g, size_t i)
{
	return &g->intents[i].rec;
}

static const struct blob *
revoke_at(const struct gsp *g, size_t i)
{
	return &g->revs[i].rec;
}

static const struct blob *
row_at(const struct gsp *g, size_t i)
{
	return &g->m[i].row_rec;
}

/* Our full state: every member's alive and state records, the
 * revocations, then the intents, then reachability rows, as many as one
 * frame carries. */
static uint8_t *
full_state(struct gsp *g, uint8_t type, size_t *len)
{
	size_t cap = 3 * g->n + g->n_intents + g->n_revs + 1;
	struct recs r = { calloc(cap, sizeof(*r.recs)),
			  calloc(cap, sizeof(*r.lens)), 0, 0 };
	uint8_t *data = NULL;

	if (!r.recs || !r.lens) {
		gsp__oom(g);
		goto out;
	}
	for (size_t i = 0; i < g->n; i++) {
		add(&r, &g->m[i].alive);
		add(&r, &g->m[i].state_rec);
	}
	size_t from = 0;
	add_paged(&r, g->n_revs, &from, revoke_at, g);
	add_paged(&r, g->n_intents, &g->page_intents, intent_at, g);
	add_paged(&r, g->n, &g->page_rows, row_at, g);
	data = build(g, type, gsp__rand32(g), "", r.recs, r.lens, r.n,
		     r.total + ENVELOPE_OVERHEAD, len);
out:
	free(r.recs);
	free(r.lens);
	return data;
}

static void
pushpull_to(struct gsp *g, const struct gsp_endpoint *to, const char *peer)
{
	struct gsp_out o;

	memset(&o, 0, sizeof(o));
	o.data = full_state(g, GSP_MSG_PUSH, &o.len);
	if (!o.data)
		return;
	o.transport = GSP_OUT_TCP;
	o.to = *to;
	if (peer)
		snprintf(o.peer, sizeof(o.peer), "%s", peer);
	o.type = GSP_MSG_PUSH;
	g->stats.sent[GSP_MSG_PUSH]++;
	g->stats.bytes_sent += o.len;
	out_push(g, &o);
}

void
gsp_join(struct gsp *g, struct gsp_now now, const struct gsp_endpoint *seeds,
	 size_t n)
{
	g->n_seeds = n < 16 ? n : 16;
	memcpy(g->seeds, seeds, g->n_seeds * sizeof(*seeds));
	for (size_t i = 0; i < g->n_seeds; i++)
		pushpull_to(g, &g->seeds[i], NULL);
	g->next_join = now.ms + g->t.probe_interval_ms;
}

/* Until a first exchange succeeded, and whenever no peer is active, ask
 * the seeds again: a seed that was not up yet, or a node that lost
 * everyone, finds its way back. */
static void
rejoin(struct gsp *g, struct gsp_now now)
{
	if (!g->n_seeds || now.ms < g->next_join)
		return;
	bool alone = gsp__active(g) <= 1;
	if (g->synced && !alone) {
		g->next_join = now.ms + g->t.pushpull_interval_ms;
		return;
	}
	for (size_t i = 0; i < g->n_seeds; i++)
		pushpull_to(g, &g->seeds[i], NULL);
	g->next_join = now.ms + (g->synced ? g->t.pushpull_interval_ms
					   : g->t.probe_interval_ms);
}

/* --- receiving --- */

static void
reject(struct gsp *g, enum gsp_reject why)
{
	assert(why < GSP_REJ__COUNT);
	g->stats.rejected[why]++;
	if (g->from)
		g->stats.last_source[why] = g->from->ip;
}

/* Applies a record of a packet, counting it when it is refused. */
static void
apply(struct gsp *g, struct gsp_now now, const uint8_t *rec, size_t len)
{
	enum gsp_reject why;

	if (gsp__apply(g, now, rec, len, &why) < 0)
		reject(g, why);
}

static bool
same_ip(const struct ip_addr *a, const struct ip_addr *b)
{
	size_t n = a->family == 6 ? 16 : 4;

	return a->family == b->family && !memcmp(a->bytes, b->bytes, n);
}

/* The sender's own alive record in @msg, newer than the one we hold of
 * it (@s, NULL when unknown), and the key its certificate (our CA's, for
 * that name, valid now) certifies. Returns its index, or GSP_EREJECTED
 * (*why says why) when there is none that verifies; a record that is not newer
 * costs no signature check. */
static int
own_alive(struct gsp *g, struct gsp_now now, const struct gsp_msg *msg,
	  const struct member *s, uint8_t *pk, enum gsp_reject *why)
{
	struct gsp_record *r = malloc(sizeof(*r)); /* 7.5 KB */
	int rc = gsp__refuse(why, GSP_REJ_UNKNOWN);

	if (!r)
		gsp__oom(g);

	for (size_t i = 0; r && i < msg->n_recs; i++) {
		struct gsp_cert cert;
		if (gsp_record_decode(msg->recs[i], msg->rec_len[i], r) ||
		    r->kind != GSP_REC_ALIVE ||
		    strcmp(r->subject, msg->sender) != 0 ||
		    strcmp(r->author, msg->sender) != 0)
			continue;
		if (s && s->alive.data &&
		    (r->gen < s->alive_gen ||
		     (r->gen == s->alive_gen && r->inc <= s->alive_inc)))
			break; /* what we already hold, or older */
		int v = gsp_cert_decode(r->cert, r->cert_len, &cert)
				? -EBADMSG
				: gsp_cert_verify(&cert, &g->trust, now.unix_s);
		if (v == GSP_ECERTEXPIRED)
			rc = gsp__refuse(why, GSP_REJ_EXPIRED);
		else if (v || strcmp(cert.name, r->subject) != 0)
			rc = gsp__refuse(why, GSP_REJ_CERT);
		else if (gsp__revoked(g, cert.name, cert.pk, cert.not_before,
				      NULL))
			rc = gsp__refuse(why, GSP_REJ_REVOKED);
		else if (!gsp__sig_ok(g, gsp_record_check(r, cert.pk)))
			rc = gsp__refuse(why, GSP_REJ_SIGNATURE);
		else {
			memcpy(pk, cert.pk, GSP_PK_LEN);
			rc = (int)i;
		}
		break;
	}
	free(r);
	return rc;
}

/* Verifies the envelope: with the key we hold for its sender, or else
 * (first contact, or a member back with a new key or a renewed
 * certificate) with the key of the sender's own newer alive record in
 * the packet, which is then applied. Nothing in the packet is applied
 * before the envelope verifies. Returns the sender or NULL (counted). */
static struct member *
authenticate(struct gsp *g, struct gsp_now now, const struct gsp_msg *msg)
{
	struct member *s = gsp__find(g, msg->sender);
	uint8_t pk[GSP_PK_LEN];
	enum gsp_reject code = GSP_REJ_UNKNOWN, why;

	if (s == &g->m[0]) {
		reject(g, GSP_REJ_SIGNATURE); /* our name, not ours */
		return NULL;
	}
	if (s && s->alive.data) {
		if (s->revoked)
			code = GSP_REJ_REVOKED;
		else if (!gsp__cert_valid(s, now.unix_s))
			code = GSP_REJ_EXPIRED;
		else if (!gsp__sig_ok(g, gsp_msg_check(msg, s->pk)))
			code = GSP_REJ_SIGNATURE;
		else
			return s;
	}
	int at = own_alive(g, now, msg, s, pk, &why);
	if (at < 0) {
		/* First contact: why its record did not do; a known sender:
		 * why the key we hold did not. */
		reject(g, s && s->alive.data ? code : why);
		return NULL;
	}
	if (!gsp__sig_ok(g, gsp_msg_check(msg, pk))) {
		reject(g, GSP_REJ_SIGNATURE);
		return NULL;
	}
	apply(g, now, msg->recs[at], msg->rec_len[at]);
	s = gsp__find(g, msg->sender);
	if (!s || !s->alive.data || memcmp(s->pk, pk, GSP_PK_LEN) != 0) {
		reject(g, code); /* a buried member, or no memory */
		return NULL;
	}
	return s;
}

/* Opens, decodes and authenticates a packet; @from is the datagram's
 * source, NULL for a stream. Returns the sender, or NULL (counted) when
 * the packet is not to be believed. */
static struct member *
open_packet(struct gsp *g, struct gsp_now now, const struct gsp_endpoint *from,
	    const uint8_t *buf, size_t len, struct gsp_msg *msg,
	    uint8_t **plain_out)
{
	uint8_t *plain = NULL;

	*plain_out = NULL;
	if (len >= GSP_HDR_LEN && buf[0] == GSP_MAGIC0 &&
	    buf[1] == GSP_MAGIC1 && buf[2] == GSP_VERSION_SEALED) {
		size_t plen;
		plain = malloc(len);
		if (!plain) {
			gsp__oom(g);
			return NULL;
		}
		int rc = gsp_open(&g->keyring, buf, len, plain, len, &plen);
		if (rc) {
			free(plain);
			reject(g, GSP_REJ_DECRYPT);
			return NULL;
		}
		buf = plain;
		len = plen;
	} else if (g->keyring.n) {
		reject(g, GSP_REJ_PLAIN);
		return NULL;
	}
	if (gsp_msg_decode(buf, len, msg)) {
		free(plain);
		reject(g, GSP_REJ_DECODE);
		return NULL;
	}
	if (strcmp(msg->cluster, g->cluster) != 0) {
		reject(g, GSP_REJ_CLUSTER);
		goto fail;
	}
	/* Cheap checks before a signature costs anything: a datagram comes
	 * from the address and port its sender gossips from (every node
	 * sends from its gossip socket), and within the verifications its
	 * source may spend. */
	const struct member *k = gsp__find(g, msg->sender);
	if (from && k && k->alive.data &&
	    (!same_ip(&from->ip, &k->gossip.ip) ||
	     from->port != k->gossip.port)) {
		reject(g, GSP_REJ_SOURCE);
		goto fail;
	}
	if (from &&
	    !gsp__budget_take(g, now, k && k->alive.data ? &from->ip : NULL)) {
		reject(g, GSP_REJ_SOURCE);
		goto fail;
	}
	struct member *s = authenticate(g, now, msg);
	if (!s)
		goto fail;
	for (size_t i = 0; i < msg->n_recs; i++)
		apply(g, now, msg->recs[i], msg->rec_len[i]);
	*plain_out = plain;
	/* The apply loop may have moved members in memory. */
	s = gsp__find(g, msg->sender);
	if (s) {
		s->digest = msg->digest;
		s->has_digest = true;
		if (msg->digest == gsp__digest(g))
			s->differs_since = 0;
		else if (!s->differs_since)
			s->differs_since = now.ms ? now.ms : 1;
	}
	return s;
fail:
	gsp_msg_fini(msg);
	free(plain);
	return NULL;
}

static void
observe_rtt(struct gsp *g, uint64_t rtt_us)
{
	static const uint64_t bounds[GSP_RTT_NBOUNDS] = GSP_RTT_BOUNDS;
	size_t b = 0;

	while (b < GSP_RTT_NBOUNDS && rtt_us > bounds[b])
		b++;
	g->stats.rtt_buckets[b]++;
	g->stats.rtt_sum_us += rtt_us;
}

static void
ack_received(struct gsp *g, struct gsp_now now, struct member *from,
	     const struct gsp_msg *msg)
{
	from->knows_us = true;
	/* A relayed ack: the target of our probe answered someone else. */
	struct member *t = msg->target[0] ? gsp__find(g, msg->target) : from;
	if (t && t->probing && t->probe_seq == msg->seq) {
		t->probing = false;
		t->reached = t == from;
		if (t == from) {
			/* From the last ping we sent: an answer to a retry
			 * must not count the wait before it. */
			uint64_t rtt = gsp__now_us(now) - t->probe_sent_us;
			t->rtt_us = t->rtt_us ? (7 * t->rtt_us + rtt) / 8 : rtt;
			t->last_ack = now.ms;
			observe_rtt(g, rtt);
			gsp__reach_observe(g, t, PROBE_DIRECT, rtt,
					   !t->retried);
		} else {
			gsp__reach_observe(g, t, PROBE_INDIRECT, 0, false);
		}
		return;
	}
	/* An ack for a probe we made on someone's behalf. */
	for (size_t i = 0; i < g->n_relays; i++) {
		struct relay *r = &g->relays[i];
		if (r->seq != msg->seq)
			continue;
		struct member *req = gsp__find(g, r->requester);
		if (req)
			gsp__send(g, now, req, NULL, GSP_MSG_ACK, r->their_seq,
				  from->name);
		g->relays[i] = g->relays[--g->n_relays];
		return;
	}
}

void
gsp_recv(struct gsp *g, struct gsp_now now, const struct gsp_endpoint *from,
	 const uint8_t *buf, size_t len)
{
	struct gsp_msg *msg = calloc(1, sizeof(*msg));
	uint8_t *plain;

	if (!msg) {
		gsp__oom(g);
		return;
	}
	g->stats.bytes_recv += len;
	g->from = from;
	struct member *s = open_packet(g, now, from, buf, len, msg, &plain);
	if (!s || g->left)
		goto out;
	g->stats.recv[msg->type]++;
	switch (msg->type) {
	case GSP_MSG_PING:
		if (msg->target[0] && strcmp(msg->target, g->m[0].name) != 0)
			break; /* meant for a node that had our address */
		gsp__send(g, now, s, NULL, GSP_MSG_ACK, msg->seq, NULL);
		break;
	case GSP_MSG_ACK:
		ack_received(g, now, s, msg);
		break;
	case GSP_MSG_PING_REQ: {
		struct member *t = gsp__find(g, msg->target);
		if (!t || t == &g->m[0] || g->n_relays == RELAYS_MAX)
			break;
		struct relay *r = &g->relays[g->n_relays++];
		r->seq = gsp__rand32(g);
		r->their_seq = msg->seq;
		memcpy(r->requester, s->name, sizeof(r->requester));
		r->to = t->gossip;
		r->deadline = now.ms + g->t.probe_interval_ms;
		gsp__send(g, now, t, NULL, GSP_MSG_PING, r->seq, t->name);
		break;
	}
	default:
		break; /* gossip: the records were the message */
	}
out:
	g->from = NULL;
	gsp_msg_fini(msg);
	free(plain);
	free(msg);
}

int
gsp_stream_input(struct gsp *g, struct gsp_now now, const uint8_t *buf,
		 size_t len, uint8_t **reply, size_t *reply_len)
{
	struct gsp_msg *msg = calloc(1, sizeof(*msg));
	uint8_t *plain;
	int rc = -EBADMSG;

	*reply = NULL;
	*reply_len = 0;
	if (!msg) {
		gsp__oom(g);
		return -ENOMEM;
	}
	g->stats.bytes_recv += len;
	struct member *s = open_packet(g, now, NULL, buf, len, msg, &plain);
	if (!s)
		goto out;
	g->stats.recv[msg->type]++;
	if (msg->type == GSP_MSG_PUSH) {
		*reply = full_state(g, GSP_MSG_PULL, reply_len);
		if (*reply) {
			g->stats.sent[GSP_MSG_PULL]++;
			g->stats.bytes_sent += *reply_len;
		}
		rc = 0;
	} else if (msg->type == GSP_MSG_PULL) {
		rc = 0;
	}
	if (rc == 0 && !g->synced) {
		g->synced = true;
		gsp__event(g, GSP_EV_SYNCED, NULL, -1, s->name);
	}
out:
	gsp_msg_fini(msg);
	free(plain);
	free(msg);
	return rc;
}

/* --- timers --- */

/* Up to @k random alive members other than self and @not. */
static size_t
pick(struct gsp *g, const struct member * not, struct member **out, size_t k,
     bool with_dead)
{
	size_t n = 0;

	/* Reservoir sampling over the eligible members. */
	for (size_t i = 1, seen = 0; i < g->n; i++) {
		struct member *m = &g->m[i];
		if (m == not || m->state == GSP_LEFT ||
		    (m->state == GSP_DEAD && !with_dead))
			continue;
		seen++;
		if (n < k) {
			out[n++] = m;
		} else {
			size_t j = gsp__rand32(g) % seen;
			if (j < k)
				out[j] = m;
		}
	}
	return n;
}

static void
probe_tick(struct gsp *g, struct gsp_now now, struct member *m)
{
	if (m->state == GSP_LEFT)
		return;
	/* Half way to the timeout, a second direct ping: a lossy path then
	 * shows as loss, and only a broken one as unreachable. */
	if (m->probing && !m->retried &&
	    now.ms >= m->probe_sent + g->t.probe_timeout_ms / 2) {
		m->retried = true;
		m->probe_sent_us = gsp__now_us(now);
		gsp__send(g, now, m, NULL, GSP_MSG_PING, m->probe_seq, m->name);
	}
	if (m->probing && !m->indirect_sent &&
	    now.ms >= m->probe_sent + g->t.probe_timeout_ms) {
		struct member *via[16];
		size_t k = g->t.indirect_k < 16 ? g->t.indirect_k : 16;
		/* A dead member gets no help: it is probed only so that it
		 * hears about its death and can refute it. */
		size_t n = m->state == GSP_DEAD ? 0 : pick(g, m, via, k, false);
		m->indirect_sent = true;
		m->probe_sent_us = gsp__now_us(now);
		gsp__send(g, now, m, NULL, GSP_MSG_PING, m->probe_seq, m->name);
		for (size_t i = 0; i < n; i++)
			gsp__send(g, now, via[i], NULL, GSP_MSG_PING_REQ,
				  m->probe_seq, m->name);
	}
	if (m->probing && now.ms >= m->probe_sent + g->t.probe_interval_ms) {
		m->probing = false;
		m->reached = false;
		gsp__reach_observe(g, m, PROBE_FAILED, 0, false);
		/* No path reached it this round. */
		if (m->state == GSP_ALIVE)
			gsp__declare(g, now, m, GSP_REC_SUSPECT);
	}
	if (!m->probing && now.ms >= m->next_probe) {
		m->probing = true;
		m->indirect_sent = false;
		m->retried = false;
		m->probe_seq = gsp__rand32(g);
		m->probe_sent = now.ms;
		m->probe_sent_us = gsp__now_us(now);
		m->next_probe += g->t.probe_interval_ms;
		if (m->next_probe <= now.ms)
			m->next_probe = now.ms + g->t.probe_interval_ms;
		gsp__send(g, now, m, NULL, GSP_MSG_PING, m->probe_seq, m->name);
	}
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* A peer whose intents have differed from ours for a while gets a
 * push-pull now rather than at the next periodic one: piggyback carries a
 * few intents per packet, so after many changes at once (a burst of
 * drains, a node back with an old file) the periodic exchange alone would
 * leave `drain --wait` waiting for it. At most one every REPAIR_MS, so a
 * peer that lies about its digest costs little. */
#define REPAIR_AFTER_MS 1000
#define REPAIR_MS 2000

static void
repair(struct gsp *g, struct gsp_now now)
{
	if (now.ms < g->next_repair)
		return;
	for (size_t i = 1; i < g->n; i++) {
		struct member *m = &g->m[i];
		if (m->state != GSP_ALIVE || !m->differs_since ||
		    now.ms - m->differs_since < REPAIR_AFTER_MS)
			continue;
		m->differs_since = now.ms; /* again after a while */
		g->next_repair = now.ms + REPAIR_MS;
		pushpull_to(g, &m->gossip, m->name);
		return;
	}
}

uint64_t
gsp_tick(struct gsp *g, struct gsp_now now)
{
	uint64_t next = NO_DEADLINE;

	if (g->left)
		return NO_DEADLINE;
	/* Revoked: every peer refuses what we say. We stop gossiping and
	 * keep only the expiry of the intents we hold. */
	if (g->self_revoked) {
		next = gsp__intent_tick(g, now);
		return next > now.ms ? next : now.ms + 1;
	}
	/* With our own certificate expired every peer refuses what we say,
	 * and we would take their silence for deaths: no probing, no
	 * suspicion, until a new certificate. Records from peers are still
	 * applied, so drains still reach us. */
	bool expired = gsp_cert_expired(g, now);
	if (expired && !g->cert_expired)
		gsp__event(g, GSP_EV_CERT_EXPIRED, &g->m[0], -1, NULL);
	g->cert_expired = expired;
	for (size_t i = 1; i < g->n && !expired; i++) {
		struct member *m = &g->m[i];
		probe_tick(g, now, m);
		if (m->state == GSP_SUSPECT && now.ms >= m->suspect_deadline)
			gsp__declare(g, now, m, GSP_REC_DEAD);
	}
	for (size_t i = 0; i < g->n_relays;) {
		if (now.ms >= g->relays[i].deadline)
			g->relays[i] = g->relays[--g->n_relays];
		else
			i++;
	}
	if (now.ms >= g->next_gossip) {
		g->next_gossip = now.ms + g->t.gossip_interval_ms;
		if (g->n_queue) {
			struct member *to[16];
			size_t k = g->t.gossip_fanout < 16 ? g->t.gossip_fanout
							   : 16;
			size_t n = pick(g, NULL, to, k, false);
			for (size_t i = 0; i < n; i++)
				gsp__send(g, now, to[i], NULL, GSP_MSG_GOSSIP,
					  0, NULL);
		}
	}
	if (now.ms >= g->next_pushpull) {
		struct member *to[1];
		g->next_pushpull = now.ms + g->t.pushpull_interval_ms;
		if (pick(g, NULL, to, 1, true))
			pushpull_to(g, &to[0]->gossip, to[0]->name);
	}
	repair(g, now);
	gsp__reap(g, now);
	rejoin(g, now);
	next = min64(next, gsp__intent_tick(g, now));
	next = min64(next, gsp__reach_tick(g, now));

	next = min64(next, g->next_gossip);
	if (g->n_seeds)
		next = min64(next, g->next_join);
	next = min64(next, g->next_pushpull);
	for (size_t i = 1; i < g->n && !expired; i++) {
		struct member *m = &g->m[i];
		if (m->state == GSP_LEFT)
			continue;
		if (m->probing) {
			uint64_t at =
				!m->retried ? m->probe_sent +
						      g->t.probe_timeout_ms / 2
				: !m->indirect_sent
					? m->probe_sent + g->t.probe_timeout_ms
					: m->probe_sent +
						  g->t.probe_interval_ms;
			next = min64(next, at);
		} else {
			next = min64(next, m->next_probe);
		}
		next = min64(next, m->suspect_deadline);
	}
	/* Every deadline is in the future: a state machine that asks to be
	 * called again at once would keep its caller from anything else. */
	assert(next > now.ms);
	return next > now.ms ? next : now.ms + 1;
}

void
gsp_leave(struct gsp *g, struct gsp_now now)
{
	struct member *self = &g->m[0];

	if (g->left)
		return;
	gsp__declare(g, now, self, GSP_REC_LEFT);
	g->left = true;
	/* Tell every peer directly: there is no next round for us. */
	for (size_t i = 1; i < g->n; i++)
		if (g->m[i].state <= GSP_SUSPECT)
			gsp__send(g, now, &g->m[i], NULL, GSP_MSG_GOSSIP, 0,
				  NULL);
}
