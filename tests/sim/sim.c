#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static struct gsp_now now_of(const struct sim *s);

struct sim_pkt {
	uint64_t at;
	uint64_t order; /* FIFO among equal times */
	int from, to;
	bool tcp, reply;
	uint8_t *data;
	size_t len;
};

uint64_t
sim_seed(uint64_t fallback)
{
	const char *e = getenv("PMGTM_SIM_SEED");
	uint64_t seed = e ? strtoull(e, NULL, 0) : fallback;

	return seed;
}

uint64_t
sim_rand(struct sim *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

static void
fill(void *ctx, void *buf, size_t n)
{
	struct sim *s = ctx;
	uint8_t *p = buf;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = sim_rand(s);
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

void
sim_init(struct sim *s, uint64_t seed, bool wan)
{
	uint8_t ca_seed[32];

	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->rng = seed * 0x9e3779b97f4a7c15ull + 1;
	s->epoch = 1800000000;
	s->wan = wan;
	gsp_timing_profile(&s->timing, wan);
	s->delay_ms = wan ? 40 : 1;
	s->jitter_ms = wan ? 20 : 1;
	fill(s, ca_seed, sizeof(ca_seed));
	crypto_sign_seed_keypair(s->ca_pk, s->ca_sk, ca_seed);
}

void
sim_fini(struct sim *s)
{
	for (size_t i = 0; i < s->n; i++) {
		gsp_free(s->nodes[i].g);
		for (size_t k = 0; k < s->nodes[i].n_saved; k++)
			free(s->nodes[i].saved[k]);
	}
	for (size_t i = 0; i < s->n_pkts; i++)
		free(s->pkts[i].data);
	free(s->pkts);
}

static struct gsp_now
now_of(const struct sim *s)
{
	struct gsp_now t = { .ms = s->now, .unix_s = s->epoch + s->now / 1000 };
	return t;
}

struct gsp_now
sim_now(const struct sim *s)
{
	return now_of(s);
}

/* --- packet heap --- */

static bool
before(const struct sim_pkt *a, const struct sim_pkt *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void
heap_push(struct sim *s, struct sim_pkt p)
{
	if (s->n_pkts == s->cap_pkts) {
		s->cap_pkts = s->cap_pkts ? 2 * s->cap_pkts : 1024;
		s->pkts = realloc(s->pkts, s->cap_pkts * sizeof(*s->pkts));
		if (!s->pkts)
			abort();
	}
	p.order = s->order++;
	size_t i = s->n_pkts++;
	while (i > 0 && before(&p, &s->pkts[(i - 1) / 2])) {
		s->pkts[i] = s->pkts[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->pkts[i] = p;
}

static struct sim_pkt
heap_pop(struct sim *s)
{
	struct sim_pkt top = s->pkts[0], last = s->pkts[--s->n_pkts];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->n_pkts)
			break;
		if (c + 1 < s->n_pkts && before(&s->pkts[c + 1], &s->pkts[c]))
			c++;
		if (!before(&s->pkts[c], &last))
			break;
		s->pkts[i] = s->pkts[c];
		i = c;
	}
	if (s->n_pkts)
		s->pkts[i] = last;
	return top;
}

/* --- the network --- */

static int
node_by_endpoint(const struct sim *s, const struct gsp_endpoint *ep)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->nodes[i].ep.port == ep->port &&
		    memcmp(s->nodes[i].ep.ip.bytes, ep->ip.bytes, 4) == 0)
			return (int)i;
	return -1;
}

static uint64_t
latency(struct sim *s)
{
	return s->delay_ms +
	       (s->jitter_ms ? sim_rand(s) % (s->jitter_ms + 1) : 0);
}

static bool
link_drops(struct sim *s, int from, int to)
{
	if (s->cut[from][to])
		return true;
	return s->loss[from][to] && sim_rand(s) % 100 < s->loss[from][to];
}

static void
flush_outbox(struct sim *s, int i)
{
	struct gsp_out o;

	while (gsp_out_next(s->nodes[i].g, &o)) {
		int to = node_by_endpoint(s, &o.to);
		/* A TCP connection needs both directions. */
		bool lost = to < 0 || link_drops(s, i, to) ||
			    (o.transport == GSP_OUT_TCP && s->cut[to][i]);
		if (lost) {
			s->dropped++;
			free(o.data);
			continue;
		}
		struct sim_pkt p = {
			.at = s->now + latency(s),
			.from = i,
			.to = to,
			.tcp = o.transport == GSP_OUT_TCP,
			.data = o.data,
			.len = o.len,
		};
		heap_push(s, p);
	}
}

static void
drain_events(struct sim *s, int i)
{
	struct gsp_event ev;
	struct sim_node *n = &s->nodes[i];

	while (gsp_event_next(n->g, &ev)) {
		if (ev.type == GSP_EV_STATE && ev.new_state == GSP_SUSPECT)
			n->suspects_seen++;
		if (ev.type == GSP_EV_STATE && ev.new_state == GSP_DEAD)
			n->deads_seen++;
		if (ev.type == GSP_EV_SPLIT) {
			if (ev.new_state)
				n->splits_on++;
			else
				n->splits_off++;
			if (!s->quiet)
				printf("# %8.3f s  %s: split view about %s: "
				       "%s\n",
				       s->now / 1000.0, n->name, ev.name,
				       ev.new_state ? "on" : "healed");
		}
		if (ev.type == GSP_EV_REACH)
			n->reach_changes++;
		if (ev.type == GSP_EV_SYNCED && !n->synced_at) {
			struct gsp_now t = now_of(s);
			n->synced_at = s->now ? s->now : 1;
			n->drained_at_sync = gsp_drained(n->g, t, n->name);
		}
		if (!s->quiet && ev.type == GSP_EV_STATE)
			printf("# %8.3f s  %s: %s %s -> %s (by %s)\n",
			       s->now / 1000.0, n->name, ev.name,
			       ev.old_state < 0 ? "new"
						: gsp_state_name(ev.old_state),
			       gsp_state_name(ev.new_state), ev.by);
	}
}

static void
after_input(struct sim *s, int i)
{
	struct sim_node *n = &s->nodes[i];

	n->deadline = gsp_tick(n->g, now_of(s));
	flush_outbox(s, i);
	drain_events(s, i);
}

static void
deliver(struct sim *s, struct sim_pkt *p)
{
	struct sim_node *n = &s->nodes[p->to];

	if (!n->up)
		return;
	s->delivered++;
	if (!p->tcp) {
		gsp_recv(n->g, now_of(s), &s->nodes[p->from].ep, p->data,
			 p->len);
	} else {
		uint8_t *reply;
		size_t rlen;
		int rc = gsp_stream_input(n->g, now_of(s), p->data, p->len,
					  &reply, &rlen);
		(void)rc;
		if (reply && !p->reply && s->nodes[p->from].up &&
		    !s->cut[p->to][p->from]) {
			struct sim_pkt r = {
				.at = s->now + latency(s),
				.from = p->to,
				.to = p->from,
				.tcp = true,
				.reply = true,
				.data = reply,
				.len = rlen,
			};
			heap_push(s, r);
		} else {
			free(reply);
		}
	}
	after_input(s, p->to);
}

static void
start(struct sim *s, int i)
{
	struct sim_node *n = &s->nodes[i];
	struct ip_addr addr = { 4, { 10, 99, 0, (uint8_t)(i + 1) } };
	char ns[64];

	snprintf(ns, sizeof(ns), "%s.api.example.com", n->name);
	struct gsp_self self = {
		.cluster = "sim",
		.name = n->name,
		.sk = n->sk,
		.cert = n->cert,
		.cert_len = n->cert_len,
		.ca_pks = s->n_trust ? (const uint8_t(*)[32])s->trust
				     : (const uint8_t(*)[32])s->ca_pk,
		.n_ca = s->n_trust ? s->n_trust : 1,
		.generation = n->generation,
		.addrs = &addr,
		.n_addrs = 1,
		.ns_name = ns,
		.gossip = n->ep,
		.timing = s->timing,
		.rand = { fill, s },
		.keyring = s->sealed ? &s->keyrings[i] : NULL,
	};
	if (gsp_new(&self, now_of(s), &n->g) != 0) {
		fprintf(stderr, "sim: gsp_new failed for %s\n", n->name);
		abort();
	}
	/* What the state file held, before anything else: revocations
	 * (saved first), then intents. */
	for (size_t k = 0; k < n->n_saved; k++) {
		enum gsp_reject why;
		int rc = gsp_revocation_import(n->g, now_of(s), n->saved[k],
					       n->saved_len[k], &why);
		if (rc < 0 && why == GSP_REJ_DECODE)
			rc = gsp_intent_import(n->g, now_of(s), n->saved[k],
					       n->saved_len[k], NULL);
		if (rc < 0)
			n->load_refused++;
		free(n->saved[k]);
	}
	n->n_saved = 0;
	n->synced_at = 0;
	n->up = true;
	if (i != 0)
		gsp_join(n->g, now_of(s), &s->nodes[0].ep, 1);
	after_input(s, i);
}

int
sim_add(struct sim *s)
{
	int i = (int)s->n++;
	struct sim_node *n = &s->nodes[i];
	uint8_t pk[GSP_PK_LEN], seed[32];
	struct gsp_cert cert;

	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "n%d", i);
	n->ep.ip.family = 4;
	n->ep.ip.bytes[0] = 10;
	n->ep.ip.bytes[1] = 99;
	n->ep.ip.bytes[3] = (uint8_t)(i + 1);
	n->ep.port = 7946;
	n->generation = 1;
	fill(s, seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, n->sk, seed);
	if (gsp_cert_issue(&cert, "sim", n->name, pk, s->epoch, 30 * 86400,
			   s->ca_sk) ||
	    gsp_cert_encode(&cert, n->cert, sizeof(n->cert), &n->cert_len))
		abort();
	start(s, i);
	return i;
}

