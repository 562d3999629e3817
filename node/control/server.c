#include "node/control/server.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gossip/codec.h"
#include "node/control/auth.h"
#include "common/ctl_proto.h"
#include "node/log/log.h"
#include "node/net/conn.h"

#define CLOSE_GRACE_MS 1000 /* to flush a last error response */
#define OVERFLOW_MAX 16	    /* clients past the cap told why, not dropped */
/* Room for a burst of every client the daemon admits and tells why: with
 * less, the kernel refuses a connect (EAGAIN on a unix socket) before the
 * loop has had a turn to accept. */
#define BACKLOG (NODE_CONTROL_CLIENTS_MAX + OVERFLOW_MAX)
#define GROUPS_GUESS 32	 /* supplementary groups asked for first */
#define GROUPS_MAX 65536 /* NGROUPS_MAX of Linux */

struct client;

struct node_control {
	uv_loop_t *loop;
	uv_pipe_t listener;
	const struct node_control_ops *ops;
	void *ctx;
	struct node_conn_list clients;
	size_t n_admitted; /* clients holding a slot, not being refused */
	uint32_t idle_ms;
	char *path;
	dev_t dev; /* the socket file we made, so close removes only it */
	ino_t ino;
};

struct client {
	struct node_conn conn; /* first: the handles' data point here */
	uv_pipe_t pipe;
	uv_timer_t timer; /* request deadline, then write deadline */
	struct node_control *ctl;
	struct ctl_reader rd;
	struct ctl_peer peer;
	gid_t *groups; /* peer.groups */
	char uid[16];
	bool writing;
	bool last;     /* close once the response is out */
	bool admitted; /* holds a slot (node_control_admit) */
};

_Static_assert(offsetof(struct client, conn) == 0, "conn first");

struct write_req {
	uv_write_t req;
	struct client *cl;
	struct ctl_buf buf;
};

static void
client_closing(struct node_conn *c)
{
	struct client *cl = node_conn_of(c, struct client);

	if (cl->admitted)
		cl->ctl->n_admitted--;
}

static void
client_free(struct node_conn *c)
{
	struct client *cl = node_conn_of(c, struct client);

	ctl_reader_fini(&cl->rd);
	free(cl->groups);
	free(cl);
}

static const struct node_conn_ops client_ops = {
	.closing = client_closing,
	.free = client_free,
};

static void
client_close(struct client *cl)
{
	node_conn_close(&cl->conn);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void on_timer(uv_timer_t *h);

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct client *cl = h->data;
	uint8_t *p;
	size_t n;

	ctl_reader_space(&cl->rd, &p, &n);
	*buf = uv_buf_init((char *)p, (unsigned)n);
}

/* Waits for the next request, which must arrive whole within idle_ms
 * (not reset by partial data, so trickling bytes does not keep a client
 * alive). */
static void
client_wait(struct client *cl)
{
	if (uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read)) {
		client_close(cl);
		return;
	}
	uv_timer_start(&cl->timer, on_timer, cl->ctl->idle_ms, 0);
}

static void
on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct client *cl = w->cl;

	ctl_buf_fini(&w->buf);
	free(w);
	if (node_conn_closing(&cl->conn))
		return;
	cl->writing = false;
	uv_timer_stop(&cl->timer);
	if (status < 0 || cl->last) {
		client_close(cl);
		return;
	}
	client_wait(cl);
}

/* Writes one response with reading stopped, so a client that pipelines
 * requests without reading answers only fills its own socket buffer. */
static void
respond(struct client *cl, int code, const char *error, const uint8_t *data,
	size_t data_len)
{
	struct write_req *w = calloc(1, sizeof(*w));

	uv_read_stop((uv_stream_t *)&cl->pipe);
	uv_timer_stop(&cl->timer);
	if (!w) {
		client_close(cl);
		return;
	}
	w->cl = cl;
	ctl_buf_init(&w->buf, CTL_HDR_LEN + CTL_FRAME_MAX);
	if (ctl_response_encode(&w->buf, code, error, data, data_len)) {
		ctl_buf_fini(&w->buf);
		ctl_buf_init(&w->buf, CTL_HDR_LEN + CTL_FRAME_MAX);
		if (ctl_response_encode(&w->buf, CTL_ERROR,
					"response too large", NULL, 0)) {
			free(w);
			client_close(cl);
			return;
		}
	}
	uv_buf_t b = uv_buf_init((char *)w->buf.data, (unsigned)w->buf.len);
	if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &b, 1, on_written)) {
		ctl_buf_fini(&w->buf);
		free(w);
		client_close(cl);
		return;
	}
	cl->writing = true;
	uv_timer_start(&cl->timer, on_timer,
		       cl->last ? CLOSE_GRACE_MS : cl->ctl->idle_ms, 0);
}

