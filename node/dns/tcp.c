/*
 * TCP DNS (RFC 7766): two-byte length-prefixed messages, several per
 * connection, pipelined and answered in order.
 *
 * Hostile clients are bounded by node/dns/tcp_limits.h: a connection is closed
 * once no complete message has come in for dns.tcp_idle_timeout (bytes
 * that do not finish a message do not count, so a message must be whole
 * within that time of the previous one); a new connection past the
 * per-source share or past dns.tcp_max_connections closes the least
 * recently active one; answers a client does not read are kept only up to
 * small per-connection and per-listener budgets, past which the
 * connection stops being read.
 */
#include "node/dns/service.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "dns/answer.h"
#include "node/dns/stats.h"
#include "node/dns/tcp_limits.h"
#include "node/net/conn.h"

#define MSG_BUF (2 + DNS_MSG_MAX)

struct node_tcp {
	uv_tcp_t server;
	const struct node_dns_service *svc;
	struct node_tcp_limits lim; /* every open connection is in it */
	uint8_t scratch[MSG_BUF];   /* each answer is written here first */
};

struct conn {
	struct node_conn conn; /* first: the handles' data point here */
	uv_tcp_t tcp;
	uv_timer_t idle;
	struct node_tcp *t;
	struct node_tcp_slot slot; /* in the listener's limits until closed */
	uint8_t *buf;		   /* unanswered input, MSG_BUF bytes */
	size_t have;
	size_t answers; /* queued for writing */
	size_t bytes;	/* allocated for them */
	bool reading;
	bool limited; /* slot is in the limits */
	struct sockaddr_storage peer;
};

_Static_assert(offsetof(struct conn, conn) == 0, "conn first");

struct write_req {
	uv_write_t req;
	struct conn *c;
	size_t size; /* allocated */
	uint8_t data[];
};

/* Leaves the listener at once; the answers still queued are freed by
 * their write callbacks, which then touch only @c (the listener may be
 * gone by then). */
static void
conn_closing(struct node_conn *nc)
{
	struct conn *c = node_conn_of(nc, struct conn);

	if (!c->limited)
		return;
	node_tcp_limits_remove(&c->t->lim, &c->slot);
	assert(c->t->lim.out_bytes >= c->bytes);
	c->t->lim.out_bytes -= c->bytes;
}

static void
conn_free(struct node_conn *nc)
{
	struct conn *c = node_conn_of(nc, struct conn);

	free(c->buf);
	free(c);
}

static const struct node_conn_ops conn_ops = {
	.closing = conn_closing,
	.free = conn_free,
};

static void
conn_close(struct conn *c)
{
	node_conn_close(&c->conn);
}

static struct conn *
slot_conn(struct node_tcp_slot *s)
{
	return (struct conn *)(void *)((char *)s - offsetof(struct conn, slot));
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

	/* Never empty: reading stops while a whole message waits (see
	 * serve()), and MSG_BUF bytes always hold one. */
	assert(c->have < MSG_BUF);
	buf->base = (char *)c->buf + c->have;
	buf->len = MSG_BUF - c->have;
}

static void serve(struct conn *c);

static void
on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct conn *c = w->c;
	bool closing = node_conn_closing(&c->conn);

	c->answers--;
	c->bytes -= w->size;
	if (!closing)
		c->t->lim.out_bytes -= w->size;
	free(w);
	if (closing)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	serve(c);
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

/* Answers one message into the listener's scratch buffer, then queues a
 * copy of exactly its size. Returns 0 or a negative errno to close. */