static void
save_one(void *ctx, const uint8_t *rec, size_t len)
{
	struct sim_node *n = ctx;

	if (n->n_saved == 64)
		return;
	n->saved[n->n_saved] = malloc(len);
	memcpy(n->saved[n->n_saved], rec, len);
	n->saved_len[n->n_saved++] = len;
}

void
sim_kill(struct sim *s, int i)
{
	struct sim_node *n = &s->nodes[i];

	gsp_revocations_export(n->g, save_one, n);
	gsp_intents_export(n->g, save_one, n);
	n->up = false;
	gsp_free(n->g);
	n->g = NULL;
}

void
sim_restart(struct sim *s, int i)
{
	s->nodes[i].generation++;
	start(s, i);
}

void
sim_inject(struct sim *s, int from, int to, const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct sim_pkt p = {
		.at = s->now, .from = from, .to = to, .data = copy, .len = len
	};

	memcpy(copy, buf, len);
	heap_push(s, p);
}

static bool
step(struct sim *s, uint64_t until)
{
	uint64_t next = until;

	if (s->n_pkts && s->pkts[0].at < next)
		next = s->pkts[0].at;
	for (size_t i = 0; i < s->n; i++)
		if (s->nodes[i].up && s->nodes[i].deadline < next)
			next = s->nodes[i].deadline;
	if (next > until)
		return false;
	if (next > s->now)
		s->now = next;
	if (s->n_pkts && s->pkts[0].at <= s->now) {
		struct sim_pkt p = heap_pop(s);
		deliver(s, &p);
		free(p.data);
		return true;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->nodes[i].up && s->nodes[i].deadline <= s->now)
			after_input(s, (int)i);
	return s->now < until;
}