/* An error response, then the connection closes. */
static void
refuse(struct client *cl, const char *why)
{
	node_log(NODE_LOG_WARN, "control request rejected", "user",
		 cl->peer.user, "uid", cl->uid, "error", why, NULL);
	cl->last = true;
	respond(cl, CTL_ERROR, why, NULL, 0);
}

static void
on_timer(uv_timer_t *h)
{
	struct client *cl = h->data;
	char why[96];

	/* Not reading its answer, or not taking the last one: let go. */
	if (cl->writing || cl->last) {
		client_close(cl);
		return;
	}
	snprintf(why, sizeof(why), "idle timeout: no complete request in %u ms",
		 cl->ctl->idle_ms);
	refuse(cl, why);
}

/* Runs one request through the handler and answers it. */
static void
dispatch(struct client *cl, const uint8_t *body, size_t len)
{
	struct node_control *ctl = cl->ctl;
	struct ctl_request req;
	struct ctl_buf data;
	msgpack_packer pk;
	char err[CTL_ERROR_MAX] = "";
	const char *why = NULL;
	char msg[CTL_ERROR_MAX];

	if (ctl_request_decode(body, len, &req, &why)) {
		snprintf(msg, sizeof(msg), "malformed request: %s", why);
		refuse(cl, msg);
		return;
	}
	node_log(NODE_LOG_INFO, "control command", "cmd", req.cmd, "user",
		 cl->peer.user, "uid", cl->uid, NULL);
	ctl_buf_init(&data, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &data);
	int code = ctl->ops->handle(ctl->ctx, req.cmd, req.args, &cl->peer, &pk,
				    err, sizeof(err));
	/* A handler that packed two objects would corrupt the frame. */
	if (data.err ||
	    (data.len && gsp_msgpack_bounded(data.data, data.len))) {
		snprintf(err, sizeof(err), "%s",
			 data.err == -ENOMEM ? "out of memory"
			 : data.err	     ? "response too large"
					     : "internal error: bad response");
		node_log(NODE_LOG_ERROR, "control command failed", "cmd",
			 req.cmd, "error", err, NULL);
		code = CTL_ERROR;
		data.len = 0;
	}
	if (code != CTL_OK && !err[0])
		snprintf(err, sizeof(err), "%s failed", req.cmd);
	respond(cl, code, err, data.data, data.len);
	ctl_buf_fini(&data);
	ctl_request_fini(&req);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct client *cl = s->data;
	size_t announced = 0, len;
	char why[96];

	if (n < 0) {
		client_close(cl); /* EOF or error: nobody to answer */
		return;
	}
	if (n == 0)
		return;
	int r = ctl_reader_advance(&cl->rd, (size_t)n, &announced);
	if (r == 0)
		return;
	if (r < 0) {
		if (r == -EMSGSIZE)
			snprintf(why, sizeof(why),
				 "request too large: %zu bytes, limit %d",
				 announced, NODE_CONTROL_REQUEST_MAX);
		else
			snprintf(why, sizeof(why), "%s",
				 r == -ENOMEM ? "out of memory"
					      : "empty request frame");
		refuse(cl, why);
		return;
	}
	uint8_t *body = ctl_reader_take(&cl->rd, &len);
	dispatch(cl, body, len);
	free(body);
}

static void
user_name(uid_t uid, char *out, size_t cap)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
	    strlen(res->pw_name) < cap)
		snprintf(out, cap, "%s", res->pw_name);
	else
		snprintf(out, cap, "%u", (unsigned)uid);
}

/* Makes room for @n groups in cl->groups. */
static int
groups_room(struct client *cl, size_t n)
{
	gid_t *g = realloc(cl->groups, (n ? n : 1) * sizeof(gid_t));

	if (!g)
		return -ENOMEM;
	cl->groups = g;
	return 0;
}

/* The group database's word when the kernel's is not there: what the
 * user would get at login, not what the peer holds. */
