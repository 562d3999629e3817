/*
 * Which /metrics connections to close, apart from libmicrohttpd: its own
 * timeout counts only silence, so a client sending a byte now and then
 * would keep a slot for ever, and a few such clients fill the endpoint.
 *
 * Each connection is "waiting" from when it opened or its previous
 * response went until its next request is complete. The sweep closes
 * a connection that has waited @deadline_ms, and, per source (the
 * address; /64 for IPv6), all but the @per_source most recent of those
 * that have waited @grace_ms or more: a burst of quick scrapes from one
 * host is served in full, while a host that holds slots without
 * finishing its requests keeps only a few of them.
 */
#ifndef PMGTM_NODE_OBS_METRICS_GUARD_H
#define PMGTM_NODE_OBS_METRICS_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/source.h"

struct sockaddr;

#define NODE_MGUARD_SOURCE NODE_SOURCE_LEN

struct node_mguard_conn {
	struct node_mguard_conn *prev, *next;
	uint8_t source[NODE_MGUARD_SOURCE];
	uint64_t since; /* ms: opened, or its previous response went */
	uint64_t seq;	/* orders the sinces */
	bool cut;	/* closed by a sweep */
	void *ctx;	/* the caller's */
};

struct node_mguard {
	struct node_mguard_conn *head;
	uint64_t seq;
};

/* Starts tracking @c (storage the caller owns), opened at @now from
 * @peer (NULL: an unknown source of its own). */
void node_mguard_add(struct node_mguard *g, struct node_mguard_conn *c,
		     const struct sockaddr *peer, uint64_t now);

/* Stops tracking @c. */
void node_mguard_remove(struct node_mguard *g, struct node_mguard_conn *c);

/* A request on @c is complete (its response went) at @now. */
void node_mguard_done(struct node_mguard *g, struct node_mguard_conn *c,
		      uint64_t now);

typedef void (*node_mguard_cut_cb)(struct node_mguard_conn *c, void *arg);

/* Marks the connections to close at @now (see above) and calls @cut
 * once for each. Returns the milliseconds until a sweep may find more,
 * or UINT64_MAX when no connection is waiting. */
uint64_t node_mguard_sweep(struct node_mguard *g, uint64_t now,
			   uint64_t deadline_ms, uint64_t grace_ms,
			   size_t per_source, node_mguard_cut_cb cut,
			   void *arg);

#endif
