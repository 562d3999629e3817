/*
 * The daemon's control commands: what pmgtmctl asks for, answered from
 * the cluster state and the config (node/control/server.c carries the bytes).
 *
 *   members  {"members": [{"name", "state", "drained", "addresses",
 *             "ns_name", "rtt_ms", "generation", "incarnation", "drain",
 *             "state_since_s", "self", "gossip", "last_ack_s",
 *             "cert_not_before", "cert_not_after", "key_id",
 *             "revoked"}]}
 *   status   {"name", "version", "drained", "mode", "zones", "serving",
 *             "synced", "generation", "incarnation",
 *             "peers": {"alive", "suspect", "dead", "left"},
 *             "gossip": {"rejected": {reason: n}, "sent", "received",
 *                        "bytes_sent", "bytes_received"} | nil,
 *             "cert": {"key_id", "not_before", "not_before_time",
 *                      "not_after", "not_after_time", "days_left",
 *                      "revoked"} | nil}
 *   drain, drain_progress   see node/control/drain.h
 *   reachability            see node/control/reach.h
 *   revoke                  see node/control/revoke.h
 *
 * Ages and RTTs are floats in seconds / milliseconds; nil where unknown
 * (RTT of this node itself, or a peer never acked directly). Certificate
 * times are unix seconds (integers), nil for a member that showed none
 * and on a standalone node; key_id is the key's 16 hex digits
 * (gsp_key_id_text()); "cert" of status is nil standalone. A member's
 * "drain" is nil unless an effective intent drains it, then {"by", "user",
 * "reason", "at", "expires", "version"}.
 */
#ifndef PMGTM_NODE_CONTROL_COMMANDS_H
#define PMGTM_NODE_CONTROL_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "node/control/server.h"

struct gsp;
struct node_config;
struct node_control_policy;

/* What the commands may change in the cluster: the daemon's is
 * node/cluster/cluster.h, a test brings its own. */
struct node_cmd_cluster {
	/* Issues an intent as node_gossip_drain() does: returns its version
	 * (> 0) or a negative errno. */
	int64_t (*drain)(void *ctx, const char *target, bool drained,
			 const char *user, const char *reason,
			 uint64_t expires_at);
	void *ctx;
	/* Hands a CA-signed revocation to the cluster as
	 * node_gossip_revoke() does: 1 new, 0 already held, or a negative
	 * errno (GSP_EREJECTED: refused) with a reason in @err. NULL: the
	 * revoke command refuses. */
	int (*revoke)(void *ctx, const uint8_t *rec, size_t len, char *err,
		      size_t errlen);
};

/* What the commands read, gathered at each call. */
struct node_cmd_env {
	const struct node_config *cfg;
	const struct gsp *g; /* NULL: standalone, members is this node only */
	uint64_t now_ms;     /* the gossip clock, for ages */
	bool serving;	     /* the DNS view answers the zones normally */
	uint64_t unix_s;     /* the wall clock, for intent times and expiry */
	/* Changes the cluster @g shows; NULL: the commands that issue
	 * intents refuse. */
	const struct node_cmd_cluster *cluster;
};

/* Pack the "data" object of each command with @pk. Return 0; a write
 * that fails is kept as the buffer's sticky error (struct ctl_buf). */
int node_cmd_members(const struct node_cmd_env *env, msgpack_packer *pk);
int node_cmd_status(const struct node_cmd_env *env, msgpack_packer *pk);

/* Runs command @cmd (a node_control_ops handler once @env is filled).
 * Returns CTL_OK, CTL_REFUSED, or CTL_ERROR with a message (an unknown
 * command among others). */
int node_cmd_run(const struct node_cmd_env *env, const char *cmd,
		 const msgpack_object *args, const struct ctl_peer *who,
		 msgpack_packer *data, char *err, size_t errlen);

/* Authorizes @cmd for @who under @pol, logging a refusal, then runs it
 * as node_cmd_run() does. What a node_control_ops handler calls. */
int node_cmd_dispatch(const struct node_cmd_env *env,
		      const struct node_control_policy *pol, const char *cmd,
		      const msgpack_object *args, const struct ctl_peer *who,
		      msgpack_packer *data, char *err, size_t errlen);

#endif
