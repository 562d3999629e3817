#include "node/health/autodrain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/config/config.h"
#include "node/health/checks.h"
#include "node/log/log.h"

struct node_autodrain {
	uv_loop_t *loop;
	const struct node_config *cfg;
	struct node_autodrain_cluster cluster;
	bool standalone;
	struct node_health *health; /* NULL: no checks running */
	struct node_autodrain_policy policy;
	uv_timer_t timer; /* the policy's WAIT: jitter, or settle */
};

/* What the node sees now, for the policy. */
static struct node_autodrain_input
input(struct node_autodrain *ad)
{
	const struct node_autodrain_cluster *c = &ad->cluster;
	struct node_autodrain_input in = {
		.now_ms = uv_now(ad->loop),
		.jitter_ms = randombytes_uniform(AUTODRAIN_JITTER_MS),
		.ready = c->ready(c->ctx),
		.intent = c->intent(c->ctx),
		.active = c->active(c->ctx),
		.min_active = ad->cfg->cluster.min_active,
	};

	/* The first failing check names the reason. */
	for (size_t i = 0; i < node_health_count(ad->health); i++) {
		if (!node_health_up(ad->health, i)) {
			in.down_name = node_health_name(ad->health, i);
			in.down_detail = node_health_detail(ad->health, i);
			break;
		}
	}
	return in;
}

static void on_timer(uv_timer_t *t);

static void
carry_out(struct node_autodrain *ad, const struct node_autodrain_action *a)
{
	const struct node_autodrain_cluster *c = &ad->cluster;
	char version[24];
	int64_t v;

	switch (a->what) {
	case NODE_AUTODRAIN_NOTHING:
		break;
	case NODE_AUTODRAIN_WAIT: {
		uint64_t now = uv_now(ad->loop);
		uv_timer_start(&ad->timer, on_timer,
			       a->at_ms > now ? a->at_ms - now : 0, 0);
		break;
	}
	case NODE_AUTODRAIN_DRAIN:
		v = c->drain(c->ctx, true, a->reason);
		snprintf(version, sizeof(version), "%" PRId64, v);
		node_log(NODE_LOG_WARN, "auto-drain", "reason", a->reason,
			 "version", version, NULL);
		break;
	case NODE_AUTODRAIN_UNDRAIN:
		if (c->drain(c->ctx, false, "health checks pass again") > 0)
			node_log(NODE_LOG_INFO,
				 "auto-undrain: health checks pass again",
				 NULL);
		break;
	case NODE_AUTODRAIN_HELD:
		if (a->first)
			node_log(NODE_LOG_WARN,
				 "auto-drain held back by cluster.min_active",
				 "reason", a->reason, NULL);
		break;
	}
	if (!ad->policy.waiting)
		uv_timer_stop(&ad->timer);
}

static void
on_timer(uv_timer_t *t)
{
	struct node_autodrain *ad = t->data;
	struct node_autodrain_input in = input(ad);
	struct node_autodrain_action a =
		node_autodrain_policy_due(&ad->policy, &in);

	carry_out(ad, &a);
}

static void
on_health(void *ctx, size_t index, const char *name, bool up,
	  const char *detail)
{
	struct node_autodrain *ad = ctx;

	(void)index;
	node_log(up ? NODE_LOG_INFO : NODE_LOG_WARN, "health check", "check",
		 name, "state", up ? "up" : "down", "detail", detail, NULL);
	struct node_autodrain_input in = input(ad);
	struct node_autodrain_action a =
		node_autodrain_policy_check_changed(&ad->policy, &in, up);
	carry_out(ad, &a);
}

void
node_autodrain_members_changed(struct node_autodrain *ad)
{
	if (!ad || !ad->health)
		return;
	struct node_autodrain_input in = input(ad);
	struct node_autodrain_action a =
		node_autodrain_policy_members_changed(&ad->policy, &in);
	carry_out(ad, &a);
}

static int
start_checks(struct node_autodrain *ad)
{
	char err[512];

	if (!ad->cfg->n_checks)
		return 0;
	if (ad->standalone) {
		node_log(NODE_LOG_WARN,
			 "health_checks need a cluster to drain through; "
			 "ignored on a standalone node",
			 NULL);
		return 0;
	}
	int r = node_health_start(ad->loop, ad->cfg->checks, ad->cfg->n_checks,
				  on_health, ad, &ad->health, err, sizeof(err));
	if (r)
		node_log(NODE_LOG_ERROR, "cannot start health checks", "error",
			 err, NULL);
	return r;
}

/* Checks just (re)started: the first decision once each has run. */
static void
settle(struct node_autodrain *ad)
{
	if (!ad->health)
		return;
	struct node_autodrain_action a = node_autodrain_policy_restarted(
		&ad->policy, uv_now(ad->loop),
		node_autodrain_settle_ms(ad->cfg->checks, ad->cfg->n_checks));
	carry_out(ad, &a);
}

static void
on_closed(uv_handle_t *h)
{
	free(h->data);
}

int
node_autodrain_start(uv_loop_t *loop, const struct node_config *cfg,
		     const struct node_autodrain_cluster *cluster,
		     struct node_autodrain **out)
{
	struct node_autodrain *ad = calloc(1, sizeof(*ad));

	*out = NULL;
	if (!ad) {
		node_log(NODE_LOG_ERROR, "out of memory", NULL);
		return -ENOMEM;
	}
	ad->loop = loop;
	ad->cfg = cfg;
	if (cluster)
		ad->cluster = *cluster;
	ad->standalone = !cluster;
	node_autodrain_policy_init(&ad->policy);
	uv_timer_init(loop, &ad->timer);
	ad->timer.data = ad;
	int r = start_checks(ad);
	if (r) {
		uv_close((uv_handle_t *)&ad->timer, on_closed);
		return r;
	}
	settle(ad);
	*out = ad;
	return 0;
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
node_autodrain_reload(struct node_autodrain *ad, const struct node_config *cfg)
{
	const struct node_config *old = ad->cfg;

	ad->cfg = cfg;
	if (same_checks(old, cfg))
		return 0; /* keep them running, with their state */
	node_health_close(ad->health);
	ad->health = NULL;
	node_autodrain_policy_stopped(&ad->policy);
	uv_timer_stop(&ad->timer);
	int r = start_checks(ad);
	if (!r)
		settle(ad);
	return r;
}

const struct node_health *
node_autodrain_health(const struct node_autodrain *ad)
{
	return ad ? ad->health : NULL;
}

void
node_autodrain_close(struct node_autodrain *ad)
{
	if (!ad)
		return;
	node_health_close(ad->health);
	ad->health = NULL;
	uv_close((uv_handle_t *)&ad->timer, on_closed);
}
