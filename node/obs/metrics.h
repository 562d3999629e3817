/*
 * The Prometheus endpoint: GET /metrics over HTTP/1.1, served
 * by libmicrohttpd from the daemon's own libuv loop, no thread of its
 * own. MHD runs in "external epoll" mode: its epoll descriptor sits under
 * a uv_poll_t, and a uv_timer_t, re-armed from MHD_get_timeout() after
 * every MHD_run(), covers the deadlines (idle connections).
 *
 *   GET|HEAD /metrics   200, Content-Type: text/plain; version=0.0.4;
 *                       charset=utf-8, the body written by the fill
 *                       callback at each request (500 if it fails)
 *   other paths         404
 *   other methods       405 with "Allow: GET, HEAD"
 *
 * At most NODE_METRICS_CONNECTIONS connections at once, each closed after
 * NODE_METRICS_TIMEOUT_S seconds idle, or when no request is complete
 * NODE_METRICS_TIMEOUT_S seconds after it opened or its previous response
 * went however slowly its bytes trickle in; and of the connections of
 * one address (/64 for IPv6) that have waited NODE_METRICS_GRACE_MS for a
 * request, only the NODE_METRICS_PER_IP most recent stay (see
 * node/obs/metrics_guard.h). So a slow or stuck client cannot hold the
 * daemon, one address cannot keep the others out for more than a second,
 * and a burst of quick scrapes from one host is still served in full. A
 * scrape itself is written in one go from the loop.
 */
#ifndef PMGTM_NODE_OBS_METRICS_H
#define PMGTM_NODE_OBS_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct node_expo;
struct node_metrics;
struct node_sockaddr;

#define NODE_METRICS_CONNECTIONS 64
#define NODE_METRICS_PER_IP 8	   /* stalled ones kept per address */
#define NODE_METRICS_GRACE_MS 1000 /* waiting this long is stalled */
#define NODE_METRICS_TIMEOUT_S 10
#define NODE_METRICS_BACKLOG 256 /* scrapes waiting while at the limit */

/* Writes the families into @e; failures go into @e's sticky error. Runs
 * on the loop thread, inside the request. */
typedef void (*node_metrics_fill_cb)(void *ctx, struct node_expo *e);

/*
 * Listens on @listen (port 0: any free port) and serves on @loop. @fill
 * and @ctx are kept until node_metrics_close(). Returns 0 and *out, or
 * a negative errno with a one-line reason in @err (nothing left open).
 */
__attribute__((warn_unused_result)) int
node_metrics_start(uv_loop_t *loop, const struct node_sockaddr *listen,
		   node_metrics_fill_cb fill, void *ctx,
		   struct node_metrics **out, char *err, size_t errlen);

/* The port it listens on (the one the kernel picked for port 0); 0 if
 * it cannot be read. */
uint16_t node_metrics_port(const struct node_metrics *m);

/*
 * Stops at once: MHD closes every connection and the listening socket,
 * @fill is not called again; the memory goes once libuv has closed the
 * two handles, so the loop must run on after this. Not to be called from
 * @fill (it runs inside MHD). NULL is a no-op.
 */
void node_metrics_close(struct node_metrics *m);

#endif
