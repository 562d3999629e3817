/*
 * Reachability: each node's own observation of its peers, published as a
 * signed row, and the matrix of every node's rows. Split views (observers
 * disagreeing about a target) are reported once per change.
 */
#include "gossip/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 32 /* probes counted for loss */
#define RECENT 3  /* reachable: a direct ack within this many probes */
#define STALE_PERIODS 3

static int
popcount32(uint32_t v)
{
	return __builtin_popcount(v);
}

bool
gsp__reachable(const struct member *m)
{
	uint32_t recent = (1u << RECENT) - 1;
	uint8_t n = m->n_outcomes < RECENT ? m->n_outcomes : RECENT;

	if (n == 0)
		return m->reached; /* no probe yet: presumed */
	/* Some of the last RECENT probes was acked directly. */
	return popcount32(m->outcomes & recent & ((1u << n) - 1)) < n;
}

void
gsp__reach_observe(struct gsp *g, struct member *m, enum probe_outcome o,
		   uint64_t rtt_us, bool first_try)
{
	m->outcomes = m->outcomes << 1 | (o != PROBE_DIRECT);
	/* Loss is that of single round trips: the first ping of a probe
	 * answered before the retry went out, or not. */
	m->first_lost = m->first_lost << 1 | !first_try;
	if (m->n_outcomes < WINDOW)
		m->n_outcomes++;
	m->indirect = o == PROBE_INDIRECT;
	if (o == PROBE_DIRECT) {
		m->samples[m->next_sample] =
			rtt_us > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt_us;
		m->next_sample = (uint8_t)((m->next_sample + 1) % 32);
		if (m->n_samples < 32)
			m->n_samples++;
	}
	bool now_reach = gsp__reachable(m);
	if (!m->view_known || now_reach != m->view) {
		g->split_dirty = true;
		bool report = m->view_known;
		m->view = now_reach;
		m->view_known = true;
		g->row_dirty = true;
		struct gsp_event *ev =
			report ? gsp__event(g, GSP_EV_REACH, m, -1, NULL)
			       : NULL;
		if (ev)
			ev->new_state = now_reach;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void
percentiles(const struct member *m, uint32_t *p50, uint32_t *p99)
{
	uint32_t s[32];

	*p50 = *p99 = 0;
	if (!m->n_samples)
		return;
	memcpy(s, m->samples, m->n_samples * sizeof(s[0]));
	qsort(s, m->n_samples, sizeof(s[0]), cmp_u32);
	*p50 = s[(m->n_samples - 1) / 2];
	*p99 = s[(m->n_samples * 99 + 99) / 100 - 1];
}

/* Our own cell for @m, now. */
static void
own_cell(const struct member *m, struct gsp_now now, struct gsp_row_cell *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->peer, m->name, sizeof(c->peer));
	c->flags =
		(uint8_t)((gsp__reachable(m) ? 1 : 0) | (m->indirect ? 2 : 0));
	c->rtt_us = m->rtt_us > UINT32_MAX ? UINT32_MAX : (uint32_t)m->rtt_us;
	percentiles(m, &c->p50_us, &c->p99_us);
	uint32_t mask =
		m->n_outcomes >= 32 ? UINT32_MAX : (1u << m->n_outcomes) - 1;
	int fails = popcount32(m->first_lost & mask);
	c->loss_permille =
		m->n_outcomes ? (uint16_t)(fails * 1000 / m->n_outcomes) : 0;
	c->last_ack_ms = m->last_ack ? now.ms - m->last_ack : UINT64_MAX;
}

static bool
observed(const struct member *m)
{
	return m->state != GSP_LEFT;
}

static void
publish(struct gsp *g, struct gsp_now now)
{
	struct gsp_record *r = calloc(1, sizeof(*r));
	uint8_t *buf = malloc(GSP_REC_MAX);
	struct member *self = &g->m[0];
	size_t len;

	if (!r || !buf) {
		gsp__oom(g);
		goto out;
	}
	r->kind = GSP_REC_ROW;
	memcpy(r->subject, self->name, sizeof(r->subject));
	memcpy(r->author, self->name, sizeof(r->author));
	r->gen = self->gen;
	gsp_record_set_row_number(r, ++g->row_inc);
	r->observed_at = now.unix_s;
	for (size_t i = 1; i < g->n && r->n_cells < GSP_ROW_MAX; i++)
		if (observed(&g->m[i]))
			own_cell(&g->m[i], now, &r->cells[r->n_cells++]);
	int e = gsp_record_encode(r, g->sk, buf, GSP_REC_MAX, &len);
	if (e == 0) {
		gsp__blob_set(g, &self->row_rec, buf, len);
		gsp__queue(g, QUEUE_ROW, self->name, buf, len);
	} else if (e == -ENOMEM) {
		gsp__oom(g);
	}
	g->row_dirty = false;
out:
	free(r);
	free(buf);
}

/* Whether row @r says another "reachable" than @old for some peer. */
static bool
reach_changed(const struct gsp_record *old, const struct gsp_record *r)
{
	if (!old || old->n_cells != r->n_cells)
		return true;
	for (size_t i = 0; i < r->n_cells; i++) {
		const struct gsp_row_cell *c = &r->cells[i];
		bool found = false;
		for (size_t k = 0; k < old->n_cells && !found; k++) {
			if (strcmp(old->cells[k].peer, c->peer) != 0)
				continue;
			found = true;
			if ((old->cells[k].flags & 1) != (c->flags & 1))
				return true;
		}
		if (!found)
			return true;
	}
	return false;
}

int
gsp__row_apply(struct gsp *g, struct gsp_now now, const struct gsp_record *r,
	       const uint8_t *rec, size_t len, enum gsp_reject *why)
{
	struct member *m = gsp__find(g, r->subject);

	if (!m || !m->alive.data || strcmp(r->author, r->subject) != 0)
		return gsp__refuse(why, GSP_REJ_UNKNOWN);
	if (m == &g->m[0])
		return 0; /* our own, echoed back */
	if (m->row_rec.len == len && !memcmp(m->row_rec.data, rec, len))
		return 0;
	/* Ordered by (generation, number). The row held is compared with
	 * its own generation: after a restart the member's new generation
	 * often arrives first, and the new rows count again from 1. */
	if (r->gen < m->gen ||
	    (m->row && (r->gen < m->row->gen ||
			(r->gen == m->row->gen &&
			 gsp_record_row_number(r) <= m->row_inc))))
		return gsp__refuse(why, GSP_REJ_OLD);
	if (m->revoked)
		return gsp__refuse(why, GSP_REJ_REVOKED);
	if (!gsp__cert_valid(m, now.unix_s))
		return gsp__refuse(why, GSP_REJ_EXPIRED);
	if (!gsp__sig_ok(g, gsp_record_check(r, m->pk)))
		return gsp__refuse(why, GSP_REJ_SIGNATURE);
	bool news = reach_changed(m->row, r);
	if (!m->row)
		m->row = malloc(sizeof(*m->row));
	if (!m->row) {
		gsp__oom(g);
		return 0;
	}
	*m->row = *r;
	m->row->tbs = NULL;
	m->row->sig = NULL;
	m->row_inc = gsp_record_row_number(r);
	g->split_dirty = true;
	/* Forwarded only when it says something new about who reaches
	 * whom (what split views are made of); periodic refreshes travel in
	 * push-pull. Forwarding every row from every node cost a 50-node
	 * cluster ~90 KB/s per node. */
	gsp__blob_set(g, &m->row_rec, rec, len);
	if (news)
		gsp__queue(g, QUEUE_ROW, m->name, rec, len);
	return 1;
}

void
gsp__member_reach_free(struct member *m)
{
	free(m->row);
	m->row = NULL;
	free(m->row_rec.data);
	m->row_rec.data = NULL;
	m->row_rec.len = 0;
}

size_t
gsp_reach_count(const struct gsp *g)
{
	size_t n = 1;

	for (size_t i = 1; i < g->n; i++)
		n += g->m[i].row != NULL;
	return n;
}

static uint64_t
period_ms(const struct gsp *g)
{
	return g->t.row_interval_ms ? g->t.row_interval_ms : 10000;
}

static void
to_cell(const struct gsp_row_cell *c, struct gsp_reach_cell *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->peer, c->peer, sizeof(o->peer));
	o->reachable = c->flags & 1;
	o->indirect = (c->flags & 2) != 0;
	o->rtt_us = c->rtt_us;
	o->p50_us = c->p50_us;
	o->p99_us = c->p99_us;
	o->loss_permille = c->loss_permille;
	o->last_ack_ms = c->last_ack_ms;
}

