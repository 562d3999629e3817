#include "dns/rr.h"

#include <stdlib.h>

#include "dns/answer.h"

int
dns_rrset_add(struct dns_rrset *set, int owner, uint16_t type, uint16_t cls,
	      uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	size_t need = (owner ? 2 : 0) + 10 + rdlen;

	if (rdlen > UINT16_MAX || set->len + need > DNS_MSG_MAX ||
	    set->count == UINT16_MAX)
		return -EMSGSIZE;
	uint8_t *p = realloc(set->data, set->len + need);
	if (!p)
		return -ENOMEM;
	set->data = p;

	struct dns_wr wr;
	dns_wr_init(&wr, p + set->len, need);
	if (owner)
		dns_wr_u16(&wr, 0xc00c);
	dns_wr_u16(&wr, type);
	dns_wr_u16(&wr, cls);
	dns_wr_u32(&wr, ttl);
	dns_wr_u16(&wr, (uint16_t)rdlen);
	dns_wr_bytes(&wr, rdata, rdlen);
	set->len += need;
	set->count++;
	return 0;
}

int
dns_rrset_add_addrs(struct dns_rrset *set, int owner, int family, uint32_t ttl,
		    const struct ip_addr *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (addrs[i].family != family)
			continue;
		int r = dns_rrset_add(
			set, owner, family == 4 ? DNS_T_A : DNS_T_AAAA,
			DNS_C_IN, ttl, addrs[i].bytes, family == 4 ? 4 : 16);
		if (r)
			return r;
	}
	return 0;
}

void
dns_rrset_fini(struct dns_rrset *set)
{
	free(set->data);
	set->data = NULL;
	set->len = 0;
	set->count = 0;
}
