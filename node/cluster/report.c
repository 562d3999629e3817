#include "common/parse.h"
#include "node/cluster/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "node/log/log.h"

static void
log_intent(struct node_gossip *ng, const struct gsp_event *ev)
{
	struct gsp_intent in;
	char version[24], expires[24];

	if (!gsp_intent_get(ng->g, cluster__now(ng), ev->name, &in))
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

	if (row && gsp_reach_get(ng->g, cluster__now(ng), 0, row)) {
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
		gsp_split_views(ng->g, cluster__now(ng), log_split_one, &sc);
	if (!sc.found)
		node_log(NODE_LOG_INFO, "split view healed", "target", ev->name,
			 NULL);
}

static void
log_member(const struct gsp_event *ev)
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
	case GSP_EV_ENDORSED:
		node_log(NODE_LOG_DEBUG, "intent endorsed", "target", ev->name,
			 "by", ev->by, NULL);
		break;
	case GSP_EV_REVOKED:
		if (ev->new_state)
			node_log(NODE_LOG_ERROR,
				 "own certificate revoked: peers refuse this "
				 "node, gossip stopped; issue a new key and "
				 "certificate and reload",
				 NULL);
		else
			node_log(NODE_LOG_WARN, "member revoked", "member",
				 ev->name, NULL);
		break;
	case GSP_EV_CERT_EXPIRED:
		node_log(NODE_LOG_ERROR,
			 "own certificate expired: peers refuse this node, "
			 "probing stopped; restart it with a renewed "
			 "certificate",
			 NULL);
		break;
	}
}

/* One line for what @now adds to *@logged, if anything; @source, when
 * known, is where the last one came from. */
static void
log_count(const char *msg, const char *reason, uint64_t now, uint64_t *logged,
	  const struct ip_addr *source)
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

void
cluster__cert_watch(struct node_gossip *ng, uint64_t unix_s)
{
	static const struct {
		uint64_t s;
		const char *left;
	} marks[] = { { 86400, "1 day" },
		      { 7 * 86400, "7 days" },
		      { 30 * 86400, "30 days" } };
	char at[CMN_TIME_MAX];
	struct gsp_cert c;

	gsp_self_cert(ng->g, &c);
	if (c.not_after != ng->cert_watched) { /* renewed: warn again */
		ng->cert_watched = c.not_after;
		ng->cert_warned = 0;
	}
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (unix_s + marks[i].s < c.not_after || unix_s > c.not_after ||
		    (ng->cert_warned & (1u << i)))
			continue;
		/* The closest mark passed; the farther ones need no line. */
		ng->cert_warned |= 7u & ~((1u << i) - 1);
		node_log(i == 0 ? NODE_LOG_ERROR : NODE_LOG_WARN,
			 "own certificate expires soon: renew it (pmgtmctl "
			 "cert issue --node-key) and reload",
			 "within", marks[i].left, "not_after",
			 cmn_time_format(c.not_after, at, sizeof(at)), NULL);
		break;
	}
}

void
cluster__log_rejects(struct node_gossip *ng)
{
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

void
cluster__log_event(struct node_gossip *ng, const struct gsp_event *ev)
{
	log_member(ev);
	if (ev->type == GSP_EV_INTENT)
		log_intent(ng, ev);
	if (ev->type == GSP_EV_REACH)
		log_reach(ng, ev);
	if (ev->type == GSP_EV_SPLIT)
		log_split(ng, ev);
}
