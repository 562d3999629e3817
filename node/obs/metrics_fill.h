/*
 * What pmgtmd exposes on /metrics. Every label value comes from
 * a bounded set: configured zones and health checks, cluster members,
 * fixed enums; never from query names or client addresses.
 *
 *   pmgtm_build_info{version}                      gauge, always 1
 *   pmgtm_dns_requests_total{zone,proto,qtype}     counter
 *   pmgtm_dns_responses_total{zone,rcode}          counter ("dropped":
 *                                                  no response sent)
 *       zone="" counts queries outside every zone (or not parsed): an
 *       empty value can never clash with a zone name
 *   pmgtm_dns_cookies_total{result}  none, client, valid, invalid: what
 *                                    each query's COOKIE option showed
 *   pmgtm_ready                      synced, or startup_sync_timeout passed
 *   pmgtm_drained                    this node, 0/1 (0 standalone)
 *   pmgtm_serving                    answering its zones normally: ready
 *                                    and not drained (the DNS view's word)
 *   pmgtm_members{state}             alive, suspect, dead, left
 *   pmgtm_member_drained{member}     every member, this node included
 *   pmgtm_cert_expiry_timestamp_seconds{member}
 *                                    not_after of each member's
 *                                    certificate, this node included
 *   pmgtm_revoked_members            members whose certificate is revoked
 *   pmgtm_peer_reachable{peer}       our last probes got a direct ack
 *   pmgtm_peer_rtt_seconds{peer}     smoothed direct RTT; no series until
 *                                    one is measured
 *   pmgtm_peer_loss_ratio{peer}      recent probes without a direct ack
 *   pmgtm_gossip_packets_total{direction="sent|received",type}
 *                                    type: ping ack ping_req gossip push
 *                                    pull
 *   pmgtm_gossip_bytes_total{direction}
 *   pmgtm_gossip_rejected_total{reason}  see gsp_reject_name()
 *   pmgtm_gossip_oom_drops_total     dropped for lack of memory
 *   pmgtm_health_check_up{check}
 *   pmgtm_config_last_reload_successful
 *   pmgtm_config_last_reload_success_timestamp_seconds
 *   process_cpu_seconds_total, process_resident_memory_bytes,
 *   process_virtual_memory_bytes, process_open_fds, process_max_fds,
 *   process_start_time_seconds
 *
 * Every family is always there, so dashboards and alert rules see the
 * same names on every node; on a standalone node (no gossip) the cluster
 * families (members, member_drained, cert_expiry_timestamp_seconds,
 * revoked_members, peer_*, gossip_*) have no series,
 * and with no health checks neither has pmgtm_health_check_up. The DNS
 * families carry every zone x proto x qtype (and zone x rcode) from the
 * start, at 0, so rate() sees the first query.
 */
#ifndef PMGTM_NODE_OBS_METRICS_FILL_H
#define PMGTM_NODE_OBS_METRICS_FILL_H

#include <stdbool.h>
#include <stdint.h>

#include "gossip/gossip.h"

struct dns_view;
struct node_config;
struct node_expo;
struct node_health;
struct node_stats;

/* What the families are written from, gathered at each scrape. */
struct node_metrics_src {
	const struct node_config *cfg;
	const struct dns_view *view; /* zone names, serving */
	const struct node_stats *stats;
	const struct gsp *g;		  /* NULL: standalone */
	struct gsp_now now;		  /* the gossip clock, when @g */
	const struct node_health *health; /* NULL: no checks */
	bool ready;
	bool reload_ok;	      /* the last reload worked */
	bool view_stale;      /* serving without the members' data */
	uint64_t reload_time; /* unix seconds of the last good (re)load */
};

/* Writes every pmgtm_* family from @src, then the process_* ones; a
 * failure stays in @e's sticky error. */
void node_metrics_write(const struct node_metrics_src *src,
			struct node_expo *e);

/* The process_* families for this process, from /proc/self; nothing
 * when /proc cannot be read. */
void node_metrics_write_process(struct node_expo *e);

#endif
