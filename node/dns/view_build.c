#include "node/dns/view_build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/name.h"

/* Scratch for one build: hosts and addresses point into it. */
struct scratch {
	struct dns_spec_host *hosts;
	size_t n_hosts, cap_hosts;
	struct ip_addr *addrs;
	size_t n_addrs, cap_addrs;
};

static const struct ip_addr *
keep_addrs(struct scratch *s, const struct ip_addr *in, size_t n)
{
	struct ip_addr *out = s->addrs + s->n_addrs;

	if (s->n_addrs + n > s->cap_addrs)
		return NULL;
	if (n) /* @in may be NULL then */
		memcpy(out, in, n * sizeof(*in));
	s->n_addrs += n;
	return out;
}

static struct dns_spec_host *
add_host(struct scratch *s, const char *name, const struct ip_addr *addrs,
	 size_t n)
{
	if (s->n_hosts == s->cap_hosts)
		return NULL;
	struct dns_spec_host *h = &s->hosts[s->n_hosts++];
	h->name = name;
	h->addrs = addrs;
	h->n_addrs = n;
	return h;
}

static int
cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct dns_spec_host *)a)->name,
		      ((const struct dns_spec_host *)b)->name);
}

/* Whether NS name @ns is inside zone @zone (both presentation form). */
static int
in_zone(const char *ns, const char *zone)
{
	uint8_t n[DNS_NAME_MAX], z[DNS_NAME_MAX];
	int nl = dns_name_from_text(ns, n, 1),
	    zl = dns_name_from_text(zone, z, 1);

	if (nl < 0 || zl < 0 || zl > nl)
		return 0;
	size_t off = 0;
	while ((size_t)nl - off > (size_t)zl)
		off += 1 + (size_t)n[off];
	return (size_t)nl - off == (size_t)zl &&
	       !memcmp(n + off, z, (size_t)zl);
}

/* Host names equal but for case and a final dot. */
static bool
same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	la -= la && a[la - 1] == '.';
	lb -= lb && b[lb - 1] == '.';
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Whether @ns's first label is @node: lb1.api.example.com is lb1's. */
static bool
named_after(const char *ns, const char *node)
{
	size_t n = strlen(node);

	return strncasecmp(ns, node, n) == 0 && ns[n] == '.';
}

/* Whether peer @i's NS name goes into a zone's default NS set. Members
 * choose their NS names, so one member could claim another's and put its
 * own address into that name's glue: a name this node's config holds is
 * ours alone, and a name several peers claim goes to the one it is named
 * after (or, when it is named after none of them, to nobody). Every node
 * that knows the same members makes the same choice. */
static bool
ns_claim_ok(const struct node_config *cfg, const struct node_peer *peers,
	    size_t n, size_t i)
{
	uint8_t wire[DNS_NAME_MAX];
	const char *ns = peers[i].ns_name;

	if (!ns[0] || dns_name_from_text(ns, wire, 1) < 0)
		return false;
	if (cfg->node.ns_name && same_name(ns, cfg->node.ns_name))
		return false;
	for (size_t j = 0; j < n; j++)
		if (j != i && same_name(ns, peers[j].ns_name))
			return named_after(ns, peers[i].name);
	return true;
}

static int
zone_ns(const struct node_config *cfg, const struct node_zone *cz,
	const struct ip_addr *self, const struct node_peer *peers,
	size_t n_peers, struct scratch *s, struct dns_spec_zone *sz, char *err,
	size_t errlen)
{
	sz->ns = s->hosts + s->n_hosts;
	if (cz->n_ns == 0) {
		/* The members' NS names, ours included, sorted. */
		if (cfg->node.ns_name &&
		    !add_host(s, cfg->node.ns_name, self, cfg->node.n_addrs))
			return -ENOMEM;
		for (size_t i = 0; i < n_peers; i++)
			if (ns_claim_ok(cfg, peers, n_peers, i) &&
			    !add_host(s, peers[i].ns_name, peers[i].addrs,
				      peers[i].n_addrs))
				return -ENOMEM;
		sz->n_ns = (size_t)(s->hosts + s->n_hosts - sz->ns);
		qsort((void *)sz->ns, sz->n_ns, sizeof(*sz->ns), cmp_host);
		return 0;
	}
	for (size_t i = 0; i < cz->n_ns; i++) {
		const struct node_ns *ns = &cz->ns[i];
		const struct ip_addr *a = keep_addrs(s, ns->addrs, ns->n_addrs);
		size_t n = ns->n_addrs;
		if (n == 0 && cfg->node.ns_name &&
		    strcmp(ns->name, cfg->node.ns_name) == 0) {
			a = self;
			n = cfg->node.n_addrs;
		}
		for (size_t p = 0; n == 0 && p < n_peers; p++) {
			if (same_name(ns->name, peers[p].ns_name) &&
			    ns_claim_ok(cfg, peers, n_peers, p)) {
				a = peers[p].addrs;
				n = peers[p].n_addrs;
			}
		}
		if (n == 0 && !cfg->has_cluster &&
		    in_zone(ns->name, cz->name)) {
			snprintf(err, errlen,
				 "zone %s: NS %s is inside the zone and needs "
				 "addresses (glue)",
				 cz->name, ns->name);
			return -EINVAL;
		}
		if (!add_host(s, ns->name, a, n))
			return -ENOMEM;
	}
	sz->n_ns = cz->n_ns;
	return 0;
}