void
sim_run(struct sim *s, uint64_t until)
{
	while (step(s, until))
		;
	s->now = until;
}

bool
sim_run_until(struct sim *s, uint64_t until,
	      bool (*pred)(struct sim *s, void *arg), void *arg, uint64_t *when)
{
	while (!pred(s, arg)) {
		if (!step(s, until)) {
			s->now = until;
			return pred(s, arg);
		}
	}
	if (when)
		*when = s->now;
	return true;
}

static bool
find_info(struct sim *s, int i, const char *name, struct gsp_member_info *info)
{
	struct gsp *g = s->nodes[i].g;

	if (!g)
		return false;
	for (size_t k = 0; gsp_member_get(g, k, info); k++)
		if (strcmp(info->name, name) == 0)
			return true;
	return false;
}

int
sim_state(struct sim *s, int i, const char *name)
{
	struct gsp_member_info info;

	return find_info(s, i, name, &info) ? (int)info.state : -1;
}

uint64_t
sim_inc(struct sim *s, int i, const char *name)
{
	struct gsp_member_info info;

	return find_info(s, i, name, &info) ? info.inc : 0;
}

bool
sim_all_see(struct sim *s, const char *name, unsigned states)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!s->nodes[i].up)
			continue;
		int st = sim_state(s, (int)i, name);
		if (st < 0 || !(states & (1u << st)))
			return false;
	}
	return true;
}
