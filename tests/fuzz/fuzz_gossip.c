/*
 * libFuzzer target for every gossip decoder: the packet envelope, records,
 * sealed packets, and a live state machine fed the bytes as a datagram and
 * as a push-pull frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/codec.h"
#include "gossip/gossip.h"
#include "gossip/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gsp *g;
static struct gsp_keyring kr;

static void
fill(void *ctx, void *buf, size_t n)
{
	memset(buf, 0x42, n);
}

static void
init(void)
{
	uint8_t ca_pk[32], ca_sk[64], pk[32], sk[64], seed[32] = { 1 };
	uint8_t cert[GSP_CERT_MAX], key[1][GSP_KEY_LEN] = { { 3 } };
	struct gsp_cert c;
	size_t clen;
	struct gsp_now now = { .ms = 1000, .unix_s = 1800000000 };

	if (sodium_init() < 0)
		abort();
	crypto_sign_seed_keypair(ca_pk, ca_sk, seed);
	seed[0] = 2;
	crypto_sign_seed_keypair(pk, sk, seed);
	if (gsp_cert_issue(&c, "fuzz", "fuzz", pk, now.unix_s, 30 * 86400,
			   ca_sk) ||
	    gsp_cert_encode(&c, cert, sizeof(cert), &clen) ||
	    gsp_keyring_init(&kr, key, 1))
		abort();
	struct gsp_self self = {
		.cluster = "fuzz",
		.name = "fuzz",
		.sk = sk,
		.cert = cert,
		.cert_len = clen,
		.ca_pks = (const uint8_t(*)[32])ca_pk,
		.n_ca = 1,
		.generation = 1,
		.gossip = { { 4, { 127, 0, 0, 1 } }, 7946 },
		.rand = { fill, NULL },
	};
	gsp_timing_profile(&self.timing, false);
	if (gsp_new(&self, now, &g))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gsp_msg m;
	struct gsp_record r;
	struct gsp_now now = { .ms = 2000, .unix_s = 1800000001 };
	struct gsp_endpoint from = { { 4, { 127, 0, 0, 2 } }, 7946 };
	struct gsp_out o;
	uint8_t out[4096];
	size_t olen;
	uint8_t *reply;
	size_t rlen;

	if (!g)
		init();
	if (gsp_msg_decode(data, size, &m) == 0)
		gsp_msg_fini(&m);
	if (gsp_record_decode(data, size, &r) == 0 && r.tbs_len > size)
		abort();
	if (gsp_open(&kr, data, size, out, sizeof(out), &olen) == 0 &&
	    olen > size)
		abort();
	gsp_recv(g, now, &from, data, size);
	if (gsp_stream_input(g, now, data, size, &reply, &rlen) == 0)
		free(reply);
	while (gsp_out_next(g, &o))
		free(o.data);
	return 0;
}
