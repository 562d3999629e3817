/*
 * DNS listeners, one UDP socket and one TCP listener per configured
 * address, so every reply leaves from the address that was asked.
 *
 * They see only struct node_dns_service: the loop, the current view, the
 * cookie secrets, the counters, a seconds clock and the TCP limits. Its
 * owner keeps it (and what it points to) alive until every listener has
 * been closed and the loop has run their close callbacks.
 */
#ifndef PMGTM_NODE_DNS_SERVICE_H
#define PMGTM_NODE_DNS_SERVICE_H

#include <stdint.h>
#include <uv.h>

#include "node/config/config.h"

struct dns_view;
struct dns_cookie_secrets;
struct node_stats;
struct node_udp;
struct node_tcp;

/* Seconds for cookie timestamps (wraps); @ctx is the service's clock_ctx. */
typedef uint32_t (*node_dns_clock_fn)(void *ctx);

/* Every pointer but cookies is set (view and *view too) before a
 * listener opens. */
struct node_dns_service {
	uv_loop_t *loop;
	/* The owner swaps *view whole; each query reads the current one. */
	const struct dns_view *const *view;
	const struct dns_cookie_secrets *cookies; /* NULL: no cookies */
	struct node_stats *stats;
	node_dns_clock_fn clock;
	void *clock_ctx;
	/* Read at each new connection, so a reload applies to the next. */
	uint32_t tcp_idle_timeout_ms;
	uint32_t tcp_max_connections;
};

/* The wall clock in unix seconds: what pmgtmd gives its listeners. */
uint32_t node_dns_clock_wall(void *ctx);

/* Opens a UDP socket bound to @addr and serves it from @svc's loop.
 * Returns 0 and sets *out, or a negative errno. */
__attribute__((warn_unused_result)) int
node_udp_open(const struct node_dns_service *svc,
	      const struct node_sockaddr *addr, struct node_udp **out);

/* Stops serving; the memory goes once libuv has closed the handle. */
void node_udp_close(struct node_udp *u);

/* Opens a TCP listener on @addr (RFC 7766: pipelining, idle timeout,
 * connection limit from @svc). */
__attribute__((warn_unused_result)) int
node_tcp_open(const struct node_dns_service *svc,
	      const struct node_sockaddr *addr, struct node_tcp **out);

/* Stops listening and closes every connection. */
void node_tcp_close(struct node_tcp *t);

#endif