static int
groups_from_db(struct client *cl)
{
	int n = GROUPS_GUESS;

	for (int tries = 0; tries < 2; tries++) {
		if (groups_room(cl, (size_t)n))
			return -ENOMEM;
		if (getgrouplist(cl->peer.user, cl->peer.gid, cl->groups, &n) >=
		    0) {
			cl->peer.n_groups = (size_t)n;
			return 0;
		}
		if (n > GROUPS_MAX)
			break;
	}
	return -ERANGE;
}

/*
 * The peer's supplementary groups as they were at connect(2), from the
 * kernel on Linux 4.13 and later (SO_PEERGROUPS), else from the group
 * database. cl->peer.user must be set.
 */
static int
peer_groups(struct client *cl, int fd)
{
	socklen_t len = GROUPS_GUESS * sizeof(gid_t);
	int r = 0;

	for (;;) {
		socklen_t got = len;

		if (groups_room(cl, len / sizeof(gid_t)))
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, cl->groups,
			       &got) == 0) {
			cl->peer.n_groups = got / sizeof(gid_t);
			break;
		}
		if (errno == ERANGE && got > len &&
		    got <= GROUPS_MAX * sizeof(gid_t)) {
			len = got;
			continue;
		}
		r = errno == ENOPROTOOPT ? groups_from_db(cl) : -errno;
		break;
	}
	cl->peer.groups = cl->groups;
	return r;
}

/* Who the peer is, in the kernel's word: one cheap call. */
static int
peer_creds(struct client *cl, int *fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	uv_os_fd_t f;

	if (uv_fileno((uv_handle_t *)&cl->pipe, &f))
		return -EBADF;
	*fd = f;
	if (getsockopt(f, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	cl->peer.uid = uc.uid;
	cl->peer.gid = uc.gid;
	cl->peer.pid = uc.pid;
	snprintf(cl->uid, sizeof(cl->uid), "%u", (unsigned)uc.uid);
	return 0;
}

/* Its name and groups, which may ask NSS: once per connection, not per
 * command. */
static int
peer_identity(struct client *cl, int fd)
{
	user_name(cl->peer.uid, cl->peer.user, sizeof(cl->peer.user));
	return peer_groups(cl, fd);
}

/* Takes a slot for @cl, or says why there is none. */
static const char *
admit(struct client *cl, char *why, size_t cap)
{
	struct node_control *ctl = cl->ctl;
	const struct node_conn *c;
	size_t mine = 0;

	node_conn_foreach (c, &ctl->clients) {
		const struct client *o = node_conn_of(c, struct client);
		if (o->admitted && o->peer.uid == cl->peer.uid)
			mine++;
	}
	switch (node_control_admit(cl->peer.uid, ctl->n_admitted, mine)) {
	case NODE_CONTROL_ADMIT:
		cl->admitted = true;
		ctl->n_admitted++;
		return NULL;
	case NODE_CONTROL_USER_FULL:
		snprintf(why, cap,
			 "too many control clients of user %s (at most %d), "
			 "try again",
			 cl->peer.user, NODE_CONTROL_PER_UID_MAX);
		return why;
	case NODE_CONTROL_FULL:
		break;
	}
	return "too many control clients, try again";
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct node_control *ctl = server->data;
	struct client *cl;
	char buf[128];

	if (status < 0) {
		node_log(NODE_LOG_WARN, "control socket accept failed", "error",
			 uv_strerror(status), NULL);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return;
	cl->ctl = ctl;
	ctl_reader_init(&cl->rd, NODE_CONTROL_REQUEST_MAX);
	uv_pipe_init(ctl->loop, &cl->pipe, 0);
	uv_timer_init(ctl->loop, &cl->timer);
	cl->pipe.data = cl->timer.data = cl;
	node_conn_init(&cl->conn, &client_ops, (uv_handle_t *)&cl->pipe,
		       &cl->timer);
	node_conn_link(&ctl->clients, &cl->conn);
	if (uv_accept(server, (uv_stream_t *)&cl->pipe)) {
		client_close(cl);
		return;
	}
	int fd = -1, r = peer_creds(cl, &fd);
	/* Refused clients leave as soon as their answer is out; only a
	 * flood of them gets past the cap, and then only root is owed an
	 * answer (and a look-up of its name). */
	if (!r && cl->peer.uid != 0 &&
	    ctl->clients.n > NODE_CONTROL_CLIENTS_MAX + OVERFLOW_MAX) {
		client_close(cl);
		return;
	}
	if (!r)
		r = peer_identity(cl, fd);
	if (r) {
		/* Commands must be attributable; without a user, none. */
		node_log(NODE_LOG_WARN, "control client without credentials",
			 "error", strerror(-r), NULL);
		client_close(cl);
		return;
	}
	const char *why = admit(cl, buf, sizeof(buf));
	if (why) {
		refuse(cl, why);
		return;
	}
	client_wait(cl);
}

/* mkdir -p of @path's parent; directories made here get 0755 whatever
 * the umask, so the group of the socket can reach it. */
static int
make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	for (char *p = dir + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0755) == 0) {
			chmod(dir, 0755);
		} else if (errno != EEXIST) {
			int e = errno;
			snprintf(err, errlen, "cannot create directory %s: %s",
				 dir, strerror(e));
			return -e;
		}
		*p = c;
		if (!c)
			return 0;
	}
}

