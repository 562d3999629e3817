/*
 * The cluster room: moves bytes between libuv (UDP datagrams, TCP
 * push-pull streams, timers) and the pure state machine in gossip/,
 * persists the generation and the drain intents in state_dir, and tells
 * the daemon when membership or intents changed.
 *
 * The daemon's callback is never re-entered: what changes while it runs
 * (a drain issued by auto-drain) is reported by one more call once it has
 * returned. A drain is sent before anything slower is done for it (the
 * intents file's fsync, the view rebuild), and never from inside the pump.
 */
#ifndef PMGTM_NODE_CLUSTER_CLUSTER_H
#define PMGTM_NODE_CLUSTER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gossip/gossip.h"

struct gsp;
struct node_config;
struct node_gossip;

/* Called after membership or intents changed (the daemon rebuilds its DNS
 * view); the intents file is already written. */
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

/*
 * Issues a drain (or, with @drained false, undrain) intent about @target
 * as this node, for @user, with @reason and @expires_at (unix seconds, 0:
 * never). Before it returns the intent is applied and sent to
 * gossip_fanout peers, then the intents file is written and the daemon's
 * callback run (when called from inside that callback: right after it
 * returns; from inside the pump: the send waits for the next loop turn).
 * Returns the version (> 0) or a negative errno.
 */
int64_t node_gossip_drain(struct node_gossip *ng, const char *target,
			  bool drained, const char *user, const char *reason,
			  uint64_t expires_at);

/* Hands a revocation (the bytes `pmgtmctl cert revoke` wrote) to the
 * cluster: verified against the CAs and the cluster name, kept in
 * state_dir and spread to every peer. Returns 1 new, 0 already held, or a
 * negative errno (GSP_EREJECTED: refused) with a reason in @err. */
int node_gossip_revoke(struct node_gossip *ng, const uint8_t *rec, size_t len,
		       char *err, size_t errlen);

/* A reload (SIGHUP) of what the gossip takes from the config: the key
 * and certificate (a renewal or a new key, announced at once), the CA keys
 * (a CA rotation), the addresses and NS name. Returns 0, or a negative
 * errno with a reason naming the file in @err (then the old identity
 * stays). */
int node_gossip_reload(struct node_gossip *ng, const struct node_config *cfg,
		       char *err, size_t errlen);

/* The time as the state machine wants it. */
struct gsp_now node_gossip_now(const struct node_gossip *ng);

#endif
