/*
 * The auto-drain rules (node/health/autodrain_policy.c) on a virtual
 * clock: a small world holds what the cluster would (the intent about
 * this node, the active count) and plays the timer the policy asks for,
 * the way node/health/autodrain.c does with libuv.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "node/config/config.h"
#include "node/health/autodrain_policy.h"

#define N_CHECKS 2

struct world {
	uint64_t now;
	uint32_t jitter; /* the next draw */
	bool ready;
	struct node_check_count checks[N_CHECKS];
	const char *names[N_CHECKS];
	const char *detail;
	uint32_t rise, fall;
	enum node_autodrain_intent intent;
	size_t active;
	uint32_t min_active;
	struct node_autodrain_policy p;

	/* What the policy had done. */
	int drains, undrains, held, held_logged;
	uint64_t drained_at;
	char reason[256];
};

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->now = 1000;
	w->ready = true;
	for (size_t i = 0; i < N_CHECKS; i++)
		node_check_count_init(&w->checks[i]);
	w->names[0] = "web";
	w->names[1] = "db";
	w->detail = "connect: Connection refused";
	w->rise = 2;
	w->fall = 3;
	w->intent = NODE_AUTODRAIN_NOT_DRAINED;
	w->active = 3;
	w->min_active = 1;
	node_autodrain_policy_init(&w->p);
}

static struct node_autodrain_input
input(const struct world *w)
{
	struct node_autodrain_input in = {
		.now_ms = w->now,
		.jitter_ms = w->jitter,
		.ready = w->ready,
		.intent = w->intent,
		.active = w->active,
		.min_active = w->min_active,
	};

	for (size_t i = 0; i < N_CHECKS; i++) {
		if (!w->checks[i].up) {
			in.down_name = w->names[i];
			in.down_detail = w->detail;
			break;
		}
	}
	return in;
}

/* Does what the glue does with an action; the cluster follows at once. */
static void
carry_out(struct world *w, const struct node_autodrain_action *a)
{
	switch (a->what) {
	case NODE_AUTODRAIN_NOTHING:
		break;
	case NODE_AUTODRAIN_WAIT:
		assert_true(w->p.waiting);
		assert_int_equal(w->p.due_ms, a->at_ms);
		break;
	case NODE_AUTODRAIN_DRAIN:
		w->drains++;
		w->drained_at = w->now;
		w->intent = NODE_AUTODRAIN_DRAINED_AUTO;
		w->active--;
		strcpy(w->reason, a->reason);
		break;
	case NODE_AUTODRAIN_UNDRAIN:
		assert_int_equal(w->intent, NODE_AUTODRAIN_DRAINED_AUTO);
		w->undrains++;
		w->intent = NODE_AUTODRAIN_NOT_DRAINED;
		w->active++;
		break;
	case NODE_AUTODRAIN_HELD:
		w->held++;
		w->held_logged += a->first;
		strcpy(w->reason, a->reason);
		break;
	}
}

/* One result of check @i; a change of state goes to the policy. */
static void
result(struct world *w, size_t i, bool ok)
{
	if (!node_check_count_result(&w->checks[i], ok, w->rise, w->fall))
		return;
	struct node_autodrain_input in = input(w);
	struct node_autodrain_action a = node_autodrain_policy_check_changed(
		&w->p, &in, w->checks[i].up);
	carry_out(w, &a);
}

static void
results(struct world *w, size_t i, bool ok, int n)
{
	while (n-- > 0)
		result(w, i, ok);
}

/* Moves the clock @ms on, firing the wait when it is due. */
static void
advance(struct world *w, uint64_t ms)
{
	uint64_t end = w->now + ms;

	while (w->p.waiting && w->p.due_ms <= end) {
		w->now = w->p.due_ms;
		struct node_autodrain_input in = input(w);
		struct node_autodrain_action a =
			node_autodrain_policy_due(&w->p, &in);
		assert_int_not_equal(a.what, NODE_AUTODRAIN_WAIT);
		carry_out(w, &a);
	}
	w->now = end;
}

