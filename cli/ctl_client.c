/*
 * A blocking client with one deadline: connect, write and read each wait
 * with poll() for what is left of it, so a wedged daemon costs the user
 * at most the timeout.
 */
#include "cli/ctl_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

const char *
cli_ctl_socket(const char *opt)
{
	const char *env = getenv("PMGTM_SOCKET");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	return CLI_CTL_SOCKET_DEFAULT;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @events until @deadline: 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 0;
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static void
connect_error(const char *path, int e)
{
	const char *hint = "";

	if (e == ENOENT || e == ECONNREFUSED)
		hint = " (is pmgtmd running?)";
	else if (e == EACCES)
		hint = " (is your user in the socket's group?)";
	else if (e == EAGAIN)
		hint = " (pmgtmd is busy)";
	cli_err("cannot connect to %s: %s%s", path, strerror(e), hint);
}

/* A unix socket connect either completes at once or fails with EAGAIN
 * when the listen backlog is full; retried until the deadline. */
static int
open_socket(const char *path, int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		connect_error(path, ENAMETOOLONG);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cli_err("socket: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		e = errno;
		if (e == EINTR)
			continue;
		if (e != EAGAIN || now_ms() >= deadline)
			break;
		struct timespec pause = { 0, 50 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	close(fd);
	connect_error(path, e);
	return -1;
}

static int
send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		int r = wait_fd(fd, POLLOUT, deadline);
		if (r <= 0)
			return r ? -errno : -ETIMEDOUT;
	}
	return 0;
}

/* Reads one frame; 0 and a malloc'd body, or a negative errno (-EPIPE:
 * closed before a whole frame). */
static int
recv_frame(int fd, int64_t deadline, uint8_t **body, size_t *len)
{
	struct ctl_reader rd;
	uint8_t *p;
	size_t n;
	int r;

	ctl_reader_init(&rd, CTL_FRAME_MAX);
	for (;;) {
		ctl_reader_space(&rd, &p, &n);
		ssize_t got = recv(fd, p, n, 0);
		if (got == 0) {
			r = -EPIPE;
			break;
		}
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				r = -errno;
				break;
			}
			r = wait_fd(fd, POLLIN, deadline);
			if (r <= 0) {
				r = r ? -errno : -ETIMEDOUT;
				break;
			}
			continue;
		}
		r = ctl_reader_advance(&rd, (size_t)got, NULL);
		if (r < 0)
			break;
		if (r == 1) {
			*body = ctl_reader_take(&rd, len);
			r = 0;
			break;
		}
	}
	ctl_reader_fini(&rd);
	return r;
}

int
cli_ctl_call(const char *path, const char *cmd, const uint8_t *args,
	     size_t args_len, int timeout_ms, struct cli_reply *reply)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct ctl_buf req;
	const char *why = NULL;
	size_t len = 0;
	int fd, r;

	memset(reply, 0, sizeof(*reply));
	ctl_buf_init(&req, CTL_HDR_LEN + CTL_FRAME_MAX);
	r = ctl_request_encode(&req, cmd, args, args_len);
	if (r) {
		cli_err("%s: cannot encode the request: %s", cmd, strerror(-r));
		ctl_buf_fini(&req);
		return -1;
	}
	fd = open_socket(path, deadline);
	if (fd < 0) {
		ctl_buf_fini(&req);
		return -1;
	}
	r = send_all(fd, req.data, req.len, deadline);
	ctl_buf_fini(&req);
	/* A daemon that refused the request may have answered and closed:
	 * read its answer even when the send failed. */
	int rr = recv_frame(fd, deadline, &reply->body, &len);
	close(fd);
	if (rr == -ETIMEDOUT || (rr && r == -ETIMEDOUT)) {
		cli_err("no answer from pmgtmd on %s within %d ms", path,
			timeout_ms);
		return -1;
	}
	if (rr) {
		cli_err("%s: %s", path,
			rr == -EPIPE	  ? "pmgtmd closed the connection "
					    "without an answer"
			: rr == -EMSGSIZE ? "response too large"
			: rr == -EBADMSG  ? "bad frame from pmgtmd"
					  : strerror(-rr));
		return -1;
	}
	if (ctl_response_decode(reply->body, len, &reply->resp, &why)) {
		cli_err("%s: bad response from pmgtmd: %s", path, why);
		cli_reply_fini(reply);
		return -1;
	}
	return 0;
}

void
cli_reply_fini(struct cli_reply *reply)
{
	ctl_response_fini(&reply->resp);
	free(reply->body);
	reply->body = NULL;
}

int
cli_reply_exit(const struct cli_reply *reply)
{
	int c = reply->resp.code;

	return c == CTL_OK || c == CTL_REFUSED ? c : CTL_ERROR;
}
