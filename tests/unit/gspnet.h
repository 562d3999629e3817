/*
 * Test helper: a few real gossip state machines (gossip/gossip.h) in one
 * process on a virtual clock, each delivering the others' outbox after a
 * constant latency, so command tests can ask a live cluster exact
 * questions (an RTT of 2 * GSPNET_LATENCY_MS, a state at a known time).
 *
 * Node i is "lb<i+1>", gossips from 10.0.0.<i+1>:7946, serves from
 * 198.51.100.<10+i> and holds a certificate from the network's CA valid
 * for 30 days from GSPNET_T0. Keys and "randomness" come from fixed seeds:
 * the tests assert no random outcome, yet each run is the same run.
 *
 * Failures to set up are test failures (cmocka asserts), so the tests
 * need no error paths.
 */
#ifndef PMGTM_TESTS_GSPNET_H
#define PMGTM_TESTS_GSPNET_H

#include <stdbool.h>
#include <stdint.h>

#include "gossip/gossip.h"

#define GSPNET_MAX 3	      /* nodes */
#define GSPNET_T0 1764241200u /* unix time at virtual 0: 2025-11-27T11:00Z */
#define GSPNET_LATENCY_MS 2   /* each way, TCP and datagrams alike */

struct gspnet;

/* Told of every event node @node emits, in order; after it, the event is
 * gone. */
typedef void (*gspnet_event_fn)(void *ctx, int node,
				const struct gsp_event *ev);

struct gspnet_opts {
	int nodes;	  /* 1 to GSPNET_MAX */
	uint8_t ca_seed;  /* the CA key pair from 32 bytes of it */
	uint8_t key_seed; /* node i's key pair from 32 bytes of key_seed + i */
	uint64_t rnd;	  /* start of the shared "random" sequence */
	const char *ns_zone; /* when set, node lbN announces "lbN.<ns_zone>" */
	gspnet_event_fn on_event; /* NULL: events are dropped */
	void *event_ctx;
};

/* Creates the nodes, 0 first, at virtual time 0, with LAN timings. They
 * know nobody until gspnet_join(). Free with gspnet_free(). */
struct gspnet *gspnet_new(const struct gspnet_opts *o);

/* Frees the nodes and the packets still in flight. */
void gspnet_free(struct gspnet *n);

/* Node @i's state machine, owned by @n (valid until gspnet_free()). */
struct gsp *gspnet_gsp(const struct gspnet *n, int i);

/* The virtual time: ms since the start, and GSPNET_T0 plus its seconds. */
struct gsp_now gspnet_now(const struct gspnet *n);

/* Node @i joins through node @seed; the join message leaves at once. */
void gspnet_join(struct gspnet *n, int i, int seed);

/*
 * Runs @ms milliseconds of virtual time, one millisecond at a time: at
 * each, the packets due are delivered (a TCP request gets its reply sent
 * back), then every node that is up ticks, and whatever a node sends is
 * queued for now + GSPNET_LATENCY_MS.
 */
void gspnet_run(struct gspnet *n, uint64_t ms);

/* From now on, datagrams from @from to @to are lost (@lost) or delivered
 * again; TCP goes on either way, so only the direct probes fail. */
void gspnet_cut(struct gspnet *n, int from, int to, bool lost);

/* Node @i stops (@down: it no longer ticks and everything to and from it
 * is lost, as for a silent host) or starts again. */
void gspnet_down(struct gspnet *n, int i, bool down);

#endif
