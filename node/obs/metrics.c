#include "node/obs/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "node/config/config.h"
#include "node/obs/expo.h"
#include "node/log/log.h"
#include "node/obs/metrics_guard.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct node_metrics {
	struct MHD_Daemon *mhd;
	uv_loop_t *loop;
	struct node_mguard guard; /* every open connection */
	int fd;			  /* the listening socket; MHD closes it */
	uv_poll_t poll;
	uv_timer_t timer;
	int handles_open; /* the memory goes when both have closed */
	node_metrics_fill_cb fill;
	void *ctx;
};

/* ---- requests ---- */

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned status, const char *type, char *body,
	size_t len, bool owned)
{
	struct MHD_Response *r;

	if (owned)
		r = MHD_create_response_from_buffer_with_free_callback(
			len, body, free);
	else
		r = MHD_create_response_from_buffer(len, body,
						    MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO; /* MHD closes the connection */
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) !=
		    MHD_YES ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") !=
		     MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
respond_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return respond(c, status, "text/plain; charset=utf-8", (char *)text,
		       strlen(text), false);
}

/* The body is written whole at each request, from the loop: the daemon
 * is single threaded, so the fill callback reads its state directly.
 *
 * MHD calls this once when the headers are in, then again once the
 * request is complete. A response queued on the first call is an "early"
 * one, after which MHD closes the connection rather than read a body it
 * did not consume: right for other methods (405 without reading what
 * they send), wrong for GET, whose connection Prometheus keeps open. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_data_size, void **req_cls)
{
	struct node_metrics *m = cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "method not allowed\n");
	if (!*req_cls) {
		*req_cls = m; /* any non-NULL: the headers were seen */
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a GET with a body: ignored */
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return respond_text(c, MHD_HTTP_NOT_FOUND,
				    "not found; metrics are at /metrics\n");

	struct node_expo *e = node_expo_new();
	if (!e)
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "out of memory\n");
	m->fill(m->ctx, e);
	if (node_expo_error(e)) {
		/* A bug or no memory: no partial scrape, which Prometheus
		 * would take for series that vanished. */
		node_log(NODE_LOG_ERROR, "cannot write the metrics", "error",
			 node_expo_errmsg(e), NULL);
		node_expo_free(e);
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "cannot write the metrics; see the log\n");
	}
	size_t len;
	char *body = node_expo_take(e, &len);
	node_expo_free(e);
	if (!body)
		return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "out of memory\n");
	return respond(c, MHD_HTTP_OK, CONTENT_TYPE, body, len, true);
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	/* Clients that go away or hit the connection limit are routine. */
	node_log(NODE_LOG_DEBUG, "metrics http", "detail", msg, NULL);
}

/* ---- stalled connections (node/obs/metrics_guard.h) ---- */

/* Shuts the socket down under MHD, which then reads EOF and closes the
 * connection as if the client had gone. */
static void
cut(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	if (i)
		shutdown(i->connect_fd, SHUT_RDWR);
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
	      enum MHD_ConnectionNotificationCode toe)
{
	struct node_metrics *m = cls;
	struct node_mguard_conn *gc = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (gc) {
			node_mguard_remove(&m->guard, gc);
			free(gc);
			*socket_context = NULL;
		}
		return;
	}
	gc = calloc(1, sizeof(*gc));
	if (!gc) {
		cut(c); /* untracked, it could stall for ever */
		return;
	}
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	gc->ctx = c;
	node_mguard_add(&m->guard, gc, i ? i->client_addr : NULL,
			uv_now(m->loop));
	*socket_context = gc;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct node_metrics *m = cls;
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct node_mguard_conn *gc = i ? i->socket_context : NULL;

	if (gc)
		node_mguard_done(&m->guard, gc, uv_now(m->loop));
}

static void
on_cut(struct node_mguard_conn *gc, void *arg)
{
	node_log(NODE_LOG_DEBUG, "metrics http", "detail",
		 "request stalled; closing the connection", NULL);
	cut(gc->ctx);
}

/* Returns the milliseconds until the next sweep, or UINT64_MAX. */
static uint64_t
sweep(struct node_metrics *m)
{
	return node_mguard_sweep(&m->guard, uv_now(m->loop),
				 (uint64_t)NODE_METRICS_TIMEOUT_S * 1000,
				 NODE_METRICS_GRACE_MS, NODE_METRICS_PER_IP,
				 on_cut, m);
}

