#include "node/health/autodrain_policy.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "gossip/gossip.h"
#include "node/config/config.h"

void
node_check_count_init(struct node_check_count *c)
{
	c->up = true;
	c->run = 0;
}

bool
node_check_count_result(struct node_check_count *c, bool ok, uint32_t rise,
			uint32_t fall)
{
	uint32_t need = c->up ? fall : rise;

	if (ok == c->up) {
		c->run = 0;
		return false;
	}
	if (++c->run < need)
		return false;
	c->up = ok;
	c->run = 0;
	return true;
}

uint64_t
node_autodrain_settle_ms(const struct node_health_check *checks, size_t n)
{
	uint64_t settle = 0;

	for (size_t i = 0; i < n; i++) {
		const struct node_health_check *c = &checks[i];
		uint64_t t = ((uint64_t)c->rise + 1) * c->interval_ms +
			     c->timeout_ms;
		if (t > settle)
			settle = t;
	}
	return settle;
}

void
node_autodrain_policy_init(struct node_autodrain_policy *p)
{
	memset(p, 0, sizeof(*p));
}

static struct node_autodrain_action
act(enum node_autodrain_do what)
{
	struct node_autodrain_action a = { .what = what };

	return a;
}

static struct node_autodrain_action
wait_until(struct node_autodrain_policy *p, uint64_t at_ms)
{
	struct node_autodrain_action a = act(NODE_AUTODRAIN_WAIT);

	p->waiting = true;
	p->due_ms = a.at_ms = at_ms;
	return a;
}

/* Decides from what the node sees now. */
static struct node_autodrain_action
decide(struct node_autodrain_policy *p, const struct node_autodrain_input *in)
{
	struct node_autodrain_action a = act(NODE_AUTODRAIN_NOTHING);

	p->owed = !in->ready;
	if (!in->ready)
		return a;
	if (!in->down_name) {
		/* Only our own automatic drain is ours to undo. */
		if (in->intent == NODE_AUTODRAIN_DRAINED_AUTO)
			a.what = NODE_AUTODRAIN_UNDRAIN;
		return a;
	}
	if (in->intent != NODE_AUTODRAIN_NOT_DRAINED)
		return a;
	snprintf(a.reason, sizeof(a.reason), "health check '%s' failed: %s",
		 in->down_name, in->down_detail ? in->down_detail : "");
	/* This node counts among the active ones until it drains. */
	if (!gsp_drain_leaves_enough(in->active, in->min_active)) {
		a.what = NODE_AUTODRAIN_HELD;
		a.first = !p->held;
		p->held = true;
		return a;
	}
	p->held = false;
	a.what = NODE_AUTODRAIN_DRAIN;
	return a;
}

struct node_autodrain_action
node_autodrain_policy_restarted(struct node_autodrain_policy *p,
				uint64_t now_ms, uint64_t settle_ms)
{
	return wait_until(p, now_ms + settle_ms);
}

void
node_autodrain_policy_stopped(struct node_autodrain_policy *p)
{
	p->waiting = false;
}

struct node_autodrain_action
node_autodrain_policy_check_changed(struct node_autodrain_policy *p,
				    const struct node_autodrain_input *in,
				    bool up)
{
	if (up) {
		p->waiting = false;
		return decide(p, in);
	}
	assert(in->jitter_ms < AUTODRAIN_JITTER_MS);
	return wait_until(p, in->now_ms + in->jitter_ms);
}

struct node_autodrain_action
node_autodrain_policy_due(struct node_autodrain_policy *p,
			  const struct node_autodrain_input *in)
{
	p->waiting = false;
	return decide(p, in);
}

struct node_autodrain_action
node_autodrain_policy_members_changed(struct node_autodrain_policy *p,
				      const struct node_autodrain_input *in)
{
	if (!(p->held || p->owed) || p->waiting)
		return act(NODE_AUTODRAIN_NOTHING);
	return decide(p, in);
}
