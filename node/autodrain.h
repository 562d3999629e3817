/*
 * Auto-drain: the node's own health checks (health_checks) drain it when
 * one fails `fall` times and undrain it when all pass again. An automatic
 * intent is issued by this node for the user "health-check"; only such an
 * intent is ever undone automatically, so an operator's drain stays. A
 * drain that would leave fewer than cluster.min_active active members is
 * not made (and retried when membership changes).
 */
#ifndef PMGTM_NODE_AUTODRAIN_H
#define PMGTM_NODE_AUTODRAIN_H

struct node_daemon;

#define NODE_AUTODRAIN_USER "health-check"

/* Starts the checks of d->cfg (none: nothing to do). 0 or -errno. */
int node_autodrain_start(struct node_daemon *d);

/* Stops the checks (config reload, shutdown). */
void node_autodrain_stop(struct node_daemon *d);

/* Re-evaluates after a membership or intent change. */
void node_autodrain_evaluate(struct node_daemon *d);

#endif
