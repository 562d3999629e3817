/*
 * The control socket (node/control/server.c) on a real unix socket, driven by
 * pmgtmctl's client (cli/ctl_client.c, compiled in here) and by raw
 * sockets; and the members / status commands (node/control/commands.c) for a
 * standalone node and for two gossip state machines on a virtual clock.
 *
 * The server runs on this thread's libuv loop; each client scenario runs
 * on a second thread (cmocka asserts only on the main one, so scenarios
 * record their first failure) and wakes the loop when done, which then
 * closes the server; every test ends with uv_loop_close() returning 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "node/control/server.h"
#include "common/ctl_proto.h"

#include "cli/ctl_client.c"

/* pmgtmctl's error printer, kept for the assertions. */
static char last_err[512];

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
}

struct fixture {
	uv_loop_t loop;
	uv_async_t done;
	struct node_control *ctl;
	char dir[64];
	char path[100];
	void (*client)(struct fixture *f);
	const char *failure; /* the client's first failed check */
	int failed_line;
	int handled; /* commands that reached the handler */
};

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			f->failure = #c;                                       \
			f->failed_line = __LINE__;                             \
			return;                                                \
		}                                                              \
	} while (0)

static void
pack_s(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static int
handle(void *ctx, const char *cmd, const msgpack_object *args,
       const struct ctl_peer *who, msgpack_packer *data, char *err,
       size_t errlen)
{
	struct fixture *f = ctx;

	f->handled++;
	if (!strcmp(cmd, "echo")) {
		msgpack_pack_map(data, 3);
		pack_s(data, "user");
		pack_s(data, who->user);
		pack_s(data, "uid");
		msgpack_pack_uint64(data, who->uid);
		pack_s(data, "args");
		msgpack_pack_uint32(data, args->via.map.size);
		return CTL_OK;
	}
	if (!strcmp(cmd, "fail")) {
		snprintf(err, errlen, "no such thing");
		return CTL_REFUSED;
	}
	if (!strcmp(cmd, "big")) {
		char *s = calloc(1, CTL_FRAME_MAX);
		msgpack_pack_str_with_body(data, s, CTL_FRAME_MAX);
		free(s);
		return CTL_OK;
	}
	if (!strcmp(cmd, "two")) {
		msgpack_pack_nil(data);
		msgpack_pack_nil(data);
		return CTL_OK;
	}
	snprintf(err, errlen, "unknown command '%s'", cmd);
	return CTL_ERROR;
}

static const struct node_control_ops ops = { .handle = handle };

static void *
client_thread(void *arg)
{
	struct fixture *f = arg;

	f->client(f);
	uv_async_send(&f->done);
	return NULL;
}

static void
on_done(uv_async_t *h)
{
	struct fixture *f = h->data;

	node_control_close(f->ctl);
	f->ctl = NULL;
	uv_close((uv_handle_t *)&f->done, NULL);
}

/* Builds a directory tree that does not exist yet under a fresh temp
 * dir, so starting the server has to create the socket's parent. */
static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/pmgtm-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/run/pmgtm/control.sock", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
}

