/*
 * Revocations held: which certificates the CA voided. A revocation is
 * believed on the CA's signature alone, whoever relays it; it is kept for
 * good (the state file keeps it across restarts) and spread like any
 * record, so one node told is every node told.
 */
#include "gossip/internal.h"

#include <stdlib.h>
#include <string.h>

bool
gsp__revoked(const struct gsp *g, const char *name,
	     const uint8_t pk[GSP_PK_LEN], uint64_t not_before, uint64_t *at)
{
	bool any = false;

	for (size_t i = 0; i < g->n_revs; i++) {
		const struct gsp_revocation *rv = &g->revs[i].rv;
		if (!gsp_revocation_covers(rv, name, pk, not_before))
			continue;
		if (at && (!any || rv->revoked_at < *at))
			*at = rv->revoked_at;
		any = true;
	}
	return any;
}

/* Marks the members whose certificates @rv covers. */
static void
mark_members(struct gsp *g, const struct gsp_revocation *rv)
{
	for (size_t i = 0; i < g->n; i++) {
		struct member *m = &g->m[i];
		if (m->revoked || !gsp_revocation_covers(rv, m->name, m->pk,
							 m->cert_not_before))
			continue;
		m->revoked = true;
		if (i == 0)
			g->self_revoked = true;
		struct gsp_event *ev =
			gsp__event(g, GSP_EV_REVOKED, m, (int)m->state, NULL);
		if (ev)
			ev->new_state = i == 0;
	}
}

int
gsp__revoke_apply(struct gsp *g, struct gsp_now now, const struct gsp_record *r,
		  const uint8_t *rec, size_t len, enum gsp_reject *why)
{
	struct gsp_revocation rv;

	for (size_t i = 0; i < g->n_revs; i++)
		if (g->revs[i].rec.len == len &&
		    !memcmp(g->revs[i].rec.data, rec, len))
			return 0;
	if (r->gen > sat_add(now.unix_s, CLOCK_SKEW_S))
		return gsp__refuse(why, GSP_REJ_BOUNDS);
	int v = gsp_revocation_read(rec, len, &g->trust, &rv);
	if (v == GSP_ECERTCLUSTER)
		return gsp__refuse(why, GSP_REJ_CLUSTER);
	if (v == -EBADMSG)
		return gsp__refuse(why, GSP_REJ_DECODE);
	if (v)
		return gsp__refuse(why, GSP_REJ_SIGNATURE);
	if (g->n_revs == GSP_REVOCATIONS_MAX)
		return gsp__refuse(why, GSP_REJ_BOUNDS);
	struct revoked *p =
		realloc(g->revs, (g->n_revs + 1) * sizeof(*g->revs));
	if (!p) {
		gsp__oom(g);
		return 0;
	}
	g->revs = p;
	p += g->n_revs;
	memset(p, 0, sizeof(*p));
	if (!gsp__blob_set(g, &p->rec, rec, len))
		return 0;
	p->rv = rv;
	g->n_revs++;
	mark_members(g, &rv);
	gsp__intents_trust_changed(g, &rv);
	gsp__queue(g, QUEUE_REVOKE, rv.name, rec, len);
	/* A key is out: every node should know at once. */
	g->next_gossip = now.ms;
	return 1;
}

int
gsp_revocation_import(struct gsp *g, struct gsp_now now, const uint8_t *rec,
		      size_t len, enum gsp_reject *why)
{
	struct gsp_record r;
	enum gsp_reject ignored;

	if (!why)
		why = &ignored;
	if (gsp_record_decode(rec, len, &r) || r.kind != GSP_REC_REVOKE)
		return gsp__refuse(why, GSP_REJ_DECODE);
	return gsp__revoke_apply(g, now, &r, rec, len, why);
}

void
gsp_revocations_export(const struct gsp *g,
		       void (*fn)(void *ctx, const uint8_t *rec, size_t len),
		       void *ctx)
{
	for (size_t i = 0; i < g->n_revs; i++)
		fn(ctx, g->revs[i].rec.data, g->revs[i].rec.len);
}

bool
gsp_self_revoked(const struct gsp *g)
{
	return g->self_revoked;
}

void
gsp__revocations_free(struct gsp *g)
{
	for (size_t i = 0; i < g->n_revs; i++)
		free(g->revs[i].rec.data);
	free(g->revs);
	g->revs = NULL;
	g->n_revs = 0;
}
