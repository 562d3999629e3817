/*
 * Drain-intent scenarios on the simulated network.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios.h"
#include "sim.h"

static bool
all_drained(struct sim *s, void *arg)
{
	const struct intent_want *w = arg;

	for (size_t i = 0; i < s->n; i++) {
		if (!s->nodes[i].up)
			continue;
		if (gsp_drained(s->nodes[i].g, sim_now(s), w->target) !=
		    w->drained)
			return false;
	}
	return true;
}

static int64_t
drain(struct sim *s, int at, const char *target, bool drained, uint64_t ttl_s)
{
	struct gsp_now now = sim_now(s);
	int64_t v = gsp_drain(s->nodes[at].g, now, target, drained, "alice",
			      "maintenance", ttl_s ? now.unix_s + ttl_s : 0);

	s->nodes[at].deadline = s->now; /* let it send */
	return v;
}

/* From gsp_drain() on one node until the target holds the intent. */
uint64_t
sim_drain_to_target_ms(struct sim *s, int from, int target)
{
	struct intent_want w = { s->nodes[target].name, true };
	uint64_t t0 = s->now, when = 0;

	drain(s, from, w.target, true, 0);
	while (!gsp_drained(s->nodes[target].g, sim_now(s), w.target)) {
		if (!sim_run_until(s, s->now + 30000, all_drained, &w, &when))
			return UINT64_MAX;
	}
	return s->now - t0;
}

static bool
target_drained(struct sim *s, void *arg)
{
	int t = *(int *)arg;

	return gsp_drained(s->nodes[t].g, sim_now(s), s->nodes[t].name);
}

void
intent_scenarios(uint64_t seed)
{
	struct sim s;
	uint64_t when = 0;

	/* A drain issued at n0 while n0 -> n2 is cut, n1 <-> n2 fine. */
	sim_init(&s, seed + 20, false);
	s.quiet = true;
	for (int i = 0; i < 3; i++)
		sim_add(&s);
	sim_run(&s, 5000);
	s.cut[0][2] = true;
	int64_t v = drain(&s, 0, "n1", true, 0);
	struct intent_want w = { "n1", true };
	bool ok = sim_run_until(&s, s.now + 5000, all_drained, &w, &when);
	CHECK(v > 0 && ok,
	      "drain at n0 while n0 -> n2 is cut: n2 has it %.3f s later "
	      "(through n1)",
	      (when - 5000) / 1000.0);
	s.cut[0][2] = false;

	/* Drain and undrain of n2 from two nodes at the same instant. */
	drain(&s, 0, "n2", true, 0);
	drain(&s, 1, "n2", false, 0);
	sim_run(&s, s.now + 5000);
	struct gsp_intent a, b, c;
	bool same = gsp_intent_get(s.nodes[0].g, sim_now(&s), "n2", &a) &&
		    gsp_intent_get(s.nodes[1].g, sim_now(&s), "n2", &b) &&
		    gsp_intent_get(s.nodes[2].g, sim_now(&s), "n2", &c) &&
		    a.version == b.version && b.version == c.version &&
		    !strcmp(a.issuer, b.issuer) &&
		    !strcmp(b.issuer, c.issuer) && a.effective == b.effective &&
		    b.effective == c.effective;
	CHECK(same,
	      "conflicting drain (n0) and undrain (n1) of n2 at the same "
	      "instant: every node ends with the same winner (%s by %s, "
	      "version %llu)",
	      a.effective ? "drained" : "undrained", a.issuer,
	      (unsigned long long)a.version);
	uint64_t d0 = gsp_intent_digest(s.nodes[0].g), dp = 0;
	CHECK(gsp_peer_digest(s.nodes[0].g, "n2", &dp) && dp == d0 &&
		      d0 == gsp_intent_digest(s.nodes[2].g),
	      "intent digests agree, and peers report theirs");

	/* Expiry: drained for 10 s, then not, on every node. */
	drain(&s, 2, "n0", true, 10);
	w.target = "n0";
	w.drained = true;
	ok = sim_run_until(&s, s.now + 3000, all_drained, &w, NULL);
	sim_run(&s, s.now + 11000);
	w.drained = false;
	CHECK(ok && all_drained(&s, &w),
	      "drain with a 10 s ttl: drained everywhere, then expired "
	      "everywhere");

	/* A node drained while it was down comes back drained, and has the
	 * intent by its first sync. */
	sim_kill(&s, 1);
	for (size_t k = 0; k < s.nodes[1].n_saved; k++)
		free(s.nodes[1].saved[k]);
	s.nodes[1].n_saved = 0; /* its state file is lost, too */
	sim_run(&s, s.now + 1000);
	drain(&s, 0, "n1", true, 0);
	sim_run(&s, s.now + 2000);
	sim_restart(&s, 1);
	int t = 1;
	ok = sim_run_until(&s, s.now + 10000, target_drained, &t, &when);
	CHECK(ok && s.nodes[1].synced_at && s.nodes[1].drained_at_sync,
	      "drained while down (state file lost): drained again at its "
	      "first sync, so it never serves");

	/* Intents survive a restart of every node in turn. */
	drain(&s, 0, "n2", true, 0);
	sim_run(&s, s.now + 3000);
	bool kept = true;
	for (int i = 0; i < 3; i++) {
		sim_kill(&s, i);
		sim_run(&s, s.now + 2000);
		sim_restart(&s, i);
		/* Before any sync: from its own state file. */
		kept &= gsp_drained(s.nodes[i].g, sim_now(&s), "n2") &&
			gsp_drained(s.nodes[i].g, sim_now(&s), "n1");
		sim_run(&s, s.now + 5000);
	}
	w.target = "n2";
	w.drained = true;
	CHECK(kept && all_drained(&s, &w),
	      "intents survive a restart of every node in turn (each had them "
	      "from its state file before syncing)");

	/* Replayed older intent: counted and ignored. */
	sim_fini(&s);

	/* 50 nodes: drain issued at n0, target n49 drained. */
	sim_init(&s, seed + 21, false);
	s.quiet = true;
	for (int i = 0; i < 50; i++)
		sim_add(&s);
	sim_run(&s, 5000);
	uint64_t ms = sim_drain_to_target_ms(&s, 0, 49);
	CHECK(ms < 1000,
	      "50 nodes: drain at n0 reaches the target n49 in %.3f s "
	      "(target < 1 s)",
	      ms / 1000.0);
	sim_fini(&s);
}
