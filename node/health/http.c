/*
 * The http check's two pure pieces: turning the target URL into an
 * address and a GET request, and finding the status code in the first
 * bytes of the answer. The I/O is in node/health/checks.c.
 */
#include "node/health/checks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "node/config/config.h"

#define SCHEME "http://"

/* Bytes that would end the request line or smuggle a header. */
static bool
path_ok(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

int
node_health_http_prepare(const char *url, struct sockaddr_storage *addr,
			 socklen_t *addrlen, char *req, size_t *reqlen)
{
	struct node_sockaddr sa;
	char host[sizeof(sa.text)];
	const char *auth, *path, *end;
	size_t hlen, plen;
	int n;

	*reqlen = 0;
	if (!url || strncmp(url, SCHEME, strlen(SCHEME)))
		return -EINVAL;
	auth = url + strlen(SCHEME);
	hlen = strcspn(auth, "/?#");
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, auth, hlen);
	host[hlen] = '\0';
	/* No userinfo; an unbracketed IPv6 literal is ambiguous with a port
	 * (node_sockaddr_parse would take "::1" as a bare address). */
	if (strchr(host, '@') ||
	    (host[0] != '[' && strchr(host, ':') != strrchr(host, ':')))
		return -EINVAL;
	if (node_sockaddr_parse(host, 80, &sa))
		return -EINVAL;

	path = auth + hlen;
	end = strchr(path, '#'); /* the fragment stays with the client */
	plen = end ? (size_t)(end - path) : strlen(path);
	if (!path_ok(path, plen))
		return -EINVAL;
	n = snprintf(req, NODE_HEALTH_REQUEST_MAX,
		     "GET %s%.*s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "User-Agent: pmgtm-health/" PMGTM_VERSION "\r\n"
		     "Accept: */*\r\n"
		     "Connection: close\r\n"
		     "\r\n",
		     plen && path[0] == '/' ? "" : "/", (int)plen, path, host);
	if (n < 0 || n >= NODE_HEALTH_REQUEST_MAX)
		return -E2BIG;
	memcpy(addr, &sa.ss, sizeof(*addr));
	*addrlen = sa.len;
	*reqlen = (size_t)n;
	return 0;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
node_health_http_status(const char *buf, size_t len, unsigned *status)
{
	/* "HTTP/d.d NNN" then SP, CR or LF; 'd' and 'N' stand for digits. */
	static const char shape[] = "HTTP/d.d NNN";
	const size_t shape_len = sizeof(shape) - 1;
	size_t i;

	for (i = 0; i < len && i < shape_len; i++) {
		char want = shape[i];

		if ((want == 'd' || want == 'N') ? !is_digit(buf[i])
						 : buf[i] != want)
			return -EBADMSG;
	}
	if (len <= shape_len)
		return 0;
	if (buf[shape_len] != ' ' && buf[shape_len] != '\r' &&
	    buf[shape_len] != '\n')
		return -EBADMSG;
	*status = (unsigned)(buf[9] - '0') * 100 +
		  (unsigned)(buf[10] - '0') * 10 + (unsigned)(buf[11] - '0');
	return 1;
}
