/*
 * Shared by the scenario files of tests/sim.
 */
#ifndef PMGTM_TESTS_SIM_SCENARIOS_H
#define PMGTM_TESTS_SIM_SCENARIOS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim.h"

extern int sim_passed, sim_failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			sim_passed++;                                          \
			printf("ok - ");                                       \
		} else {                                                       \
			sim_failed++;                                          \
			printf("FAIL - ");                                     \
		}                                                              \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		fflush(stdout);                                                \
	} while (0)

struct intent_want {
	const char *target;
	bool drained;
};

/* tests/sim/intents.c */
void intent_scenarios(uint64_t seed);

/* tests/sim/reach.c */
void reach_scenarios(uint64_t seed);

void reach_loss_scenarios(uint64_t seed);

/* tests/sim/hostile.c */
void hostile_scenarios(uint64_t seed);

/* Four nodes n0-n3 on a lan profile, quiet, run 6 s: formed. */
void sim_quiet_four(struct sim *s, uint64_t seed);

/* tests/sim/lifecycle.c */
void lifecycle_scenarios(uint64_t seed);

/* From gsp_drain() at node @from until node @target holds the intent. */
uint64_t sim_drain_to_target_ms(struct sim *s, int from, int target);

#endif
