#include "node/cluster/gossip_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/gossip.h"
#include "node/cluster/stream.h"
#include "node/cluster/intent_store.h"
#include "common/file_write.h"
#include "common/keyfile.h"
#include "node/log/log.h"
#include "node/cluster/state_dir.h"

#define REJECT_LOG_MS 10000
#define LEAVE_FLUSH_MS 300

struct node_gossip {
	uv_loop_t *loop;
	struct gsp *g;
	uv_udp_t udp;
	uv_timer_t timer, log_timer;
	node_gossip_changed_cb cb;
	void *ctx;
	uint64_t logged[GSP_REJ__COUNT];
	uint8_t rx[65536];
	int open_handles;
	bool closing;
	void (*done)(void *ctx);
	void *done_ctx;
	struct node_streams *streams; /* TCP push-pull, closed with us */
	struct node_stream_stats logged_streams;
	char *state_dir;
	int state_lock; /* held while we run: one pmgtmd per state_dir */
};

static void pump(struct node_gossip *ng);

static struct gsp_now
now_of(const struct node_gossip *ng)
{
	struct gsp_now t = { uv_now(ng->loop), (uint64_t)time(NULL),
			     uv_hrtime() / 1000 };
	return t;
}

struct gsp_now
node_gossip_now(const struct node_gossip *ng)
{
	return now_of(ng);
}

struct gsp *
node_gossip_state_mut(struct node_gossip *ng)
{
	return ng->g;
}

void
node_gossip_kick(struct node_gossip *ng)
{
	pump(ng);
}

uint64_t
node_gossip_now_ms(const struct node_gossip *ng)
{
	return uv_now(ng->loop);
}

bool
node_gossip_synced(const struct node_gossip *ng)
{
	return gsp_synced(ng->g);
}

const struct gsp *
node_gossip_state(const struct node_gossip *ng)
{
	return ng->g;
}

static void
to_endpoint(const struct sockaddr *sa, struct gsp_endpoint *ep)
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

	if (gsp_stream_input(ng->g, now_of(ng), frame, len, reply, rlen)) {
		free(*reply);
		*reply = NULL;
	}
	pump(ng);
}

static void
pushpull(struct node_gossip *ng, const struct gsp_out *o)
{
	struct sockaddr_storage ss;

	to_sockaddr(&o->to, &ss);
	node_streams_push(ng->streams, (const struct sockaddr *)&ss, o->data,
			  o->len);
}

/* --- events, the outbox and the timer --- */

static void
log_intent(struct node_gossip *ng, const struct gsp_event *ev)
{
	struct gsp_intent in;
	char version[24], expires[24];

	if (!gsp_intent_get(ng->g, now_of(ng), ev->name, &in))
		return;
	snprintf(version, sizeof(version), "%" PRIu64, in.version);
	snprintf(expires, sizeof(expires), "%" PRIu64, in.expires_at);
	node_log(NODE_LOG_INFO,
		 in.drained && !in.effective ? "drain intent expired"
					     : "drain intent applied",
		 "target", in.target, "drained", in.effective ? "yes" : "no",
		 "version", version, "issuer", in.issuer, "user", in.user,
		 "reason", in.reason, "expires_at",
		 in.expires_at ? expires : "never", NULL);
}

/* Our own view of a peer changed: one line with what we measure. */
static void
log_reach(struct node_gossip *ng, const struct gsp_event *ev)
{
	struct gsp_reach_row *row = malloc(sizeof(*row));
	char rtt[32] = "-", loss[16] = "-", ack[32] = "never";

	if (row && gsp_reach_get(ng->g, now_of(ng), 0, row)) {
		for (size_t i = 0; i < row->n; i++) {
			const struct gsp_reach_cell *c = &row->cells[i];
			if (strcmp(c->peer, ev->name) != 0)
				continue;
			if (c->rtt_us)
				snprintf(rtt, sizeof(rtt), "%.3f",
					 c->rtt_us / 1000.0);
			snprintf(loss, sizeof(loss), "%.2f",
				 c->loss_permille / 1000.0);
			if (c->last_ack_ms != UINT64_MAX)
				snprintf(ack, sizeof(ack), "%.1f",
					 c->last_ack_ms / 1000.0);
		}
	}
	free(row);
	node_log(ev->new_state ? NODE_LOG_INFO : NODE_LOG_WARN,
		 "peer reachability changed", "peer", ev->name, "from",
		 ev->new_state ? "unreachable" : "reachable", "to",
		 ev->new_state ? "reachable" : "unreachable", "rtt_ms", rtt,
		 "loss", loss, "last_ack_s", ack, NULL);
}

