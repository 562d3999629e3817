/*
 * TCP DNS (RFC 7766): two-byte length-prefixed messages, several per
 * connection, pipelined and answered in order. Each connection has an idle
 * timer; the number of connections is capped (the listener accepts and
 * closes at once past the cap, so the kernel backlog never fills); a client
 * that does not read its answers is paused rather than buffered for.
 */
#include "node/listen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "node/daemon.h"
#include "node/log.h"
#include "node/stats.h"

#define MSG_BUF (2 + DNS_MSG_MAX)
#define MAX_PENDING (256 * 1024) /* unsent bytes before we stop reading */

struct conn;

struct node_tcp {
	uv_tcp_t server;
	struct node_daemon *d;
	struct conn *conns; /* doubly linked, for closing them all */
	size_t n_conns;
	int closing;
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t idle;
	struct node_tcp *t;
	struct conn *prev, *next;
	uint8_t *buf; /* partial messages, MSG_BUF bytes */
	size_t have;
	size_t pending; /* bytes queued for writing */
	int paused;
	int closing;
	int handles; /* still open: tcp and idle */
	struct sockaddr_storage peer;
};

struct write_req {
	uv_write_t req;
	struct conn *c;
	size_t len;
	uint8_t data[];
};

static void
conn_free(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->handles > 0)
		return;
	free(c->buf);
	free(c);
}

static void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->t->n_conns--;
	uv_timer_stop(&c->idle);
	uv_close((uv_handle_t *)&c->idle, conn_free);
	uv_close((uv_handle_t *)&c->tcp, conn_free);
}

static void
on_idle(uv_timer_t *h)
{
	conn_close(h->data);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;

	buf->base = (char *)c->buf + c->have;
	buf->len = MSG_BUF - c->have;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void
on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct conn *c = w->c;

	c->pending -= w->len;
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->paused && c->pending < MAX_PENDING / 2) {
		c->paused = 0;
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	}
}

static int
client_ip(const struct sockaddr_storage *ss, const uint8_t **ip)
{
	if (ss->ss_family == AF_INET6) {
		*ip = ((const struct sockaddr_in6 *)(const void *)ss)
			      ->sin6_addr.s6_addr;
		return 16;
	}
	*ip = (const uint8_t *)&((const struct sockaddr_in *)(const void *)ss)
		      ->sin_addr;
	return 4;
}

/* Answers one message; returns 0 or a negative errno to close. */
static int
answer_one(struct conn *c, const uint8_t *q, size_t len)
{
	struct write_req *w = malloc(sizeof(*w) + MSG_BUF);
	struct dns_req req = {
		.proto = DNS_TCP,
		.now = node_daemon_now(),
		.cookies = &c->t->d->cookies,
	};

	if (!w)
		return -ENOMEM;
	req.client_iplen = (size_t)client_ip(&c->peer, &req.client_ip);
	struct dns_result res;
	uint64_t t0 = uv_hrtime();
	int n = dns_answer(c->t->d->view, &req, q, len, w->data + 2,
			   DNS_MSG_MAX, &res);
	node_stats_time(&c->t->d->stats, uv_hrtime() - t0, 1);
	node_stats_count(&c->t->d->stats, DNS_TCP, &res);
	if (n < 0) {
		free(w);
		return 0;
	}
	w->data[0] = (uint8_t)(n >> 8);
	w->data[1] = (uint8_t)n;
	w->c = c;
	w->len = (size_t)n + 2;
	uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
	int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
	if (r) {
		free(w);
		return r;
	}
	c->pending += w->len;
	return 0;
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	if (n < 0) {
		conn_close(c);
		return;
	}
	if (n == 0)
		return;
	c->have += (size_t)n;
	uv_timer_again(&c->idle);

	size_t off = 0;
	while (c->have - off >= 2) {
		size_t len = (size_t)c->buf[off] << 8 | c->buf[off + 1];
		if (c->have - off - 2 < len)
			break;
		if (answer_one(c, c->buf + off + 2, len)) {
			conn_close(c);
			return;
		}
		off += 2 + len;
	}
	memmove(c->buf, c->buf + off, c->have - off);
	c->have -= off;
	if (c->pending >= MAX_PENDING) {
		c->paused = 1;
		uv_read_stop(s);
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct node_tcp *t = server->data;
	const struct node_config *cfg = t->d->cfg;

	if (status < 0)
		return;
	struct conn *c = calloc(1, sizeof(*c));
	if (c)
		c->buf = malloc(MSG_BUF);
	if (!c || !c->buf) {
		free(c);
		return;
	}
	c->t = t;
	uv_tcp_init(&t->d->loop, &c->tcp);
	uv_timer_init(&t->d->loop, &c->idle);
	c->tcp.data = c->idle.data = c;
	c->handles = 2;
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	t->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) ||
	    t->n_conns > cfg->dns.tcp_max_connections) {
		conn_close(c);
		return;
	}
	int len = sizeof(c->peer);
	uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &len);
	uv_tcp_nodelay(&c->tcp, 1);
	uv_timer_start(&c->idle, on_idle, cfg->dns.tcp_idle_timeout_ms,
		       cfg->dns.tcp_idle_timeout_ms);
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void
server_free(uv_handle_t *h)
{
	free(h->data);
}

int
node_tcp_open(struct node_daemon *d, const struct node_sockaddr *addr,
	      struct node_tcp **out)
{
	struct node_tcp *t = calloc(1, sizeof(*t));
	int r;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->d = d;
	r = uv_tcp_init(&d->loop, &t->server);
	if (r) {
		free(t);
		return r;
	}
	t->server.data = t;
	r = uv_tcp_bind(&t->server, (const struct sockaddr *)&addr->ss,
			addr->ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	if (!r)
		r = uv_listen((uv_stream_t *)&t->server, 128, on_connection);
	if (r) {
		uv_close((uv_handle_t *)&t->server, server_free);
		return r;
	}
	*out = t;
	return 0;
}

void
node_tcp_close(struct node_tcp *t)
{
	if (!t)
		return;
	while (t->conns)
		conn_close(t->conns);
	uv_close((uv_handle_t *)&t->server, server_free);
}
