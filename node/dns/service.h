/*
 * DNS listeners, one UDP socket and one TCP listener per configured
 * address, so every reply leaves from the address that was asked.
 */
#ifndef PMGTM_NODE_DNS_SERVICE_H
#define PMGTM_NODE_DNS_SERVICE_H

#include <stdint.h>

#include "node/config/config.h"

struct node_daemon;
struct node_udp;
struct node_tcp;

/* Opens a UDP socket bound to @addr and serves it from the daemon's loop.
 * Returns 0 and sets *out, or a negative errno. */
__attribute__((warn_unused_result)) int
node_udp_open(struct node_daemon *d, const struct node_sockaddr *addr,
	      struct node_udp **out);

/* Stops serving; the memory goes once libuv has closed the handle. */
void node_udp_close(struct node_udp *u);

/* Opens a TCP listener on @addr (RFC 7766: pipelining, idle timeout,
 * connection limit from the config). */
__attribute__((warn_unused_result)) int
node_tcp_open(struct node_daemon *d, const struct node_sockaddr *addr,
	      struct node_tcp **out);

/* Stops listening and closes every connection. */
void node_tcp_close(struct node_tcp *t);

#endif
