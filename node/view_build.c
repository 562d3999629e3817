#include "node/view_build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/view.h"

static void
to_dns_addrs(const struct node_ipaddr *in, size_t n, struct dns_addr *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i].family = in[i].family == AF_INET6 ? 6 : 4;
		memcpy(out[i].bytes, in[i].bytes, 16);
	}
}

int
node_view_build(const struct node_config *cfg, struct dns_view **out, char *err,
		size_t errlen)
{
	size_t n_zones = cfg->dns.n_zones;
	size_t total_ns = 0, total_addrs = cfg->node.n_addrs;
	int r = -ENOMEM;

	*out = NULL;
	err[0] = '\0';
	for (size_t z = 0; z < n_zones; z++) {
		total_ns += cfg->dns.zones[z].n_ns + 1;
		for (size_t i = 0; i < cfg->dns.zones[z].n_ns; i++)
			total_addrs += cfg->dns.zones[z].ns[i].n_addrs;
	}
	/* Every NS that is this node gets our addresses: reserve for it. */
	total_addrs += total_ns * cfg->node.n_addrs;

	struct dns_spec_zone *zones = calloc(n_zones, sizeof(*zones));
	struct dns_spec_host *hosts = calloc(total_ns, sizeof(*hosts));
	struct dns_addr *addrs = calloc(total_addrs, sizeof(*addrs));
	if (!zones || !hosts || !addrs)
		goto out;

	struct dns_addr *self = addrs;
	struct dns_addr *next = addrs + cfg->node.n_addrs;
	to_dns_addrs(cfg->node.addrs, cfg->node.n_addrs, self);

	struct dns_spec_host *h = hosts;
	for (size_t z = 0; z < n_zones; z++) {
		const struct node_zone *cz = &cfg->dns.zones[z];
		struct dns_spec_zone *sz = &zones[z];
		sz->name = cz->name;
		sz->ttl = cz->ttl;
		sz->ns = h;
		sz->soa_rname = cz->soa.rname;
		sz->serial = cz->soa.serial;
		sz->refresh = cz->soa.refresh;
		sz->retry = cz->soa.retry;
		sz->expire = cz->soa.expire;
		sz->minimum = cz->soa.minimum;
		for (size_t i = 0; i < cz->n_ns; i++, h++) {
			const struct node_ns *ns = &cz->ns[i];
			h->name = ns->name;
			h->addrs = next;
			if (ns->n_addrs == 0 && cfg->node.ns_name &&
			    strcmp(ns->name, cfg->node.ns_name) == 0) {
				/* Our own NS name: our own addresses. */
				memcpy(next, self,
				       cfg->node.n_addrs * sizeof(*next));
				h->n_addrs = cfg->node.n_addrs;
			} else {
				to_dns_addrs(ns->addrs, ns->n_addrs, next);
				h->n_addrs = ns->n_addrs;
			}
			next += h->n_addrs;
		}
		/* No ns list: the members' NS names; standalone, our own. */
		if (cz->n_ns == 0 && cfg->node.ns_name) {
			h->name = cfg->node.ns_name;
			h->addrs = self;
			h->n_addrs = cfg->node.n_addrs;
			h++;
		}
		sz->n_ns = (size_t)(h - sz->ns);
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
	r = dns_view_new(&spec, out, err, errlen);
out:
	if (r == -ENOMEM && !*err)
		strncpy(err, "out of memory", errlen - 1);
	free(zones);
	free(hosts);
	free(addrs);
	return r;
}
