/*
 * Local health checks (the health_checks config section): probes of
 * the node's own payload that tell the daemon when to drain itself.
 *
 * Three kinds, each bounded by the check's timeout:
 *   tcp   "IP:port"              success = the connection is accepted
 *   http  "http://IP[:port]/p"   GET with Connection: close; success = the
 *                                status code equals expect_status
 *   exec  command line           /bin/sh -c in its own process group,
 *                                stdio on /dev/null; success = exit 0; at
 *                                the timeout the whole group gets SIGKILL
 *
 * Every check starts "up", so a node is not drained merely for starting.
 * Its first attempt runs after a random delay within its interval (checks
 * configured together do not fire together), then one every interval; a
 * tick that finds the previous attempt still running is skipped, so
 * attempts never overlap. A check goes down after `fall` consecutive
 * failures and up after `rise` consecutive successes, HAProxy's documented
 * rule: any success while up, or failure while down, restarts the count.
 * An attempt that cannot start because this process or the system is out
 * of descriptors, memory or processes (EMFILE, ENFILE, ENOMEM, ENOBUFS,
 * EAGAIN from socket, connect or spawn) counts neither way: the detail
 * reads "not run: ...", the counts stay, and one warning "health check
 * could not run" is logged until an attempt runs again.
 *
 * Each result is logged with node_log() at debug level; state changes go
 * to the callback, which the daemon logs and acts on.
 */
#ifndef PMGTM_NODE_HEALTH_CHECKS_H
#define PMGTM_NODE_HEALTH_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <uv.h>

struct node_health_check;
struct node_health;

/*
 * A check changed state: down after `fall` consecutive failures, up after
 * `rise` consecutive successes. @index and @name are the check's position
 * and name in the array given to node_health_start(); @detail is the last
 * result in a few words ("connect: Connection refused", "status 503",
 * "exit 1", "timeout"). The strings are valid during the call only. The
 * callback may call node_health_close().
 */
typedef void (*node_health_cb)(void *ctx, size_t index, const char *name,
			       bool up, const char *detail);

/*
 * Starts @n checks on @loop. Everything needed is copied from @checks, so
 * the config may be freed right after. Targets are checked here: a tcp
 * target needs an IP and a port, an http target an IP literal host (no
 * name resolution; the port defaults to 80), and an exec target must not
 * be empty. Returns 0 and *out, or a negative errno with a one-line
 * reason naming the check in @err (then nothing was started). @n may be 0.
 */
__attribute__((warn_unused_result)) int
node_health_start(uv_loop_t *loop, const struct node_health_check *checks,
		  size_t n, node_health_cb cb, void *ctx,
		  struct node_health **out, char *err, size_t errlen);

/*
 * Stops every check: closes its handles and kills a running exec check's
 * process group with SIGKILL. The memory goes once libuv has closed the
 * handles and reaped the children, so the loop must run on after this
 * (a process handle is closed only after its exit, which leaves no
 * zombie). The callback is not called again. NULL is a no-op.
 */
void node_health_close(struct node_health *h);

/* Whether check @index is up (true before its first results). */
bool node_health_up(const struct node_health *h, size_t index);

/* Whether every check is up; true with no checks. */
bool node_health_all_up(const struct node_health *h);

size_t node_health_count(const struct node_health *h);

/* The check's name, valid until node_health_close(). */
const char *node_health_name(const struct node_health *h, size_t index);

/* The last result of check @index in a few words, "" before the first;
 * valid until the next result. For status output. */
const char *node_health_detail(const struct node_health *h, size_t index);

/* ---- http target helpers (node/health/http.c), shown for the tests ---- */

#define NODE_HEALTH_REQUEST_MAX 1024 /* the whole GET request, bytes */
#define NODE_HEALTH_STATUS_MAX 512   /* bytes read looking for the status */

/*
 * Parses "http://HOST[:PORT][/PATH]" where HOST is an IPv4 literal or a
 * bracketed IPv6 one. Fills @addr/@addrlen and writes the GET request
 * (HTTP/1.1, Host as written, Connection: close) into @req (at least
 * NODE_HEALTH_REQUEST_MAX bytes), its length in *reqlen. Returns 0, or
 * -EINVAL (bad URL, userinfo, control characters or spaces in the path)
 * or -E2BIG (request too long).
 */
__attribute__((warn_unused_result)) int
node_health_http_prepare(const char *url, struct sockaddr_storage *addr,
			 socklen_t *addrlen, char *req, size_t *reqlen);

/*
 * Looks for the status code at the start of the @len bytes read so far:
 * "HTTP/d.d NNN" then a space or the line end; the reason phrase and the
 * headers are not needed. Returns 1 with *status set, 0 when more bytes
 * are needed, -EBADMSG when the bytes cannot start a status line.
 */
__attribute__((warn_unused_result)) int
node_health_http_status(const char *buf, size_t len, unsigned *status);

#endif