struct split_ctx {
	const char *target;
	bool found;
};

static void
join_names(const char *const *names, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "",
				      names[i]);
}

static void
log_split_one(void *ctx, const char *target, const char *const *reach,
	      size_t n_reach, const char *const *unreach, size_t n_unreach)
{
	struct split_ctx *sc = ctx;
	char a[512], b[512];

	if (strcmp(target, sc->target) != 0)
		return;
	sc->found = true;
	join_names(reach, n_reach, a, sizeof(a));
	join_names(unreach, n_unreach, b, sizeof(b));
	node_log(NODE_LOG_WARN, "split view", "target", target,
		 "reachable_from", a, "unreachable_from", b, NULL);
}

static void
log_split(struct node_gossip *ng, const struct gsp_event *ev)
{
	struct split_ctx sc = { ev->name, false };

	if (ev->new_state)
		gsp_split_views(ng->g, now_of(ng), log_split_one, &sc);
	if (!sc.found)
		node_log(NODE_LOG_INFO, "split view healed", "target", ev->name,
			 NULL);
}

static void
save_intents(struct node_gossip *ng)
{
	char err[512];

	if (node_intents_save(ng->state_dir, ng->g, err, sizeof(err)))
		node_log(NODE_LOG_ERROR, "cannot save drain intents", "error",
			 err, NULL);
}

static void
log_event(const struct gsp_event *ev)
{
	char gen[24], inc[24];

	snprintf(gen, sizeof(gen), "%" PRIu64, ev->gen);
	snprintf(inc, sizeof(inc), "%" PRIu64, ev->inc);
	switch (ev->type) {
	case GSP_EV_STATE:
		node_log(ev->new_state == GSP_ALIVE || ev->new_state == GSP_LEFT
				 ? NODE_LOG_INFO
				 : NODE_LOG_WARN,
			 "member state", "member", ev->name, "from",
			 ev->old_state < 0 ? "unknown"
					   : gsp_state_name(ev->old_state),
			 "to", gsp_state_name(ev->new_state), "by", ev->by,
			 "generation", gen, "incarnation", inc, NULL);
		break;
	case GSP_EV_UPDATE:
		node_log(NODE_LOG_INFO, "member updated", "member", ev->name,
			 "generation", gen, "incarnation", inc, NULL);
		break;
	case GSP_EV_REFUTE:
		node_log(NODE_LOG_WARN, "refuted a suspicion about us", "by",
			 ev->by, "incarnation", inc, NULL);
		break;
	case GSP_EV_SYNCED:
		node_log(NODE_LOG_INFO, "synced cluster state", "peer", ev->by,
			 NULL);
		break;
	case GSP_EV_REAPED:
		node_log(NODE_LOG_INFO, "member forgotten", "member", ev->name,
			 NULL);
		break;
	case GSP_EV_INTENT:
	case GSP_EV_REACH:
	case GSP_EV_SPLIT:
		break; /* logged with their details by log_reach() & co */
	case GSP_EV_CERT_EXPIRED:
		node_log(NODE_LOG_ERROR,
			 "own certificate expired: peers refuse this node, "
			 "probing stopped; restart it with a renewed "
			 "certificate",
			 NULL);
		break;
	}
}

static void on_timer(uv_timer_t *t);

/* After any input: send what the state machine wants sent, report what
 * changed, and wake up again at its next deadline. */
static void
pump(struct node_gossip *ng)
{
	struct gsp_out o;
	struct gsp_event ev;
	bool changed = false, intents = false;

	if (ng->closing && !ng->done)
		return;
	uint64_t next = gsp_tick(ng->g, now_of(ng));
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
	while (gsp_event_next(ng->g, &ev)) {
		log_event(&ev);
		if (ev.type == GSP_EV_INTENT) {
			log_intent(ng, &ev);
			intents = true;
		}
		if (ev.type == GSP_EV_REACH)
			log_reach(ng, &ev);
		if (ev.type == GSP_EV_SPLIT)
			log_split(ng, &ev);
		changed = true;
	}
	/* On disk before anyone is told: a node killed now restarts with
	 * every intent it has applied. */
	if (intents)
		save_intents(ng);
	if (changed && ng->cb)
		ng->cb(ng->ctx);
	if (ng->closing)
		return;
	/* Never 0: libuv runs a timer re-armed with 0 from its own callback
	 * again in the same pass, without polling I/O, so a deadline left in
	 * the past would starve DNS, signals and the control socket. */
	uint64_t now = uv_now(ng->loop);
	uv_timer_start(&ng->timer, on_timer, next > now ? next - now : 1, 0);
}

