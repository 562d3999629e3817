/*
 * The health checker: one tick timer and one deadline timer per check,
 * and for the attempt in flight either a TCP handle (tcp, http) or a
 * process handle (exec). An attempt is "busy" from its start until that
 * handle is closed, and a tick that finds it busy is skipped, so
 * attempts of one check never overlap and never reuse a handle libuv
 * still holds.
 *
 * The result of an attempt is decided once (success, failure or
 * timeout); callbacks that arrive later, from cancellations or from the
 * child's exit after a SIGKILL, only release the handle.
 *
 * An attempt that cannot start because this process or the system is out
 * of something (descriptors, memory, processes) is no result at all: it
 * says nothing of the payload, and counting it would drain a node that
 * is merely short of descriptors. It leaves rise and fall where they were
 * and is warned about once, until an attempt runs again.
 */
#include "node/health/checks.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node/config/config.h"
#include "node/health/autodrain_policy.h"
#include "node/log/log.h"

#define DETAIL_MAX 96

enum attempt_io {
	IO_NONE = 0,
	IO_TCP,
	IO_PROC,
};

struct check {
	struct node_health *h;
	size_t index;
	char *name;
	char *command; /* exec */
	enum node_check_type type;
	uint32_t interval_ms, timeout_ms, rise, fall;
	unsigned expect_status;
	struct sockaddr_storage addr; /* tcp, http */
	socklen_t addrlen;
	char request[NODE_HEALTH_REQUEST_MAX]; /* http */
	size_t request_len;

	struct node_check_count count;
	bool stalled; /* attempts cannot start (warned once) */
	char detail[DETAIL_MAX];

	uv_timer_t tick, deadline;

	/* The attempt in flight. */
	bool busy;    /* until its handle is closed */
	bool decided; /* its result is in; later callbacks only clean up */
	enum attempt_io io;
	bool exited; /* the process was reaped: its handle may be closed */
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	uv_process_t proc;
	char buf[NODE_HEALTH_STATUS_MAX];
	size_t buflen;
};

struct node_health {
	uv_loop_t *loop;
	node_health_cb cb;
	void *ctx;
	struct check *checks;
	size_t n;
	size_t open; /* handles not closed yet */
	bool closing;
};

/* libuv codes are negative errno on Unix, but for its own few (EOF,
 * getaddrinfo) that strerror does not know: the message reads like the
 * rest of the system's ("Connection refused"). */
static const char *
errtext(int uverr)
{
	return uverr <= UV_EAI_ADDRFAMILY ? uv_strerror(uverr)
					  : strerror(-uverr);
}

static void
free_checks(struct check *checks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(checks[i].name);
		free(checks[i].command);
	}
	free(checks);
}

static void
release(struct node_health *h)
{
	if (--h->open == 0 && h->closing) {
		free_checks(h->checks, h->n);
		free(h);
	}
}

static void
on_handle_closed(uv_handle_t *handle)
{
	struct check *c = handle->data;

	release(c->h);
}

static void
on_attempt_closed(uv_handle_t *handle)
{
	struct check *c = handle->data;

	c->io = IO_NONE;
	c->busy = false;
	release(c->h);
}

/* SIGKILL to the whole process group, so what the shell forked dies with
 * it. The child is not reaped yet (no exit callback), so its pid still
 * names its own group and nobody else's. */
static void
kill_group(struct check *c)
{
	if (kill(-c->proc.pid, SIGKILL) && errno != ESRCH)
		uv_process_kill(&c->proc, SIGKILL);
}

/* Lets go of the attempt's handle; `busy` clears once it is closed. */
static void
end_attempt(struct check *c)
{
	switch (c->io) {
	case IO_TCP:
		if (!uv_is_closing((uv_handle_t *)&c->tcp))
			uv_close((uv_handle_t *)&c->tcp, on_attempt_closed);
		break;
	case IO_PROC:
		if (!c->exited)
			kill_group(c); /* on_child_exit closes the handle */
		else if (!uv_is_closing((uv_handle_t *)&c->proc))
			uv_close((uv_handle_t *)&c->proc, on_attempt_closed);
		break;
	case IO_NONE:
		c->busy = false;
		break;
	}
}

/* Counts one result; the callback comes last because it may close us. */
static void
record(struct check *c, bool ok)
{
	struct node_health *h = c->h;

	node_log(NODE_LOG_DEBUG, "health check result", "check", c->name, "ok",
		 ok ? "true" : "false", "detail", c->detail, NULL);
	if (c->stalled) {
		c->stalled = false;
		node_log(NODE_LOG_INFO, "health check runs again", "check",
			 c->name, NULL);
	}
	if (node_check_count_result(&c->count, ok, c->rise, c->fall) && h->cb)
		h->cb(h->ctx, c->index, c->name, c->count.up, c->detail);
}

__attribute__((format(printf, 3, 4))) static void
finish(struct check *c, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (c->decided)
		return;
	c->decided = true;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	uv_timer_stop(&c->deadline);
	end_attempt(c);
	record(c, ok);
}

