/*
 * Auto-drain: the node's own health checks (health_checks) drain it when
 * one fails and undrain it when all pass again, by the rules of
 * node/health/autodrain_policy.h. This file runs them: it owns the
 * checks, one timer for the waits the rules ask for, and reaches the
 * cluster only through struct node_autodrain_cluster.
 */
#ifndef PMGTM_NODE_HEALTH_AUTODRAIN_H
#define PMGTM_NODE_HEALTH_AUTODRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "node/health/autodrain_policy.h"

struct node_config;
struct node_health;
struct node_autodrain;

/* How auto-drain sees and changes the cluster; every call gets @ctx. */
struct node_autodrain_cluster {
	void *ctx;
	/* Synced with a peer, or done waiting for one. */
	bool (*ready)(void *ctx);
	/* The winning intent about this node, now. */
	enum node_autodrain_intent (*intent)(void *ctx);
	/* Active members (alive, not drained), this node included. */
	size_t (*active)(void *ctx);
	/* Drains (@drained) or undrains this node as NODE_AUTODRAIN_USER
	 * with @reason, and sends it on its way. Returns the new intent's
	 * version, or 0 when it changed nothing. */
	int64_t (*drain)(void *ctx, bool drained, const char *reason);
};

/*
 * Starts the checks of @cfg on @loop. @cluster is copied; NULL means a
 * standalone node, where checks have nothing to drain through and are
 * not run. @cfg must stay valid until the next reload or the close.
 * Returns 0 and *out, or -errno with the error logged (nothing started).
 */
__attribute__((warn_unused_result)) int
node_autodrain_start(uv_loop_t *loop, const struct node_config *cfg,
		     const struct node_autodrain_cluster *cluster,
		     struct node_autodrain **out);

/* On SIGHUP, with the new @cfg (the old one is still valid during the
 * call): restarts the checks when they changed, keeps them running (and
 * their state) when they did not. 0 or -errno (logged). */
int node_autodrain_reload(struct node_autodrain *ad,
			  const struct node_config *cfg);

/* Membership or intents changed: retries a drain held back by
 * min_active. NULL is a no-op. */
void node_autodrain_members_changed(struct node_autodrain *ad);

/* The running checks, for metrics; NULL when there are none. */
const struct node_health *
node_autodrain_health(const struct node_autodrain *ad);

/* Stops the checks and the timer; the memory goes once libuv has closed
 * the timer, so the loop must run on. NULL is a no-op. */
void node_autodrain_close(struct node_autodrain *ad);

#endif
