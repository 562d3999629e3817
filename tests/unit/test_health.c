/*
 * The local health checks (node/health/checks.c) against real things on
 * 127.0.0.1: a TCP listener the test opens and closes, a tiny HTTP
 * responder that answers from a script (so rise/fall counting is checked
 * at exact attempt numbers, not at times), and /bin/sh commands.
 *
 * Waits are bounded (RUN_UNTIL fails the test past its limit) but never
 * measured. Every test ends with node_health_close(), the servers closed
 * and uv_loop_close() returning 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/config/config.h"
#include "node/health/checks.h"

#define WAIT_MS 3000 /* the most any one wait may take */

/* ---- fixture: the loop, the checker and the transitions it reported -- */

struct event {
	size_t index;
	bool up;
	char detail[96];
	size_t served; /* the responder's request count at that moment */
};

struct fx {
	uv_loop_t loop;
	uv_timer_t pulse; /* wakes the loop so bounded waits see the time */
	struct node_health *h;
	struct event ev[32];
	size_t n_ev;
	const size_t *served; /* snapshot at each event when set */
	void (*on_event)(struct fx *f, const struct event *e);
	char dir[64]; /* scratch directory for exec checks */
	pid_t sh_pid, bg_pid;
};

#define RUN_UNTIL(f, cond)                                                     \
	do {                                                                   \
		uint64_t end_ = uv_now(&(f)->loop) + WAIT_MS;                  \
		while (!(cond)) {                                              \
			if (uv_now(&(f)->loop) > end_)                         \
				fail_msg("timed out waiting for %s", #cond);   \
			uv_run(&(f)->loop, UV_RUN_ONCE);                       \
		}                                                              \
	} while (0)

static void
on_pulse(uv_timer_t *t)
{
}

static void
fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(uv_timer_init(&f->loop, &f->pulse), 0);
	/* Unreferenced: it wakes uv_run() but never keeps the loop alive. */
	uv_timer_start(&f->pulse, on_pulse, 10, 10);
	uv_unref((uv_handle_t *)&f->pulse);
}

static void
on_change(void *ctx, size_t index, const char *name, bool up,
	  const char *detail)
{
	struct fx *f = ctx;
	struct event *e;

	assert_non_null(name);
	assert_true(f->n_ev < sizeof(f->ev) / sizeof(f->ev[0]));
	e = &f->ev[f->n_ev++];
	e->index = index;
	e->up = up;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
	e->served = f->served ? *f->served : 0;
	if (f->on_event)
		f->on_event(f, e);
}

static void
start(struct fx *f, const struct node_health_check *checks, size_t n)
{
	char err[256] = "";
	int rc = node_health_start(&f->loop, checks, n, on_change, f, &f->h,
				   err, sizeof(err));

	if (rc)
		fail_msg("node_health_start: %d %s", rc, err);
	assert_non_null(f->h);
}

/* Closes the checker (unless a test did) and waits, bounded, for every
 * handle to go; the loop must then close cleanly. */
