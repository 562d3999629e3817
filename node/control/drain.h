/*
 * The control commands that drain and undrain members, and
 * the progress query behind pmgtmctl drain --wait.
 *
 *   drain    args {"target": str, "drained": bool, "reason": str (optional,
 *                  at most 255 bytes), "ttl_ms": uint (optional, drains
 *                  only; 0 or absent: no expiry), "force": bool (optional)}
 *            data {"target", "drained", "effective", "version", "issuer",
 *                  "user", "reason", "at", "expires"}
 *                 or {"noop": true, "target", "message"} for an undrain of
 *                 a member that is not drained
 *   drain_progress
 *            args {"target": str, "version": uint}
 *            data {"target", "version", "intent": {as drain's data} | nil,
 *                  "superseded", "target_state", "target_applied",
 *                  "members": [{"name", "state", "has"}], "lagging": [name],
 *                  "ttl_s"}
 *
 * Codes: 1 for bad arguments or a standalone node, 2 for an unknown
 * member or a drain that cluster.min_active refuses. Times are RFC 3339
 * UTC strings; "reason" and "expires" are nil when there is none.
 *
 * Who has an intent is told by intent digests (gsp_intent_digest): a
 * member whose last packet carried our digest holds what we hold. It says
 * nothing about one intent alone, so while two intents spread at once a
 * member may show as lagging until both have reached it: slower, never
 * wrong in the direction that matters (no early "done").
 */
#ifndef PMGTM_NODE_CONTROL_DRAIN_H
#define PMGTM_NODE_CONTROL_DRAIN_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct ctl_peer;
struct gsp_intent;
struct node_cmd_env;

/* Issues a drain or undrain intent on behalf of @who (its unix user is
 * recorded in the intent). Returns CTL_OK, CTL_ERROR or CTL_REFUSED with a
 * message in @err; see above for what is packed. */
int node_cmd_drain(const struct node_cmd_env *env, const msgpack_object *args,
		   const struct ctl_peer *who, msgpack_packer *pk, char *err,
		   size_t errlen);

/* How far the intent (target, version) has spread, from this node's view
 * of the other members' digests. */
int node_cmd_drain_progress(const struct node_cmd_env *env,
			    const msgpack_object *args,
			    const struct ctl_peer *who, msgpack_packer *pk,
			    char *err, size_t errlen);

/* The "drain" object of a member in the members listing: {"by", "user",
 * "reason", "at", "expires", "version"}. */
void node_cmd_pack_drain(msgpack_packer *pk, const struct gsp_intent *in);

#endif
