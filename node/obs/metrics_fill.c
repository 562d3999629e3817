#include "node/obs/metrics_fill.h"

#include <errno.h>
#include <stdlib.h>

#include "dns/view.h"
#include "node/config/config.h"
#include "node/obs/expo.h"
#include "node/health/checks.h"
#include "node/obs/procstat.h"
#include "node/dns/stats.h"

#define LBL(n, v) ((struct node_expo_label){ (n), (v) })

static void
gauge01(struct node_expo *e, const char *name, const char *help, bool v)
{
	node_expo_family(e, name, NODE_EXPO_GAUGE, help);
	node_expo_u64(e, NULL, 0, v ? 1 : 0);
}

/* Stats zone 0 is "no zone"; zone i of the view is stats zone i + 1. */
static const char *
zone_label(const struct node_metrics_src *s, size_t z)
{
	if (z == 0)
		return "";
	return s->view ? dns_view_zone_name(s->view, z - 1) : NULL;
}

static void
write_dns(const struct node_metrics_src *s, struct node_expo *e)
{
	static const char *const proto[2] = { "udp", "tcp" };
	size_t nz = s->stats ? s->stats->n_zones : 0;

	node_expo_family(e, "pmgtm_dns_requests_total", NODE_EXPO_COUNTER,
			 "DNS queries received, by zone (\"\" for none of "
			 "ours), transport and query type.");
	for (size_t z = 0; s->stats && z <= nz; z++) {
		struct node_expo_label l[3] = { LBL("zone", zone_label(s, z)) };
		if (!l[0].value)
			continue; /* counters sized for another zone list */
		for (int p = 0; p < 2; p++) {
			l[1] = LBL("proto", proto[p]);
			for (int q = 0; q < NODE_QT__COUNT; q++) {
				l[2] = LBL("qtype", node_qtype_name(q));
				node_expo_u64(
					e, l, 3,
					node_stats_requests(s->stats, z, p, q));
			}
		}
	}
	node_expo_family(e, "pmgtm_dns_responses_total", NODE_EXPO_COUNTER,
			 "DNS queries answered, by zone and rcode "
			 "(\"dropped\": no response sent).");
	for (size_t z = 0; s->stats && z <= nz; z++) {
		struct node_expo_label l[2] = { LBL("zone", zone_label(s, z)) };
		if (!l[0].value)
			continue;
		for (int rc = 0; rc < NODE_RC__COUNT; rc++) {
			l[1] = LBL("rcode", node_rcode_name(rc));
			node_expo_u64(e, l, 2,
				      node_stats_responses(s->stats, z, rc));
		}
	}
	node_expo_family(e, "pmgtm_dns_cookies_total", NODE_EXPO_COUNTER,
			 "DNS queries by what their COOKIE option showed: "
			 "none, client (a client cookie alone), valid (a "
			 "server cookie of ours), invalid (any other server "
			 "cookie; answered as client).");
	for (int c = 0; s->stats && c < DNS_COOKIE__COUNT; c++) {
		struct node_expo_label l = LBL("result", node_cookie_name(c));
		node_expo_u64(e, &l, 1, node_stats_cookies(s->stats, c));
	}
	node_expo_family(e, "pmgtm_dns_request_duration_seconds",
			 NODE_EXPO_HISTOGRAM,
			 "Time to answer a query (UDP: its batch's average).");
	if (s->stats) {
		static const uint64_t ns[NODE_DNS_TIME_NBOUNDS] =
			NODE_DNS_TIME_BOUNDS;
		double bounds[NODE_DNS_TIME_NBOUNDS];
		for (size_t i = 0; i < NODE_DNS_TIME_NBOUNDS; i++)
			bounds[i] = (double)ns[i] / 1e9;
		node_expo_histogram(e, NULL, 0, bounds, s->stats->time_buckets,
				    NODE_DNS_TIME_NBOUNDS,
				    (double)s->stats->time_sum_ns / 1e9);
	}
}

/* The cluster families from the members list; @g may be NULL (then the
 * families have no series). */
