/*
 * The control socket: a unix stream socket (control.socket, mode 0660)
 * that pmgtmctl talks to with the protocol of common/ctl_proto.h.
 *
 * This file knows nothing of the daemon: it accepts clients, reads one
 * request at a time from each, asks the handler table for the answer and
 * writes it back. Every command is logged with the unix user who sent it
 * (SO_PEERCRED). Limits keep a client from stalling the daemon: a request
 * must arrive whole within the idle timeout, requests are at most
 * NODE_CONTROL_REQUEST_MAX bytes, one request per client is in flight
 * (the next stays in the socket until the answer is written), and the
 * number of clients is capped, per uid too (node/control/auth.h). A client
 * that breaks a limit or sends a malformed request gets an error response,
 * then the connection closes. Which commands a peer may run is for the
 * handler to decide (node_control_authorize()).
 */
#ifndef PMGTM_NODE_CONTROL_SERVER_H
#define PMGTM_NODE_CONTROL_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include <msgpack.h>

#define NODE_CONTROL_REQUEST_MAX (64 * 1024) /* request body bytes */
#define NODE_CONTROL_IDLE_MS 10000	     /* default, see set_idle */
#define NODE_CONTROL_CLIENTS_MAX 64

/* Who sent a command, from the kernel (SO_PEERCRED, SO_PEERGROUPS) as
 * it was when the peer connected: not forgeable. */
struct ctl_peer {
	uid_t uid;
	gid_t gid; /* effective */
	pid_t pid;
	char user[64]; /* login name, or the uid in decimal when unknown */
	const gid_t *groups; /* supplementary, owned by the connection */
	size_t n_groups;
};

struct node_control_ops {
	/*
	 * Answers one command. @args is a map (possibly empty) valid during
	 * the call. The handler packs at most one object (the response's
	 * "data") with @data; nothing packed means nil. Returns CTL_OK,
	 * CTL_ERROR or CTL_REFUSED (common/ctl_proto.h); when not CTL_OK,
	 * writes a message for the user to @err. Data packed along an error
	 * is sent too (e.g. the members that lag).
	 */
	int (*handle)(void *ctx, const char *cmd, const msgpack_object *args,
		      const struct ctl_peer *who, msgpack_packer *data,
		      char *err, size_t errlen);
};

struct node_control;

/*
 * Listens on @path: creates its parent directory when missing (0755),
 * replaces a stale socket file (refusing while another daemon answers on
 * it, or when the path is not a socket) and sets the socket to 0660.
 * @ops and @ctx must outlive the server. Returns 0 and *out, or a
 * negative errno with a one-line reason in @err.
 */
__attribute__((warn_unused_result)) int
node_control_start(uv_loop_t *loop, const char *path,
		   const struct node_control_ops *ops, void *ctx,
		   struct node_control **out, char *err, size_t errlen);

/* How long a client may take to send a whole request, or to read the
 * answer (default NODE_CONTROL_IDLE_MS). For tests. */
void node_control_set_idle(struct node_control *c, uint32_t ms);

/* Number of connected clients. */
size_t node_control_clients(const struct node_control *c);

/* Closes the listener and every client and removes the socket file; the
 * memory goes once libuv has closed the handles. NULL is a no-op. */
void node_control_close(struct node_control *c);

#endif