static int
cmp_rtt(const void *a, const void *b)
{
	const struct node_peer *x = *(const struct node_peer *const *)a;
	const struct node_peer *y = *(const struct node_peer *const *)b;

	if (x->rtt_us != y->rtt_us)
		return x->rtt_us < y->rtt_us ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The redirect targets of a drained node, best RTT first. */
static struct dns_spec_host *
redirects(const struct node_peer *peers, size_t n, size_t *count)
{
	const struct node_peer **order = calloc(n ? n : 1, sizeof(*order));
	struct dns_spec_host *hosts = calloc(n ? n : 1, sizeof(*hosts));
	size_t k = 0;

	*count = 0;
	if (!order || !hosts) {
		free(order);
		free(hosts);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (peers[i].redirect && peers[i].n_addrs)
			order[k++] = &peers[i];
	qsort(order, k, sizeof(*order), cmp_rtt);
	for (size_t i = 0; i < k; i++) {
		hosts[i].name = order[i]->name;
		hosts[i].addrs = order[i]->addrs;
		hosts[i].n_addrs = order[i]->n_addrs;
	}
	free(order);
	*count = k;
	return hosts;
}

int
node_view_build(const struct node_config *cfg, const struct node_peer *peers,
		size_t n_peers, const struct node_view_state *st,
		struct dns_view **out, char *err, size_t errlen)
{
	struct dns_spec_host *redirect = NULL;
	size_t n_zones = cfg->dns.n_zones;
	struct scratch s = { 0 };
	int r = -ENOMEM;

	*out = NULL;
	err[0] = '\0';
	s.cap_addrs = cfg->node.n_addrs;
	for (size_t z = 0; z < n_zones; z++) {
		s.cap_hosts += cfg->dns.zones[z].n_ns + n_peers + 1;
		for (size_t i = 0; i < cfg->dns.zones[z].n_ns; i++)
			s.cap_addrs += cfg->dns.zones[z].ns[i].n_addrs;
	}
	struct dns_spec_zone *zones =
		calloc(n_zones ? n_zones : 1, sizeof(*zones));
	s.hosts = calloc(s.cap_hosts ? s.cap_hosts : 1, sizeof(*s.hosts));
	s.addrs = calloc(s.cap_addrs ? s.cap_addrs : 1, sizeof(*s.addrs));
	if (!zones || !s.hosts || !s.addrs)
		goto out;

	const struct ip_addr *self =
		keep_addrs(&s, cfg->node.addrs, cfg->node.n_addrs);
	for (size_t z = 0; z < n_zones; z++) {
		const struct node_zone *cz = &cfg->dns.zones[z];
		struct dns_spec_zone *sz = &zones[z];
		sz->name = cz->name;
		sz->ttl = cz->ttl;
		sz->soa_rname = cz->soa.rname;
		sz->serial = cz->soa.serial;
		sz->refresh = cz->soa.refresh;
		sz->retry = cz->soa.retry;
		sz->expire = cz->soa.expire;
		sz->minimum = cz->soa.minimum;
		r = zone_ns(cfg, cz, self, peers, n_peers, &s, sz, err, errlen);
		if (r)
			goto out;
		if (sz->n_ns == 0) {
			snprintf(err, errlen,
				 "zone %s has no NS: set its ns list or "
				 "node.ns_name",
				 cz->name);
			r = -EINVAL;
			goto out;
		}
	}

	struct dns_view_spec spec = {
		.node_name = cfg->node.name,
		.self = self,
		.n_self = cfg->node.n_addrs,
		.drained = false,
		.drain_mode = (enum dns_drain_mode)cfg->dns.drain_mode,
		.zones = zones,
		.n_zones = n_zones,
	};
	if (st && !st->ready) {
		/* Not synced yet: refuse, whatever we believed before. */
		spec.drained = true;
		spec.drain_mode = DNS_DRAIN_REFUSE;
	} else if (st && st->drained) {
		spec.drained = true;
		redirect = redirects(peers, n_peers, &spec.n_peers);
		spec.peers = redirect;
		if (!redirect) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = dns_view_new(&spec, out, err, errlen);
out:
	free(redirect);
	if (r == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory building the DNS view");
	free(zones);
	free(s.hosts);
	free(s.addrs);
	return r;
}
