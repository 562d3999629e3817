/*
 * Inside a view: the precompiled pieces that dns/answer.c copies into
 * responses. Only dns/ includes this header.
 */
#ifndef PMGTM_DNS_VIEW_INT_H
#define PMGTM_DNS_VIEW_INT_H

#include "dns/name.h"
#include "dns/view.h"

#define DNS_T_A 1
#define DNS_T_NS 2
#define DNS_T_SOA 6
#define DNS_T_HINFO 13
#define DNS_T_TXT 16
#define DNS_T_AAAA 28
#define DNS_T_OPT 41
#define DNS_T_IXFR 251
#define DNS_T_AXFR 252
#define DNS_T_ANY 255
#define DNS_C_IN 1
#define DNS_C_CH 3

/* Records ready to copy. With an owner, each starts with the pointer
 * 0xc00c to the question name; without, at the type field. */
struct dns_rrset {
	uint8_t *data;
	size_t len;
	uint16_t count;
};

struct dns_vns {
	uint8_t name[DNS_NAME_MAX]; /* lowercased wire form */
	size_t len;
	int in_zone;
	struct dns_rrset a, aaaa; /* owner 0xc00c: for queries of this name */
	struct dns_rrset glue;	  /* no owner: A then AAAA records */
};

struct dns_vzone {
	char *text;
	uint8_t name[DNS_NAME_MAX]; /* lowercased wire form */
	size_t len;
	struct dns_rrset a, aaaa; /* own or redirect addresses */
	struct dns_rrset soa;	  /* owner 0xc00c, zone TTL */
	struct dns_rrset neg_soa; /* no owner, TTL min(ttl, minimum) */
	struct dns_rrset ns;	  /* owner 0xc00c */
	size_t *ns_name_off;	  /* rdata name offsets within ns.data */
	struct dns_vns *nss;
	size_t n_ns;
};

struct dns_view {
	char node_name[DNS_LABEL_MAX + 1];
	size_t node_name_len;
	struct dns_rrset id_txt; /* owner 0xc00c, CH TXT "<node name>" */
	struct dns_rrset hinfo;	 /* owner 0xc00c, RFC 8482 HINFO */
	bool serving;		 /* not drained */
	bool refuse; /* drained and refusing (or nobody to send to) */
	bool silent; /* drained, silent mode */
	struct dns_vzone *zones;
	size_t n_zones;
};

#endif