/* Out of descriptors, memory or processes: ours or the system's. */
static bool
local_shortage(int uverr)
{
	return uverr == UV_EMFILE || uverr == UV_ENFILE || uverr == UV_ENOMEM ||
	       uverr == UV_ENOBUFS || uverr == UV_EAGAIN;
}

/* The attempt could not run: no result is counted (see the top). */
static void
not_run(struct check *c, const char *what, int uverr)
{
	if (c->decided)
		return;
	c->decided = true;
	snprintf(c->detail, sizeof(c->detail), "not run: %s: %s", what,
		 errtext(uverr));
	uv_timer_stop(&c->deadline);
	end_attempt(c);
	if (c->stalled)
		return;
	c->stalled = true;
	node_log(NODE_LOG_WARN, "health check could not run", "check", c->name,
		 "error", c->detail + strlen("not run: "), NULL);
}

/* A call that starts the attempt failed: the payload's fault, or ours. */
static void
start_failed(struct check *c, const char *what, int uverr)
{
	if (local_shortage(uverr))
		not_run(c, what, uverr);
	else
		finish(c, false, "%s: %s", what, errtext(uverr));
}

static void
on_deadline(uv_timer_t *t)
{
	finish(t->data, false, "timeout");
}

/* ---- tcp and http ---------------------------------------------------- */

static void
on_alloc(uv_handle_t *handle, size_t hint, uv_buf_t *buf)
{
	struct check *c = handle->data;

	/* Never more than the status line needs: the rest stays unread. */
	*buf = uv_buf_init(c->buf + c->buflen,
			   (unsigned)(sizeof(c->buf) - c->buflen));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct check *c = stream->data;
	unsigned status;
	int rc;

	if (c->decided || nread == 0)
		return;
	if (nread == UV_EOF) {
		finish(c, false, "closed before the status line");
		return;
	}
	if (nread < 0) {
		finish(c, false, "read: %s", errtext((int)nread));
		return;
	}
	c->buflen += (size_t)nread;
	rc = node_health_http_status(c->buf, c->buflen, &status);
	if (rc == 0 && c->buflen == sizeof(c->buf))
		rc = -EBADMSG;
	if (rc < 0)
		finish(c, false, "bad status line");
	else if (rc > 0)
		finish(c, status == c->expect_status, "status %u", status);
}

static void
on_written(uv_write_t *req, int status)
{
	struct check *c = req->data;

	if (!c->decided && status < 0)
		finish(c, false, "write: %s", errtext(status));
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct check *c = req->data;
	uv_stream_t *s = (uv_stream_t *)&c->tcp;
	uv_buf_t b;
	int rc;

	if (c->decided)
		return; /* UV_ECANCELED: the handle closed under us */
	if (status < 0) {
		start_failed(c, "connect", status);
		return;
	}
	if (c->type == NODE_CHECK_TCP) {
		finish(c, true, "connected");
		return;
	}
	/* Read at once: a server may answer before it has read it all. */
	b = uv_buf_init(c->request, (unsigned)c->request_len);
	c->write.data = c;
	rc = uv_write(&c->write, s, &b, 1, on_written);
	if (rc == 0)
		rc = uv_read_start(s, on_alloc, on_read);
	if (rc < 0)
		finish(c, false, "write: %s", errtext(rc));
}

static void
start_connect(struct check *c)
{
	int rc = uv_tcp_init(c->h->loop, &c->tcp);

	if (rc < 0) {
		start_failed(c, "socket", rc);
		return;
	}
	c->tcp.data = c;
	c->io = IO_TCP;
	c->h->open++;
	c->buflen = 0;
	c->connect.data = c;
	rc = uv_tcp_connect(&c->connect, &c->tcp,
			    (const struct sockaddr *)&c->addr, on_connect);
	if (rc < 0)
		start_failed(c, "connect", rc);
}

/* ---- exec ------------------------------------------------------------ */

/*
 * The child was reaped. A command that exited by itself is not chased
 * further: its pid is free now and may name someone else's group, and
 * what it left in the background, with stdio on /dev/null, holds nothing
 * of ours.
 */
static void
on_child_exit(uv_process_t *proc, int64_t status, int term_signal)
{
	struct check *c = proc->data;

	c->exited = true;
	if (c->decided) {
		uv_close((uv_handle_t *)proc, on_attempt_closed);
		return;
	}
	if (term_signal)
		finish(c, false, "signal %d", term_signal);
	else
		finish(c, status == 0, "exit %lld", (long long)status);
}

static void
start_exec(struct check *c)
{
	char sh[] = "/bin/sh", dash_c[] = "-c";
	char *args[] = { sh, dash_c, c->command, NULL };
	/* libuv puts ignored stdio on /dev/null, so output cannot block the
	 * child or reach our logs. */
	uv_stdio_container_t stdio[3] = {
		{ .flags = UV_IGNORE },
		{ .flags = UV_IGNORE },
		{ .flags = UV_IGNORE },
	};
	uv_process_options_t o = {
		.exit_cb = on_child_exit,
		.file = sh,
		.args = args,
		/* Its own process group, to kill it whole at the timeout. */
		.flags = UV_PROCESS_DETACHED,
		.stdio_count = 3,
		.stdio = stdio,
	};
	int rc;

	c->proc.data = c;
	c->io = IO_PROC;
	c->exited = false;
	c->h->open++;
	rc = uv_spawn(c->h->loop, &c->proc, &o);
	if (rc < 0) {
		/* Not started, but initialised: closed like any handle. */
		c->exited = true;
		start_failed(c, "spawn", rc);
	}
}

