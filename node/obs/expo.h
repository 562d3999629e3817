/*
 * Prometheus text exposition, format 0.0.4, written into a growable
 * buffer: what GET /metrics returns.
 *
 *   # HELP pmgtm_dns_requests_total DNS queries received.
 *   # TYPE pmgtm_dns_requests_total counter
 *   pmgtm_dns_requests_total{zone="api.example.com",proto="udp",qtype="A"} 7
 *
 * A family is opened with node_expo_family() (its HELP and TYPE lines),
 * then its samples follow. The writer keeps the text valid and checks
 * what a scraper would reject or promtool warn about, so a bug shows
 * as an error here rather than as a scrape that Prometheus drops:
 *   - names match [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no ':', no "__"
 *     prefix), counters end in "_total" and nothing else does, only
 *     histograms end in "_bucket", "_sum" or "_count", "le" is the
 *     writer's own;
 *   - a family appears once (a histogram's _bucket/_sum/_count names
 *     count as its own), a series once per family;
 *   - every sample of a family has the same label names in the same
 *     order (so series compare as text), and label values are UTF-8,
 *     escaped here (backslash, double quote, newline).
 *
 * Errors stick: the first one is kept with a message, and every later
 * call returns it and writes nothing, so a caller writes all its
 * families and checks once at the end.
 */
#ifndef PMGTM_NODE_OBS_EXPO_H
#define PMGTM_NODE_OBS_EXPO_H

#include <stddef.h>
#include <stdint.h>

enum node_expo_type {
	NODE_EXPO_COUNTER = 0,
	NODE_EXPO_GAUGE,
	NODE_EXPO_HISTOGRAM,
};

struct node_expo_label {
	const char *name;
	const char *value;
};

#define NODE_EXPO_LABELS_MAX 8	 /* label names in one sample */
#define NODE_EXPO_NAME_MAX 128	 /* bytes in a metric or label name */
#define NODE_EXPO_BUCKETS_MAX 64 /* histogram bounds, +Inf excluded */

struct node_expo;

/* An empty exposition; NULL when out of memory. */
struct node_expo *node_expo_new(void);

void node_expo_free(struct node_expo *e);

/*
 * Opens family @name: writes its HELP (@help, escaped) and TYPE lines.
 * Returns 0, or the sticky error: -EINVAL (a bad name, a name that does
 * not fit @type, empty help), -EEXIST (the family, or a name one of its
 * samples would use, was written already), -ENOMEM.
 */
int node_expo_family(struct node_expo *e, const char *name,
		     enum node_expo_type type, const char *help);

/*
 * One sample of the open counter or gauge family, with @n labels. A
 * counter must not be negative. Returns 0, or the sticky error: -EINVAL
 * (no family open, a histogram family, bad label names or values, other
 * label names than the family's first sample), -EEXIST (the same label
 * values again), -ENOMEM.
 */
int node_expo_u64(struct node_expo *e, const struct node_expo_label *labels,
		  size_t n, uint64_t value);

int node_expo_double(struct node_expo *e, const struct node_expo_label *labels,
		     size_t n, double value);

/*
 * One series of the open histogram family: @n_bounds finite, strictly
 * increasing upper bounds, and @counts[n_bounds + 1] observations per
 * bucket, NOT cumulative: counts[i] fell in (bounds[i-1], bounds[i]],
 * counts[n_bounds] above the last bound. The writer adds them up into
 * the cumulative _bucket lines, so le="+Inf" always equals _count.
 * Errors as node_expo_u64(), and -EINVAL for bad bounds.
 */
int node_expo_histogram(struct node_expo *e,
			const struct node_expo_label *labels, size_t n,
			const double *bounds, const uint64_t *counts,
			size_t n_bounds, double sum);

/* Sets the sticky error (a caller's own failure, say -ENOMEM while
 * gathering values) unless one is set already. */
void node_expo_fail(struct node_expo *e, int err, const char *what);

/* 0, or the first error. */
int node_expo_error(const struct node_expo *e);

/* The first error in a few words ("" when none): which family or series
 * and why. */
const char *node_expo_errmsg(const struct node_expo *e);

/* The text written so far: valid until the next call on @e. */
const char *node_expo_data(const struct node_expo *e, size_t *len);

/* Hands the text over: a malloc'd buffer for the caller to free() ("" when
 * nothing was written; NULL when out of memory). Nothing more should be
 * written to @e afterwards, only node_expo_free(). */
char *node_expo_take(struct node_expo *e, size_t *len);

#endif
