#include "node/health/autodrain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gossip/gossip.h"
#include "node/daemon.h"
#include "node/cluster/gossip_io.h"
#include "node/health/checks.h"
#include "node/log/log.h"

/* Whether the winning intent about us is one we made automatically. */
static bool
ours(const struct gsp_intent *in, const char *self)
{
	return strcmp(in->issuer, self) == 0 &&
	       strcmp(in->user, NODE_AUTODRAIN_USER) == 0;
}

static void
undrain_if_ours(struct node_daemon *d)
{
	struct gsp *g = node_gossip_state_mut(d->gossip);
	struct gsp_now now = node_gossip_now(d->gossip);
	const char *self = d->cfg->node.name;
	struct gsp_intent in;

	if (!gsp_intent_get(g, now, self, &in) || !in.effective ||
	    !ours(&in, self))
		return; /* not drained, or an operator's drain */
	if (gsp_drain(g, now, self, false, NODE_AUTODRAIN_USER,
		      "health checks pass again", 0) > 0)
		node_log(NODE_LOG_INFO,
			 "auto-undrain: health checks pass again", NULL);
	node_gossip_kick(d->gossip);
}

static void
drain_if_allowed(struct node_daemon *d)
{
	struct gsp *g = node_gossip_state_mut(d->gossip);
	struct gsp_now now = node_gossip_now(d->gossip);
	const char *self = d->cfg->node.name;
	char reason[256] = "health check failed", version[24];

	if (gsp_drained(g, now, self))
		return;
	/* The first failing check names the reason. */
	for (size_t i = 0; i < node_health_count(d->health); i++) {
		if (!node_health_up(d->health, i)) {
			snprintf(reason, sizeof(reason),
				 "health check '%s' failed: %s",
				 node_health_name(d->health, i),
				 node_health_detail(d->health, i));
			break;
		}
	}
	if (gsp_active_count(g, now) - 1 < d->cfg->cluster.min_active) {
		if (!d->autodrain_blocked)
			node_log(NODE_LOG_WARN,
				 "auto-drain held back by cluster.min_active",
				 "reason", reason, NULL);
		d->autodrain_blocked = true;
		return;
	}
	d->autodrain_blocked = false;
	int64_t v =
		gsp_drain(g, now, self, true, NODE_AUTODRAIN_USER, reason, 0);
	snprintf(version, sizeof(version), "%" PRId64, v);
	node_log(NODE_LOG_WARN, "auto-drain", "reason", reason, "version",
		 version, NULL);
	node_gossip_kick(d->gossip);
}

/* Decides from the checks' current state. */
static void
decide(struct node_daemon *d)
{
	if (!d->health || !d->gossip || !d->ready)
		return;
	if (node_health_all_up(d->health))
		undrain_if_ours(d);
	else
		drain_if_allowed(d);
}

static void
on_timer(uv_timer_t *t)
{
	decide(t->data);
}

static void
on_health(void *ctx, size_t index, const char *name, bool up,
	  const char *detail)
{
	struct node_daemon *d = ctx;

	node_log(up ? NODE_LOG_INFO : NODE_LOG_WARN, "health check", "check",
		 name, "state", up ? "up" : "down", "detail", detail, NULL);
	if (up) {
		uv_timer_stop(&d->autodrain_timer);
		decide(d);
		return;
	}
	/* Down: decide after a random delay, so that two nodes failing
	 * together do not both drain past min_active. */
	uv_timer_start(&d->autodrain_timer, on_timer,
		       randombytes_uniform(AUTODRAIN_JITTER_MS), 0);
}

void
node_autodrain_members_changed(struct node_daemon *d)
{
	if (d->autodrain_blocked &&
	    !uv_is_active((uv_handle_t *)&d->autodrain_timer))
		decide(d);
}

static int
start_checks(struct node_daemon *d)
{
	char err[512];

	if (!d->cfg->n_checks)
		return 0;
	if (!d->gossip) {
		node_log(NODE_LOG_WARN,
			 "health_checks need a cluster to drain through; "
			 "ignored on a standalone node",
			 NULL);
		return 0;
	}
	int r = node_health_start(&d->loop, d->cfg->checks, d->cfg->n_checks,
				  on_health, d, &d->health, err, sizeof(err));
	if (r)
		node_log(NODE_LOG_ERROR, "cannot start health checks", "error",
			 err, NULL);
	return r;
}

int
node_autodrain_start(struct node_daemon *d)
{
	uv_timer_init(&d->loop, &d->autodrain_timer);
	d->autodrain_timer.data = d;
	d->autodrain_timer_live = true;
	return start_checks(d);
}

static bool
same_checks(const struct node_config *a, const struct node_config *b)
{
	if (a->n_checks != b->n_checks)
		return false;
	for (size_t i = 0; i < a->n_checks; i++) {
		const struct node_health_check *x = &a->checks[i],
					       *y = &b->checks[i];
		if (strcmp(x->name, y->name) || x->type != y->type ||
		    strcmp(x->target, y->target) ||
		    x->interval_ms != y->interval_ms ||
		    x->timeout_ms != y->timeout_ms || x->rise != y->rise ||
		    x->fall != y->fall || x->expect_status != y->expect_status)
			return false;
	}
	return true;
}

int
node_autodrain_reload(struct node_daemon *d, const struct node_config *old_cfg)
{
	if (same_checks(old_cfg, d->cfg))
		return 0; /* keep them running, with their state */
	node_health_close(d->health);
	d->health = NULL;
	uv_timer_stop(&d->autodrain_timer);
	int r = start_checks(d);
	if (r || !d->health)
		return r;
	/* New checks start "up": decide only once each has run `rise`
	 * times, so a node drained by its old checks does not undrain on
	 * the strength of checks that have not run. */
	uint64_t settle = 0;
	for (size_t i = 0; i < d->cfg->n_checks; i++) {
		const struct node_health_check *c = &d->cfg->checks[i];
		uint64_t t = (uint64_t)(c->rise + 1) * c->interval_ms +
			     c->timeout_ms;
		if (t > settle)
			settle = t;
	}
	uv_timer_start(&d->autodrain_timer, on_timer, settle, 0);
	return 0;
}

void
node_autodrain_stop(struct node_daemon *d)
{
	node_health_close(d->health);
	d->health = NULL;
	if (d->autodrain_timer_live) {
		uv_close((uv_handle_t *)&d->autodrain_timer, NULL);
		d->autodrain_timer_live = false;
	}
}
