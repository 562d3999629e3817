/*
 * EDNS(0) (RFC 6891): the OPT pseudo-record of a query, and the OPT we
 * answer with.
 *
 *   OPT RR: owner root (0) | type 41 | class = UDP payload size |
 *           TTL = ext-rcode(8) version(8) DO(1) Z(15) | rdlen | options
 *   option: code(16) | length(16) | data
 */
#ifndef PMGTM_DNS_EDNS_H
#define PMGTM_DNS_EDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/cookie.h"
#include "dns/wire.h"

#define DNS_OPT_NSID 3
#define DNS_OPT_COOKIE 10

/* What a query's OPT said. server_cookie points into the query. */
struct dns_edns {
	bool present;
	uint16_t payload;
	uint8_t version;
	bool dnssec_ok;
	bool nsid;
	bool cookie; /* a client cookie is in client_cookie */
	uint8_t client_cookie[DNS_COOKIE_CLIENT_LEN];
	const uint8_t *server_cookie;
	size_t server_cookie_len;
};

/*
 * Parses an OPT record's class, TTL and @rdlen bytes of options at the
 * cursor into @e. Unknown options are skipped. Returns 0, or -EBADMSG for
 * an option running past the rdata or a COOKIE of a bad length (RFC 7873
 * §5.2.2); then the query gets FORMERR.
 */
__attribute__((warn_unused_result)) int
dns_edns_parse(struct dns_rd *rd, uint16_t cls, uint32_t ttl, uint16_t rdlen,
	       struct dns_edns *e);

#endif
