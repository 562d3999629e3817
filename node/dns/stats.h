/*
 * DNS counters for /metrics, bounded by construction: zones come from the
 * config, qtypes and rcodes from fixed lists ("other" for the rest), never
 * from query names or client addresses.
 */
#ifndef PMGTM_NODE_DNS_STATS_H
#define PMGTM_NODE_DNS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dns/answer.h"

enum node_qtype {
	NODE_QT_A = 0,
	NODE_QT_AAAA,
	NODE_QT_NS,
	NODE_QT_SOA,
	NODE_QT_ANY,
	NODE_QT_TXT,
	NODE_QT_AXFR,
	NODE_QT_IXFR,
	NODE_QT_OTHER,
	NODE_QT__COUNT,
};

enum node_rcode {
	NODE_RC_NOERROR = 0,
	NODE_RC_FORMERR,
	NODE_RC_SERVFAIL,
	NODE_RC_NXDOMAIN,
	NODE_RC_NOTIMP,
	NODE_RC_REFUSED,
	NODE_RC_BADVERS,
	NODE_RC_DROPPED, /* no response sent */
	NODE_RC_OTHER,
	NODE_RC__COUNT,
};

/* Counters. Zone index 0 is "no zone" (outside every zone, or not
 * parsed); zone i of the view is index i + 1. */
/* Time to answer a query, upper bounds in nanoseconds. */
#define NODE_DNS_TIME_BOUNDS                                                   \
	{                                                                      \
		500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1000000    \
	}
#define NODE_DNS_TIME_NBOUNDS 9

struct node_stats {
	size_t n_zones;
	/* answer time per query, observations per bucket (not cumulative) */
	uint64_t time_buckets[NODE_DNS_TIME_NBOUNDS + 1];
	uint64_t time_sum_ns;
	uint64_t *requests;  /* [n_zones + 1][2 protos][NODE_QT__COUNT] */
	uint64_t *responses; /* [n_zones + 1][NODE_RC__COUNT] */
	uint64_t cookies[DNS_COOKIE__COUNT]; /* every query, by its cookie */
};

/* Sizes the counters for @n_zones zones (a reload with another zone list
 * starts them again). 0 or -ENOMEM. */
int node_stats_init(struct node_stats *s, size_t n_zones);

void node_stats_fini(struct node_stats *s);

/* Counts one query and what became of it. */
void node_stats_count(struct node_stats *s, enum dns_proto proto,
		      const struct dns_result *r);

/* Counts @n queries answered in @ns nanoseconds in all (a UDP batch is
 * timed as a whole: each of its queries counts the batch's average). */
void node_stats_time(struct node_stats *s, uint64_t ns, size_t n);

uint64_t node_stats_requests(const struct node_stats *s, size_t zone, int proto,
			     enum node_qtype qt);

uint64_t node_stats_responses(const struct node_stats *s, size_t zone,
			      enum node_rcode rc);

uint64_t node_stats_cookies(const struct node_stats *s,
			    enum dns_cookie_state c);

const char *node_qtype_name(enum node_qtype qt);

const char *node_rcode_name(enum node_rcode rc);

/* "none", "client", "valid", "invalid". */
const char *node_cookie_name(enum dns_cookie_state c);

#endif
