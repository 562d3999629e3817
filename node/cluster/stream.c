#include "node/cluster/stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/source.h"
#include "node/net/conn.h"

#define CHUNK 65536 /* the least a growing buffer grows by */
#define LEN_BYTES 4

struct stream {
	struct node_conn conn; /* first: the handles' data point here */
	uv_tcp_t tcp;
	uv_timer_t timeout;
	uv_connect_t connect;
	struct node_streams *ss;
	bool outgoing;
	uint8_t from[NODE_SOURCE_LEN]; /* inbound only: its source */
	uint8_t *buf;
	size_t have, cap;
	uint8_t *tx;
	size_t tx_len;
};

_Static_assert(offsetof(struct stream, conn) == 0, "conn first");

struct node_streams {
	uv_tcp_t server;
	uv_loop_t *loop;
	node_stream_frame_cb cb;
	void *ctx;
	struct node_conn_list list; /* open streams, both ways */
	size_t n_in;		    /* inbound streams in the list */
	size_t in_bytes;	    /* inbound buffers, until freed */
	size_t live; /* the server and every stream not yet freed */
	bool closing;
	struct node_stream_stats stats;
};

static void
release(struct node_streams *ss)
{
	if (--ss->live == 0 && ss->closing)
		free(ss);
}

static void
stream_closing(struct node_conn *c)
{
	struct stream *s = node_conn_of(c, struct stream);

	if (!s->outgoing)
		s->ss->n_in--;
}

static void
stream_free(struct node_conn *c)
{
	struct stream *s = node_conn_of(c, struct stream);
	struct node_streams *ss = s->ss;

	if (!s->outgoing)
		ss->in_bytes -= s->cap;
	free(s->buf);
	free(s->tx);
	free(s);
	release(ss);
}

static const struct node_conn_ops stream_ops = {
	.closing = stream_closing,
	.free = stream_free,
};

static void
stream_close(struct stream *s)
{
	node_conn_close(&s->conn);
}

static void
on_timeout(uv_timer_t *t)
{
	stream_close(t->data);
}

static struct stream *
stream_new(struct node_streams *ss, bool outgoing)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ss = ss;
	s->outgoing = outgoing;
	uv_tcp_init(ss->loop, &s->tcp);
	uv_timer_init(ss->loop, &s->timeout);
	s->tcp.data = s->timeout.data = s;
	node_conn_init(&s->conn, &stream_ops, (uv_handle_t *)&s->tcp,
		       &s->timeout);
	node_conn_link(&ss->list, &s->conn);
	ss->live++;
	if (!outgoing)
		ss->n_in++;
	uv_timer_start(&s->timeout, on_timeout, NODE_STREAM_TIMEOUT_MS, 0);
	return s;
}

static size_t
frame_len(const struct stream *s)
{
	return (size_t)s->buf[0] << 24 | (size_t)s->buf[1] << 16 |
	       (size_t)s->buf[2] << 8 | s->buf[3];
}

/* Grows the buffer towards the bytes still to come: the length alone
 * first, then at most doubling what arrived, never past the frame. */
static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct stream *s = h->data;
	struct node_streams *ss = s->ss;
	size_t total =
		s->have < LEN_BYTES ? LEN_BYTES : LEN_BYTES + frame_len(s);
	size_t want = s->have + (s->have > CHUNK ? s->have : CHUNK);

	if (want > total)
		want = total;
	if (s->cap - s->have < CHUNK && s->cap < want) {
		size_t more = want - s->cap;
		uint8_t *p = NULL;
		if (s->outgoing ||
		    ss->in_bytes + more <= NODE_STREAMS_IN_BUDGET)
			p = realloc(s->buf, want);
		else
			ss->stats.over_budget++;
		if (p) {
			s->buf = p;
			s->cap = want;
			if (!s->outgoing)
				ss->in_bytes += more;
		}
	}
	/* No room: libuv reports UV_ENOBUFS and the stream closes. */
	*b = uv_buf_init((char *)s->buf + s->have,
			 (unsigned)(s->cap - s->have));
}

static void
on_written(uv_write_t *w, int status)
{
	struct stream *s = w->data;

	free(w);
	/* An inbound exchange is over once the reply is out. */
	if (!s->outgoing || status < 0)
		stream_close(s);
}

/* Sends s->tx (the whole frame with its length). */
static int
stream_write(struct stream *s)
{
	uv_write_t *w = malloc(sizeof(*w));
	uv_buf_t b = uv_buf_init((char *)s->tx, (unsigned)s->tx_len);

	if (!w)
		return -ENOMEM;
	w->data = s;
	int r = uv_write(w, (uv_stream_t *)&s->tcp, &b, 1, on_written);
	if (r)
		free(w);
	return r;
}

