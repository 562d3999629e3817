/*
 * The virtual network of tests/unit/gspnet.h. One FIFO holds every packet
 * in flight: with a constant latency, the order of sending is the order of
 * arrival.
 */
#include "gspnet.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gossip/cert.h"

#define QLEN 8192

struct pkt {
	uint64_t at;
	int to, from;
	bool tcp, reply; /* reply: the answer to a TCP request, not answered */
	uint8_t *data;
	size_t len;
};

struct gspnet {
	int count;
	struct gsp *g[GSPNET_MAX];
	struct gsp_endpoint ep[GSPNET_MAX];
	uint64_t now;
	uint64_t rnd;
	bool cut[GSPNET_MAX][GSPNET_MAX];
	bool down[GSPNET_MAX];
	gspnet_event_fn on_event;
	void *event_ctx;
	size_t head, tail;
	struct pkt q[QLEN];
};

struct gsp_now
gspnet_now(const struct gspnet *n)
{
	return (struct gsp_now){ .ms = n->now,
				 .unix_s = GSPNET_T0 + n->now / 1000 };
}

struct gsp *
gspnet_gsp(const struct gspnet *n, int i)
{
	assert_true(i >= 0 && i < n->count);
	return n->g[i];
}

/* A linear congruential sequence: the same bytes on every run. */
static void
fill(void *ctx, void *buf, size_t len)
{
	struct gspnet *n = ctx;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		n->rnd = n->rnd * 6364136223846793005ull +
			 1442695040888963407ull;
		p[i] = (uint8_t)(n->rnd >> 56);
	}
}

/* Queues @data (taking it) unless the path loses it. */
static void
enqueue(struct gspnet *n, int from, int to, bool tcp, bool reply, uint8_t *data,
	size_t len)
{
	if (n->down[from] || n->down[to] || (!tcp && n->cut[from][to])) {
		free(data);
		return;
	}
	assert_true(n->tail - n->head < QLEN);
	n->q[n->tail++ % QLEN] = (struct pkt){
		n->now + GSPNET_LATENCY_MS, to, from, tcp, reply, data, len
	};
}

static int
node_at(const struct gspnet *n, const struct gsp_endpoint *ep)
{
	for (int i = 0; i < n->count; i++)
		if (!memcmp(&n->ep[i].ip, &ep->ip, sizeof(ep->ip)) &&
		    n->ep[i].port == ep->port)
			return i;
	return -1;
}

/* Sends what node @i has to send and hands on its events. */
static void
flush(struct gspnet *n, int i)
{
	struct gsp_out o;
	struct gsp_event ev;

	while (gsp_out_next(n->g[i], &o)) {
		int to = node_at(n, &o.to);
		if (to < 0) {
			free(o.data);
			continue;
		}
		enqueue(n, i, to, o.transport == GSP_OUT_TCP, false, o.data,
			o.len);
	}
	while (gsp_event_next(n->g[i], &ev))
		if (n->on_event)
			n->on_event(n->event_ctx, i, &ev);
}

static void
deliver(struct gspnet *n, struct pkt *p)
{
	if (!p->tcp) {
		gsp_recv(n->g[p->to], gspnet_now(n), &n->ep[p->from], p->data,
			 p->len);
	} else {
		uint8_t *reply = NULL;
		size_t rlen = 0;
		(void)gsp_stream_input(n->g[p->to], gspnet_now(n), p->data,
				       p->len, &reply, &rlen);
		if (reply && !p->reply)
			enqueue(n, p->to, p->from, true, true, reply, rlen);
		else
			free(reply);
	}
}

void
gspnet_run(struct gspnet *n, uint64_t ms)
{
	uint64_t until = n->now + ms;

	for (; n->now < until; n->now++) {
		while (n->head < n->tail && n->q[n->head % QLEN].at <= n->now) {
			struct pkt p = n->q[n->head++ % QLEN];
			if (n->down[p.to]) {
				free(p.data);
				continue;
			}
			deliver(n, &p);
			free(p.data);
			flush(n, p.to);
		}
		for (int i = 0; i < n->count; i++) {
			if (n->down[i])
				continue;
			gsp_tick(n->g[i], gspnet_now(n));
			flush(n, i);
		}
	}
}

static void
start(struct gspnet *n, int i, const struct gspnet_opts *o,
      const uint8_t *ca_pk, const uint8_t *ca_sk)
{
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN], seed[32], cert[GSP_CERT_MAX];
	struct gsp_cert c;
	size_t cert_len;
	struct ip_addr addr = { 4, { 198, 51, 100, (uint8_t)(10 + i) } };
	char name[16], ns[64];

	snprintf(name, sizeof(name), "lb%d", i + 1);
	if (o->ns_zone)
		snprintf(ns, sizeof(ns), "%s.%s", name, o->ns_zone);
	memset(seed, o->key_seed + i, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_int_equal(gsp_cert_issue(&c, "test", name, pk, GSPNET_T0,
					30 * 86400, ca_sk),
			 0);
	assert_int_equal(gsp_cert_encode(&c, cert, sizeof(cert), &cert_len), 0);
	n->ep[i].ip.family = 4;
	memcpy(n->ep[i].ip.bytes, (uint8_t[]){ 10, 0, 0, (uint8_t)(1 + i) }, 4);
	n->ep[i].port = 7946;
	struct gsp_self self = {
		.cluster = "test",
		.name = name,
		.sk = sk,
		.cert = cert,
		.cert_len = cert_len,
		.ca_pks = (const uint8_t(*)[32])ca_pk,
		.n_ca = 1,
		.generation =
			GSPNET_T0 - 60 + (uint64_t)i, /* started a minute ago */
		.addrs = &addr,
		.n_addrs = 1,
		.ns_name = o->ns_zone ? ns : NULL,
		.gossip = n->ep[i],
		.rand = { fill, n },
	};
	gsp_timing_profile(&self.timing, false);
	assert_int_equal(gsp_new(&self, gspnet_now(n), &n->g[i]), 0);
}

struct gspnet *
gspnet_new(const struct gspnet_opts *o)
{
	uint8_t ca_pk[GSP_PK_LEN], ca_sk[GSP_SK_LEN], seed[32];
	struct gspnet *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	assert_true(o->nodes >= 1 && o->nodes <= GSPNET_MAX);
	assert_true(sodium_init() >= 0);
	n->count = o->nodes;
	n->rnd = o->rnd;
	n->on_event = o->on_event;
	n->event_ctx = o->event_ctx;
	memset(seed, o->ca_seed, sizeof(seed));
	crypto_sign_seed_keypair(ca_pk, ca_sk, seed);
	for (int i = 0; i < n->count; i++)
		start(n, i, o, ca_pk, ca_sk);
	return n;
}

void
gspnet_free(struct gspnet *n)
{
	if (!n)
		return;
	while (n->head < n->tail)
		free(n->q[n->head++ % QLEN].data);
	for (int i = 0; i < n->count; i++)
		gsp_free(n->g[i]);
	free(n);
}

void
gspnet_join(struct gspnet *n, int i, int seed)
{
	gsp_join(gspnet_gsp(n, i), gspnet_now(n), &n->ep[seed], 1);
	flush(n, i);
}

void
gspnet_cut(struct gspnet *n, int from, int to, bool lost)
{
	n->cut[from][to] = lost;
}

void
gspnet_down(struct gspnet *n, int i, bool down)
{
	n->down[i] = down;
}
