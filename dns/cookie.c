#include "dns/cookie.h"

#include <string.h>
#include <sodium.h>

#define COOKIE_VERSION 1
#define COOKIE_MAX_AGE 3600  /* RFC 9018 §4.3: one hour in the past */
#define COOKIE_MAX_AHEAD 300 /* and five minutes in the future */

void
dns_cookie_make(const uint8_t *secret, const uint8_t *client, const uint8_t *ip,
		size_t iplen, uint32_t now, uint8_t *out)
{
	uint8_t in[DNS_COOKIE_CLIENT_LEN + 8 + 16];
	size_t n = 0;

	memcpy(in, client, DNS_COOKIE_CLIENT_LEN);
	n += DNS_COOKIE_CLIENT_LEN;
	out[0] = COOKIE_VERSION;
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(now >> 24);
	out[5] = (uint8_t)(now >> 16);
	out[6] = (uint8_t)(now >> 8);
	out[7] = (uint8_t)now;
	memcpy(in + n, out, 8);
	n += 8;
	if (iplen > 16)
		iplen = 16;
	memcpy(in + n, ip, iplen);
	n += iplen;
	crypto_shorthash_siphash24(out + 8, in, n, secret);
}

static bool
matches(const uint8_t *secret, const uint8_t *client, const uint8_t *server,
	const uint8_t *ip, size_t iplen)
{
	uint8_t want[DNS_COOKIE_SERVER_LEN];
	uint32_t ts = (uint32_t)server[4] << 24 | (uint32_t)server[5] << 16 |
		      (uint32_t)server[6] << 8 | server[7];

	dns_cookie_make(secret, client, ip, iplen, ts, want);
	return sodium_memcmp(want + 8, server + 8, 8) == 0;
}

bool
dns_cookie_valid(const struct dns_cookie_secrets *s, const uint8_t *client,
		 const uint8_t *server, size_t len, const uint8_t *ip,
		 size_t iplen, uint32_t now)
{
	if (len != DNS_COOKIE_SERVER_LEN || server[0] != COOKIE_VERSION)
		return false;
	uint32_t ts = (uint32_t)server[4] << 24 | (uint32_t)server[5] << 16 |
		      (uint32_t)server[6] << 8 | server[7];
	/* Serial-number arithmetic: timestamps wrap. */
	int32_t age = (int32_t)(now - ts);
	if (age > COOKIE_MAX_AGE || age < -COOKIE_MAX_AHEAD)
		return false;
	if (matches(s->current, client, server, ip, iplen))
		return true;
	return s->has_previous &&
	       matches(s->previous, client, server, ip, iplen);
}