static void
fx_fini(struct fx *f)
{
	uint64_t end;

	node_health_close(f->h);
	f->h = NULL;
	end = uv_now(&f->loop) + WAIT_MS;
	while (uv_loop_alive(&f->loop)) {
		if (uv_now(&f->loop) > end)
			fail_msg("handles still open after close");
		uv_run(&f->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&f->pulse, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static struct node_health_check
check(const char *name, enum node_check_type type, const char *target,
      uint32_t rise, uint32_t fall)
{
	struct node_health_check c = {
		.name = (char *)name,
		.type = type,
		.target = (char *)target,
		.interval_ms = 50,
		.timeout_ms = 500,
		.rise = rise,
		.fall = fall,
		.expect_status = type == NODE_CHECK_HTTP ? 200 : 0,
	};

	return c;
}

/* ---- a TCP server on 127.0.0.1: plain accept, or a scripted HTTP ---- */

enum {
	ACT_HANG = -1,	  /* read the request, never answer */
	ACT_CLOSE = -2,	  /* read the request, close without a word */
	ACT_GARBAGE = -3, /* answer something that is not HTTP */
};

struct conn;

struct server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	bool open; /* the listener handle exists (maybe closing) */
	int port;
	size_t accepted;
	bool http;
	const int *script; /* status per request, or ACT_*; then 200 */
	size_t script_len;
	size_t served;	 /* http requests read whole */
	char first[512]; /* the first request, for its headers */
	struct conn *conns;
};

struct conn {
	uv_tcp_t tcp;
	struct server *s;
	struct conn *next, **pprev;
	char buf[2048];
	size_t len;
	bool done; /* request handled */
	uv_write_t wr;
	char out[128];
};

static void
on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	free(c);
}

static void
conn_close(struct conn *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void
on_answered(uv_write_t *req, int status)
{
	conn_close(req->data); /* the client may be gone: status ignored */
}

static void
answer(struct conn *c)
{
	struct server *s = c->s;
	int act = s->served < s->script_len ? s->script[s->served] : 200;
	uv_buf_t b;

	if (s->served == 0)
		snprintf(s->first, sizeof(s->first), "%.*s", (int)c->len,
			 c->buf);
	s->served++;
	c->done = true;
	if (act == ACT_HANG)
		return;
	if (act == ACT_CLOSE) {
		conn_close(c);
		return;
	}
	if (act == ACT_GARBAGE)
		snprintf(c->out, sizeof(c->out), "SSH-2.0-OpenSSH_9.2\r\n");
	else
		snprintf(c->out, sizeof(c->out),
			 "HTTP/1.1 %d Whatever\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n",
			 act);
	b = uv_buf_init(c->out, (unsigned)strlen(c->out));
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_answered))
		conn_close(c);
}

static void
conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;

	*buf = uv_buf_init(c->buf + c->len,
			   (unsigned)(sizeof(c->buf) - 1 - c->len));
}

static void
conn_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;

	if (nread < 0 || (nread == 0 && c->len == sizeof(c->buf) - 1)) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	c->buf[c->len] = '\0';
	if (!c->done && strstr(c->buf, "\r\n\r\n"))
		answer(c);
}

static void
on_connection(uv_stream_t *listener, int status)
{
	struct server *s = listener->data;
	struct conn *c;

	assert_int_equal(status, 0);
	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->s = s;
	assert_int_equal(uv_tcp_init(s->loop, &c->tcp), 0);
	c->tcp.data = c;
	c->next = s->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &s->conns;
	s->conns = c;
	assert_int_equal(uv_accept(listener, (uv_stream_t *)&c->tcp), 0);
	s->accepted++;
	if (s->http)
		assert_int_equal(uv_read_start((uv_stream_t *)&c->tcp,
					       conn_alloc, conn_read),
				 0);
	else
		conn_close(c); /* a tcp check only needs the handshake */
}

/* Listens on 127.0.0.1:@port (0: any free port, remembered). */
static void
server_listen(struct server *s, uv_loop_t *loop, int port)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	s->loop = loop;
	assert_int_equal(uv_ip4_addr("127.0.0.1", port, &sin), 0);
	assert_int_equal(uv_tcp_init(loop, &s->listener), 0);
	s->listener.data = s;
	s->open = true;
	assert_int_equal(
		uv_tcp_bind(&s->listener, (const struct sockaddr *)&sin, 0), 0);
	assert_int_equal(
		uv_listen((uv_stream_t *)&s->listener, 16, on_connection), 0);
	assert_int_equal(
		uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len),
		0);
	s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
on_listener_closed(uv_handle_t *h)
{
	struct server *s = h->data;

	s->open = false;
}

static void
server_close(struct server *s)
{
	struct conn *c;

	if (s->open && !uv_is_closing((uv_handle_t *)&s->listener))
		uv_close((uv_handle_t *)&s->listener, on_listener_closed);
	for (c = s->conns; c; c = c->next)
		conn_close(c);
}

/* ---- tcp ------------------------------------------------------------ */

