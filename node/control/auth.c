#include "node/control/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/control/server.h"
#include "common/ctl_proto.h"

/* Listed here, not at each command, so that forgetting a new command
 * leaves it closed rather than open. */
static const char *const read_only[] = {
	"members",
	"status",
	"reachability",
	"drain_progress",
};

bool
node_control_read_only(const char *cmd)
{
	for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		if (!strcmp(cmd, read_only[i]))
			return true;
	return false;
}

static bool
in_group(const struct ctl_peer *who, gid_t gid)
{
	if (who->gid == gid)
		return true;
	for (size_t i = 0; i < who->n_groups; i++)
		if (who->groups[i] == gid)
			return true;
	return false;
}

bool
node_control_may_admin(const struct node_control_policy *pol,
		       const struct ctl_peer *who)
{
	if (!who)
		return false;
	if (who->uid == 0 || who->uid == pol->self_uid)
		return true;
	return pol->admin_group && in_group(who, pol->admin_gid);
}

/* What the user typed: drain and undrain are one command on the wire. */
static const char *
verb(const char *cmd, const msgpack_object *args)
{
	const msgpack_object *v = args ? ctl_map_get(args, "drained") : NULL;

	if (!strcmp(cmd, "drain") && v && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    !v->via.boolean)
		return "undrain";
	return cmd;
}

int
node_control_authorize(const struct node_control_policy *pol, const char *cmd,
		       const msgpack_object *args, const struct ctl_peer *who,
		       char *err, size_t errlen)
{
	if (node_control_read_only(cmd) || node_control_may_admin(pol, who))
		return CTL_OK;
	if (pol->admin_group)
		snprintf(err, errlen,
			 "permission denied: %s needs root, the daemon's user "
			 "or group %s (control.admin_group)",
			 verb(cmd, args), pol->admin_group);
	else
		snprintf(err, errlen,
			 "permission denied: %s needs root or the daemon's "
			 "user (no control.admin_group is set)",
			 verb(cmd, args));
	return CTL_REFUSED;
}

enum node_control_admit
node_control_admit(uid_t uid, size_t admitted, size_t of_uid)
{
	if (uid == 0)
		return admitted < NODE_CONTROL_CLIENTS_MAX ? NODE_CONTROL_ADMIT
							   : NODE_CONTROL_FULL;
	if (of_uid >= NODE_CONTROL_PER_UID_MAX)
		return NODE_CONTROL_USER_FULL;
	if (admitted >= NODE_CONTROL_CLIENTS_MAX - NODE_CONTROL_ROOT_KEPT)
		return NODE_CONTROL_FULL;
	return NODE_CONTROL_ADMIT;
}
