#include "node/dns/stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const qtype_names[NODE_QT__COUNT] = {
	"A", "AAAA", "NS", "SOA", "ANY", "TXT", "AXFR", "IXFR", "other",
};

static const char *const rcode_names[NODE_RC__COUNT] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
	"REFUSED", "BADVERS", "dropped",  "other",
};

static const char *const cookie_names[DNS_COOKIE__COUNT] = {
	"none",
	"client",
	"valid",
	"invalid",
};

const char *
node_qtype_name(enum node_qtype qt)
{
	return (unsigned)qt < NODE_QT__COUNT ? qtype_names[qt] : "other";
}

const char *
node_rcode_name(enum node_rcode rc)
{
	return (unsigned)rc < NODE_RC__COUNT ? rcode_names[rc] : "other";
}

const char *
node_cookie_name(enum dns_cookie_state c)
{
	return (unsigned)c < DNS_COOKIE__COUNT ? cookie_names[c] : "none";
}

int
node_stats_init(struct node_stats *s, size_t n_zones)
{
	memset(s, 0, sizeof(*s));
	s->n_zones = n_zones;
	s->requests = calloc((n_zones + 1) * 2 * NODE_QT__COUNT,
			     sizeof(*s->requests));
	s->responses =
		calloc((n_zones + 1) * NODE_RC__COUNT, sizeof(*s->responses));
	if (!s->requests || !s->responses) {
		node_stats_fini(s);
		return -ENOMEM;
	}
	return 0;
}

void
node_stats_fini(struct node_stats *s)
{
	free(s->requests);
	free(s->responses);
	memset(s, 0, sizeof(*s));
}

static enum node_qtype
qtype_of(uint16_t t)
{
	switch (t) {
	case 1:
		return NODE_QT_A;
	case 28:
		return NODE_QT_AAAA;
	case 2:
		return NODE_QT_NS;
	case 6:
		return NODE_QT_SOA;
	case 255:
		return NODE_QT_ANY;
	case 16:
		return NODE_QT_TXT;
	case 252:
		return NODE_QT_AXFR;
	case 251:
		return NODE_QT_IXFR;
	default:
		return NODE_QT_OTHER;
	}
}

static enum node_rcode
rcode_of(int rc)
{
	if (rc < 0)
		return NODE_RC_DROPPED;
	if (rc <= DNS_RCODE_REFUSED)
		return (enum node_rcode)rc;
	return rc == DNS_RCODE_BADVERS ? NODE_RC_BADVERS : NODE_RC_OTHER;
}

void
node_stats_count(struct node_stats *s, enum dns_proto proto,
		 const struct dns_result *r)
{
	if (!s->requests)
		return;
	size_t z = r->zone >= 0 && (size_t)r->zone < s->n_zones
			   ? (size_t)r->zone + 1
			   : 0;
	s->requests[(z * 2 + (proto == DNS_TCP)) * NODE_QT__COUNT +
		    qtype_of(r->qtype)]++;
	s->responses[z * NODE_RC__COUNT + rcode_of(r->rcode)]++;
	if ((unsigned)r->cookie < DNS_COOKIE__COUNT)
		s->cookies[r->cookie]++;
}

void
node_stats_time(struct node_stats *s, uint64_t ns, size_t n)
{
	static const uint64_t bounds[NODE_DNS_TIME_NBOUNDS] =
		NODE_DNS_TIME_BOUNDS;
	size_t b = 0;

	if (!n)
		return;
	uint64_t each = ns / n;
	while (b < NODE_DNS_TIME_NBOUNDS && each > bounds[b])
		b++;
	s->time_buckets[b] += n;
	s->time_sum_ns += ns;
}

uint64_t
node_stats_requests(const struct node_stats *s, size_t zone, int proto,
		    enum node_qtype qt)
{
	if (!s->requests || zone > s->n_zones || qt >= NODE_QT__COUNT)
		return 0;
	return s->requests[(zone * 2 + (proto != 0)) * NODE_QT__COUNT + qt];
}

uint64_t
node_stats_responses(const struct node_stats *s, size_t zone,
		     enum node_rcode rc)
{
	if (!s->responses || zone > s->n_zones || rc >= NODE_RC__COUNT)
		return 0;
	return s->responses[zone * NODE_RC__COUNT + rc];
}

uint64_t
node_stats_cookies(const struct node_stats *s, enum dns_cookie_state c)
{
	return (unsigned)c < DNS_COOKIE__COUNT ? s->cookies[c] : 0;
}
