#include "dns/edns.h"

#include <string.h>

int
dns_edns_parse(struct dns_rd *rd, uint16_t cls, uint32_t ttl, uint16_t rdlen,
	       struct dns_edns *e)
{
	struct dns_rd opts;
	const uint8_t *data = dns_rd_bytes(rd, rdlen);

	memset(e, 0, sizeof(*e));
	if (!data)
		return -EBADMSG;
	e->present = true;
	e->payload = cls;
	e->version = (uint8_t)(ttl >> 16);
	e->dnssec_ok = (ttl & 0x8000) != 0;

	dns_rd_init(&opts, data, rdlen);
	while (dns_rd_left(&opts) > 0) {
		uint16_t code = dns_rd_u16(&opts);
		uint16_t len = dns_rd_u16(&opts);
		const uint8_t *v = dns_rd_bytes(&opts, len);
		if (!v)
			break;
		switch (code) {
		case DNS_OPT_NSID:
			e->nsid = true;
			break;
		case DNS_OPT_COOKIE:
			/* Client cookie 8 bytes; server cookie 8 to 32. */
			if (len != DNS_COOKIE_CLIENT_LEN &&
			    (len < DNS_COOKIE_CLIENT_LEN + 8 ||
			     len > DNS_COOKIE_CLIENT_LEN + 32)) {
				dns_rd_fail(&opts);
				break;
			}
			if (e->cookie) { /* two cookies: malformed */
				dns_rd_fail(&opts);
				break;
			}
			e->cookie = true;
			memcpy(e->client_cookie, v, DNS_COOKIE_CLIENT_LEN);
			e->server_cookie = v + DNS_COOKIE_CLIENT_LEN;
			e->server_cookie_len = len - DNS_COOKIE_CLIENT_LEN;
			break;
		default:
			break;
		}
	}
	if (opts.err) {
		memset(e, 0, sizeof(*e));
		return -EBADMSG;
	}
	return 0;
}