/* A tcp check next to an exec one: up while the listener is there, down
 * after `fall` refused connections, up again after `rise` accepted ones;
 * the exec check is not disturbed. */
static void
test_tcp_down_and_up(void **state)
{
	struct fx f;
	struct server s = { 0 };
	char target[64];
	struct node_health_check c[2];

	fx_init(&f);
	server_listen(&s, &f.loop, 0);
	snprintf(target, sizeof(target), "127.0.0.1:%d", s.port);
	c[0] = check("lb", NODE_CHECK_TCP, target, 2, 3);
	c[1] = check("script", NODE_CHECK_EXEC, "true", 2, 3);
	start(&f, c, 2);
	assert_int_equal(node_health_count(f.h), 2);
	assert_string_equal(node_health_name(f.h, 0), "lb");
	assert_string_equal(node_health_name(f.h, 1), "script");
	assert_true(node_health_all_up(f.h));

	RUN_UNTIL(&f, s.accepted >= 3);
	assert_string_equal(node_health_detail(f.h, 0), "connected");
	assert_int_equal(f.n_ev, 0);
	assert_true(node_health_up(f.h, 0));

	server_close(&s);
	RUN_UNTIL(&f, f.n_ev == 1);
	assert_int_equal(f.ev[0].index, 0);
	assert_false(f.ev[0].up);
	assert_string_equal(f.ev[0].detail, "connect: Connection refused");
	assert_false(node_health_up(f.h, 0));
	assert_true(node_health_up(f.h, 1));
	assert_false(node_health_all_up(f.h));

	RUN_UNTIL(&f, !s.open);
	s.accepted = 0;
	server_listen(&s, &f.loop, s.port);
	RUN_UNTIL(&f, f.n_ev == 2);
	assert_int_equal(f.ev[1].index, 0);
	assert_true(f.ev[1].up);
	assert_string_equal(f.ev[1].detail, "connected");
	assert_true(node_health_all_up(f.h));
	/* Up after `rise` accepted connections, which the server sees once
	 * its loop turn comes. */
	RUN_UNTIL(&f, s.accepted >= 2);
	assert_string_equal(node_health_detail(f.h, 1), "exit 0");

	server_close(&s);
	fx_fini(&f);
}

static void
on_close_from_callback(struct fx *f, const struct event *e)
{
	node_health_close(f->h);
	f->h = NULL;
}

/* The callback may close the checker; nothing runs after that. */
static void
test_close_in_callback(void **state)
{
	struct fx f;
	struct server s = { 0 };
	char target[64];
	struct node_health_check c;

	fx_init(&f);
	/* A port that was just free: connections to it are refused. */
	server_listen(&s, &f.loop, 0);
	snprintf(target, sizeof(target), "127.0.0.1:%d", s.port);
	server_close(&s);
	RUN_UNTIL(&f, !s.open);
	c = check("gone", NODE_CHECK_TCP, target, 1, 1);
	f.on_event = on_close_from_callback;
	start(&f, &c, 1);
	RUN_UNTIL(&f, f.n_ev == 1);
	assert_null(f.h);
	fx_fini(&f);
	assert_int_equal(f.n_ev, 1);
}

/* Runs the loop for @ms (bounded by WAIT_MS like every wait). */
static void
run_for(struct fx *f, uint64_t ms)
{
	uint64_t until = uv_now(&f->loop) + ms;

	RUN_UNTIL(f, uv_now(&f->loop) >= until);
}

static bool
not_run(const struct fx *f, size_t index)
{
	return !strncmp(node_health_detail(f->h, index), "not run: ", 9);
}

/* Out of descriptors, a check can neither open its socket nor start its
 * shell: that says nothing of the payload. With fall 1 neither check goes
 * down however many attempts cannot run, and both run again once there
 * are descriptors. */
