#include "common/source.h"

#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

void
node_source_of(const struct sockaddr *sa, uint8_t out[NODE_SOURCE_LEN])
{
	memset(out, 0, NODE_SOURCE_LEN);
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		out[0] = 4;
		memcpy(out + 1, &s4->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			out[0] = 4;
			memcpy(out + 1, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			out[0] = 6;
			memcpy(out + 1, s6->sin6_addr.s6_addr, 8);
		}
	}
}