static void
on_timer(uv_timer_t *t)
{
	pump(t->data);
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
	to_endpoint(sa, &from);
	gsp_recv(ng->g, now_of(ng), &from, (const uint8_t *)b->base, (size_t)n);
	pump(ng);
}

/* One line for what @now adds to *@logged, if anything; @source, when
 * known, is where the last one came from. */
static void
log_count(const char *msg, const char *reason, uint64_t now, uint64_t *logged,
	  const struct gsp_ip *source)
{
	char count[24], ip[INET6_ADDRSTRLEN] = "";

	if (now == *logged)
		return;
	snprintf(count, sizeof(count), "%" PRIu64, now - *logged);
	if (source && source->family)
		inet_ntop(source->family == 6 ? AF_INET6 : AF_INET,
			  source->bytes, ip, sizeof(ip));
	if (ip[0])
		node_log(NODE_LOG_WARN, msg, "reason", reason, "count", count,
			 "window", "10s", "last_source", ip, NULL);
	else
		node_log(NODE_LOG_WARN, msg, "reason", reason, "count", count,
			 "window", "10s", NULL);
	*logged = now;
}

/* One line per reason every 10 s at most, with the count. */
static void
on_log_timer(uv_timer_t *t)
{
	struct node_gossip *ng = t->data;
	const struct gsp_stats *st = gsp_stats(ng->g);
	const struct node_stream_stats *ss = node_streams_stats(ng->streams);
	struct node_stream_stats *done = &ng->logged_streams;

	for (int r = 0; r < GSP_REJ__COUNT; r++)
		log_count("gossip rejected",
			  gsp_reject_name((enum gsp_reject)r), st->rejected[r],
			  &ng->logged[r], &st->last_source[r]);
	log_count("gossip stream refused", "too_many_streams", ss->over_max,
		  &done->over_max, NULL);
	log_count("gossip stream refused", "too_many_from_source",
		  ss->over_source, &done->over_source, NULL);
	log_count("gossip stream refused", "memory_budget", ss->over_budget,
		  &done->over_budget, NULL);
	log_count("gossip stream refused", "frame_too_large", ss->over_frame,
		  &done->over_frame, NULL);
}

/* --- start-up --- */

int
node_generation_next(const char *dir, uint64_t unix_now, uint64_t *gen,
		     char *err, size_t errlen)
{
	char path[4096], text[64];
	uint64_t stored = 0;

	snprintf(path, sizeof(path), "%s/generation", dir);
	FILE *f = fopen(path, "r");
	if (f) {
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		char *end;
		errno = 0;
		stored = strtoull(text, &end, 10);
		if (errno || end == text || (*end && *end != '\n')) {
			char aside[4200];
			snprintf(aside, sizeof(aside), "%s.corrupt-%" PRIu64,
				 path, unix_now);
			rename(path, aside);
			node_log(NODE_LOG_ERROR,
				 "generation file corrupt, moved aside", "file",
				 path, "moved_to", aside, NULL);
			stored = 0;
		}
	}
	*gen = stored + 1 > unix_now ? stored + 1 : unix_now;
	int n = snprintf(text, sizeof(text), "%" PRIu64 "\n", *gen);
	return node_file_write(path, text, (size_t)n, 0644, NODE_WRITE_FORCE,
			       err, errlen);
}