static void
members_changed(struct world *w)
{
	struct node_autodrain_input in = input(w);
	struct node_autodrain_action a =
		node_autodrain_policy_members_changed(&w->p, &in);
	carry_out(w, &a);
}

/* ---- rise and fall -------------------------------------------------- */

static void
test_rise_fall_counting(void **state)
{
	struct node_check_count c;

	(void)state;
	node_check_count_init(&c);
	assert_true(c.up);
	/* Down after `fall` (3) failures in a row; a success restarts it. */
	assert_false(node_check_count_result(&c, false, 2, 3));
	assert_false(node_check_count_result(&c, false, 2, 3));
	assert_false(node_check_count_result(&c, true, 2, 3));
	assert_false(node_check_count_result(&c, false, 2, 3));
	assert_false(node_check_count_result(&c, false, 2, 3));
	assert_true(c.up);
	assert_true(node_check_count_result(&c, false, 2, 3));
	assert_false(c.up);
	/* Up after `rise` (2) successes in a row; a failure restarts it. */
	assert_false(node_check_count_result(&c, true, 2, 3));
	assert_false(node_check_count_result(&c, false, 2, 3));
	assert_false(node_check_count_result(&c, true, 2, 3));
	assert_true(node_check_count_result(&c, true, 2, 3));
	assert_true(c.up);
	/* More successes while up change nothing. */
	assert_false(node_check_count_result(&c, true, 2, 3));
	assert_true(c.up);
	/* rise and fall of 0 count as 1. */
	assert_true(node_check_count_result(&c, false, 0, 0));
	assert_true(node_check_count_result(&c, true, 0, 0));
}

/* ---- draining ------------------------------------------------------- */

static void
test_drain_after_jitter(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.jitter = 1234;
	results(&w, 0, false, 2);
	assert_false(w.p.waiting);
	results(&w, 0, false, 1); /* the third failure: down at 1000 */
	assert_true(w.p.waiting);
	assert_int_equal(w.p.due_ms, 2234);
	advance(&w, 1233);
	assert_int_equal(w.drains, 0);
	advance(&w, 1);
	assert_int_equal(w.drains, 1);
	assert_int_equal(w.drained_at, 2234);
	assert_string_equal(w.reason, "health check 'web' failed: connect: "
				      "Connection refused");
	assert_false(w.p.waiting);
	/* Drained already: the other check going down drains nothing. */
	w.jitter = 0;
	results(&w, 1, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 1);
}

static void
test_second_down_restarts_the_wait(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.jitter = 2000;
	results(&w, 0, false, 3); /* due at 3000 */
	advance(&w, 1500);
	w.jitter = 2999;
	results(&w, 1, false, 3); /* now due at 2500 + 2999 */
	advance(&w, 2998);
	assert_int_equal(w.drains, 0);
	advance(&w, 1);
	assert_int_equal(w.drains, 1);
	assert_int_equal(w.drained_at, 5499);
	/* The first failing check names the reason. */
	assert_string_equal(w.reason, "health check 'web' failed: connect: "
				      "Connection refused");
}

static void
test_up_within_jitter_drains_nothing(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.jitter = 2500;
	results(&w, 0, false, 3);
	advance(&w, 1000);
	results(&w, 0, true, 2); /* up again before the wait ends */
	assert_false(w.p.waiting);
	advance(&w, 10 * AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 0);
	assert_int_equal(w.undrains, 0);
}

static void
test_not_ready_decides_once_ready(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.ready = false;
	results(&w, 0, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 0);
	assert_int_equal(w.held, 0);
	members_changed(&w);
	assert_int_equal(w.drains, 0);
	/* Ready at last (membership changed): the owed decision is made. */
	w.ready = true;
	members_changed(&w);
	assert_int_equal(w.drains, 1);
	members_changed(&w);
	assert_int_equal(w.drains, 1);
}

