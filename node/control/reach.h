/*
 * The reachability control command: the whole matrix this
 * node holds, one row per observer, and the targets observers disagree
 * about.
 *
 *   reachability
 *     data {"observers": [{"name", "self", "age_s", "stale",
 *                          "peers": [{"name", "reachable", "path",
 *                                     "rtt_ms", "p50_ms", "p99_ms",
 *                                     "loss", "last_ack_s"}]}],
 *           "split_views": [{"target", "reachable_from": [name],
 *                            "unreachable_from": [name]}]}
 *
 * Observers: this node first, its own live view ("self" true, "age_s" 0,
 * never stale), then every member whose signed row we hold, in member
 * order. "age_s" is how long ago the row was made (whole seconds: rows
 * carry the wall clock); "stale" when older than three publication
 * periods or its observer is dead or gone.
 *
 * A peer is "reachable" when one of the observer's last three probes got
 * a direct ack. "path" is "direct" when reachable, "indirect" when only
 * ping-req through other members reached it, else "none". "rtt_ms" is the
 * smoothed direct RTT, nil when not reachable or never measured;
 * "p50_ms" / "p99_ms" are over the recent direct acks, nil without any.
 * "loss" is the share of recent probes without a direct ack (0..1).
 * "last_ack_s" is the age of the last direct ack when the row was made
 * (add "age_s" for now), nil when never acked.
 *
 * Split views come from fresh rows only (gsp_split_views). A standalone
 * node has no matrix: both lists are empty.
 */
#ifndef PMGTM_NODE_CONTROL_REACH_H
#define PMGTM_NODE_CONTROL_REACH_H

#include <msgpack.h>

struct node_cmd_env;

/* Packs the "data" object above. Returns 0, or -ENOMEM (nothing packed)
 * when a row cannot be allocated; a write that fails is kept as the
 * buffer's sticky error. */
int node_cmd_reachability(const struct node_cmd_env *env, msgpack_packer *pk);

#endif
