/*
 * The gossip glue: moves bytes between libuv (UDP datagrams, TCP push-pull
 * streams, one timer) and the pure state machine in gossip/, persists the
 * generation, and tells the daemon when membership changes.
 */
#ifndef PMGTM_NODE_CLUSTER_GOSSIP_IO_H
#define PMGTM_NODE_CLUSTER_GOSSIP_IO_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gossip/gossip.h"
#include "node/config/config.h"

struct gsp;
struct node_gossip;

/* Called after membership changed (the daemon rebuilds its DNS view). */
typedef void (*node_gossip_changed_cb)(void *ctx);

/*
 * Loads keys and certificates, raises the generation persisted in
 * state_dir, binds cluster.listen (UDP and TCP) and joins through the
 * seeds. Returns 0 and *out, or a negative errno with a reason in @err.
 */
__attribute__((warn_unused_result)) int
node_gossip_start(uv_loop_t *loop, const struct node_config *cfg,
		  node_gossip_changed_cb cb, void *ctx,
		  struct node_gossip **out, char *err, size_t errlen);

/* Leaves gracefully: a signed "left" record to every peer, then closes
 * everything; @done runs once the packets are out. */
void node_gossip_leave(struct node_gossip *ng, void (*done)(void *ctx),
		       void *ctx);

/* Closes without a word (errors at start-up). */
void node_gossip_close(struct node_gossip *ng);

/* Whether a full-state exchange with a peer has completed. */
bool node_gossip_synced(const struct node_gossip *ng);

/* The state machine, for reading members and stats. */
const struct gsp *node_gossip_state(const struct node_gossip *ng);

/* The state machine, for commands that change it (drain); call
 * node_gossip_kick() afterwards so what it queued goes out now. */
struct gsp *node_gossip_state_mut(struct node_gossip *ng);

void node_gossip_kick(struct node_gossip *ng);

/* The time as the state machine wants it. */
struct gsp_now node_gossip_now(const struct node_gossip *ng);

/* Monotonic milliseconds of the gossip clock, for ages. */
uint64_t node_gossip_now_ms(const struct node_gossip *ng);

/* Reads, raises and stores the generation in @dir/generation: the larger
 * of the stored value + 1 and the wall clock in seconds, so a lost or
 * corrupt file (moved aside, reported in @err) never reuses one. */
__attribute__((warn_unused_result)) int
node_generation_next(const char *dir, uint64_t unix_now, uint64_t *gen,
		     char *err, size_t errlen);

#endif
