/*
 * The control command that hands a certificate revocation to the cluster
 * (pmgtmctl revoke FILE, with the bytes pmgtmctl cert revoke wrote):
 *
 *   revoke   args {"record": bin (the revocation record, at most
 *                  NODE_CMD_REVOCATION_MAX bytes)}
 *            data {"new": bool (false: this node held it already)}
 *
 * The daemon checks the record against the CAs of cluster.ca_file and
 * the cluster's name, keeps it and spreads it (node_gossip_revoke()). A
 * revocation changes the cluster: the same users as for drain may send
 * it (node/control/auth.h). Exit codes: CTL_REFUSED for a record the
 * cluster refuses (not signed by its CA, another cluster's, malformed),
 * CTL_ERROR for a bad request, a standalone node, or a failure to keep it.
 */
#ifndef PMGTM_NODE_CONTROL_REVOKE_H
#define PMGTM_NODE_CONTROL_REVOKE_H

#include <stddef.h>

#include <msgpack.h>

/* Far above a revocation's size (gossip/revoke.h), far below a frame. */
#define NODE_CMD_REVOCATION_MAX 1024

struct ctl_peer;
struct node_cmd_env;

int node_cmd_revoke(const struct node_cmd_env *env, const msgpack_object *args,
		    const struct ctl_peer *who, msgpack_packer *pk, char *err,
		    size_t errlen);

#endif