/* ---- scheduling ------------------------------------------------------ */

static void
on_tick(uv_timer_t *t)
{
	struct check *c = t->data;

	if (c->busy)
		return; /* the last attempt is still out: skip, never overlap */
	c->busy = true;
	c->decided = false;
	uv_timer_start(&c->deadline, on_deadline, c->timeout_ms, 0);
	if (c->type == NODE_CHECK_EXEC)
		start_exec(c);
	else
		start_connect(c);
}

/* Copies and validates one check from the config. */
static int
copy_check(struct check *c, const struct node_health_check *cfg, char *err,
	   size_t errlen)
{
	struct node_sockaddr sa;
	const char *why = NULL;

	c->type = cfg->type;
	c->interval_ms = cfg->interval_ms ? cfg->interval_ms : 1;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 1;
	c->rise = cfg->rise ? cfg->rise : 1;
	c->fall = cfg->fall ? cfg->fall : 1;
	c->expect_status = cfg->expect_status ? cfg->expect_status : 200;
	node_check_count_init(&c->count);
	c->name = strdup(cfg->name ? cfg->name : "");
	if (!c->name)
		return -ENOMEM;
	if (!cfg->target)
		why = "no target";
	else if (cfg->type == NODE_CHECK_TCP) {
		if (node_sockaddr_parse(cfg->target, 0, &sa))
			why = "target must be IP:port";
		memcpy(&c->addr, &sa.ss, sizeof(c->addr));
		c->addrlen = sa.len;
	} else if (cfg->type == NODE_CHECK_HTTP) {
		if (node_health_http_prepare(cfg->target, &c->addr, &c->addrlen,
					     c->request, &c->request_len))
			why = "target must be http://IP[:port][/path]";
	} else if (cfg->type == NODE_CHECK_EXEC) {
		if (!cfg->target[strspn(cfg->target, " \t")])
			why = "empty command";
		else if (!(c->command = strdup(cfg->target)))
			return -ENOMEM;
	} else {
		why = "unknown type";
	}
	if (why) {
		snprintf(err, errlen, "health check '%s': %s", c->name, why);
		return -EINVAL;
	}
	return 0;
}

int
node_health_start(uv_loop_t *loop, const struct node_health_check *checks,
		  size_t n, node_health_cb cb, void *ctx,
		  struct node_health **out, char *err, size_t errlen)
{
	struct node_health *h;
	size_t i;
	int rc;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h || (n && !(h->checks = calloc(n, sizeof(*h->checks))))) {
		free(h);
		snprintf(err, errlen, "health checks: out of memory");
		return -ENOMEM;
	}
	h->loop = loop;
	h->cb = cb;
	h->ctx = ctx;
	h->n = n;
	for (i = 0; i < n; i++) {
		h->checks[i].h = h;
		h->checks[i].index = i;
		rc = copy_check(&h->checks[i], &checks[i], err, errlen);
		if (rc == -ENOMEM)
			snprintf(err, errlen, "health checks: out of memory");
		if (rc < 0) {
			free_checks(h->checks, n);
			free(h);
			return rc;
		}
	}
	for (i = 0; i < n; i++) {
		struct check *c = &h->checks[i];

		uv_timer_init(loop, &c->tick);
		uv_timer_init(loop, &c->deadline);
		c->tick.data = c->deadline.data = c;
		h->open += 2;
		/* A random first delay spreads checks configured together. */
		uv_timer_start(&c->tick, on_tick,
			       randombytes_uniform(c->interval_ms),
			       c->interval_ms);
	}
	*out = h;
	return 0;
}

void
node_health_close(struct node_health *h)
{
	size_t i;

	if (!h || h->closing)
		return;
	h->closing = true;
	for (i = 0; i < h->n; i++) {
		struct check *c = &h->checks[i];

		c->decided = true; /* no result is counted from now on */
		uv_close((uv_handle_t *)&c->tick, on_handle_closed);
		uv_close((uv_handle_t *)&c->deadline, on_handle_closed);
		end_attempt(c);
	}
	if (h->open == 0) {
		free_checks(h->checks, h->n);
		free(h);
	}
}

bool
node_health_up(const struct node_health *h, size_t index)
{
	return index < h->n ? h->checks[index].count.up : true;
}

bool
node_health_all_up(const struct node_health *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!h->checks[i].count.up)
			return false;
	return true;
}

size_t
node_health_count(const struct node_health *h)
{
	return h->n;
}

const char *
node_health_name(const struct node_health *h, size_t index)
{
	return index < h->n ? h->checks[index].name : NULL;
}

const char *
node_health_detail(const struct node_health *h, size_t index)
{
	return index < h->n ? h->checks[index].detail : NULL;
}
