/*
 * The revoke control command (node/control/revoke.h): reads the record
 * from the request and hands it to the cluster through the command
 * table, which pmgtmd fills with node_gossip_revoke().
 */
#include "node/control/revoke.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "common/mpack.h"
#include "gossip/error.h"
#include "node/control/commands.h"
#include "node/log/log.h"

/* The record's fault (the cluster will not have it), not the node's. */
static bool
refused(int rc)
{
	return (rc <= GSP_ERR_FIRST && rc >= GSP_ERR_LAST) || rc == -EBADMSG;
}

int
node_cmd_revoke(const struct node_cmd_env *env, const msgpack_object *args,
		const struct ctl_peer *who, msgpack_packer *pk, char *err,
		size_t errlen)
{
	const msgpack_object *rec = ctl_map_get(args, "record");
	char why[CTL_ERROR_MAX];
	int rc;

	if (!env->g || !env->cluster || !env->cluster->revoke) {
		snprintf(err, errlen, "revoke needs a cluster");
		return CTL_ERROR;
	}
	if (!rec || rec->type != MSGPACK_OBJECT_BIN || !rec->via.bin.size) {
		snprintf(err, errlen, "\"record\" is required (bin)");
		return CTL_ERROR;
	}
	if (rec->via.bin.size > NODE_CMD_REVOCATION_MAX) {
		snprintf(err, errlen,
			 "\"record\" is %u bytes, more than a revocation "
			 "(%d at most)",
			 (unsigned)rec->via.bin.size, NODE_CMD_REVOCATION_MAX);
		return CTL_ERROR;
	}
	why[0] = '\0';
	rc = env->cluster->revoke(env->cluster->ctx,
				  (const uint8_t *)rec->via.bin.ptr,
				  rec->via.bin.size, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "revocation refused: %s",
			 why[0] ? why : gsp_strerror(rc));
		node_log(NODE_LOG_WARN, "revocation refused", "user",
			 who && who->user[0] ? who->user : "unknown", "error",
			 err, NULL);
		return refused(rc) ? CTL_REFUSED : CTL_ERROR;
	}
	node_log(NODE_LOG_INFO, "revocation received", "user",
		 who && who->user[0] ? who->user : "unknown", "new",
		 rc > 0 ? "true" : "false", NULL);
	msgpack_pack_map(pk, 1);
	cmn_pack_str(pk, "new");
	cmn_pack_bool(pk, rc > 0);
	return CTL_OK;
}