static void
test_out_of_descriptors(void **state)
{
	struct fx f;
	struct server s = { 0 };
	char target[64];
	struct node_health_check c[2];
	struct rlimit old, low;
	int fds[1024];
	size_t n = 0, i;

	fx_init(&f);
	server_listen(&s, &f.loop, 0);
	snprintf(target, sizeof(target), "127.0.0.1:%d", s.port);
	c[0] = check("lb", NODE_CHECK_TCP, target, 1, 1);
	c[1] = check("script", NODE_CHECK_EXEC, "true", 1, 1);
	start(&f, c, 2);
	RUN_UNTIL(&f, s.accepted >= 1 &&
			      !strcmp(node_health_detail(f.h, 1), "exit 0"));

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	for (;;) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			assert_int_equal(errno, EMFILE);
			break;
		}
		assert_true(n < sizeof(fds) / sizeof(fds[0]));
		fds[n++] = fd;
	}
	RUN_UNTIL(&f, not_run(&f, 0) && not_run(&f, 1));
	assert_string_equal(node_health_detail(f.h, 0),
			    "not run: connect: Too many open files");
	run_for(&f, 500); /* ten intervals */
	assert_true(not_run(&f, 0) && not_run(&f, 1));
	assert_int_equal(f.n_ev, 0);
	assert_true(node_health_all_up(f.h));

	for (i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	RUN_UNTIL(&f, !strcmp(node_health_detail(f.h, 0), "connected") &&
			      !strcmp(node_health_detail(f.h, 1), "exit 0"));
	assert_int_equal(f.n_ev, 0);
	assert_true(node_health_all_up(f.h));

	server_close(&s);
	fx_fini(&f);
}

/* ---- http ----------------------------------------------------------- */

/* Consecutive means consecutive: the events come at exact request
 * numbers, with rise 2 and fall 3. */
static void
test_http_rise_fall_exact(void **state)
{
	static const int script[] = {
		200, 503, 503, 200, /* 1-4: two failures, then a reset */
		503, 503, 503,	    /* 5-7: down at 7 */
		200, 503, 200, 200, /* 8-11: a reset, then up at 11 */
	};
	struct fx f;
	struct server s = { .http = true,
			    .script = script,
			    .script_len = sizeof(script) / sizeof(script[0]) };
	char target[96], host[64];
	struct node_health_check c;

	fx_init(&f);
	server_listen(&s, &f.loop, 0);
	snprintf(target, sizeof(target), "http://127.0.0.1:%d/health?x=1",
		 s.port);
	c = check("web", NODE_CHECK_HTTP, target, 2, 3);
	f.served = &s.served;
	start(&f, &c, 1);
	RUN_UNTIL(&f, s.served >= 14);

	assert_int_equal(f.n_ev, 2);
	assert_false(f.ev[0].up);
	assert_int_equal(f.ev[0].served, 7);
	assert_string_equal(f.ev[0].detail, "status 503");
	assert_true(f.ev[1].up);
	assert_int_equal(f.ev[1].served, 11);
	assert_string_equal(f.ev[1].detail, "status 200");
	assert_true(node_health_up(f.h, 0));

	/* The request: one GET, the Host as written, no keep-alive. */
	snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", s.port);
	assert_true(!strncmp(s.first, "GET /health?x=1 HTTP/1.1\r\n", 26));
	assert_non_null(strstr(s.first, host));
	assert_non_null(strstr(s.first, "\r\nConnection: close\r\n"));

	server_close(&s);
	fx_fini(&f);
}

/* Every way an answer can be wrong is a failure with its own detail; with
 * rise 1 and fall 1 each shows up as its own transition. */