static int
answer_one(struct conn *c, const uint8_t *q, size_t len)
{
	struct node_tcp *t = c->t;
	const struct node_dns_service *svc = t->svc;
	uint8_t *out = t->scratch;
	struct dns_req req = {
		.proto = DNS_TCP,
		.now = svc->clock(svc->clock_ctx),
		.cookies = svc->cookies,
	};
	struct dns_result res;

	req.client_iplen = (size_t)client_ip(&c->peer, &req.client_ip);
	uint64_t t0 = uv_hrtime();
	int n = dns_answer(*svc->view, &req, q, len, out + 2, DNS_MSG_MAX,
			   &res);
	node_stats_time(svc->stats, uv_hrtime() - t0, 1);
	node_stats_count(svc->stats, DNS_TCP, &res);
	if (n < 0)
		return 0;
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;

	size_t size = sizeof(struct write_req) + (size_t)n + 2;
	struct write_req *w = malloc(size);
	if (!w)
		return -ENOMEM;
	memcpy(w->data, out, (size_t)n + 2);
	w->c = c;
	w->size = size;
	uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n + 2);
	int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
	if (r) {
		free(w);
		return r;
	}
	c->answers++;
	c->bytes += size;
	t->lim.out_bytes += size;
	return 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

/* Answers the whole messages in the buffer while the output budgets
 * allow, then reads on only if none is left waiting. */
static void
serve(struct conn *c)
{
	size_t off = 0;
	bool waiting = false;

	while (c->have - off >= 2) {
		size_t len = (size_t)c->buf[off] << 8 | c->buf[off + 1];
		if (c->have - off - 2 < len)
			break;
		if (!node_tcp_limits_may_answer(&c->t->lim, c->answers,
						c->bytes)) {
			waiting = true;
			break;
		}
		if (answer_one(c, c->buf + off + 2, len)) {
			conn_close(c);
			return;
		}
		off += 2 + len;
	}
	if (off) {
		memmove(c->buf, c->buf + off, c->have - off);
		c->have -= off;
		uv_timer_again(&c->idle);
		node_tcp_limits_touch(&c->t->lim, &c->slot);
	}
	if (waiting && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	} else if (!waiting && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) {
			conn_close(c);
			return;
		}
		c->reading = true;
	}
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	if (n < 0) {
		conn_close(c);
		return;
	}
	c->have += (size_t)n;
	serve(c);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct node_tcp *t = server->data;
	const struct node_dns_service *svc = t->svc;

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
	uv_tcp_init(svc->loop, &c->tcp);
	uv_timer_init(svc->loop, &c->idle);
	c->tcp.data = c->idle.data = c;
	node_conn_init(&c->conn, &conn_ops, (uv_handle_t *)&c->tcp, &c->idle);
	int len = sizeof(c->peer);
	if (uv_accept(server, (uv_stream_t *)&c->tcp) ||
	    uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &len) ||
	    node_tcp_limits_add(&t->lim, &c->slot,
				(const struct sockaddr *)&c->peer)) {
		conn_close(c);
		return;
	}
	c->limited = true;
	struct node_tcp_slot *v;
	while ((v = node_tcp_limits_victim(&t->lim, &c->slot,
					   svc->tcp_max_connections)))
		conn_close(slot_conn(v));
	uv_tcp_nodelay(&c->tcp, 1);
	uv_timer_start(&c->idle, on_idle, svc->tcp_idle_timeout_ms,
		       svc->tcp_idle_timeout_ms);
	serve(c);
}

static void
server_free(uv_handle_t *h)
{
	free(h->data);
}

int
node_tcp_open(const struct node_dns_service *svc,
	      const struct node_sockaddr *addr, struct node_tcp **out)
{
	struct node_tcp *t = calloc(1, sizeof(*t));
	uint8_t key[NODE_TCP_LIMITS_KEY];
	int r;

	assert(svc->loop && svc->view && *svc->view && svc->stats &&
	       svc->clock);
	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->svc = svc;
	randombytes_buf(key, sizeof(key));
	node_tcp_limits_init(&t->lim, key);
	r = uv_tcp_init(svc->loop, &t->server);
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
	while (t->lim.head)
		conn_close(slot_conn(t->lim.head));
	node_tcp_limits_fini(&t->lim);
	uv_close((uv_handle_t *)&t->server, server_free);
}
