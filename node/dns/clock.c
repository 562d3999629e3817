#include "node/dns/service.h"

#include <time.h>

uint32_t
node_dns_clock_wall(void *ctx)
{
	return (uint32_t)time(NULL);
}
