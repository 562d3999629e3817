/*
 * The view: an immutable snapshot of everything an answer depends on (this
 * node's addresses, whether it is drained and how, the active peers to
 * redirect to, the zones with their SOA and NS). node/ builds a new view
 * whenever one of these changes and swaps the pointer; the answer path only
 * reads it, never locks or allocates.
 *
 * Answers are precompiled at build time: each zone keeps the exact answer
 * RRsets (owner = pointer to the question name) for A and AAAA, the SOA
 * record data and the NS set with its glue.
 */
#ifndef PMGTM_DNS_VIEW_H
#define PMGTM_DNS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ip.h"

/* An IP address: family 4 or 6, bytes in network order. */
enum dns_drain_mode {
	DNS_DRAIN_REDIRECT = 0, /* answer with the active peers' addresses */
	DNS_DRAIN_REFUSE,	/* REFUSED */
	DNS_DRAIN_SILENT,	/* no response at all */
};

/* A named holder of addresses: a name server or an active peer. */
struct dns_spec_host {
	const char *name;
	const struct ip_addr *addrs;
	size_t n_addrs;
};

struct dns_spec_zone {
	const char *name; /* presentation form, "api.example.com" */
	uint32_t ttl;
	/* NS names in order; the first is the SOA MNAME. The addresses of
	 * in-zone names are answered for them and sent as glue. */
	const struct dns_spec_host *ns;
	size_t n_ns;
	const char *soa_rname; /* "hostmaster.example.com" */
	uint32_t serial, refresh, retry, expire, minimum;
};

/* What a view is built from. Nothing is kept by reference. */
struct dns_view_spec {
	const char *node_name; /* for NSID and CH TXT id.server */
	const struct ip_addr *self;
	size_t n_self;
	bool drained;
	enum dns_drain_mode drain_mode;
	/* Active members this node reaches, best first (redirect targets). */
	const struct dns_spec_host *peers;
	size_t n_peers;
	const struct dns_spec_zone *zones;
	size_t n_zones;
};

struct dns_view;

/*
 * Builds a view. Returns 0 and sets *out (release with dns_view_free()), or
 * a negative errno with a one-line reason in @err: a bad zone or NS name,
 * a zone without NS, a node name over 63 bytes, or an answer set too
 * large for a 64 KiB message.
 */
__attribute__((warn_unused_result)) int
dns_view_new(const struct dns_view_spec *spec, struct dns_view **out, char *err,
	     size_t errlen);

void dns_view_free(struct dns_view *view);

/* Whether the node serves its zones normally (not drained). */
bool dns_view_serving(const struct dns_view *view);

/* Number of zones, and the presentation name of zone @i (for metrics). */
size_t dns_view_zone_count(const struct dns_view *view);
const char *dns_view_zone_name(const struct dns_view *view, size_t i);

#endif