/* pmgtmd restarted while drained by its own checks, which now pass: they
 * never change state, yet once they have run (and the node has synced)
 * it undrains. */
static void
test_start_while_auto_drained_undrains(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.intent = NODE_AUTODRAIN_DRAINED_AUTO;
	w.ready = false;
	struct node_autodrain_action a =
		node_autodrain_policy_restarted(&w.p, w.now, 700);
	carry_out(&w, &a);
	advance(&w, 700);
	assert_int_equal(w.undrains, 0);
	w.ready = true;
	members_changed(&w);
	assert_int_equal(w.undrains, 1);
}

/* ---- min_active ----------------------------------------------------- */

static void
test_min_active_holds_back_and_logs_once(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.active = 2;
	w.min_active = 2; /* draining would leave 1 */
	w.jitter = 100;
	results(&w, 0, false, 3);
	advance(&w, 100);
	assert_int_equal(w.drains, 0);
	assert_int_equal(w.held, 1);
	assert_int_equal(w.held_logged, 1);
	assert_string_equal(w.reason, "health check 'web' failed: connect: "
				      "Connection refused");
	/* Membership changes that do not help: tried again, logged once. */
	members_changed(&w);
	members_changed(&w);
	assert_int_equal(w.held, 3);
	assert_int_equal(w.held_logged, 1);
	assert_int_equal(w.drains, 0);
	/* A member joins: the held-back drain goes through. */
	w.active = 3;
	members_changed(&w);
	assert_int_equal(w.drains, 1);
	assert_int_equal(w.drained_at, 1100);
	/* No longer held: membership changes decide nothing more. */
	members_changed(&w);
	assert_int_equal(w.held, 3);
	assert_int_equal(w.drains, 1);
}

static void
test_min_active_held_again_logs_again(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.active = 1;
	results(&w, 0, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.held_logged, 1);
	w.active = 2;
	members_changed(&w);	 /* drains */
	results(&w, 0, true, 2); /* undrains */
	assert_int_equal(w.undrains, 1);
	w.active = 1;
	results(&w, 0, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.held, 2);
	assert_int_equal(w.held_logged, 2);
}

static void
test_members_changed_waits_for_a_pending_decision(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	/* Not held: nothing to retry. */
	members_changed(&w);
	assert_int_equal(w.held + w.drains, 0);
	/* Held, then another check goes down: the jitter wait stands. */
	w.active = 1;
	results(&w, 0, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.held, 1);
	w.jitter = 1000;
	results(&w, 1, false, 3);
	w.active = 5;
	members_changed(&w);
	assert_int_equal(w.drains, 0);
	advance(&w, 1000);
	assert_int_equal(w.drains, 1);
}

/* ---- undrain -------------------------------------------------------- */

static void
test_undrain_only_our_own_drain(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	results(&w, 0, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 1);
	results(&w, 0, true, 1);
	assert_int_equal(w.undrains, 0); /* rise is 2 */
	results(&w, 0, true, 1);
	assert_int_equal(w.undrains, 1);
	assert_int_equal(w.intent, NODE_AUTODRAIN_NOT_DRAINED);
}

static void
test_operator_drain_is_never_undone(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	/* An operator drains while the check is down... */
	results(&w, 0, false, 3);
	w.intent = NODE_AUTODRAIN_DRAINED_OTHER;
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 0);
	/* ...and the check passing again does not undrain. */
	results(&w, 0, true, 2);
	advance(&w, 10 * AUTODRAIN_JITTER_MS);
	members_changed(&w);
	assert_int_equal(w.undrains, 0);
	assert_int_equal(w.intent, NODE_AUTODRAIN_DRAINED_OTHER);

	/* An operator's drain over our automatic one is theirs too. */
	world_init(&w);
	results(&w, 0, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 1);
	w.intent = NODE_AUTODRAIN_DRAINED_OTHER;
	results(&w, 0, true, 2);
	assert_int_equal(w.undrains, 0);
}

