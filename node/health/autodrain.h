/*
 * Auto-drain: the node's own health checks (health_checks) drain it when
 * one fails `fall` times and undrain it when all pass again. An automatic
 * intent is issued by this node for the user "health-check"; only such an
 * intent is ever undone automatically, so an operator's drain stays.
 *
 * A drain that would leave fewer than cluster.min_active active members is
 * held back (and retried when membership changes). Each node decides from
 * its own view, so two nodes failing at the same moment could both drain:
 * a random delay of up to AUTODRAIN_JITTER_MS before draining lets the
 * first one's intent reach the other, which then holds back.
 *
 * Checks start "up" and count rise/fall from there, so after a restart of
 * the checks (a reload that changes them) nothing is decided until every
 * check has had time to run `rise` times.
 */
#ifndef PMGTM_NODE_HEALTH_AUTODRAIN_H
#define PMGTM_NODE_HEALTH_AUTODRAIN_H

struct node_daemon;
struct node_config;

#define NODE_AUTODRAIN_USER "health-check"
#define AUTODRAIN_JITTER_MS 3000

/* Starts the checks of d->cfg (none: nothing to do). 0 or -errno. */
int node_autodrain_start(struct node_daemon *d);

/* On SIGHUP: restarts the checks when they changed, keeps them running
 * (and their state) when they did not. */
int node_autodrain_reload(struct node_daemon *d,
			  const struct node_config *old_cfg);

/* Stops the checks and the timers (shutdown). */
void node_autodrain_stop(struct node_daemon *d);

/* Membership or intents changed: retries a drain held back by
 * min_active. */
void node_autodrain_members_changed(struct node_daemon *d);

#endif