static void
test_http_failures(void **state)
{
	static const int script[] = {
		ACT_HANG, 200, ACT_CLOSE, 200, ACT_GARBAGE, 200, 204,
	};
	struct fx f;
	struct server s = { .http = true,
			    .script = script,
			    .script_len = sizeof(script) / sizeof(script[0]) };
	char target[96];
	struct node_health_check c;
	static const char *const want[] = {
		"timeout",
		"status 200",
		"closed before the status line",
		"status 200",
		"bad status line",
		"status 200",
		"status 204",
	};
	size_t i;

	fx_init(&f);
	server_listen(&s, &f.loop, 0);
	snprintf(target, sizeof(target), "http://127.0.0.1:%d", s.port);
	c = check("web", NODE_CHECK_HTTP, target, 1, 1);
	c.timeout_ms = 200;
	f.served = &s.served;
	start(&f, &c, 1);
	RUN_UNTIL(&f, f.n_ev == 7);
	for (i = 0; i < 7; i++) {
		assert_int_equal(f.ev[i].served, i + 1);
		assert_int_equal(f.ev[i].up, i % 2 == 1);
		assert_string_equal(f.ev[i].detail, want[i]);
	}
	/* The path defaults to "/". */
	assert_true(!strncmp(s.first, "GET / HTTP/1.1\r\n", 16));

	server_close(&s);
	fx_fini(&f);
}

/* expect_status other than 200: only that code is a success. */
static void
test_http_expect_status(void **state)
{
	static const int script[] = { 204, 204, 200, 200 };
	struct fx f;
	struct server s = { .http = true,
			    .script = script,
			    .script_len = sizeof(script) / sizeof(script[0]) };
	char target[96];
	struct node_health_check c;

	fx_init(&f);
	server_listen(&s, &f.loop, 0);
	snprintf(target, sizeof(target), "http://127.0.0.1:%d/", s.port);
	c = check("web", NODE_CHECK_HTTP, target, 2, 2);
	c.expect_status = 204;
	f.served = &s.served;
	start(&f, &c, 1);
	RUN_UNTIL(&f, f.n_ev == 1);
	assert_false(f.ev[0].up);
	assert_int_equal(f.ev[0].served, 4);
	assert_string_equal(f.ev[0].detail, "status 200");

	server_close(&s);
	fx_fini(&f);
}

/* ---- exec ----------------------------------------------------------- */

static void
make_dir(struct fx *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_health.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
}

static void
remove_dir(struct fx *f)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

static pid_t
read_pid(const char *dir, const char *name)
{
	char path[128];
	FILE *fp;
	long pid = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = 0;
	fclose(fp);
	return (pid_t)pid;
}