bool
gsp_reach_get(const struct gsp *g, struct gsp_now now, size_t i,
	      struct gsp_reach_row *out)
{
	memset(out, 0, sizeof(*out));
	if (i == 0) {
		memcpy(out->observer, g->m[0].name, sizeof(out->observer));
		out->observed_at = now.unix_s;
		for (size_t k = 1; k < g->n && out->n < GSP_ROW_MAX; k++) {
			struct gsp_row_cell c;
			if (!observed(&g->m[k]))
				continue;
			own_cell(&g->m[k], now, &c);
			to_cell(&c, &out->cells[out->n++]);
		}
		return true;
	}
	for (size_t k = 1; k < g->n; k++) {
		const struct member *m = &g->m[k];
		if (!m->row || --i)
			continue;
		memcpy(out->observer, m->name, sizeof(out->observer));
		out->observed_at = m->row->observed_at;
		uint64_t age_s = now.unix_s > m->row->observed_at
					 ? now.unix_s - m->row->observed_at
					 : 0;
		out->age_ms = age_s * 1000;
		out->stale = out->age_ms > STALE_PERIODS * period_ms(g) ||
			     m->state >= GSP_DEAD;
		for (size_t c = 0; c < m->row->n_cells; c++)
			to_cell(&m->row->cells[c], &out->cells[out->n++]);
		return true;
	}
	return false;
}