static void
write_members(const struct node_metrics_src *s, struct node_expo *e)
{
	const struct gsp *g = s->g;
	size_t n = g ? gsp_member_count(g) : 0;
	struct gsp_member_info *info = calloc(n ? n : 1, sizeof(*info));
	uint64_t by_state[4] = { 0 };
	size_t k = 0;

	if (!info) {
		node_expo_fail(e, -ENOMEM, "out of memory reading members");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (gsp_member_get(g, i, &info[k]) &&
		    (unsigned)info[k].state < 4)
			by_state[info[k++].state]++;

	node_expo_family(e, "pmgtm_members", NODE_EXPO_GAUGE,
			 "Cluster members known to this node, by state "
			 "(this node included).");
	for (int st = 0; g && st < 4; st++) {
		struct node_expo_label l = LBL("state", gsp_state_name(st));
		node_expo_u64(e, &l, 1, by_state[st]);
	}
	node_expo_family(e, "pmgtm_member_drained", NODE_EXPO_GAUGE,
			 "Whether a drain intent is in effect for the member.");
	for (size_t i = 0; i < k; i++) {
		struct node_expo_label l = LBL("member", info[i].name);
		node_expo_u64(e, &l, 1, gsp_drained(g, s->now, info[i].name));
	}
	node_expo_family(e, "pmgtm_cert_expiry_timestamp_seconds",
			 NODE_EXPO_GAUGE,
			 "When the member's certificate expires (its "
			 "not_after), in unix seconds; this node included.");
	for (size_t i = 0; i < k; i++) {
		struct node_expo_label l = LBL("member", info[i].name);
		/* a member known only by name has shown no certificate */
		if (info[i].cert_not_after)
			node_expo_u64(e, &l, 1, info[i].cert_not_after);
	}
	node_expo_family(e, "pmgtm_revoked_members", NODE_EXPO_GAUGE,
			 "Members whose certificate the CA revoked (this node "
			 "included).");
	if (g) {
		uint64_t revoked = 0;
		for (size_t i = 0; i < k; i++)
			revoked += info[i].revoked;
		node_expo_u64(e, NULL, 0, revoked);
	}
	node_expo_family(e, "pmgtm_peer_reachable", NODE_EXPO_GAUGE,
			 "Whether one of this node's last probes of the peer "
			 "got a direct ack.");
	for (size_t i = 0; i < k; i++) {
		struct node_expo_label l = LBL("peer", info[i].name);
		if (!info[i].self)
			node_expo_u64(e, &l, 1, info[i].reached);
	}
	node_expo_family(e, "pmgtm_peer_rtt_seconds", NODE_EXPO_GAUGE,
			 "Smoothed round-trip time of direct probes of the "
			 "peer.");
	for (size_t i = 0; i < k; i++) {
		struct node_expo_label l = LBL("peer", info[i].name);
		if (!info[i].self && info[i].rtt_us)
			node_expo_double(e, &l, 1,
					 (double)info[i].rtt_us / 1e6);
	}
	free(info);
}

/* Loss comes from our own reachability row (row 0, live). */
static void
write_loss(const struct node_metrics_src *s, struct node_expo *e)
{
	struct gsp_reach_row *row = malloc(sizeof(*row));

	if (!row) {
		node_expo_fail(e, -ENOMEM, "out of memory reading the row");
		return;
	}
	node_expo_family(e, "pmgtm_peer_loss_ratio", NODE_EXPO_GAUGE,
			 "Share of this node's recent probes of the peer that "
			 "got no direct ack.");
	if (s->g && gsp_reach_get(s->g, s->now, 0, row))
		for (size_t i = 0; i < row->n && i < GSP_ROW_MAX; i++) {
			struct node_expo_label l =
				LBL("peer", row->cells[i].peer);
			node_expo_double(e, &l, 1,
					 row->cells[i].loss_permille / 1000.0);
		}
	free(row);
}

static void
write_gossip(const struct node_metrics_src *s, struct node_expo *e)
{
	static const char *const types[] = {
		[GSP_MSG_PING] = "ping",	 [GSP_MSG_ACK] = "ack",
		[GSP_MSG_PING_REQ] = "ping_req", [GSP_MSG_GOSSIP] = "gossip",
		[GSP_MSG_PUSH] = "push",	 [GSP_MSG_PULL] = "pull",
	};
	const struct gsp_stats *st = s->g ? gsp_stats(s->g) : NULL;

	node_expo_family(e, "pmgtm_gossip_packets_total", NODE_EXPO_COUNTER,
			 "Gossip messages sent and received, by type.");
	for (int t = GSP_MSG_PING; st && t <= GSP_MSG_PULL; t++) {
		struct node_expo_label l[2] = { LBL("direction", "sent"),
						LBL("type", types[t]) };
		node_expo_u64(e, l, 2, st->sent[t]);
		l[0].value = "received";
		node_expo_u64(e, l, 2, st->recv[t]);
	}
	node_expo_family(e, "pmgtm_gossip_bytes_total", NODE_EXPO_COUNTER,
			 "Gossip bytes sent and received.");
	if (st) {
		struct node_expo_label l = LBL("direction", "sent");
		node_expo_u64(e, &l, 1, st->bytes_sent);
		l.value = "received";
		node_expo_u64(e, &l, 1, st->bytes_recv);
	}
	node_expo_family(e, "pmgtm_gossip_rejected_total", NODE_EXPO_COUNTER,
			 "Gossip packets and records dropped, by reason.");
	for (int r = 0; st && r < GSP_REJ__COUNT; r++) {
		struct node_expo_label l = LBL("reason", gsp_reject_name(r));
		node_expo_u64(e, &l, 1, st->rejected[r]);
	}
	node_expo_family(e, "pmgtm_gossip_oom_drops_total", NODE_EXPO_COUNTER,
			 "Gossip records, events, packets and timer work "
			 "dropped for lack of memory.");
	if (st)
		node_expo_u64(e, NULL, 0, st->oom_drops);
	node_expo_family(e, "pmgtm_probe_rtt_seconds", NODE_EXPO_HISTOGRAM,
			 "Round-trip time of direct probes of every peer.");
	if (st) {
		static const uint64_t us[GSP_RTT_NBOUNDS] = GSP_RTT_BOUNDS;
		double bounds[GSP_RTT_NBOUNDS];
		for (size_t i = 0; i < GSP_RTT_NBOUNDS; i++)
			bounds[i] = (double)us[i] / 1e6;
		node_expo_histogram(e, NULL, 0, bounds, st->rtt_buckets,
				    GSP_RTT_NBOUNDS,
				    (double)st->rtt_sum_us / 1e6);
	}
}

void
node_metrics_write(const struct node_metrics_src *s, struct node_expo *e)
{
	struct node_expo_label version = LBL("version", PMGTM_VERSION);
	bool drained =
		s->g && s->cfg && gsp_drained(s->g, s->now, s->cfg->node.name);

	node_expo_family(e, "pmgtm_build_info", NODE_EXPO_GAUGE,
			 "pmgtm build information; always 1.");
	node_expo_u64(e, &version, 1, 1);
	write_dns(s, e);
	gauge01(e, "pmgtm_ready",
		"Whether the node has synced with a peer or stopped waiting "
		"(cluster.startup_sync_timeout).",
		s->ready);
	gauge01(e, "pmgtm_drained",
		"Whether a drain intent is in effect for this node.", drained);
	gauge01(e, "pmgtm_serving",
		"Whether the node answers its zones normally (ready and not "
		"drained).",
		s->view && dns_view_serving(s->view));
	gauge01(e, "pmgtm_dns_view_stale",
		"Whether the DNS view could not be built with the members' "
		"data, so it serves this node's own state only.",
		s->view_stale);
	write_members(s, e);
	write_loss(s, e);
	write_gossip(s, e);

	node_expo_family(e, "pmgtm_health_check_up", NODE_EXPO_GAUGE,
			 "Whether the local health check is up (rise/fall "
			 "applied).");
	for (size_t i = 0; s->health && i < node_health_count(s->health); i++) {
		struct node_expo_label l =
			LBL("check", node_health_name(s->health, i));
		node_expo_u64(e, &l, 1, node_health_up(s->health, i));
	}
	gauge01(e, "pmgtm_config_last_reload_successful",
		"Whether the last configuration reload worked.", s->reload_ok);
	node_expo_family(
		e, "pmgtm_config_last_reload_success_timestamp_seconds",
		NODE_EXPO_GAUGE,
		"When the configuration was last loaded successfully.");
	node_expo_u64(e, NULL, 0, s->reload_time);
	node_metrics_write_process(e);
}

void
node_metrics_write_process(struct node_expo *e)
{
	struct node_procstat p;

	if (node_procstat_read(&p))
		return;
	node_expo_family(e, "process_cpu_seconds_total", NODE_EXPO_COUNTER,
			 "Total user and system CPU time spent in seconds.");
	node_expo_double(e, NULL, 0, p.cpu_seconds);
	node_expo_family(e, "process_resident_memory_bytes", NODE_EXPO_GAUGE,
			 "Resident memory size in bytes.");
	node_expo_u64(e, NULL, 0, p.rss_bytes);
	node_expo_family(e, "process_virtual_memory_bytes", NODE_EXPO_GAUGE,
			 "Virtual memory size in bytes.");
	node_expo_u64(e, NULL, 0, p.vsize_bytes);
	node_expo_family(e, "process_open_fds", NODE_EXPO_GAUGE,
			 "Number of open file descriptors.");
	node_expo_u64(e, NULL, 0, p.open_fds);
	node_expo_family(e, "process_max_fds", NODE_EXPO_GAUGE,
			 "Maximum number of open file descriptors.");
	node_expo_u64(e, NULL, 0, p.max_fds);
	node_expo_family(e, "process_start_time_seconds", NODE_EXPO_GAUGE,
			 "Start time of the process since unix epoch in "
			 "seconds.");
	node_expo_double(e, NULL, 0, p.start_time);
}
