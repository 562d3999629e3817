/*
 * Building precompiled records (dns_rrset) for a view.
 */
#ifndef PMGTM_DNS_RR_H
#define PMGTM_DNS_RR_H

#include "dns/view_int.h"

/* Appends one record to @set: an owner pointer 0xc00c when @owner, then
 * type, class IN (or @cls), @ttl and @rdlen bytes of @rdata. Returns 0 or
 * -ENOMEM / -EMSGSIZE. */
__attribute__((warn_unused_result)) int
dns_rrset_add(struct dns_rrset *set, int owner, uint16_t type, uint16_t cls,
	      uint32_t ttl, const uint8_t *rdata, size_t rdlen);

/* Appends the A (family 4) or AAAA (family 6) records of @addrs. */
__attribute__((warn_unused_result)) int
dns_rrset_add_addrs(struct dns_rrset *set, int owner, int family, uint32_t ttl,
		    const struct ip_addr *addrs, size_t n);

void dns_rrset_fini(struct dns_rrset *set);

#endif
