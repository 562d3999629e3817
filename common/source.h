/*
 * A client's source, for per-source limits: an IPv4 address (also one
 * mapped into IPv6), or an IPv6 /64, what one host or site is commonly
 * given. Equal keys are the same source.
 */
#ifndef PMGTM_COMMON_SOURCE_H
#define PMGTM_COMMON_SOURCE_H

#include <stdint.h>

struct sockaddr;

#define NODE_SOURCE_LEN 9 /* family (4 or 6), then 4 or 8 address bytes */

/* Writes @sa's source key to @out (all zero for NULL or another family). */
void node_source_of(const struct sockaddr *sa, uint8_t out[NODE_SOURCE_LEN]);

#endif
