/*
 * Who may do what on the control socket. Whoever can open the socket
 * (mode 0660: the daemon's user and group) may read: members, status,
 * reachability, drain_progress. The commands that change the cluster
 * (drain and undrain, with or without --force, and revoke) are for uid 0,
 * the daemon's own uid and the members of control.admin_group only, by
 * the peer's credentials from the kernel (SO_PEERCRED, SO_PEERGROUPS).
 *
 * Client slots are shared so that no one user can lock the others out:
 * a uid other than 0 holds at most NODE_CONTROL_PER_UID_MAX of them, and
 * the last NODE_CONTROL_ROOT_KEPT are for uid 0 only, so root can always
 * connect to drain or look.
 *
 * Pure decisions, no I/O.
 */
#ifndef PMGTM_NODE_CONTROL_AUTH_H
#define PMGTM_NODE_CONTROL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <msgpack.h>

#define NODE_CONTROL_PER_UID_MAX 8 /* slots one uid other than 0 holds */
#define NODE_CONTROL_ROOT_KEPT 1   /* slots only uid 0 may take */

struct ctl_peer;

/* What the policy is checked against: the daemon's effective uid, and
 * control.admin_group when set (@admin_group NULL: none). */
struct node_control_policy {
	uid_t self_uid;
	const char *admin_group;
	gid_t admin_gid;
};

/* Whether @cmd only reads. Commands not known here change something:
 * a new command is for admins until it is listed as read-only. */
bool node_control_read_only(const char *cmd);

/* Whether @who may run the commands that change the cluster: uid 0, the
 * daemon's uid, or @pol's admin group as primary or supplementary
 * group. NULL @who (no credentials) may not. */
bool node_control_may_admin(const struct node_control_policy *pol,
			    const struct ctl_peer *who);

/*
 * The decision for one command: CTL_OK, or CTL_REFUSED with a message
 * for the user in @err ("permission denied: drain needs root, ..."),
 * which names what the operator can change. @args (the request's map,
 * may be NULL) only names the command: "drain" with "drained": false is
 * an undrain.
 */
int node_control_authorize(const struct node_control_policy *pol,
			   const char *cmd, const msgpack_object *args,
			   const struct ctl_peer *who, char *err,
			   size_t errlen);

enum node_control_admit {
	NODE_CONTROL_ADMIT = 0,
	NODE_CONTROL_FULL,	/* no slot left for this uid */
	NODE_CONTROL_USER_FULL, /* this uid holds its share */
};

/* Whether a client of @uid gets a slot while @admitted clients hold one,
 * @of_uid of them with the same uid (NODE_CONTROL_CLIENTS_MAX in all). */
enum node_control_admit node_control_admit(uid_t uid, size_t admitted,
					   size_t of_uid);

#endif