static void
fixture_fini(struct fixture *f)
{
	char p[160];

	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_int_equal(access(f->path, F_OK), -1); /* socket removed */
	snprintf(p, sizeof(p), "%s/run/pmgtm", f->dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	rmdir(p);
	assert_int_equal(rmdir(f->dir), 0);
}

static void
run_scenario(void (*client)(struct fixture *f), uint32_t idle_ms)
{
	struct fixture f;
	char err[256];
	pthread_t th;

	fixture_init(&f);
	f.client = client;
	assert_int_equal(uv_async_init(&f.loop, &f.done, on_done), 0);
	f.done.data = &f;
	if (node_control_start(&f.loop, f.path, &ops, &f, &f.ctl, err,
			       sizeof(err)))
		fail_msg("node_control_start: %s", err);
	if (idle_ms)
		node_control_set_idle(f.ctl, idle_ms);
	assert_int_equal(pthread_create(&th, NULL, client_thread, &f), 0);
	assert_int_equal(uv_run(&f.loop, UV_RUN_DEFAULT), 0);
	pthread_join(th, NULL);
	if (f.failure)
		fail_msg("line %d: %s (last error: %s)", f.failed_line,
			 f.failure, last_err);
	fixture_fini(&f);
}

/* A raw connection, for what pmgtmctl would never send. */
static int
raw_connect(const char *path)
{
	return open_socket(path, now_ms() + 3000);
}

static int
raw_send(int fd, const void *p, size_t n)
{
	return send_all(fd, p, n, now_ms() + 3000);
}

/* Reads one response; 0 and @r filled (ctl_response_fini + free body). */
static int
raw_recv(int fd, struct ctl_response *r, uint8_t **body)
{
	size_t len;
	int rc = recv_frame(fd, now_ms() + 3000, body, &len);

	if (rc)
		return rc;
	if (ctl_response_decode(*body, len, r, NULL)) {
		free(*body);
		return -EBADMSG;
	}
	return 0;
}

/* Sends @frame raw and expects an error response containing @want, then
 * the connection closed. */
static int
expect_refused(const char *path, const void *frame, size_t n, const char *want)
{
	struct ctl_response r;
	uint8_t *body, *rest;
	size_t len;
	int fd = raw_connect(path), ok;

	if (fd < 0 || raw_send(fd, frame, n))
		return 0;
	if (raw_recv(fd, &r, &body)) {
		close(fd);
		return 0;
	}
	ok = !r.ok && r.code == CTL_ERROR && strstr(r.error, want) != NULL;
	ctl_response_fini(&r);
	free(body);
	ok = ok && recv_frame(fd, now_ms() + 3000, &rest, &len) == -EPIPE;
	close(fd);
	return ok;
}

static void
client_basic(struct fixture *f)
{
	struct cli_reply reply;
	struct stat st;
	char dir[160];

	/* The socket and the directory made for it. */
	CHECK(stat(f->path, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK((st.st_mode & 0777) == 0660);
	snprintf(dir, sizeof(dir), "%s/run/pmgtm", f->dir);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0755);

	/* The peer's user comes from the kernel. */
	struct ctl_buf args;
	msgpack_packer pk;
	ctl_buf_init(&args, 256);
	ctl_packer_init(&pk, &args);
	msgpack_pack_map(&pk, 2);
	pack_s(&pk, "a");
	msgpack_pack_nil(&pk);
	pack_s(&pk, "b");
	msgpack_pack_nil(&pk);
	int rc = cli_ctl_call(f->path, "echo", args.data, args.len, 3000,
			      &reply);
	ctl_buf_fini(&args);
	CHECK(rc == 0);
	CHECK(reply.resp.ok && cli_reply_exit(&reply) == 0);
	struct passwd *pw = getpwuid(getuid());
	CHECK(pw &&
	      ctl_str_eq(ctl_map_get(reply.resp.data, "user"), pw->pw_name));
	CHECK(ctl_map_get(reply.resp.data, "uid")->via.u64 == getuid());
	CHECK(ctl_map_get(reply.resp.data, "args")->via.u64 == 2);
	cli_reply_fini(&reply);

	CHECK(cli_ctl_call(f->path, "fail", NULL, 0, 3000, &reply) == 0);
	CHECK(!reply.resp.ok && reply.resp.code == CTL_REFUSED);
	CHECK(cli_reply_exit(&reply) == 2);
	CHECK(!strcmp(reply.resp.error, "no such thing"));
	cli_reply_fini(&reply);

	CHECK(cli_ctl_call(f->path, "big", NULL, 0, 3000, &reply) == 0);
	CHECK(!strcmp(reply.resp.error, "response too large"));
	cli_reply_fini(&reply);

	CHECK(cli_ctl_call(f->path, "two", NULL, 0, 3000, &reply) == 0);
	CHECK(cli_reply_exit(&reply) == 1);
	CHECK(!strncmp(reply.resp.error, "internal error", 14));
	cli_reply_fini(&reply);

	/* Pipelined: both answered, in order, on one connection. */
	struct ctl_buf two;
	struct ctl_response r;
	uint8_t *body;
	ctl_buf_init(&two, 4096);
	CHECK(ctl_request_encode(&two, "echo", NULL, 0) == 0);
	CHECK(ctl_request_encode(&two, "fail", NULL, 0) == 0);
	int fd = raw_connect(f->path);
	CHECK(fd >= 0);
	CHECK(raw_send(fd, two.data, two.len) == 0);
	ctl_buf_fini(&two);
	CHECK(raw_recv(fd, &r, &body) == 0);
	CHECK(r.ok);
	ctl_response_fini(&r);
	free(body);
	CHECK(raw_recv(fd, &r, &body) == 0);
	CHECK(r.code == CTL_REFUSED);
	ctl_response_fini(&r);
	free(body);
	close(fd);

	/* Malformed frames: an error response, then the door. */
	int before = f->handled;
	CHECK(expect_refused(f->path, "\0\0\0\1\xc1", 5, "malformed request"));
	CHECK(expect_refused(f->path, "\0\0\0\5\xdd\x10\0\0\0", 9,
			     "malformed request"));
	CHECK(expect_refused(f->path, "\0\0\0\2\x81\x01", 6,
			     "malformed request"));
	CHECK(expect_refused(f->path, "\0\0\0\0", 4, "empty request frame"));
	CHECK(expect_refused(f->path, "\0\1\0\1", 4,
			     "request too large: 65537 bytes, limit 65536"));
	CHECK(expect_refused(f->path, "\xff\xff\xff\xff", 4,
			     "request too large"));
	CHECK(f->handled == before);

	/* No daemon there. */
	last_err[0] = '\0';
	CHECK(cli_ctl_call("/nonexistent/pmgtm.sock", "status", NULL, 0, 3000,
			   &reply) == -1);
	CHECK(!strcmp(last_err, "cannot connect to /nonexistent/pmgtm.sock: "
				"No such file or directory (is pmgtmd "
				"running?)"));
}

static void
test_requests(void **state)
{
	run_scenario(client_basic, 0);
}

static void
client_idle(struct fixture *f)
{
	struct ctl_response r;
	uint8_t *body;

	/* Half a header, then nothing: answered at the deadline, closed. */
	int64_t t0 = now_ms();
	int fd = raw_connect(f->path);
	CHECK(fd >= 0);
	CHECK(raw_send(fd, "\0\0", 2) == 0);
	CHECK(raw_recv(fd, &r, &body) == 0);
	int64_t took = now_ms() - t0;
	CHECK(!r.ok && strstr(r.error, "idle timeout"));
	ctl_response_fini(&r);
	free(body);
	CHECK(took >= 150 && took < 2500);
	size_t len;
	CHECK(recv_frame(fd, now_ms() + 3000, &body, &len) == -EPIPE);
	close(fd);

	/* Trickling bytes does not keep a client alive either. */
	fd = raw_connect(f->path);
	CHECK(fd >= 0);
	t0 = now_ms();
	int rc = raw_send(fd, "\0\0\0\x20", 4);
	for (int i = 0; i < 8 && rc == 0; i++) {
		struct timespec pause = { 0, 50 * 1000 * 1000 };
		rc = raw_send(fd, "\xc0", 1) || nanosleep(&pause, NULL);
	}
	CHECK(raw_recv(fd, &r, &body) == 0);
	CHECK(strstr(r.error, "idle timeout"));
	ctl_response_fini(&r);
	free(body);
	CHECK(now_ms() - t0 < 2500);
	close(fd);

	/* Meanwhile a well-behaved client is served. */
	struct cli_reply reply;
	CHECK(cli_ctl_call(f->path, "echo", NULL, 0, 3000, &reply) == 0);
	CHECK(reply.resp.ok);
	cli_reply_fini(&reply);
}

static void
test_idle(void **state)
{
	run_scenario(client_idle, 200);
}

static void
client_many(struct fixture *f)
{
	int fds[NODE_CONTROL_CLIENTS_MAX + 1];
	struct ctl_response r;
	uint8_t *body;
	size_t n = 0;

	for (; n < NODE_CONTROL_CLIENTS_MAX + 1; n++) {
		fds[n] = raw_connect(f->path);
		if (fds[n] < 0)
			break;
	}
	if (n == NODE_CONTROL_CLIENTS_MAX + 1) {
		/* The one past the cap is told why. */
		int rc = raw_recv(fds[NODE_CONTROL_CLIENTS_MAX], &r, &body);
		if (rc == 0) {
			rc = strstr(r.error, "too many") ? 0 : -1;
			ctl_response_fini(&r);
			free(body);
		}
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		CHECK(rc == 0);
	} else {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		CHECK(n == NODE_CONTROL_CLIENTS_MAX + 1);
	}

	/* Once they are gone, there is room again. */
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	struct cli_reply reply;
	CHECK(cli_ctl_call(f->path, "echo", NULL, 0, 3000, &reply) == 0);
	CHECK(reply.resp.ok);
	cli_reply_fini(&reply);
}

static void
test_client_cap(void **state)
{
	run_scenario(client_many, 0);
}

static void
on_close_all(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Starting up: stale sockets go, live ones and other files stay. */
static void
test_socket_setup(void **state)
{
	struct fixture f;
	struct node_control *c1, *c2;
	char err[256], dir[160];
	int fd;

	fixture_init(&f);
	snprintf(dir, sizeof(dir), "%s/run", f.dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/run/pmgtm", f.dir);
	assert_int_equal(mkdir(dir, 0755), 0);

	/* A regular file is not ours to remove. */
	fd = open(f.path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(node_control_start(&f.loop, f.path, &ops, &f, &c1, err,
					    sizeof(err)),
			 -EEXIST);
	assert_non_null(strstr(err, "not a socket"));
	assert_null(c1);
	unlink(f.path);

	/* A socket nobody listens on is left from a crash: replaced. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(node_control_start(&f.loop, f.path, &ops, &f, &c1, err,
					    sizeof(err)),
			 0);

	/* A live one belongs to another daemon. */
	assert_int_equal(node_control_start(&f.loop, f.path, &ops, &f, &c2, err,
					    sizeof(err)),
			 -EADDRINUSE);
	assert_non_null(strstr(err, "another pmgtmd"));
	assert_int_equal(node_control_clients(c1), 0);

	char longpath[200];
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(node_control_start(&f.loop, longpath, &ops, &f, &c2,
					    err, sizeof(err)),
			 -ENAMETOOLONG);

	/* Closing removes the socket file it made... */
	struct stat st;
	node_control_close(c1);
	node_control_close(NULL);
	assert_int_equal(uv_run(&f.loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(lstat(f.path, &st), -1);
	assert_int_equal(errno, ENOENT);

	/* ...and not one another process put in its place. */
	assert_int_equal(node_control_start(&f.loop, f.path, &ops, &f, &c1, err,
					    sizeof(err)),
			 0);
	assert_int_equal(unlink(f.path), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	node_control_close(c1);
	assert_int_equal(uv_run(&f.loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(lstat(f.path, &st), 0);
	close(fd);
	unlink(f.path);
	uv_walk(&f.loop, on_close_all, NULL); /* nothing should be left */
	fixture_fini(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_client_cap),
		cmocka_unit_test(test_socket_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
