/*
 * libFuzzer target for the query path: any bytes, over UDP and TCP, against
 * a serving view and a drained one. Nothing may crash, read out of bounds
 * or produce a response that is not a well-formed message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_view *views[2];

static void
init(void)
{
	static const struct ip_addr self[] = { { 4, { 192, 0, 2, 10 } },
					       { 6, { 0x20, 1, 0xd, 0xb8 } } };
	static const struct ip_addr glue[] = { { 4, { 192, 0, 2, 1 } } };
	static const struct dns_spec_host ns[] = {
		{ "lb1.api.example.com", glue, 1 },
		{ "ns.example.net", NULL, 0 },
	};
	static const struct dns_spec_zone zone = {
		.name = "api.example.com",
		.ttl = 30,
		.ns = ns,
		.n_ns = 2,
		.soa_rname = "h.example.com",
		.minimum = 30,
	};
	struct dns_spec_host peer = { "p", glue, 1 };
	struct dns_view_spec spec = {
		.node_name = "fuzz",
		.self = self,
		.n_self = 2,
		.zones = &zone,
		.n_zones = 1,
	};
	char err[128];

	if (dns_view_new(&spec, &views[0], err, sizeof(err)))
		abort();
	spec.drained = true;
	spec.peers = &peer;
	spec.n_peers = 1;
	if (dns_view_new(&spec, &views[1], err, sizeof(err)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MSG_MAX];
	static const struct dns_cookie_secrets secrets = { .current = { 1 } };
	static const uint8_t ip[4] = { 127, 0, 0, 1 };

	if (!views[0])
		init();
	for (int v = 0; v < 2; v++) {
		for (int proto = 0; proto < 2; proto++) {
			struct dns_req req = {
				.proto = (enum dns_proto)proto,
				.client_ip = ip,
				.client_iplen = 4,
				.cookies = &secrets,
			};
			size_t cap = proto ? sizeof(out) : DNS_UDP_PAYLOAD;
			int n = dns_answer(views[v], &req, data, size, out, cap,
					   NULL);
			if (n != DNS_DROP && (n < 12 || (size_t)n > cap))
				abort();
			if (proto == 0 && n > DNS_UDP_PAYLOAD)
				abort();
		}
	}
	return 0;
}