#define OBS_MAX 64 /* observers counted in a split view (bit masks) */

static bool
fresh(const struct gsp *g, struct gsp_now now, const struct member *o)
{
	return o->row && o->state == GSP_ALIVE &&
	       !(now.unix_s > o->row->observed_at &&
		 (now.unix_s - o->row->observed_at) * 1000 >
			 STALE_PERIODS * period_ms(g));
}

static size_t
index_of(const struct gsp *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->m[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* For every member t: who reaches it (bit i of can[t]) and who does not
 * (cannot[t]), observer i being g->m[i] (0 = us, live), among fresh rows.
 * One pass over the rows: observers x cells x members name lookups. */
static void
opinions(const struct gsp *g, struct gsp_now now, uint64_t *can,
	 uint64_t *cannot)
{
	memset(can, 0, g->n * sizeof(*can));
	memset(cannot, 0, g->n * sizeof(*cannot));
	for (size_t t = 1; t < g->n; t++)
		if (g->m[t].view_known)
			(gsp__reachable(&g->m[t]) ? can : cannot)[t] |= 1;
	for (size_t i = 1; i < g->n && i < OBS_MAX; i++) {
		const struct member *o = &g->m[i];
		if (!fresh(g, now, o))
			continue;
		for (size_t c = 0; c < o->row->n_cells; c++) {
			size_t t = index_of(g, o->row->cells[c].peer);
			if (t == SIZE_MAX || t == i)
				continue;
			((o->row->cells[c].flags & 1) ? can : cannot)[t] |=
				(uint64_t)1 << i;
		}
	}
}

void
gsp_split_views(const struct gsp *g, struct gsp_now now,
		void (*fn)(void *ctx, const char *target,
			   const char *const *reach, size_t n_reach,
			   const char *const *unreach, size_t n_unreach),
		void *ctx)
{
	uint64_t *can = calloc(g->n, sizeof(*can));
	uint64_t *cannot = calloc(g->n, sizeof(*cannot));

	if (!can || !cannot)
		goto out;
	opinions(g, now, can, cannot);
	for (size_t t = 0; t < g->n; t++) {
		const char *a[OBS_MAX], *b[OBS_MAX];
		size_t na = 0, nb = 0;

		if (g->m[t].state >= GSP_DEAD || !can[t] || !cannot[t])
			continue;
		for (size_t i = 0; i < g->n && i < OBS_MAX; i++) {
			if (can[t] & ((uint64_t)1 << i))
				a[na++] = g->m[i].name;
			if (cannot[t] & ((uint64_t)1 << i))
				b[nb++] = g->m[i].name;
		}
		fn(ctx, g->m[t].name, a, na, b, nb);
	}
out:
	free(can);
	free(cannot);
}

uint64_t
gsp__reach_tick(struct gsp *g, struct gsp_now now)
{
	if (g->row_dirty || now.ms >= g->next_row) {
		publish(g, now);
		g->next_row = now.ms + period_ms(g);
		g->split_dirty = true;
	}
	/* Split views are looked at when a row or our own view changed,
	 * and once a second (rows age into staleness). */
	if (!g->split_dirty && now.ms < g->next_split)
		return g->next_row < g->next_split ? g->next_row
						   : g->next_split;
	g->split_dirty = false;
	g->next_split = now.ms + 1000;
	uint64_t *can = calloc(g->n, sizeof(*can));
	uint64_t *cannot = calloc(g->n, sizeof(*cannot));
	if (can && cannot)
		opinions(g, now, can, cannot);
	else
		gsp__oom(g);
	/* One event when observers start to disagree about a target, when
	 * the set of those who cannot reach it changes, and when it heals. */
	for (size_t t = 0; can && cannot && t < g->n; t++) {
		struct member *m = &g->m[t];
		bool split = m->state < GSP_DEAD && can[t] && cannot[t];
		uint64_t sig = split ? cannot[t] : 0;
		if (split == m->split && sig == m->split_sig)
			continue;
		m->split = split;
		m->split_sig = sig;
		struct gsp_event *ev = gsp__event(g, GSP_EV_SPLIT, m, -1, NULL);
		if (ev)
			ev->new_state = split;
	}
	free(can);
	free(cannot);
	return g->next_row < g->next_split ? g->next_row : g->next_split;
}
