#include "node/autodrain.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gossip/gossip.h"
#include "node/daemon.h"
#include "node/gossip_io.h"
#include "node/health.h"
#include "node/log.h"

/* Whether the winning intent about us is one we made automatically. */
static bool
ours(const struct gsp_intent *in, const char *self)
{
	return strcmp(in->issuer, self) == 0 &&
	       strcmp(in->user, NODE_AUTODRAIN_USER) == 0;
}

void
node_autodrain_evaluate(struct node_daemon *d)
{
	if (!d->health || !d->gossip || !d->ready)
		return;
	struct gsp *g = node_gossip_state_mut(d->gossip);
	struct gsp_now now = node_gossip_now(d->gossip);
	const char *self = d->cfg->node.name;
	struct gsp_intent in;
	bool have = gsp_intent_get(g, now, self, &in);
	bool drained = have && in.effective;

	if (node_health_all_up(d->health)) {
		if (!drained || !ours(&in, self))
			return; /* an operator's drain is theirs to undo */
		int64_t v = gsp_drain(g, now, self, false, NODE_AUTODRAIN_USER,
				      "health checks pass again", 0);
		if (v > 0)
			node_log(NODE_LOG_INFO,
				 "auto-undrain: health checks pass again",
				 NULL);
		node_gossip_kick(d->gossip);
		return;
	}
	if (drained)
		return;
	/* The first failing check names the reason. */
	char reason[256] = "health check failed";
	for (size_t i = 0; i < node_health_count(d->health); i++) {
		if (!node_health_up(d->health, i)) {
			snprintf(reason, sizeof(reason),
				 "health check '%s' failed: %s",
				 node_health_name(d->health, i),
				 node_health_detail(d->health, i));
			break;
		}
	}
	size_t active = gsp_active_count(g, now);
	if (active - 1 < d->cfg->cluster.min_active) {
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
	char version[24];
	snprintf(version, sizeof(version), "%" PRId64, v);
	node_log(NODE_LOG_WARN, "auto-drain", "reason", reason, "version",
		 version, NULL);
	node_gossip_kick(d->gossip);
}

static void
on_health(void *ctx, size_t index, const char *name, bool up,
	  const char *detail)
{
	struct node_daemon *d = ctx;

	node_log(up ? NODE_LOG_INFO : NODE_LOG_WARN, "health check", "check",
		 name, "state", up ? "up" : "down", "detail", detail, NULL);
	node_autodrain_evaluate(d);
}

int
node_autodrain_start(struct node_daemon *d)
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

void
node_autodrain_stop(struct node_daemon *d)
{
	node_health_close(d->health);
	d->health = NULL;
}
