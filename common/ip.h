/*
 * An IP address without a port: the one address type of every room, the
 * pure cores included (header only, nothing to link). Family 4 or 6, the
 * bytes in network order, an IPv4 address in the first four.
 */
#ifndef PMGTM_COMMON_IP_H
#define PMGTM_COMMON_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ip_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t bytes[16];
};

/* How many of @a's bytes are the address. */
static inline size_t
ip_addr_len(const struct ip_addr *a)
{
	return a->family == 4 ? 4 : 16;
}

/* Whether @a can be a node's address: not unspecified (all zeros), not
 * broadcast (all ones) and not multicast. */
static inline bool
ip_addr_usable(const struct ip_addr *a)
{
	size_t n = ip_addr_len(a), zeros = 0, ones = 0;

	for (size_t i = 0; i < n; i++) {
		zeros += a->bytes[i] == 0;
		ones += a->bytes[i] == 0xff;
	}
	if (zeros == n || ones == n)
		return false;
	if (a->family == 4)
		return (a->bytes[0] & 0xf0) != 0xe0;
	return a->bytes[0] != 0xff;
}

#endif
