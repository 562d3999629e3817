/*
 * The auto-drain rules with no I/O, no clock and no randomness: time and
 * the jitter draw come in, an action goes out, and node/health/autodrain.c
 * carries it out with one timer and the cluster.
 *
 * A check goes down after `fall` consecutive failures and up after `rise`
 * consecutive successes (node_check_count). When one goes down, the
 * decision waits a random delay below AUTODRAIN_JITTER_MS, so that two
 * nodes failing together do not both drain past cluster.min_active: the
 * first one's intent reaches the other, which then holds back. When one
 * comes up, the decision is made at once.
 *
 * A decision, once the node is ready (synced, or done waiting; one due
 * before that is made when membership changes):
 *   - some check down, this node not drained: drain, unless fewer than
 *     min_active members would stay active; then hold back, log that
 *     once, and decide again when membership changes;
 *   - every check up, this node drained by its own automatic intent
 *     (issued by this node as NODE_AUTODRAIN_USER): undrain;
 *   - otherwise nothing. An operator's drain or undrain is never undone.
 *
 * Checks start "up", so after they are (re)started (at start, or by a
 * reload that changes them) the first decision waits until each has had
 * time to run `rise` times: a node drained by its old checks does not
 * undrain on the strength of checks that have not run, and one drained
 * before a restart undrains even though its new checks never change
 * state.
 */
#ifndef PMGTM_NODE_HEALTH_AUTODRAIN_POLICY_H
#define PMGTM_NODE_HEALTH_AUTODRAIN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct node_health_check;

#define NODE_AUTODRAIN_USER "health-check"
#define AUTODRAIN_JITTER_MS 3000

/* ---- one check's rise/fall count ------------------------------------ */

struct node_check_count {
	bool up;
	uint32_t run; /* consecutive results that disagree with `up` */
};

/* Up, with nothing counted: how every check starts. */
void node_check_count_init(struct node_check_count *c);

/* Counts one result with the check's @rise and @fall (0 counts as 1).
 * Returns true when the check changed state; c->up is then the new one.
 * Any success while up, or failure while down, restarts the count. */
bool node_check_count_result(struct node_check_count *c, bool ok, uint32_t rise,
			     uint32_t fall);

/* How long after (re)starting @n checks each has run `rise` times:
 * the longest (rise + 1) * interval + timeout. */
uint64_t node_autodrain_settle_ms(const struct node_health_check *checks,
				  size_t n);

/* ---- the decision --------------------------------------------------- */

/* The winning intent about this node. */
enum node_autodrain_intent {
	NODE_AUTODRAIN_NOT_DRAINED,   /* none, or not effective now */
	NODE_AUTODRAIN_DRAINED_AUTO,  /* ours, issued as NODE_AUTODRAIN_USER */
	NODE_AUTODRAIN_DRAINED_OTHER, /* an operator's, or another node's */
};

/* What the node sees at the moment of a decision. */
struct node_autodrain_input {
	uint64_t now_ms;
	uint32_t jitter_ms; /* a uniform draw below AUTODRAIN_JITTER_MS */
	bool ready;	    /* synced with the cluster, or done waiting */
	/* The first check that is down and its last result; NULL name:
	 * every check is up. Used for the drain reason only. */
	const char *down_name, *down_detail;
	enum node_autodrain_intent intent;
	size_t active; /* active members, this node included */
	uint32_t min_active;
};

enum node_autodrain_do {
	NODE_AUTODRAIN_NOTHING,
	NODE_AUTODRAIN_WAIT,  /* call node_autodrain_policy_due() at `at_ms` */
	NODE_AUTODRAIN_DRAIN, /* drain this node with `reason` */
	NODE_AUTODRAIN_UNDRAIN, /* withdraw our automatic drain */
	NODE_AUTODRAIN_HELD,	/* a drain held back by min_active */
};

struct node_autodrain_action {
	enum node_autodrain_do what;
	uint64_t at_ms;	  /* WAIT */
	bool first;	  /* HELD: not held before, so worth a log line */
	char reason[256]; /* DRAIN and HELD */
};

/* The state between decisions; zero (node_autodrain_policy_init) at
 * start. */
struct node_autodrain_policy {
	bool waiting; /* a decision is due at due_ms */
	uint64_t due_ms;
	bool held; /* the last decision was held back by min_active */
	bool owed; /* one came due before the node was ready */
};

void node_autodrain_policy_init(struct node_autodrain_policy *p);

/* The checks were (re)started at @now_ms: WAIT @settle_ms before
 * deciding. */
struct node_autodrain_action
node_autodrain_policy_restarted(struct node_autodrain_policy *p,
				uint64_t now_ms, uint64_t settle_ms);

/* The checks were stopped: nothing is waited for any more. */
void node_autodrain_policy_stopped(struct node_autodrain_policy *p);

/* A check went up (@up) or down. */
struct node_autodrain_action
node_autodrain_policy_check_changed(struct node_autodrain_policy *p,
				    const struct node_autodrain_input *in,
				    bool up);

/* The time of the last WAIT has come. */
struct node_autodrain_action
node_autodrain_policy_due(struct node_autodrain_policy *p,
			  const struct node_autodrain_input *in);

/* Membership or intents changed: a held-back drain, or a decision that
 * came due before the node was ready, is tried again, unless a decision
 * is already waited for. */
struct node_autodrain_action
node_autodrain_policy_members_changed(struct node_autodrain_policy *p,
				      const struct node_autodrain_input *in);

#endif
