/*
 * Reachability scenarios: the matrix every node holds, and split views.
 */
#include <stdlib.h>
#include <string.h>

#include "scenarios.h"
#include "sim.h"

/* Whether node @at's matrix has @observer's row saying @target is
 * @reachable. */
static bool
cell(struct sim *s, int at, const char *observer, const char *target,
     bool reachable)
{
	struct gsp_reach_row *row = malloc(sizeof(*row));
	bool ok = false;

	for (size_t i = 0;
	     row && gsp_reach_get(s->nodes[at].g, sim_now(s), i, row); i++) {
		if (strcmp(row->observer, observer) != 0)
			continue;
		for (size_t c = 0; c < row->n; c++)
			if (!strcmp(row->cells[c].peer, target))
				ok = row->cells[c].reachable == reachable &&
				     !row->stale;
		break;
	}
	free(row);
	return ok;
}

static bool
matrix_shows_cut(struct sim *s, void *arg)
{
	for (int at = 0; at < 3; at++)
		if (!cell(s, at, "n0", "n2", false) ||
		    !cell(s, at, "n1", "n2", true))
			return false;
	return true;
}

static bool
matrix_healed(struct sim *s, void *arg)
{
	for (int at = 0; at < 3; at++)
		if (!cell(s, at, "n0", "n2", true) ||
		    !cell(s, at, "n2", "n0", true))
			return false;
	return true;
}

void
reach_scenarios(uint64_t seed)
{
	struct sim s;
	uint64_t when = 0;

	sim_init(&s, seed + 30, false);
	s.quiet = true;
	for (int i = 0; i < 3; i++)
		sim_add(&s);
	sim_run(&s, 10000);
	bool clean = true;
	for (int i = 0; i < 3; i++)
		clean &= s.nodes[i].splits_on == 0;
	uint64_t suspects = 0;
	for (int i = 0; i < 3; i++)
		suspects += s.nodes[i].suspects_seen;

	s.cut[0][2] = true; /* n0 -> n2 lost; n1 <-> n2 fine */
	uint64_t t0 = s.now;
	bool ok =
		sim_run_until(&s, s.now + 20000, matrix_shows_cut, NULL, &when);
	CHECK(clean && ok,
	      "one-way cut n0 -> n2: every node's matrix shows n0's row with "
	      "n2 unreachable and n1's row with n2 reachable after %.1f s",
	      (when - t0) / 1000.0);
	sim_run(&s, s.now + 30000);
	bool alive = sim_all_see(&s, "n2", 1u << GSP_ALIVE) &&
		     sim_all_see(&s, "n0", 1u << GSP_ALIVE);
	uint64_t suspects2 = 0;
	for (int i = 0; i < 3; i++)
		suspects2 += s.nodes[i].suspects_seen;
	CHECK(alive && suspects2 == suspects,
	      "n2 (and n0) stay alive, nobody suspected, for 30 s of cut");
	/* n0 cannot reach n2 and, its acks being lost, n2 cannot reach n0:
	 * two targets in split view, each reported once per node. */
	bool once = true;
	for (int i = 0; i < 3; i++)
		once &= s.nodes[i].splits_on == 2;
	CHECK(once,
	      "split views reported once per target per node (%llu, %llu, "
	      "%llu events for n2 and n0), not once per probe",
	      (unsigned long long)s.nodes[0].splits_on,
	      (unsigned long long)s.nodes[1].splits_on,
	      (unsigned long long)s.nodes[2].splits_on);

	s.cut[0][2] = false;
	t0 = s.now;
	ok = sim_run_until(&s, s.now + 30000, matrix_healed, NULL, &when);
	sim_run(&s, s.now + 10000);
	bool healed = true;
	for (int i = 0; i < 3; i++)
		healed &=
			s.nodes[i].splits_off == 2 && s.nodes[i].splits_on == 2;
	CHECK(ok && healed,
	      "cut healed: matrix all reachable after %.1f s, one heal event "
	      "per target per node",
	      (when - t0) / 1000.0);
	sim_fini(&s);
}

/* 30% loss on one direction of one link shows as loss, not as
 * unreachable; a dead node's row is flagged stale. */
void
reach_loss_scenarios(uint64_t seed)
{
	struct sim s;
	struct gsp_reach_row *row = malloc(sizeof(*row));

	sim_init(&s, seed + 31, false);
	s.quiet = true;
	for (int i = 0; i < 3; i++)
		sim_add(&s);
	sim_run(&s, 10000);
	uint64_t changes = s.nodes[0].reach_changes + s.nodes[2].reach_changes;
	s.loss[0][2] = 30;
	sim_run(&s, s.now + 120000);
	uint16_t loss = 0;
	bool reachable = false;
	gsp_reach_get(s.nodes[0].g, sim_now(&s), 0, row);
	for (size_t c = 0; c < row->n; c++) {
		if (!strcmp(row->cells[c].peer, "n2")) {
			loss = row->cells[c].loss_permille;
			reachable = row->cells[c].reachable;
		}
	}
	uint64_t flips =
		s.nodes[0].reach_changes + s.nodes[2].reach_changes - changes;
	CHECK(reachable && loss >= 100 && flips == 0,
	      "30%% loss n0 -> n2 for 120 s: shows as loss (n0 measures "
	      "%.2f), never as unreachable (%llu changes)",
	      loss / 1000.0, (unsigned long long)flips);
	s.loss[0][2] = 0;

	sim_kill(&s, 1);
	sim_run(&s, s.now + 10000);
	bool stale = false;
	for (size_t i = 0; gsp_reach_get(s.nodes[0].g, sim_now(&s), i, row);
	     i++)
		if (!strcmp(row->observer, "n1"))
			stale = row->stale && row->age_ms >= 9000;
	CHECK(stale, "a dead node's row is flagged stale, with its age");

	/* Restarted: its new generation usually arrives before its first
	 * row, whose number starts again from 1. The rows must still win. */
	sim_restart(&s, 1);
	sim_run(&s, s.now + 40000);
	bool fresh = true;
	for (int at = 0; at < 3; at += 2) {
		bool seen = false;
		for (size_t i = 0;
		     gsp_reach_get(s.nodes[at].g, sim_now(&s), i, row); i++)
			if (!strcmp(row->observer, "n1"))
				seen = !row->stale && row->age_ms <= 15000;
		fresh &= seen;
	}
	CHECK(fresh, "a restarted node's new rows replace its old ones "
		     "everywhere (not stale 40 s later)");
	free(row);
	sim_fini(&s);
}