/* ---- the loop ---- */

static void on_timer(uv_timer_t *t);

static unsigned
connections(struct node_metrics *m)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(
		m->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return i ? i->num_connections : 0;
}

/* Runs whatever MHD has to do, then sets the timer to its next deadline:
 * MHD_get_timeout() must be honoured after every MHD_run(). */
static void
service(struct node_metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;
	unsigned before = connections(m);

	sweep(m);
	MHD_run(m->mhd);
	/* At the connection limit (or out of descriptors) MHD takes its
	 * listening socket out of its epoll set, and puts it back only at
	 * the start of a later run. When this run closed connections, run
	 * once more: nothing else would wake us for a client waiting in the
	 * backlog, and MHD has no deadline left to set the timer with. */
	if (connections(m) < before)
		MHD_run(m->mhd);
	/* Connections MHD just accepted have their deadlines now. */
	uint64_t next = sweep(m);
	if (MHD_get_timeout(m->mhd, &ms) == MHD_YES && ms < next)
		next = ms;
	if (next != UINT64_MAX)
		uv_timer_start(&m->timer, on_timer, next, 0);
	else
		uv_timer_stop(&m->timer);
}

static void
on_timer(uv_timer_t *t)
{
	service(t->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	service(p->data);
}

/* ---- start and close ---- */

static int
open_socket(const struct node_sockaddr *a, char *err, size_t errlen)
{
	int one = 1;
	int fd = socket(a->ss.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (a->ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) ||
	    listen(fd, NODE_METRICS_BACKLOG))
		goto fail;
	return fd;
fail:;
	int r = -errno;
	snprintf(err, errlen, "metrics.listen %s: %s", a->text,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

int
node_metrics_start(uv_loop_t *loop, const struct node_sockaddr *listen,
		   node_metrics_fill_cb fill, void *ctx,
		   struct node_metrics **out, char *err, size_t errlen)
{
	struct node_metrics *m = calloc(1, sizeof(*m));
	int r;

	*out = NULL;
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->fill = fill;
	m->ctx = ctx;
	m->loop = loop;
	m->fd = open_socket(listen, err, errlen);
	if (m->fd < 0) {
		r = m->fd;
		free(m);
		return r;
	}
	m->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			(listen->ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER,
		on_mhd_log, m, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)m->fd,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)NODE_METRICS_CONNECTIONS,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)NODE_METRICS_TIMEOUT_S, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
		m->mhd ? MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD)
		       : NULL;
	if (!info) {
		snprintf(err, errlen,
			 "metrics.listen %s: cannot start the "
			 "HTTP server",
			 listen->text);
		if (m->mhd)
			MHD_stop_daemon(m->mhd);
		else if (fcntl(m->fd, F_GETFD) >= 0)
			/* Versions differ on whether a failed start closes
			 * the socket it was given. */
			close(m->fd);
		free(m);
		return -EIO;
	}
	r = uv_poll_init(loop, &m->poll, info->epoll_fd);
	if (r) {
		snprintf(err, errlen, "metrics.listen %s: %s", listen->text,
			 uv_strerror(r));
		MHD_stop_daemon(m->mhd);
		free(m);
		return r;
	}
	uv_timer_init(loop, &m->timer);
	m->poll.data = m->timer.data = m;
	m->handles_open = 2;
	uv_poll_start(&m->poll, UV_READABLE, on_poll);
	service(m);
	*out = m;
	return 0;
}

uint16_t
node_metrics_port(const struct node_metrics *m)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(m->fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
on_closed(uv_handle_t *h)
{
	struct node_metrics *m = h->data;

	if (--m->handles_open == 0)
		free(m);
}

void
node_metrics_close(struct node_metrics *m)
{
	if (!m || !m->mhd)
		return;
	/* The poll handle leaves libuv's epoll set before MHD closes the
	 * descriptor under it. */
	uv_close((uv_handle_t *)&m->poll, on_closed);
	uv_close((uv_handle_t *)&m->timer, on_closed);
	MHD_stop_daemon(m->mhd);
	m->mhd = NULL;
}
