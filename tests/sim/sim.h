/*
 * A deterministic world for gossip state machines: many nodes in one
 * process, a fake network (per-link loss, one-way cuts, delay and jitter,
 * so reordering) and a virtual clock. Randomness comes from one seeded
 * generator, so a run is reproduced from its seed.
 */
#ifndef PMGTM_TESTS_SIM_H
#define PMGTM_TESTS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/cert.h"
#include "gossip/gossip.h"

#define SIM_MAX 64

struct sim_node {
	struct gsp *g;
	char name[16];
	struct gsp_endpoint ep;
	bool up;
	uint64_t deadline;
	uint64_t generation;
	uint8_t sk[GSP_SK_LEN];
	uint8_t cert[GSP_CERT_MAX];
	size_t cert_len;
	/* intents saved at kill time (the state file), loaded at restart */
	uint8_t *saved[64];
	size_t saved_len[64], n_saved;
	uint64_t synced_at; /* when its first sync happened, 0 not yet */
	bool drained_at_sync;
	uint64_t splits_on, splits_off; /* SPLIT events: disagree / healed */
	uint64_t reach_changes;		/* REACH events */
	uint64_t suspects_seen;		/* SUSPECT events this node logged */
	uint64_t deads_seen;		/* DEAD events this node logged */
	uint64_t load_refused;		/* saved records refused at restart */
};

struct sim_pkt;

struct sim {
	uint64_t seed, rng;
	uint64_t now;	/* virtual ms */
	uint64_t epoch; /* unix seconds at now = 0 */
	bool wan;
	struct gsp_timing timing;
	uint8_t ca_pk[GSP_PK_LEN], ca_sk[GSP_SK_LEN];
	/* CA keys nodes trust when they start; none: ca_pk alone */
	uint8_t trust[GSP_CA_MAX][GSP_PK_LEN];
	size_t n_trust;
	struct sim_node nodes[SIM_MAX];
	size_t n;
	/* the network */
	uint8_t loss[SIM_MAX][SIM_MAX]; /* percent dropped, from -> to */
	bool cut[SIM_MAX][SIM_MAX];	/* from -> to never arrives */
	uint32_t delay_ms, jitter_ms;
	struct sim_pkt *pkts; /* binary heap by delivery time */
	size_t n_pkts, cap_pkts;
	uint64_t delivered, dropped;
	bool quiet;
	bool sealed; /* nodes start with keyrings[i] */
	struct gsp_keyring keyrings[SIM_MAX];
	uint64_t order; /* FIFO among packets due at the same time */
};

/* Seed: from PMGTM_SIM_SEED when set, else @fallback; printed. */
uint64_t sim_seed(uint64_t fallback);

void sim_init(struct sim *s, uint64_t seed, bool wan);

void sim_fini(struct sim *s);

/* Adds and starts a node "n<i>" that joins through node 0 (unless it is
 * node 0). Returns its index. */
int sim_add(struct sim *s);

/* Stops a node without a word (kill -9). */
void sim_kill(struct sim *s, int i);

/* Starts a stopped node again with its next generation. */
void sim_restart(struct sim *s, int i);

/* Runs the world until virtual time @until (ms). */
void sim_run(struct sim *s, uint64_t until);

/* Runs until @pred holds (checked after each event) or @until; returns
 * whether it held, the time in *when. */
bool sim_run_until(struct sim *s, uint64_t until,
		   bool (*pred)(struct sim *s, void *arg), void *arg,
		   uint64_t *when);

/* State of member @name in node @i's view, or -1 when unknown. */
int sim_state(struct sim *s, int i, const char *name);

/* Incarnation of member @name in node @i's view. */
uint64_t sim_inc(struct sim *s, int i, const char *name);

/* Whether every up node sees every node in @states (bit mask by
 * enum gsp_state) - used for "all alive" and "all see X dead". */
bool sim_all_see(struct sim *s, const char *name, unsigned states);

/* Delivers raw bytes to node @to as if sent from node @from. */
void sim_inject(struct sim *s, int from, int to, const uint8_t *buf,
		size_t len);

/* The world's time as a state machine sees it. */
struct gsp_now sim_now(const struct sim *s);

/* Random number from the world's generator. */
uint64_t sim_rand(struct sim *s);

#endif