/* The file's text, NUL-terminated; its length, 0 when unreadable. */
static size_t
read_text(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp) {
		n = fread(buf, 1, size - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return n;
}

/* Reaped: no process, not even a zombie, has the pid. */
static bool
reaped(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

static void
test_exec_status(void **state)
{
	struct fx f;
	struct node_health_check c[2];

	fx_init(&f);
	c[0] = check("ok", NODE_CHECK_EXEC, "true", 2, 2);
	c[1] = check("bad", NODE_CHECK_EXEC,
		     "echo noise; echo more >&2; exit 3", 2, 2);
	start(&f, c, 2);
	RUN_UNTIL(&f, f.n_ev == 1);
	assert_int_equal(f.ev[0].index, 1);
	assert_false(f.ev[0].up);
	assert_string_equal(f.ev[0].detail, "exit 3");
	RUN_UNTIL(&f, !strcmp(node_health_detail(f.h, 0), "exit 0"));
	assert_true(node_health_up(f.h, 0));
	assert_false(node_health_up(f.h, 1));
	fx_fini(&f);
}

/* At the moment of the timeout the attempt is still out, so the pid
 * files are the ones of this attempt. */
static void
grab_pids(struct fx *f, const struct event *e)
{
	f->sh_pid = read_pid(f->dir, "sh.pid");
	f->bg_pid = read_pid(f->dir, "bg.pid");
}

/* A command that outlives its timeout fails, and it is gone afterwards:
 * the shell reaped, what it forked killed too. The test adopts the
 * shell's orphan (child subreaper) to see how it died and to reap it,
 * since init in a container may not. */
static void
test_exec_timeout(void **state)
{
	struct fx f;
	char cmd[256];
	struct node_health_check c;
	int status = 0;

	fx_init(&f);
	make_dir(&f);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(cmd, sizeof(cmd),
		 "echo $$ >%s/sh.pid; sleep 5 & echo $! >%s/bg.pid; wait",
		 f.dir, f.dir);
	c = check("slow", NODE_CHECK_EXEC, cmd, 1, 1);
	c.timeout_ms = 200;
	c.interval_ms = 100; /* shorter than the timeout: ticks are skipped */
	f.on_event = grab_pids;
	start(&f, &c, 1);
	RUN_UNTIL(&f, f.n_ev == 1);
	assert_false(f.ev[0].up);
	assert_string_equal(f.ev[0].detail, "timeout");
	assert_true(f.sh_pid > 0);
	assert_true(f.bg_pid > 0);
	RUN_UNTIL(&f, reaped(f.sh_pid));
	RUN_UNTIL(&f, waitpid(f.bg_pid, &status, WNOHANG) == f.bg_pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	fx_fini(&f);
	remove_dir(&f);
}

/* Closing while a command runs kills it, and the loop still closes with
 * the child reaped: no zombie. */
static void
test_exec_close_while_running(void **state)
{
	struct fx f;
	char cmd[256];
	struct node_health_check c;
	pid_t pid = 0;

	fx_init(&f);
	make_dir(&f);
	snprintf(cmd, sizeof(cmd), "echo $$ >%s/sh.pid; exec sleep 5", f.dir);
	c = check("long", NODE_CHECK_EXEC, cmd, 1, 1);
	c.timeout_ms = 5000;
	start(&f, &c, 1);
	RUN_UNTIL(&f, (pid = read_pid(f.dir, "sh.pid")) > 0);
	fx_fini(&f);
	assert_true(reaped(pid));
	assert_int_equal(f.n_ev, 0);
	remove_dir(&f);
}

/* Attempts of one check never overlap: with an interval far shorter than
 * the command, its start and end marks still alternate. */
static void
test_exec_no_overlap(void **state)
{
	struct fx f;
	char cmd[512], path[128], marks[64] = "";
	struct node_health_check c;

	fx_init(&f);
	make_dir(&f);
	snprintf(path, sizeof(path), "%s/marks", f.dir);
	snprintf(cmd, sizeof(cmd), "printf s >>%s; sleep 0.15; printf e >>%s",
		 path, path);
	c = check("slow", NODE_CHECK_EXEC, cmd, 1, 1);
	c.interval_ms = 10;
	start(&f, &c, 1);
	RUN_UNTIL(&f, read_text(path, marks, sizeof(marks)) >= 6);
	assert_non_null(strstr(marks, "sese"));
	assert_null(strstr(marks, "ss"));
	assert_int_equal(f.n_ev, 0);
	fx_fini(&f);
	remove_dir(&f);
}

/* ---- start-up ------------------------------------------------------- */

/* Targets are checked at start, and the config is copied: the checker
 * runs on after the caller's strings are freed. */
static void
test_start(void **state)
{
	static const struct {
		enum node_check_type type;
		const char *target;
	} bad[] = {
		{ NODE_CHECK_TCP, "127.0.0.1" },
		{ NODE_CHECK_TCP, "localhost:80" },
		{ NODE_CHECK_HTTP, "http://localhost/" },
		{ NODE_CHECK_HTTP, "https://127.0.0.1/" },
		{ NODE_CHECK_EXEC, " " },
	};
	struct fx f;
	struct node_health_check c;
	char err[256];
	size_t i;

	fx_init(&f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = check("x", bad[i].type, bad[i].target, 1, 1);
		err[0] = '\0';
		f.h = (struct node_health *)&f; /* must be cleared */
		assert_int_equal(node_health_start(&f.loop, &c, 1, on_change,
						   &f, &f.h, err, sizeof(err)),
				 -EINVAL);
		assert_null(f.h);
		assert_non_null(strstr(err, "health check 'x'"));
	}

	/* No checks: all up, and close frees at once. */
	start(&f, NULL, 0);
	assert_true(node_health_all_up(f.h));
	assert_int_equal(node_health_count(f.h), 0);
	node_health_close(f.h);

	c = check(NULL, NODE_CHECK_EXEC, NULL, 1, 1);
	c.name = strdup("copied");
	c.target = strdup("exit 1");
	start(&f, &c, 1);
	free(c.name);
	free(c.target);
	RUN_UNTIL(&f, f.n_ev == 1);
	assert_string_equal(node_health_name(f.h, 0), "copied");
	assert_string_equal(f.ev[0].detail, "exit 1");
	fx_fini(&f);
}

/* ---- the http helpers ----------------------------------------------- */

static void
test_http_prepare(void **state)
{
	static const char *const bad[] = {
		"",
		"http://",
		"http:///x",
		"https://127.0.0.1/",
		"http://localhost/",
		"http://user@127.0.0.1/",
		"http://::1/",
		"http://[::1/",
		"http://127.0.0.1:0/",
		"http://127.0.0.1:65536/",
		"http://127.0.0.1:/",
		"http://127.0.0.1/a b",
		"http://127.0.0.1/a\r\nX-Evil: 1",
		"http://127.0.0.1/\x7f",
		"http://127.0.0.1/\xc3\xa9",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	char req[NODE_HEALTH_REQUEST_MAX], url[NODE_HEALTH_REQUEST_MAX + 32];
	size_t n, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			node_health_http_prepare(bad[i], &ss, &len, req, &n),
			-EINVAL);
		assert_int_equal(n, 0);
	}

	assert_int_equal(node_health_http_prepare("http://[::1]:8080/h#frag",
						  &ss, &len, req, &n),
			 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 8080);
	assert_int_equal(n, strlen(req));
	assert_true(
		!strncmp(req, "GET /h HTTP/1.1\r\nHost: [::1]:8080\r\n", 35));
	assert_true(n > 4 && !strcmp(req + n - 4, "\r\n\r\n"));

	assert_int_equal(node_health_http_prepare("http://10.0.0.1?q", &ss,
						  &len, req, &n),
			 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 80);
	assert_true(
		!strncmp(req, "GET /?q HTTP/1.1\r\nHost: 10.0.0.1\r\n", 34));

	/* A path that would not fit in the request. */
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "http://1.2.3.4/", 15);
	assert_int_equal(node_health_http_prepare(url, &ss, &len, req, &n),
			 -E2BIG);
}

static void
test_http_status(void **state)
{
	static const struct {
		const char *in;
		int rc;
		unsigned status;
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\n", 1, 200 },
		{ "HTTP/1.0 503\r\n", 1, 503 },
		{ "HTTP/1.1 404\n", 1, 404 },
		{ "HTTP/1.1 204 ", 1, 204 },
		{ "", 0, 0 },
		{ "HTT", 0, 0 },
		{ "HTTP/1.1 20", 0, 0 },
		{ "HTTP/1.1 200", 0, 0 },
		{ "http/1.1 200 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 2000 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 20x OK\r\n", -EBADMSG, 0 },
		{ "HTTP/11 200 OK\r\n", -EBADMSG, 0 },
		{ "SSH-2.0", -EBADMSG, 0 },
		{ "<html>", -EBADMSG, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned st = 0;
		int rc = node_health_http_status(cases[i].in,
						 strlen(cases[i].in), &st);

		if (rc != cases[i].rc)
			fail_msg("'%s': %d, want %d", cases[i].in, rc,
				 cases[i].rc);
		if (rc == 1)
			assert_int_equal(st, cases[i].status);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_prepare),
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_tcp_down_and_up),
		cmocka_unit_test(test_close_in_callback),
		cmocka_unit_test(test_out_of_descriptors),
		cmocka_unit_test(test_http_rise_fall_exact),
		cmocka_unit_test(test_http_failures),
		cmocka_unit_test(test_http_expect_status),
		cmocka_unit_test(test_exec_status),
		cmocka_unit_test(test_exec_timeout),
		cmocka_unit_test(test_exec_close_while_running),
		cmocka_unit_test(test_exec_no_overlap),
	};

	/* As in pmgtmd: a peer that hangs up must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
