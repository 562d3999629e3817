#include "node/cluster/internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

void
cluster__to_endpoint(const struct sockaddr *sa, struct gsp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		ep->ip.family = 6;
		memcpy(ep->ip.bytes, &s6->sin6_addr, 16);
		ep->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;
		ep->ip.family = 4;
		memcpy(ep->ip.bytes, &s4->sin_addr, 4);
		ep->port = ntohs(s4->sin_port);
	}
}

static void
to_sockaddr(const struct gsp_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->ip.family == 6) {
		struct sockaddr_in6 *s6 = (void *)ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, ep->ip.bytes, 16);
		s6->sin6_port = htons(ep->port);
	} else {
		struct sockaddr_in *s4 = (void *)ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, ep->ip.bytes, 4);
		s4->sin_port = htons(ep->port);
	}
}

/* --- TCP push-pull streams (node/cluster/stream.c) --- */

static void
on_frame(void *ctx, const uint8_t *frame, size_t len, uint8_t **reply,
	 size_t *rlen)
{
	struct node_gossip *ng = ctx;

	if (gsp_stream_input(ng->g, cluster__now(ng), frame, len, reply,
			     rlen)) {
		free(*reply);
		*reply = NULL;
	}
	cluster__pump(ng);
}

static void
pushpull(struct node_gossip *ng, const struct gsp_out *o)
{
	struct sockaddr_storage ss;

	to_sockaddr(&o->to, &ss);
	node_streams_push(ng->streams, (const struct sockaddr *)&ss, o->data,
			  o->len);
}

static void on_timer(uv_timer_t *t);

/* Ticks the state machine and sends what it leaves in the outbox;
 * returns when it wants the next tick. */
static uint64_t
send_out(struct node_gossip *ng)
{
	struct gsp_out o;
	uint64_t next = gsp_tick(ng->g, cluster__now(ng));

	while (gsp_out_next(ng->g, &o)) {
		if (o.transport == GSP_OUT_UDP) {
			struct sockaddr_storage ss;
			to_sockaddr(&o.to, &ss);
			uv_buf_t b =
				uv_buf_init((char *)o.data, (unsigned)o.len);
			/* A full socket buffer loses the datagram, as the
			 * network may: the protocol retries. */
			uv_udp_try_send(&ng->udp, &b, 1,
					(struct sockaddr *)&ss);
		} else if (!ng->closing) {
			pushpull(ng, &o);
		}
		free(o.data);
	}
	return next;
}

static void
arm(struct node_gossip *ng, uint64_t next)
{
	/* Never 0: libuv runs a timer re-armed with 0 from its own callback
	 * again in the same pass, without polling I/O, so a deadline left in
	 * the past would starve DNS, signals and the control socket. */
	uint64_t now = uv_now(ng->loop);
	uv_timer_start(&ng->timer, on_timer, next > now ? next - now : 1, 0);
}

void
cluster__pump(struct node_gossip *ng)
{
	if (ng->closing && !ng->done)
		return;
	assert(!ng->pumping);
	ng->pumping = true;
	uint64_t next = send_out(ng);
	cluster__report(ng);
	ng->pumping = false;
	if (!ng->closing)
		arm(ng, next);
}

void
cluster__send_now(struct node_gossip *ng)
{
	if (ng->closing)
		return;
	if (ng->pumping) {
		cluster__pump_soon(ng);
		return;
	}
	ng->pumping = true;
	uint64_t next = send_out(ng);
	ng->pumping = false;
	arm(ng, next);
}

static void
on_timer(uv_timer_t *t)
{
	cluster__pump(t->data);
}

static void
on_soon(uv_idle_t *h)
{
	struct node_gossip *ng = h->data;

	uv_idle_stop(h);
	cluster__pump(ng);
}

void
cluster__pump_soon(struct node_gossip *ng)
{
	/* An idle handle runs once the callbacks of this turn are done and
	 * keeps the poll that follows from blocking. */
	if (!ng->closing)
		uv_idle_start(&ng->soon, on_soon);
}

static void
on_udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct node_gossip *ng = h->data;

	b->base = (char *)ng->rx;
	b->len = sizeof(ng->rx);
}

static void
on_udp(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *sa,
       unsigned flags)
{
	struct node_gossip *ng = h->data;
	struct gsp_endpoint from;

	if (n <= 0 || !sa || (flags & UV_UDP_PARTIAL) || ng->closing)
		return;
	cluster__to_endpoint(sa, &from);
	gsp_recv(ng->g, cluster__now(ng), &from, (const uint8_t *)b->base,
		 (size_t)n);
	cluster__pump(ng);
}

static void
on_log_timer(uv_timer_t *t)
{
	struct node_gossip *ng = t->data;

	cluster__log_rejects(ng);
	cluster__cert_watch(ng, cluster__now(ng).unix_s);
}

int
cluster__transport_open(struct node_gossip *ng, const struct sockaddr *sa)
{
	int r;

	uv_udp_init(ng->loop, &ng->udp);
	uv_timer_init(ng->loop, &ng->timer);
	uv_timer_init(ng->loop, &ng->log_timer);
	uv_idle_init(ng->loop, &ng->soon);
	ng->udp.data = ng->timer.data = ng->log_timer.data = ng->soon.data = ng;
	ng->open_handles = 4;
	/* No SO_REUSEADDR: with it, another process (any local user, the
	 * port is unprivileged) could bind the same address and port and
	 * take our datagrams, or send as us. */
	if ((r = uv_udp_bind(&ng->udp, sa, 0)) ||
	    (r = uv_udp_recv_start(&ng->udp, on_udp_alloc, on_udp)) ||
	    (r = node_streams_open(ng->loop, sa, on_frame, ng, &ng->streams)))
		return r;
	uv_timer_start(&ng->log_timer, on_log_timer, REPORT_REJECTS_MS,
		       REPORT_REJECTS_MS);
	return 0;
}

void
cluster__transport_close(struct node_gossip *ng)
{
	node_streams_close(ng->streams);
	ng->streams = NULL;
	uv_close((uv_handle_t *)&ng->udp, cluster__handle_closed);
	uv_close((uv_handle_t *)&ng->timer, cluster__handle_closed);
	uv_close((uv_handle_t *)&ng->log_timer, cluster__handle_closed);
	uv_close((uv_handle_t *)&ng->soon, cluster__handle_closed);
}