static int
load_cluster_key(const char *path, uint8_t *key, char *err, size_t errlen)
{
	char text[NODE_KEYTEXT_MAX * 2];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open cluster key %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		close(fd);
		snprintf(err, errlen,
			 "key file %s is readable by group or others (mode "
			 "%04o); chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	ssize_t n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0)
		return -EIO;
	return node_keytext_parse(text, (size_t)n, NODE_CLUSTER_KEY_HEADER, key,
				  GSP_KEY_LEN, err, errlen);
}

static void
rand_fill(void *ctx, void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

static int
make_state(struct node_gossip *ng, const struct node_config *cfg, char *err,
	   size_t errlen)
{
	uint8_t sk[GSP_SK_LEN], ca_pk[GSP_PK_LEN], cert_bytes[GSP_CERT_MAX];
	uint8_t keys[GSP_KEYS_MAX][GSP_KEY_LEN];
	struct gsp_keyring kr;
	struct gsp_ip addrs[GSP_ADDRS_MAX];
	struct gsp_cert cert;
	struct gsp_endpoint self_ep;
	size_t cert_len;
	uint64_t gen;
	int r;

	if ((r = node_key_load(cfg->node.key_file, sk, err, errlen)) ||
	    (r = node_ca_pub_load(cfg->cluster.ca_file, ca_pk, err, errlen)) ||
	    (r = node_cert_load(cfg->node.cert_file, &cert, err, errlen)))
		return r;
	if (gsp_cert_encode(&cert, cert_bytes, sizeof(cert_bytes), &cert_len)) {
		snprintf(err, errlen, "cannot encode %s", cfg->node.cert_file);
		return -EINVAL;
	}
	if (cfg->cluster.n_encrypt_keys > GSP_KEYS_MAX) {
		snprintf(err, errlen, "at most %d cluster.encrypt_keys",
			 GSP_KEYS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->cluster.n_encrypt_keys; i++)
		if ((r = load_cluster_key(cfg->cluster.encrypt_keys[i], keys[i],
					  err, errlen)))
			return r;
	if (gsp_keyring_init(&kr, (const uint8_t(*)[GSP_KEY_LEN])keys,
			     cfg->cluster.n_encrypt_keys))
		return -EINVAL;
	if ((r = node_generation_next(cfg->node.state_dir, (uint64_t)time(NULL),
				      &gen, err, errlen)))
		return r;
	size_t n_addrs = cfg->node.n_addrs < GSP_ADDRS_MAX ? cfg->node.n_addrs
							   : GSP_ADDRS_MAX;
	for (size_t i = 0; i < n_addrs; i++) {
		addrs[i].family = cfg->node.addrs[i].family == AF_INET6 ? 6 : 4;
		memcpy(addrs[i].bytes, cfg->node.addrs[i].bytes, 16);
	}
	to_endpoint((const struct sockaddr *)&cfg->cluster.listen.ss, &self_ep);
	struct gsp_self self = {
		.cluster = cfg->cluster.name,
		.name = cfg->node.name,
		.sk = sk,
		.cert = cert_bytes,
		.cert_len = cert_len,
		.ca_pk = ca_pk,
		.generation = gen,
		.addrs = addrs,
		.n_addrs = n_addrs,
		.ns_name = cfg->node.ns_name,
		.gossip = self_ep,
		.keyring = &kr,
		.rand = { rand_fill, NULL },
	};
	gsp_timing_profile(&self.timing,
			   cfg->cluster.profile == NODE_PROFILE_WAN);
	r = gsp_new(&self, now_of(ng), &ng->g);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(&kr, sizeof(kr));
	if (r)
		snprintf(err, errlen,
			 "%s does not verify under %s for node %s with key %s",
			 cfg->node.cert_file, cfg->cluster.ca_file,
			 cfg->node.name, cfg->node.key_file);
	return r;
}

/* Before anything in state_dir is read or written: a second pmgtmd on the
 * same directory stops here, and the temporaries a killed writer left can
 * go because no writer can be running. */
static int
open_state_dir(struct node_gossip *ng, char *err, size_t errlen)
{
	char n[16];
	int fd = node_state_lock(ng->state_dir, err, errlen);

	if (fd < 0)
		return fd;
	ng->state_lock = fd;
	int removed = node_state_clean(ng->state_dir);
	if (removed) {
		snprintf(n, sizeof(n), "%d", removed);
		node_log(NODE_LOG_INFO, "removed stale temporary files", "dir",
			 ng->state_dir, "count", n, NULL);
	}
	return 0;
}

static void
handle_closed(uv_handle_t *h)
{
	struct node_gossip *ng = h->data;

	if (--ng->open_handles > 0)
		return;
	void (*done)(void *) = ng->done;
	void *ctx = ng->done_ctx;
	gsp_free(ng->g);
	node_state_unlock(ng->state_lock);
	free(ng->state_dir);
	free(ng);
	if (done)
		done(ctx);
}

void
node_gossip_close(struct node_gossip *ng)
{
	if (!ng)
		return;
	ng->closing = true;
	node_streams_close(ng->streams);
	ng->streams = NULL;
	uv_close((uv_handle_t *)&ng->udp, handle_closed);
	uv_close((uv_handle_t *)&ng->timer, handle_closed);
	uv_close((uv_handle_t *)&ng->log_timer, handle_closed);
}

static void
on_leave_flushed(uv_timer_t *t)
{
	node_gossip_close(t->data);
}

void
node_gossip_leave(struct node_gossip *ng, void (*done)(void *ctx), void *ctx)
{
	ng->done = done;
	ng->done_ctx = ctx;
	ng->closing = true;
	gsp_leave(ng->g, now_of(ng));
	pump(ng);
	node_log(NODE_LOG_INFO, "left the cluster", NULL);
	/* Give the datagrams a moment to leave the socket buffer. */
	uv_timer_stop(&ng->log_timer);
	uv_timer_start(&ng->timer, on_leave_flushed, LEAVE_FLUSH_MS, 0);
}

int
node_gossip_start(uv_loop_t *loop, const struct node_config *cfg,
		  node_gossip_changed_cb cb, void *ctx,
		  struct node_gossip **out, char *err, size_t errlen)
{
	struct node_gossip *ng = calloc(1, sizeof(*ng));
	const struct sockaddr *sa =
		(const struct sockaddr *)&cfg->cluster.listen.ss;
	int r = -ENOMEM;

	*out = NULL;
	if (!ng)
		return -ENOMEM;
	ng->loop = loop;
	ng->cb = cb;
	ng->ctx = ctx;
	ng->state_dir = strdup(cfg->node.state_dir);
	ng->state_lock = -1;
	if (!ng->state_dir || (r = open_state_dir(ng, err, errlen)) ||
	    (r = make_state(ng, cfg, err, errlen))) {
		node_state_unlock(ng->state_lock);
		free(ng->state_dir);
		free(ng);
		return r;
	}
	char ierr[512];
	int loaded = node_intents_load(ng->state_dir, ng->g, now_of(ng), ierr,
				       sizeof(ierr));
	if (ierr[0]) {
		node_log(NODE_LOG_ERROR, "drain intents file corrupt", "error",
			 ierr, NULL);
		save_intents(ng); /* what did verify, back on disk */
	}
	if (loaded > 0) {
		char n[16];
		snprintf(n, sizeof(n), "%d", loaded);
		node_log(NODE_LOG_INFO, "drain intents loaded", "count", n,
			 NULL);
	}
	uv_udp_init(loop, &ng->udp);
	uv_timer_init(loop, &ng->timer);
	uv_timer_init(loop, &ng->log_timer);
	ng->udp.data = ng->timer.data = ng->log_timer.data = ng;
	ng->open_handles = 3;
	/* No SO_REUSEADDR: with it, another process (any local user, the
	 * port is unprivileged) could bind the same address and port and
	 * take our datagrams, or send as us. */
	if ((r = uv_udp_bind(&ng->udp, sa, 0)) ||
	    (r = uv_udp_recv_start(&ng->udp, on_udp_alloc, on_udp)) ||
	    (r = node_streams_open(loop, sa, on_frame, ng, &ng->streams))) {
		snprintf(err, errlen, "cannot listen on %s for gossip: %s",
			 cfg->cluster.listen.text, uv_strerror(r));
		node_gossip_close(ng);
		return r;
	}
	uv_timer_start(&ng->log_timer, on_log_timer, REJECT_LOG_MS,
		       REJECT_LOG_MS);

	struct gsp_endpoint seeds[64];
	size_t n = 0;
	for (size_t i = 0; i < cfg->cluster.n_seeds && n < 64; i++) {
		to_endpoint((const struct sockaddr *)&cfg->cluster.seeds[i].ss,
			    &seeds[n]);
		/* Not ourselves. */
		if (strcmp(cfg->cluster.seeds[i].text,
			   cfg->cluster.listen.text) != 0)
			n++;
	}
	gsp_join(ng->g, now_of(ng), seeds, n);
	node_log(NODE_LOG_INFO, "gossip listening", "addr",
		 cfg->cluster.listen.text, "profile",
		 cfg->cluster.profile == NODE_PROFILE_WAN ? "wan" : "lan",
		 "seeds", n ? "yes" : "none", NULL);
	pump(ng);
	*out = ng;
	return 0;
}
