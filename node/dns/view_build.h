/*
 * From configuration and cluster membership to a DNS view.
 */
#ifndef PMGTM_NODE_DNS_VIEW_BUILD_H
#define PMGTM_NODE_DNS_VIEW_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/view.h"
#include "node/config/config.h"

/* Another member as the DNS view needs it (known, not left). */
struct node_peer {
	const char *name;
	const char *ns_name; /* "" when it has none */
	const struct ip_addr *addrs;
	size_t n_addrs;
	bool redirect;	 /* active (alive, not drained) and reached by us */
	uint64_t rtt_us; /* our smoothed RTT to it, for the redirect order */
};

/* What this node itself is doing. */
struct node_view_state {
	bool drained; /* an effective drain intent targets us */
	bool ready;   /* synced with a peer, or startup_sync_timeout passed */
};

/*
 * Builds the view for @cfg with the other members @peers (none for a
 * standalone node). NS sets: a zone's `ns` list, where an entry without
 * addresses takes those of the member (or this node) whose ns_name it is;
 * without a list, every member's ns_name, sorted, so the set is the same
 * on every node. A standalone node must have addresses for every in-zone
 * NS name; in a cluster an unknown one is served without glue until
 * gossip brings it. A drained node redirects to the @peers marked
 * redirect, lowest RTT first (or refuses, per dns.drain_mode); a node not
 * yet ready refuses its zones, so a node drained while it was down never
 * serves, not even for a moment. @st NULL: standalone, serving. Returns 0
 * and sets *out, or a negative errno with a reason in @err.
 */
__attribute__((warn_unused_result)) int
node_view_build(const struct node_config *cfg, const struct node_peer *peers,
		size_t n_peers, const struct node_view_state *st,
		struct dns_view **out, char *err, size_t errlen);

#endif
