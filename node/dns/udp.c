/*
 * UDP DNS: our own non-blocking socket under a uv_poll_t, read and written
 * in batches with recvmmsg/sendmmsg (one system call per batch instead of
 * two per query), answered by dns_answer() from the current view.
 */
#include "node/dns/service.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "dns/answer.h"
#include "node/dns/stats.h"

#define BATCH 64
#define RX_SIZE 4096  /* bigger datagrams are not queries we answer */
#define MAX_ROUNDS 16 /* batches per wake-up, so TCP is not starved */

struct node_udp {
	uv_poll_t poll;
	int fd;
	const struct node_dns_service *svc;
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec rx_iov[BATCH], tx_iov[BATCH];
	struct sockaddr_storage peer[BATCH];
	uint8_t in[BATCH][RX_SIZE];
	uint8_t out[BATCH][DNS_UDP_PAYLOAD];
};

static void
client_ip(const struct sockaddr_storage *ss, struct dns_req *req)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		req->client_ip = s6->sin6_addr.s6_addr;
		req->client_iplen = 16;
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		req->client_ip = (const uint8_t *)&s4->sin_addr;
		req->client_iplen = 4;
	}
}

/* One recvmmsg batch in, one sendmmsg batch out. Returns the number of
 * datagrams read, or 0 when the socket is empty. */
static int
serve_batch(struct node_udp *u)
{
	for (int i = 0; i < BATCH; i++) {
		u->rx_iov[i].iov_base = u->in[i];
		u->rx_iov[i].iov_len = RX_SIZE;
		memset(&u->rx[i].msg_hdr, 0, sizeof(u->rx[i].msg_hdr));
		u->rx[i].msg_hdr.msg_iov = &u->rx_iov[i];
		u->rx[i].msg_hdr.msg_iovlen = 1;
		u->rx[i].msg_hdr.msg_name = &u->peer[i];
		u->rx[i].msg_hdr.msg_namelen = sizeof(u->peer[i]);
	}
	int n = recvmmsg(u->fd, u->rx, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;

	const struct node_dns_service *svc = u->svc;
	const struct dns_view *view = *svc->view;
	struct dns_req req = {
		.proto = DNS_UDP,
		.now = svc->clock(svc->clock_ctx),
		.cookies = svc->cookies,
	};
	int m = 0;
	uint64_t t0 = uv_hrtime();
	for (int i = 0; i < n; i++) {
		if (u->rx[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		struct dns_result res;
		client_ip(&u->peer[i], &req);
		int len = dns_answer(view, &req, u->in[i], u->rx[i].msg_len,
				     u->out[m], DNS_UDP_PAYLOAD, &res);
		node_stats_count(svc->stats, DNS_UDP, &res);
		if (len < 0)
			continue;
		u->tx_iov[m].iov_base = u->out[m];
		u->tx_iov[m].iov_len = (size_t)len;
		memset(&u->tx[m].msg_hdr, 0, sizeof(u->tx[m].msg_hdr));
		u->tx[m].msg_hdr.msg_iov = &u->tx_iov[m];
		u->tx[m].msg_hdr.msg_iovlen = 1;
		u->tx[m].msg_hdr.msg_name = &u->peer[i];
		u->tx[m].msg_hdr.msg_namelen = u->rx[i].msg_hdr.msg_namelen;
		m++;
	}
	node_stats_time(svc->stats, uv_hrtime() - t0, (size_t)n);
	/* A full send buffer drops the rest, as a busy network would. */
	for (int sent = 0; sent < m;) {
		int k = sendmmsg(u->fd, u->tx + sent, (unsigned)(m - sent),
				 MSG_DONTWAIT);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			/* Skip the datagram that failed (e.g. unreachable
			 * peer) and go on with the rest. */
			sent++;
			continue;
		}
		sent += k;
	}
	return n;
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct node_udp *u = h->data;

	if (status < 0)
		return;
	for (int r = 0; r < MAX_ROUNDS; r++)
		if (serve_batch(u) < BATCH)
			break;
}

static void
on_closed(uv_handle_t *h)
{
	struct node_udp *u = h->data;

	close(u->fd);
	free(u);
}

int
node_udp_open(const struct node_dns_service *svc,
	      const struct node_sockaddr *addr, struct node_udp **out)
{
	struct node_udp *u = calloc(1, sizeof(*u));
	int one = 1, r;

	assert(svc->loop && svc->view && *svc->view && svc->stats &&
	       svc->clock);
	*out = NULL;
	if (!u)
		return -ENOMEM;
	u->svc = svc;
	u->fd = socket(addr->ss.ss_family,
		       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0) {
		r = -errno;
		free(u);
		return r;
	}
	setsockopt(u->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->ss.ss_family == AF_INET6)
		setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(u->fd, (const struct sockaddr *)&addr->ss, addr->len) < 0) {
		r = -errno;
		close(u->fd);
		free(u);
		return r;
	}
	r = uv_poll_init_socket(svc->loop, &u->poll, u->fd);
	if (r) {
		close(u->fd);
		free(u);
		return r;
	}
	u->poll.data = u;
	r = uv_poll_start(&u->poll, UV_READABLE, on_readable);
	if (r) {
		uv_close((uv_handle_t *)&u->poll, on_closed);
		return r;
	}
	*out = u;
	return 0;
}

void
node_udp_close(struct node_udp *u)
{
	if (!u)
		return;
	uv_poll_stop(&u->poll);
	uv_close((uv_handle_t *)&u->poll, on_closed);
}