/* Copies @frame, with its length before it, into s->tx. */
static int
set_tx(struct stream *s, const uint8_t *frame, size_t len)
{
	free(s->tx);
	s->tx = malloc(len + LEN_BYTES);
	if (!s->tx)
		return -ENOMEM;
	s->tx[0] = (uint8_t)(len >> 24);
	s->tx[1] = (uint8_t)(len >> 16);
	s->tx[2] = (uint8_t)(len >> 8);
	s->tx[3] = (uint8_t)len;
	memcpy(s->tx + LEN_BYTES, frame, len);
	s->tx_len = len + LEN_BYTES;
	return 0;
}

static void
on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct stream *s = st->data;
	struct node_streams *ss = s->ss;

	if (n < 0) {
		stream_close(s);
		return;
	}
	s->have += (size_t)n;
	if (s->have < LEN_BYTES)
		return;
	size_t len = frame_len(s);
	if (len > NODE_STREAM_FRAME_MAX) {
		if (!s->outgoing)
			ss->stats.over_frame++;
		stream_close(s);
		return;
	}
	if (s->have < len + LEN_BYTES)
		return;
	uv_read_stop(st);
	uint8_t *reply = NULL;
	size_t rlen = 0;
	ss->cb(ss->ctx, s->buf + LEN_BYTES, len, &reply, &rlen);
	if (node_conn_closing(&s->conn) || s->outgoing || !reply ||
	    set_tx(s, reply, rlen) || stream_write(s))
		stream_close(s);
	free(reply);
}

static void
on_connected(uv_connect_t *c, int status)
{
	struct stream *s = c->data;

	if (status < 0 || node_conn_closing(&s->conn) || stream_write(s) ||
	    uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read))
		stream_close(s);
}

void
node_streams_push(struct node_streams *ss, const struct sockaddr *to,
		  const uint8_t *frame, size_t len)
{
	struct stream *s;

	if (ss->closing || !(s = stream_new(ss, true)))
		return;
	s->connect.data = s;
	if (set_tx(s, frame, len) ||
	    uv_tcp_connect(&s->connect, &s->tcp, to, on_connected))
		stream_close(s);
}

static int
source_of(uv_tcp_t *tcp, uint8_t src[NODE_SOURCE_LEN])
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	int r = uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len);

	node_source_of(r ? NULL : (const struct sockaddr *)&ss, src);
	return r;
}

static size_t
count_source(const struct node_streams *ss, const uint8_t *src)
{
	const struct node_conn *c;
	size_t n = 0;

	node_conn_foreach (c, &ss->list) {
		const struct stream *s = node_conn_of(c, const struct stream);
		if (!s->outgoing && !memcmp(s->from, src, NODE_SOURCE_LEN))
			n++;
	}
	return n;
}

static void
on_accept(uv_stream_t *server, int status)
{
	struct node_streams *ss = server->data;
	struct stream *s;

	if (status < 0 || ss->closing || !(s = stream_new(ss, false)))
		return;
	/* Accepted even over a cap, then closed: the backlog never fills
	 * and the connection costs no descriptor beyond this callback. */
	if (uv_accept(server, (uv_stream_t *)&s->tcp)) {
		stream_close(s);
		return;
	}
	if (ss->n_in > NODE_STREAMS_IN_MAX) {
		ss->stats.over_max++;
		stream_close(s);
		return;
	}
	uint8_t src[NODE_SOURCE_LEN];
	if (source_of(&s->tcp, src)) {
		stream_close(s);
		return;
	}
	if (count_source(ss, src) >= NODE_STREAMS_PER_SOURCE) {
		ss->stats.over_source++;
		stream_close(s);
		return;
	}
	memcpy(s->from, src, NODE_SOURCE_LEN);
	if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read))
		stream_close(s);
}

static void
server_closed(uv_handle_t *h)
{
	release(h->data);
}

int
node_streams_open(uv_loop_t *loop, const struct sockaddr *addr,
		  node_stream_frame_cb cb, void *ctx, struct node_streams **out)
{
	struct node_streams *ss = calloc(1, sizeof(*ss));
	int r;

	*out = NULL;
	if (!ss)
		return UV_ENOMEM;
	ss->loop = loop;
	ss->cb = cb;
	ss->ctx = ctx;
	node_conn_list_init(&ss->list);
	uv_tcp_init(loop, &ss->server);
	ss->server.data = ss;
	ss->live = 1;
	if ((r = uv_tcp_bind(&ss->server, addr, 0)) ||
	    (r = uv_listen((uv_stream_t *)&ss->server, 64, on_accept))) {
		node_streams_close(ss);
		return r;
	}
	*out = ss;
	return 0;
}

const struct node_stream_stats *
node_streams_stats(const struct node_streams *ss)
{
	return &ss->stats;
}

void
node_streams_close(struct node_streams *ss)
{
	if (!ss || ss->closing)
		return;
	ss->closing = true;
	node_conn_close_all(&ss->list);
	uv_close((uv_handle_t *)&ss->server, server_closed);
}
