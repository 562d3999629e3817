/*
 * The scalar parsers only the config needs: IP addresses, socket addresses
 * and DNS names (integers and durations are common/parse.h's). Pure
 * functions of their text, with no positions or messages; config.c adds
 * those.
 */
#include "node/config/config.h"
#include "node/config/schema.h"
#include "common/parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
node_ipaddr_parse(const char *text, struct ip_addr *out)
{
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!text)
		return -EINVAL;
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = 6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

static int
sockaddr_fill(struct node_sockaddr *out, const char *host, const char *port,
	      uint16_t default_port)
{
	struct ip_addr ip;
	uint64_t p = default_port;

	if (port && cmn_u64_parse(port, 65535, &p))
		return -EINVAL;
	if (p == 0 || node_ipaddr_parse(host, &ip))
		return -EINVAL;
	if (ip.family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		memcpy(&sin->sin_addr, ip.bytes, 4);
		out->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		memcpy(&sin6->sin6_addr, ip.bytes, 16);
		out->len = sizeof(*sin6);
	}
	return 0;
}

int
node_sockaddr_parse(const char *text, uint16_t default_port,
		    struct node_sockaddr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *port = NULL, *end;
	struct in6_addr a6;
	size_t len, hlen;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!text || (len = strlen(text)) == 0 || len >= sizeof(out->text))
		return -EINVAL;
	if (text[0] == '[') {
		/* "[v6]" or "[v6]:port"; brackets are for IPv6 only. */
		end = strchr(text, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		port = end[1] ? end + 2 : NULL;
		hlen = (size_t)(end - text - 1);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			goto bad;
	} else if (inet_pton(AF_INET6, text, &a6) == 1) {
		memcpy(host, text, len + 1); /* bare IPv6, no port */
	} else {
		end = strchr(text, ':');
		hlen = end ? (size_t)(end - text) : len;
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, hlen);
		host[hlen] = '\0';
		port = end ? end + 1 : NULL;
		if (inet_pton(AF_INET, host, &a6) != 1)
			goto bad;
	}
	if (sockaddr_fill(out, host, port, default_port))
		goto bad;
	memcpy(out->text, text, len + 1);
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int
node_config_dname_norm(const char *text, char out[NODE_DNAME_MAX + 1])
{
	size_t len = strlen(text), i, label = 0;

	if (len && text[len - 1] == '.')
		len--;
	if (len == 0 || len > NODE_DNAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = text[i];

		if (c == '.') {
			if (!label)
				return -EINVAL;
			label = 0;
		} else if (is_digit(c) || (c >= 'a' && c <= 'z') || c == '-' ||
			   c == '_') {
			label++;
		} else if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
			label++;
		} else {
			return -EINVAL;
		}
		if (label > 63)
			return -EINVAL;
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}
