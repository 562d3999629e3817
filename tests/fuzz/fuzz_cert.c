/*
 * libFuzzer target for the certificate decoder and checker.
 *
 * Beyond "no crash, no leak" it checks the contract:
 *  - a rejected input returns -EBADMSG and leaves the output zeroed;
 *  - an accepted input has a valid name, re-encodes to at most its own
 *    length, the re-encoding decodes to the same certificate and encodes
 *    to the same bytes again (the canonical form is a fixed point);
 *  - msgpack-c reads an accepted input the same way: one array of eight,
 *    the same types and values, nothing left over (msgpack-c is only fed
 *    inputs we accepted: on arbitrary bytes it would allocate whatever an
 *    array header announces);
 *  - gsp_cert_verify() answers 0, GSP_ECERTSIG, GSP_ECERTCLUSTER or
 *    GSP_ECERTEXPIRED: 0 only inside the validity window, for the
 *    certificate's own cluster (or a trust of any cluster), and only when
 *    ca_id names the fuzzer's CA; GSP_ECERTCLUSTER only once signed;
 *  - once re-signed by the fuzzer's CA (first or second of two trusted
 *    keys) the certificate verifies, and a flipped bit in any signed
 *    field breaks it.
 * The CA key comes from a fixed seed; the corpus certificates in
 * tests/fuzz/corpus/fuzz_cert/ that start "valid-" are signed by it (for
 * cluster "prod").
 */
#include "gossip/cert.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <msgpack.h>
#include <sodium.h>

#include "gossip/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ca_pk[GSP_PK_LEN], ca_sk[GSP_SK_LEN];
static uint8_t ca2_pk[GSP_PK_LEN], ca2_sk[GSP_SK_LEN];
static uint8_t ca_id[GSP_KEY_ID_LEN];

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void
init(void)
{
	static int done;
	uint8_t seed[crypto_sign_SEEDBYTES];

	if (done)
		return;
	check(sodium_init() >= 0);
	memset(seed, 0x42, sizeof(seed));
	check(crypto_sign_seed_keypair(ca_pk, ca_sk, seed) == 0);
	memset(seed, 0x43, sizeof(seed));
	check(crypto_sign_seed_keypair(ca2_pk, ca2_sk, seed) == 0);
	gsp_key_id(ca_pk, ca_id);
	done = 1;
}

static int
same_bytes(const msgpack_object *o, msgpack_object_type type, const void *p,
	   size_t n)
{
	if (o->type != type)
		return 0;
	if (type == MSGPACK_OBJECT_STR)
		return o->via.str.size == n && !memcmp(o->via.str.ptr, p, n);
	return o->via.bin.size == n && !memcmp(o->via.bin.ptr, p, n);
}

static int
same_uint(const msgpack_object *o, uint64_t v)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 == v;
}

/* The elements a certificate holds: version, cluster, name, pk,
 * not_before, not_after, ca_id, sig. */
#define CERT_ELEMENTS 8

/* msgpack-c must agree with an input we accepted. */
static void
check_msgpack(const uint8_t *data, size_t size, const struct gsp_cert *c)
{
	msgpack_unpacked up;
	const msgpack_object *e;
	size_t off = 0;

	msgpack_unpacked_init(&up);
	check(msgpack_unpack_next(&up, (const char *)data, size, &off) ==
	      MSGPACK_UNPACK_SUCCESS);
	check(off == size);
	check(up.data.type == MSGPACK_OBJECT_ARRAY &&
	      up.data.via.array.size == CERT_ELEMENTS);
	e = up.data.via.array.ptr;
	check(same_uint(&e[0], GSP_CERT_VERSION));
	check(same_bytes(&e[1], MSGPACK_OBJECT_STR, c->cluster,
			 strlen(c->cluster)));
	check(same_bytes(&e[2], MSGPACK_OBJECT_STR, c->name, strlen(c->name)));
	check(same_bytes(&e[3], MSGPACK_OBJECT_BIN, c->pk, GSP_PK_LEN));
	check(same_uint(&e[4], c->not_before));
	check(same_uint(&e[5], c->not_after));
	check(same_bytes(&e[6], MSGPACK_OBJECT_BIN, c->ca_id, GSP_KEY_ID_LEN));
	check(same_bytes(&e[7], MSGPACK_OBJECT_BIN, c->sig, GSP_SIG_LEN));
	msgpack_unpacked_destroy(&up);
}

/* A trust of the fuzzer's CA for @cluster. */
static struct gsp_trust
trust_for(const char *cluster)
{
	struct gsp_trust t;

	gsp_trust_one(&t, ca_pk, cluster);
	return t;
}