static void
test_operator_undrain_is_never_undone(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	results(&w, 0, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 1);
	/* The operator undrains while the check is still down: the node
	 * stays undrained as membership changes and time passes. */
	w.intent = NODE_AUTODRAIN_NOT_DRAINED;
	w.active++;
	members_changed(&w);
	advance(&w, 10 * AUTODRAIN_JITTER_MS);
	members_changed(&w);
	assert_int_equal(w.drains, 1);
	assert_false(w.p.waiting);
}

/* ---- (re)start ------------------------------------------------------ */

static void
test_settle_time(void **state)
{
	struct node_health_check c[2] = {
		{ .rise = 2, .interval_ms = 1000, .timeout_ms = 500 },
		{ .rise = 1, .interval_ms = 5000, .timeout_ms = 2000 },
	};

	(void)state;
	assert_int_equal(node_autodrain_settle_ms(c, 0), 0);
	assert_int_equal(node_autodrain_settle_ms(c, 1), 3500);
	assert_int_equal(node_autodrain_settle_ms(c, 2), 12000);
	/* Large values do not wrap. */
	c[0].rise = UINT32_MAX;
	c[0].interval_ms = UINT32_MAX;
	assert_true(node_autodrain_settle_ms(c, 1) >
		    (uint64_t)UINT32_MAX * UINT32_MAX);
}

static void
test_restart_decides_only_once_settled(void **state)
{
	struct world w;
	struct node_health_check c = { .rise = 2,
				       .interval_ms = 1000,
				       .timeout_ms = 500 };

	(void)state;
	world_init(&w);
	results(&w, 0, false, 3);
	advance(&w, AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 1);
	w.active = 1; /* so a retry would be held */

	/* A reload restarts the checks: they start up, but until each has
	 * run `rise` times the old drain stays. */
	node_autodrain_policy_stopped(&w.p);
	for (size_t i = 0; i < N_CHECKS; i++)
		node_check_count_init(&w.checks[i]);
	uint64_t settle = node_autodrain_settle_ms(&c, 1);
	struct node_autodrain_action a =
		node_autodrain_policy_restarted(&w.p, w.now, settle);
	assert_int_equal(a.what, NODE_AUTODRAIN_WAIT);
	assert_int_equal(a.at_ms, w.now + 3500);
	carry_out(&w, &a);
	uint64_t restarted = w.now;
	members_changed(&w);
	advance(&w, settle - 1);
	members_changed(&w);
	assert_int_equal(w.undrains, 0);
	advance(&w, 1);
	assert_int_equal(w.undrains, 1);
	assert_int_equal(w.now, restarted + 3500);
	assert_false(w.p.waiting);
}

static void
test_stopped_forgets_the_wait(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	results(&w, 0, false, 3);
	assert_true(w.p.waiting);
	node_autodrain_policy_stopped(&w.p);
	assert_false(w.p.waiting);
	advance(&w, 10 * AUTODRAIN_JITTER_MS);
	assert_int_equal(w.drains, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rise_fall_counting),
		cmocka_unit_test(test_drain_after_jitter),
		cmocka_unit_test(test_second_down_restarts_the_wait),
		cmocka_unit_test(test_up_within_jitter_drains_nothing),
		cmocka_unit_test(test_not_ready_decides_once_ready),
		cmocka_unit_test(test_start_while_auto_drained_undrains),
		cmocka_unit_test(test_min_active_holds_back_and_logs_once),
		cmocka_unit_test(test_min_active_held_again_logs_again),
		cmocka_unit_test(
			test_members_changed_waits_for_a_pending_decision),
		cmocka_unit_test(test_undrain_only_our_own_drain),
		cmocka_unit_test(test_operator_drain_is_never_undone),
		cmocka_unit_test(test_operator_undrain_is_never_undone),
		cmocka_unit_test(test_settle_time),
		cmocka_unit_test(test_restart_decides_only_once_settled),
		cmocka_unit_test(test_stopped_forgets_the_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
