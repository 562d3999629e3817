/*
 * DNS cookies (RFC 7873) with the interoperable server cookie of RFC 9018:
 *
 *   +---------+----------+-----------+---------------------------+
 *   | version | reserved | timestamp | SipHash-2-4 (8 bytes)     |
 *   | 1 (=1)  | 3 (=0)   | 4, secs   |                           |
 *   +---------+----------+-----------+---------------------------+
 *   hash = SipHash-2-4(secret, client cookie | version | reserved |
 *                       timestamp | client IP)
 *
 * The secret is rotated by node/; the previous one still verifies.
 */
#ifndef PMGTM_DNS_COOKIE_H
#define PMGTM_DNS_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_COOKIE_CLIENT_LEN 8
#define DNS_COOKIE_SERVER_LEN 16
#define DNS_COOKIE_SECRET_LEN 16

struct dns_cookie_secrets {
	uint8_t current[DNS_COOKIE_SECRET_LEN];
	uint8_t previous[DNS_COOKIE_SECRET_LEN];
	bool has_previous;
};

/* Computes the 16-byte server cookie for @client (8 bytes) from @ip
 * (4 or 16 bytes) at @now (seconds, wraps) with @secret. */
void dns_cookie_make(const uint8_t *secret, const uint8_t *client,
		     const uint8_t *ip, size_t iplen, uint32_t now,
		     uint8_t *out);

/* Whether @server (of @len bytes) is a cookie this node issued to that
 * client and address, not older than one hour nor over five minutes in
 * the future (RFC 9018 §4.3), under the current or previous secret. */
bool dns_cookie_valid(const struct dns_cookie_secrets *s, const uint8_t *client,
		      const uint8_t *server, size_t len, const uint8_t *ip,
		      size_t iplen, uint32_t now);

#endif