static void
check_verify(const struct gsp_cert *c, uint64_t now)
{
	struct gsp_trust own = trust_for(c->cluster), any = trust_for("");
	struct gsp_trust other = trust_for(strcmp(c->cluster, "x") ? "x" : "y");
	int rc = gsp_cert_verify(c, &own, now);

	check(rc == 0 || rc == GSP_ECERTSIG || rc == GSP_ECERTEXPIRED);
	if (rc == 0)
		check(c->not_before <= now && now <= c->not_after &&
		      !memcmp(c->ca_id, ca_id, sizeof(ca_id)));
	/* the cluster is only looked at once the signature holds */
	check(gsp_cert_verify(c, &any, now) == rc);
	if (rc == GSP_ECERTSIG)
		check(gsp_cert_verify(c, &other, now) == GSP_ECERTSIG);
	else
		check(gsp_cert_verify(c, &other, now) == GSP_ECERTCLUSTER);
}

/* Re-signed, the certificate verifies; altered, it does not. */
static void
check_resigned(struct gsp_cert c, const uint8_t *data, size_t size)
{
	struct gsp_trust tr = trust_for(c.cluster), two = tr;
	struct gsp_cert t;
	size_t i;
	int want;

	check(gsp_cert_sign(&c, ca_sk) == 0);
	check(!memcmp(c.ca_id, ca_id, sizeof(ca_id)));
	want = c.not_before <= c.not_after ? 0 : GSP_ECERTEXPIRED;
	check(gsp_cert_verify(&c, &tr, c.not_before) == want);
	/* the second of two trusted keys signs as well as the first */
	memcpy(two.ca_pk[0], ca2_pk, GSP_PK_LEN);
	memcpy(two.ca_pk[1], ca_pk, GSP_PK_LEN);
	two.n_ca = 2;
	check(gsp_cert_verify(&c, &two, c.not_before) == want);
	i = size ? data[size - 1] : 0;
	t = c;
	switch (i % 6) {
	case 0:
		t.pk[i % GSP_PK_LEN] ^= (uint8_t)(1u << (i % 8));
		break;
	case 1:
		t.not_before ^= 1ull << (i % 64);
		break;
	case 2:
		t.not_after ^= 1ull << (i % 64);
		break;
	case 3:
		/* another valid name: the last character changes */
		t.name[strlen(t.name) - 1] =
			t.name[strlen(t.name) - 1] == 'a' ? 'b' : 'a';
		break;
	case 4:
		t.cluster[strlen(t.cluster) - 1] =
			t.cluster[strlen(t.cluster) - 1] == 'a' ? 'b' : 'a';
		break;
	case 5:
		t.ca_id[i % GSP_KEY_ID_LEN] ^= (uint8_t)(1u << (i % 8));
		break;
	}
	/* a trust of any cluster, so an altered cluster is judged by the
	 * signature alone */
	tr = trust_for("");
	check(gsp_cert_verify(&t, &tr, t.not_before) == GSP_ECERTSIG);
	/* signed by the other CA, it names that CA and only it verifies */
	check(gsp_cert_sign(&t, ca2_sk) == 0);
	check(gsp_cert_verify(&t, &tr, t.not_before) == GSP_ECERTSIG);
	two.cluster[0] = '\0';
	check(gsp_cert_verify(&t, &two, t.not_before) ==
	      (t.not_before <= t.not_after ? 0 : GSP_ECERTEXPIRED));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t enc[GSP_CERT_MAX_LEN], enc2[GSP_CERT_MAX_LEN];
	struct gsp_cert c, d;
	size_t len, len2, i;
	int rc;

	init();
	memset(&c, 0xa5, sizeof(c));
	rc = gsp_cert_decode(data, size, &c);
	if (rc) {
		check(rc == -EBADMSG);
		for (i = 0; i < sizeof(c); i++)
			check(((const uint8_t *)&c)[i] == 0);
		return 0;
	}
	check(gsp_name_valid(c.cluster) && gsp_name_valid(c.name));
	check(gsp_cert_encode(&c, enc, sizeof(enc), &len) == 0);
	check(len <= size);
	check(gsp_cert_decode(enc, len, &d) == 0);
	check(!memcmp(&c, &d, sizeof(c)));
	check(gsp_cert_encode(&d, enc2, sizeof(enc2), &len2) == 0);
	check(len2 == len && !memcmp(enc, enc2, len));
	check_msgpack(data, size, &c);

	check_verify(&c, 0);
	check_verify(&c, c.not_before);
	check_verify(&c, c.not_after);
	check_verify(&c, UINT64_MAX);
	check_resigned(c, data, size);
	return 0;
}