/* Removes a socket file left by a daemon that died, but never a live
 * one (two daemons would share the node) nor a file of another kind. */
static int
clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r, e;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	if (r == 0 || e == EAGAIN || e == EINPROGRESS) {
		snprintf(err, errlen,
			 "%s: another pmgtmd is listening on this socket",
			 path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		e = errno;
		snprintf(err, errlen, "cannot remove stale %s: %s", path,
			 strerror(e));
		return -e;
	}
	return 0;
}

/* A listening-to-be unix socket at @path, remembered by device and inode
 * so that closing removes this file and never one put in its place. */
static int
bind_socket(struct node_control *ctl, const char *path, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* The socket is born with the umask's mode: keep it closed to
	 * others from the start rather than open until the chmod. */
	mode_t old = umask(0117);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!r && lstat(path, &st) < 0) {
		r = -errno;
		unlink(path);
	}
	if (r) {
		close(fd);
		return r;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	*out = fd;
	return 0;
}

static void
control_free(uv_handle_t *h)
{
	struct node_control *ctl = h->data;

	free(ctl->path);
	free(ctl);
}

int
node_control_start(uv_loop_t *loop, const char *path,
		   const struct node_control_ops *ops, void *ctx,
		   struct node_control **out, char *err, size_t errlen)
{
	struct node_control *ctl;
	int r;

	*out = NULL;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "%s: too long for a unix socket path",
			 path);
		return -ENAMETOOLONG;
	}
	r = make_parent(path, err, errlen);
	if (!r)
		r = clear_stale(path, err, errlen);
	if (r)
		return r;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl || !(ctl->path = strdup(path))) {
		free(ctl);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ctl->loop = loop;
	ctl->ops = ops;
	ctl->ctx = ctx;
	ctl->idle_ms = NODE_CONTROL_IDLE_MS;
	node_conn_list_init(&ctl->clients);
	r = uv_pipe_init(loop, &ctl->listener, 0);
	if (r) {
		snprintf(err, errlen, "%s: %s", path, uv_strerror(r));
		free(ctl->path);
		free(ctl);
		return r;
	}
	ctl->listener.data = ctl;
	/* Bound here, not by uv_pipe_bind(): libuv would unlink the path
	 * when it closes, whatever file is there by then. */
	int fd = -1;
	r = bind_socket(ctl, path, &fd);
	bool bound = r == 0;
	if (!r && chmod(path, 0660) < 0)
		r = -errno;
	if (!r && (r = uv_pipe_open(&ctl->listener, fd)) == 0)
		fd = -1;
	if (fd >= 0)
		close(fd);
	if (!r)
		r = uv_listen((uv_stream_t *)&ctl->listener, BACKLOG,
			      on_connection);
	if (r) {
		snprintf(err, errlen, "%s: %s", path, uv_strerror(r));
		if (bound)
			unlink(path);
		uv_close((uv_handle_t *)&ctl->listener, control_free);
		return r;
	}
	node_log(NODE_LOG_INFO, "control socket listening", "path", path, NULL);
	*out = ctl;
	return 0;
}

void
node_control_set_idle(struct node_control *c, uint32_t ms)
{
	c->idle_ms = ms;
}

size_t
node_control_clients(const struct node_control *c)
{
	return c->clients.n;
}

void
node_control_close(struct node_control *c)
{
	struct stat st;

	if (!c)
		return;
	node_conn_close_all(&c->clients);
	/* Not a socket that replaced ours (a daemon started after an admin
	 * removed it): that one is not ours to remove. */
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
	uv_close((uv_handle_t *)&c->listener, control_free);
}
