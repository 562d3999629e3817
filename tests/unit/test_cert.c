/*
 * Cluster identity: the certificate codec, signing and checking
 * (gossip/cert.c), and the key and certificate files (common/keyfile.c).
 *
 * Keys come from fixed seeds, so every run signs the same bytes. Expected
 * encodings are built byte by byte here, independently of the encoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/error.h"
#include "common/keyfile.h"

#define NOW 1764241200u /* 2025-11-27T11:00:00Z */
#define YEAR (365 * UINT64_C(86400))

static uint8_t ca_pk[GSP_PK_LEN], ca_sk[GSP_SK_LEN];
static uint8_t ca2_pk[GSP_PK_LEN], ca2_sk[GSP_SK_LEN];
static uint8_t node_pk[GSP_PK_LEN], node_sk[GSP_SK_LEN];

static void
seed_keys(uint8_t pk[], uint8_t sk[], uint8_t fill)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, fill, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	seed_keys(ca_pk, ca_sk, 1);
	seed_keys(ca2_pk, ca2_sk, 2);
	seed_keys(node_pk, node_sk, 3);
	return 0;
}

/* A byte builder for hand-made MessagePack. */
struct bb {
	uint8_t b[600];
	size_t n;
};

static void
bb_put(struct bb *bb, const void *p, size_t n)
{
	assert_true(bb->n + n <= sizeof(bb->b));
	memcpy(bb->b + bb->n, p, n);
	bb->n += n;
}

static void
bb_u8(struct bb *bb, uint8_t v)
{
	bb_put(bb, &v, 1);
}

static void
bb_be(struct bb *bb, uint64_t v, unsigned n)
{
	while (n--)
		bb_u8(bb, (uint8_t)(v >> (8 * n)));
}

static void
bb_tag_be(struct bb *bb, uint8_t tag, uint64_t v, unsigned n)
{
	bb_u8(bb, tag);
	bb_be(bb, v, n);
}

/* fixstr or str 8, as the canonical encoding writes names. */
static void
bb_name(struct bb *bb, const char *s)
{
	size_t n = strlen(s);

	if (n < 32)
		bb_u8(bb, (uint8_t)(0xa0 | n));
	else
		bb_tag_be(bb, 0xd9, n, 1);
	bb_put(bb, s, n);
}

static struct gsp_trust
trust_of(const uint8_t *pk, const char *cluster)
{
	struct gsp_trust t;

	gsp_trust_one(&t, pk, cluster);
	return t;
}

static struct gsp_cert
sample(const char *name)
{
	struct gsp_cert c;

	assert_int_equal(
		gsp_cert_issue(&c, "prod", name, node_pk, NOW, YEAR, ca_sk), 0);
	return c;
}

/* The canonical encoding of @c, written out by hand for these values, as
 * gossip/cert.h draws it: an array header of 8 (of 7 without the
 * signature), then the eight (seven) fields the drawing shows. */
static void
canonical(struct bb *bb, const struct gsp_cert *c, bool with_sig)
{
	bb_u8(bb, with_sig ? 0x98 : 0x97);
	bb_u8(bb, 0x02);
	bb_name(bb, c->cluster);
	bb_name(bb, c->name);
	bb_tag_be(bb, 0xc4, GSP_PK_LEN, 1);
	bb_put(bb, c->pk, GSP_PK_LEN);
	assert_true(c->not_before > UINT16_MAX && c->not_after <= UINT32_MAX);
	bb_tag_be(bb, 0xce, c->not_before, 4);
	bb_tag_be(bb, 0xce, c->not_after, 4);
	bb_tag_be(bb, 0xc4, GSP_KEY_ID_LEN, 1);
	bb_put(bb, c->ca_id, GSP_KEY_ID_LEN);
	if (with_sig) {
		bb_tag_be(bb, 0xc4, GSP_SIG_LEN, 1);
		bb_put(bb, c->sig, GSP_SIG_LEN);
	}
}

static void
test_name_valid(void **state)
{
	static const char *const good[] = { "a", "lb1", "0", "-", "a-b-9" };
	static const char *const bad[] = { "",	   "LB1",      "lb_1", "lb.1",
					   "lb 1", "\xc3\xa9", "lb1\n" };
	char name[GSP_NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(gsp_name_valid(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(gsp_name_valid(bad[i]));
	assert_false(gsp_name_valid(NULL));

	memset(name, 0, sizeof(name));
	memset(name, 'z', GSP_NAME_MAX);
	assert_true(gsp_name_valid(name));
	name[GSP_NAME_MAX] = 'z';
	assert_false(gsp_name_valid(name));
}

/* Key ids against BLAKE2b-64 of the public keys, computed elsewhere
 * (Python's hashlib.blake2b(pk, digest_size=8)) for these seeds. */
static void
test_key_id(void **state)
{
	char text[GSP_KEY_ID_TEXT];
	uint8_t id[GSP_KEY_ID_LEN];

	gsp_key_id_text(ca_pk, text);
	assert_string_equal(text, "896c701704cf484e");
	gsp_key_id_text(ca2_pk, text);
	assert_string_equal(text, "c2b5b9234a886f30");
	gsp_key_id_text(node_pk, text);
	assert_string_equal(text, "253a0d1e24f8348e");
	gsp_key_id(ca_pk, id);
	assert_memory_equal(id, "\x89\x6c\x70\x17\x04\xcf\x48\x4e", 8);
}

static void
test_issue_fields(void **state)
{
	struct gsp_cert c = sample("lb1");
	uint8_t id[GSP_KEY_ID_LEN];

	assert_string_equal(c.cluster, "prod");
	assert_string_equal(c.name, "lb1");
	assert_memory_equal(c.pk, node_pk, GSP_PK_LEN);
	assert_int_equal(c.not_before, NOW - 300);
	assert_int_equal(c.not_after, NOW + YEAR);
	gsp_key_id(ca_pk, id);
	assert_memory_equal(c.ca_id, id, GSP_KEY_ID_LEN);

	/* lifetimes are seconds; early clocks do not wrap */
	assert_int_equal(gsp_cert_issue(&c, "p", "a", node_pk, 100, 30, ca_sk),
			 0);
	assert_int_equal(c.not_before, 0);
	assert_int_equal(c.not_after, 130);
	assert_int_equal(gsp_cert_issue(&c, "p", "a", node_pk, NOW,
					GSP_CERT_VALID_MAX, ca_sk),
			 0);
	assert_int_equal(c.not_after, NOW + 1096 * UINT64_C(86400));

	/* refusals zero the output */
	memset(&c, 0xff, sizeof(c));
	assert_int_equal(
		gsp_cert_issue(&c, "prod", "LB1", node_pk, NOW, 1, ca_sk),
		-EINVAL);
	assert_true(c.name[0] == 0 && c.cluster[0] == 0 && c.not_after == 0 &&
		    c.sig[0] == 0 && c.ca_id[0] == 0);
	assert_int_equal(
		gsp_cert_issue(&c, "Prod", "lb1", node_pk, NOW, 1, ca_sk),
		-EINVAL);
	assert_int_equal(gsp_cert_issue(&c, "", "lb1", node_pk, NOW, 1, ca_sk),
			 -EINVAL);
	assert_int_equal(
		gsp_cert_issue(&c, NULL, "lb1", node_pk, NOW, 1, ca_sk),
		-EINVAL);
	assert_int_equal(
		gsp_cert_issue(&c, "prod", "lb1", node_pk, NOW, 0, ca_sk),
		-EINVAL);
	assert_int_equal(gsp_cert_issue(&c, "prod", "lb1", node_pk, NOW,
					GSP_CERT_VALID_MAX + 1, ca_sk),
			 -EINVAL);
	assert_int_equal(gsp_cert_issue(&c, "prod", "lb1", node_pk,
					UINT64_MAX - 86399, 86400, ca_sk),
			 -EINVAL);
	assert_int_equal(gsp_cert_issue(&c, "prod", "lb1", node_pk,
					UINT64_MAX - 86400, 86400, ca_sk),
			 0);
	assert_int_equal(c.not_after, UINT64_MAX);
}

static void
test_encode_layout(void **state)
{
	struct gsp_cert c = sample("lb1"), d;
	uint8_t out[GSP_CERT_MAX_LEN];
	struct bb want = { .n = 0 };
	size_t len, cap;

	canonical(&want, &c, true);
	assert_int_equal(gsp_cert_encode(&c, out, sizeof(out), &len), 0);
	assert_int_equal(len, want.n);
	assert_memory_equal(out, want.b, len);
	assert_memory_equal(out, "\x98\x02\xa4prod\xa3lb1\xc4\x20", 13);
	/* ca_id and sig close it: bin 8 then bin 64 */
	assert_memory_equal(out + len - 2 - 64 - 2 - 8, "\xc4\x08", 2);
	assert_memory_equal(out + len - 2 - 64, "\xc4\x40", 2);

	/* every smaller buffer is too small, and says so */
	for (cap = 0; cap < want.n; cap++)
		assert_int_equal(gsp_cert_encode(&c, out, cap, &len), -ENOSPC);

	assert_int_equal(gsp_cert_decode(out, want.n, &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_string_equal(d.cluster, "prod");
	assert_string_equal(d.name, "lb1");
	assert_memory_equal(d.pk, node_pk, GSP_PK_LEN);
	assert_int_equal(d.not_before, NOW - 300);
	assert_int_equal(d.not_after, NOW + YEAR);
	assert_memory_equal(d.ca_id, "\x89\x6c\x70\x17\x04\xcf\x48\x4e", 8);
	assert_memory_equal(d.sig, c.sig, GSP_SIG_LEN);
}

/* The largest certificate fits GSP_CERT_MAX_LEN exactly. */
static void
test_encode_max(void **state)
{
	struct gsp_cert c, d;
	struct gsp_trust t;
	uint8_t out[GSP_CERT_MAX_LEN];
	size_t len;

	memset(&c, 0, sizeof(c));
	memset(c.cluster, 'y', GSP_NAME_MAX);
	memset(c.name, 'z', GSP_NAME_MAX);
	c.not_before = UINT64_MAX - 1;
	c.not_after = UINT64_MAX;
	assert_int_equal(gsp_cert_sign(&c, ca_sk), 0);
	assert_int_equal(gsp_cert_encode(&c, out, sizeof(out), &len), 0);
	assert_int_equal(len, GSP_CERT_MAX_LEN);
	assert_int_equal(gsp_cert_decode(out, len, &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	t = trust_of(ca_pk, c.cluster);
	assert_int_equal(gsp_cert_verify(&d, &t, UINT64_MAX), 0);

	/* integers take their shortest form */
	c.not_before = 0;
	c.not_after = 0x7f;
	assert_int_equal(gsp_cert_encode(&c, out, sizeof(out), &len), 0);
	assert_int_equal(len, GSP_CERT_MAX_LEN - 16);

	/* an unterminated or invalid name is not encoded */
	memset(c.name, 'z', sizeof(c.name));
	assert_int_equal(gsp_cert_encode(&c, out, sizeof(out), &len), -EINVAL);
	assert_int_equal(len, 0);
	strcpy(c.name, "Upper");
	assert_int_equal(gsp_cert_encode(&c, out, sizeof(out), &len), -EINVAL);
	assert_int_equal(gsp_cert_sign(&c, ca_sk), -EINVAL);
	strcpy(c.name, "ok");
	strcpy(c.cluster, "No");
	assert_int_equal(gsp_cert_encode(&c, out, sizeof(out), &len), -EINVAL);
	assert_int_equal(gsp_cert_sign(&c, ca_sk), -EINVAL);
}

/* The signature covers "pmgtm-cert-v2" and the array of eight, as built by
 * hand: checked with libsodium directly, not through gsp_cert_verify(). */
static void
test_signed_bytes(void **state)
{
	struct gsp_cert c = sample("lb-two");
	struct bb msg = { .n = 0 };

	bb_put(&msg, "pmgtm-cert-v2", 13);
	canonical(&msg, &c, false);
	assert_int_equal(
		crypto_sign_verify_detached(c.sig, msg.b, msg.n, ca_pk), 0);
	/* Ed25519 is deterministic: signing again gives the same bytes */
	uint8_t sig[GSP_SIG_LEN];
	memcpy(sig, c.sig, sizeof(sig));
	assert_int_equal(gsp_cert_sign(&c, ca_sk), 0);
	assert_memory_equal(sig, c.sig, sizeof(sig));
}

static void
test_verify(void **state)
{
	struct gsp_cert c = sample("lb1"), t;
	struct gsp_trust tr = trust_of(ca_pk, "prod");
	struct gsp_trust tr2 = trust_of(ca2_pk, "prod");

	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), 0);
	assert_int_equal(gsp_cert_verify(&c, &tr, c.not_before), 0);
	assert_int_equal(gsp_cert_verify(&c, &tr, c.not_after), 0);
	assert_int_equal(gsp_cert_verify(&c, &tr, c.not_before - 1),
			 GSP_ECERTEXPIRED);
	assert_int_equal(gsp_cert_verify(&c, &tr, c.not_after + 1),
			 GSP_ECERTEXPIRED);
	assert_int_equal(gsp_cert_verify(&c, &tr, 0), GSP_ECERTEXPIRED);

	/* another CA */
	assert_int_equal(gsp_cert_verify(&c, &tr2, NOW), GSP_ECERTSIG);
	/* the signature is checked before the times */
	assert_int_equal(gsp_cert_verify(&c, &tr2, 0), GSP_ECERTSIG);
	/* a trust of no key trusts nothing */
	tr2.n_ca = 0;
	assert_int_equal(gsp_cert_verify(&c, &tr2, NOW), GSP_ECERTSIG);

	/* every field is covered */
	t = c;
	t.name[2] = '2';
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
	t = c;
	t.cluster[0] = 'q';
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
	t = c;
	t.pk[31] ^= 1;
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
	t = c;
	t.not_before--;
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
	t = c;
	t.not_after++;
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
	t = c;
	t.ca_id[7] ^= 1;
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
	t = c;
	t.sig[0] ^= 0x80;
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
	t = c;
	strcpy(t.name, "LB1");
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
	t = c;
	strcpy(t.cluster, "");
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);

	/* a certificate the other CA signed for the same key */
	assert_int_equal(
		gsp_cert_issue(&t, "prod", "lb1", node_pk, NOW, YEAR, ca2_sk),
		0);
	tr2 = trust_of(ca2_pk, "prod");
	assert_int_equal(gsp_cert_verify(&t, &tr2, NOW), 0);
	assert_int_equal(gsp_cert_verify(&t, &tr, NOW), GSP_ECERTSIG);
}

/* A certificate of our CA for another cluster: refused once signed, and
 * only then (the cluster is not trusted before the signature is). */
static void
test_verify_cluster(void **state)
{
	struct gsp_cert c = sample("lb1");
	struct gsp_trust tr = trust_of(ca_pk, "staging");

	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), GSP_ECERTCLUSTER);
	/* before the times, too */
	assert_int_equal(gsp_cert_verify(&c, &tr, 0), GSP_ECERTCLUSTER);
	/* a prefix is another cluster */
	tr = trust_of(ca_pk, "pro");
	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), GSP_ECERTCLUSTER);
	tr = trust_of(ca_pk, "prod-2");
	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), GSP_ECERTCLUSTER);
	/* "" and NULL: any cluster */
	tr = trust_of(ca_pk, "");
	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), 0);
	tr = trust_of(ca_pk, NULL);
	assert_string_equal(tr.cluster, "");
	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), 0);
	/* another CA's certificate for another cluster: the signature is
	 * what is wrong */
	tr = trust_of(ca2_pk, "staging");
	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), GSP_ECERTSIG);
}

/* During a CA rotation a verifier trusts several keys. */
static void
test_verify_several_cas(void **state)
{
	struct gsp_cert c1 = sample("lb1"), c2;
	struct gsp_trust tr;
	uint8_t other_pk[GSP_PK_LEN], other_sk[GSP_SK_LEN];

	seed_keys(other_pk, other_sk, 9);
	assert_int_equal(
		gsp_cert_issue(&c2, "prod", "lb2", node_pk, NOW, YEAR, ca2_sk),
		0);
	memset(&tr, 0, sizeof(tr));
	strcpy(tr.cluster, "prod");
	memcpy(tr.ca_pk[0], ca_pk, GSP_PK_LEN);
	memcpy(tr.ca_pk[1], ca2_pk, GSP_PK_LEN);
	tr.n_ca = 2;
	assert_int_equal(gsp_cert_verify(&c1, &tr, NOW), 0);
	/* the second key signs */
	assert_int_equal(gsp_cert_verify(&c2, &tr, NOW), 0);
	/* the key order does not matter */
	memcpy(tr.ca_pk[0], ca2_pk, GSP_PK_LEN);
	memcpy(tr.ca_pk[1], ca_pk, GSP_PK_LEN);
	assert_int_equal(gsp_cert_verify(&c1, &tr, NOW), 0);
	assert_int_equal(gsp_cert_verify(&c2, &tr, NOW), 0);
	/* the last of GSP_CA_MAX keys counts */
	memcpy(tr.ca_pk[0], other_pk, GSP_PK_LEN);
	memcpy(tr.ca_pk[1], other_pk, GSP_PK_LEN);
	memcpy(tr.ca_pk[2], other_pk, GSP_PK_LEN);
	memcpy(tr.ca_pk[3], ca2_pk, GSP_PK_LEN);
	tr.n_ca = GSP_CA_MAX;
	assert_int_equal(gsp_cert_verify(&c2, &tr, NOW), 0);
	assert_int_equal(gsp_cert_verify(&c1, &tr, NOW), GSP_ECERTSIG);
	/* n_ca counts: a key past it is not trusted */
	tr.n_ca = 3;
	assert_int_equal(gsp_cert_verify(&c2, &tr, NOW), GSP_ECERTSIG);
	/* a count past the array is bounded, not read beyond it */
	tr.n_ca = 1000;
	assert_int_equal(gsp_cert_verify(&c2, &tr, NOW), 0);
	assert_int_equal(gsp_cert_verify(&c1, &tr, NOW), GSP_ECERTSIG);
}

/* A certificate whose ca_id names another key than the one that signed
 * it: the signature is good for its bytes, but the issuer it names is not
 * the signer, and the verifier only tries the key the id names. */
static void
test_verify_ca_id(void **state)
{
	struct gsp_cert c = sample("lb1");
	struct gsp_trust tr;
	struct bb msg = { .n = 0 };

	gsp_key_id(ca2_pk, c.ca_id);
	bb_put(&msg, "pmgtm-cert-v2", 13);
	canonical(&msg, &c, false);
	assert_int_equal(crypto_sign_detached(c.sig, NULL, msg.b, msg.n, ca_sk),
			 0);
	assert_int_equal(
		crypto_sign_verify_detached(c.sig, msg.b, msg.n, ca_pk), 0);
	tr = trust_of(ca_pk, "prod");
	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), GSP_ECERTSIG);
	memcpy(tr.ca_pk[1], ca2_pk, GSP_PK_LEN);
	tr.n_ca = 2;
	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), GSP_ECERTSIG);
	/* gsp_cert_sign() names the signer again */
	assert_int_equal(gsp_cert_sign(&c, ca_sk), 0);
	assert_int_equal(gsp_cert_verify(&c, &tr, NOW), 0);
}

/* Any encoding of the right types decodes, and still verifies: the
 * signature is over our re-encoding. */
static void
test_decode_noncanonical(void **state)
{
	struct gsp_cert c = sample("lb1"), d;
	struct gsp_trust tr = trust_of(ca_pk, "prod");
	struct bb bb = { .n = 0 };

	bb_tag_be(&bb, 0xdd, 8, 4); /* array 32 */
	bb_tag_be(&bb, 0xd3, 2, 8); /* int 64 */
	bb_tag_be(&bb, 0xda, 4, 2); /* str 16 */
	bb_put(&bb, "prod", 4);
	bb_tag_be(&bb, 0xdb, 3, 4); /* str 32 */
	bb_put(&bb, "lb1", 3);
	bb_tag_be(&bb, 0xc6, GSP_PK_LEN, 4); /* bin 32 */
	bb_put(&bb, c.pk, GSP_PK_LEN);
	bb_tag_be(&bb, 0xcf, c.not_before, 8);	 /* uint 64 */
	bb_tag_be(&bb, 0xd2, c.not_after, 4);	 /* int 32, positive */
	bb_tag_be(&bb, 0xc5, GSP_KEY_ID_LEN, 2); /* bin 16 */
	bb_put(&bb, c.ca_id, GSP_KEY_ID_LEN);
	bb_tag_be(&bb, 0xc5, GSP_SIG_LEN, 2); /* bin 16 */
	bb_put(&bb, c.sig, GSP_SIG_LEN);
	assert_int_equal(gsp_cert_decode(bb.b, bb.n, &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(gsp_cert_verify(&d, &tr, NOW), 0);

	static const uint8_t tiny[] = { 0xdc, 0,    8, 0xcc, 2,	  0xd9, 1,
					'p',  0xda, 0, 1,    'x', 0xc4, 32 };
	bb.n = 0;
	bb_put(&bb, tiny, sizeof(tiny));
	bb_put(&bb, c.pk, 32);
	bb_tag_be(&bb, 0xcd, 7, 2);
	bb_tag_be(&bb, 0xd0, 9, 1);
	bb_tag_be(&bb, 0xc6, 8, 4);
	bb_put(&bb, c.ca_id, 8);
	bb_tag_be(&bb, 0xc4, 64, 1);
	bb_put(&bb, c.sig, 64);
	assert_int_equal(gsp_cert_decode(bb.b, bb.n, &d), 0);
	assert_string_equal(d.cluster, "p");
	assert_string_equal(d.name, "x");
	assert_int_equal(d.not_before, 7);
	assert_int_equal(d.not_after, 9);
	assert_memory_equal(d.ca_id, c.ca_id, 8);
}

/* One malformed variant of the "lb1" certificate. */
struct bad {
	const char *what;
	int field; /* the element (0-7 after the array header) replaced, or
		    * -1 for the whole */
	const uint8_t *bytes;
	size_t len;
};

#define B(...)                                                                 \
	(const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

static const struct bad bads[] = {
	{ "empty", -1, NULL, 0 },
	{ "nil", -1, B(0xc0) },
	{ "map", -1, B(0x80) },
	{ "array 0", -1, B(0x90) },
	{ "huge array 32", -1, B(0xdd, 0xff, 0xff, 0xff, 0xff) },
	{ "huge array 16", -1, B(0xdc, 0xff, 0xff, 0x01) },
	{ "array in array", -1, B(0x99, 0xdd, 0xff, 0xff, 0xff, 0xff) },
	{ "version 1", 0, B(0x01) },
	{ "version 3", 0, B(0x03) },
	{ "version 0", 0, B(0x00) },
	{ "version -1", 0, B(0xff) },
	{ "version int8 -2", 0, B(0xd0, 0xfe) },
	{ "version str", 0, B(0xa1, '2') },
	{ "version float", 0, B(0xca, 0x40, 0x00, 0, 0) },
	{ "version truncated uint16", 0, B(0xcd, 0x00) },
	{ "version uint16 258", 0, B(0xcd, 0x01, 0x02) },
	{ "cluster bin", 1, B(0xc4, 4, 'p', 'r', 'o', 'd') },
	{ "cluster empty", 1, B(0xa0) },
	{ "cluster upper", 1, B(0xa4, 'P', 'r', 'o', 'd') },
	{ "cluster nil", 1, B(0xc0) },
	{ "cluster str8 too long", 1, B(0xd9, 64) },
	{ "cluster missing", 1, NULL, 0 },
	{ "name bin", 2, B(0xc4, 3, 'l', 'b', '1') },
	{ "name empty", 2, B(0xa0) },
	{ "name upper", 2, B(0xa3, 'L', 'b', '1') },
	{ "name dot", 2, B(0xa3, 'l', '.', '1') },
	{ "name NUL", 2, B(0xa3, 'l', 0, '1') },
	{ "name str8 too long", 2, B(0xd9, 64) },
	{ "name str32 huge", 2, B(0xdb, 0xff, 0xff, 0xff, 0xff) },
	{ "name int", 2, B(0x01) },
	{ "pk str", 3, B(0xa2, 'a', 'b') },
	{ "pk bin 31", 3, B(0xc4, 31) },
	{ "pk bin 33", 3, B(0xc4, 33) },
	{ "pk array", 3, B(0x91, 0x00) },
	{ "not_before negative", 4, B(0xd3, 0xff, 0, 0, 0, 0, 0, 0, 0) },
	{ "not_before fixneg", 4, B(0xe0) },
	{ "not_before bool", 4, B(0xc3) },
	{ "not_after nil", 5, B(0xc0) },
	{ "not_after int16 negative", 5, B(0xd1, 0x80, 0x00) },
	{ "ca_id bin 7", 6, B(0xc4, 7, 1, 2, 3, 4, 5, 6, 7) },
	{ "ca_id bin 9", 6, B(0xc4, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9) },
	{ "ca_id bin 32", 6, B(0xc4, 32) },
	{ "ca_id empty", 6, B(0xc4, 0) },
	{ "ca_id str", 6, B(0xa8, 1, 2, 3, 4, 5, 6, 7, 8) },
	{ "ca_id uint64", 6, B(0xcf, 1, 2, 3, 4, 5, 6, 7, 8) },
	{ "ca_id missing", 6, NULL, 0 },
	{ "sig bin 63", 7, B(0xc4, 63) },
	{ "sig bin 65", 7, B(0xc4, 65) },
	{ "sig str", 7, B(0xa1, 'x') },
	{ "sig missing", 7, NULL, 0 },
};

/* Element boundaries of the canonical "lb1" certificate of "prod":
 * at[i] is where element i + 1 starts (at[0]: the cluster). */
static void
split(const struct gsp_cert *c, struct bb *full, size_t at[9])
{
	canonical(full, c, true);
	at[0] = 2;		/* after 0x98 0x02: cluster starts */
	at[1] = at[0] + 1 + 4;	/* name */
	at[2] = at[1] + 1 + 3;	/* pk */
	at[3] = at[2] + 2 + 32; /* not_before */
	at[4] = at[3] + 5;	/* not_after */
	at[5] = at[4] + 5;	/* ca_id */
	at[6] = at[5] + 2 + 8;	/* sig */
	at[7] = at[6] + 2 + 64; /* end */
	assert_int_equal(at[7], full->n);
}

static void
assert_rejected(const uint8_t *b, size_t len, const char *what)
{
	struct gsp_cert d;
	size_t i;

	memset(&d, 0xa5, sizeof(d));
	if (gsp_cert_decode(b, len, &d) != -EBADMSG)
		fail_msg("accepted: %s", what);
	for (i = 0; i < sizeof(d); i++)
		if (((uint8_t *)&d)[i])
			fail_msg("output not cleared: %s", what);
}

/* Element @field of @full replaced by @bytes. */
static void
replace(struct bb *bb, const struct bb *full, const size_t at[9], int field,
	const uint8_t *bytes, size_t len)
{
	bb->n = 0;
	if (field == 0) {
		bb_u8(bb, 0x98);
	} else {
		bb_put(bb, full->b, at[field - 1]);
	}
	if (len)
		bb_put(bb, bytes, len);
	bb_put(bb, full->b + at[field], full->n - at[field]);
}

static void
test_decode_malformed(void **state)
{
	struct gsp_cert c = sample("lb1"), d;
	struct bb full = { .n = 0 }, bb;
	size_t at[9], i, n;

	split(&c, &full, at);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		bb.n = 0;
		if (b->field < 0) {
			if (b->len)
				bb_put(&bb, b->bytes, b->len);
		} else {
			replace(&bb, &full, at, b->field, b->bytes, b->len);
		}
		assert_rejected(bb.b, bb.n, b->what);
	}

	/* every truncation, and trailing bytes */
	for (n = 0; n < full.n; n++)
		assert_rejected(full.b, n, "truncated");
	bb = full;
	bb_u8(&bb, 0x00);
	assert_rejected(bb.b, bb.n, "trailing byte");
	bb = full;
	bb_put(&bb, full.b, full.n);
	assert_rejected(bb.b, bb.n, "two certificates");

	/* arrays of 7 and of 9 */
	bb = full;
	bb.b[0] = 0x97;
	assert_rejected(bb.b, bb.n, "array of 7");
	bb.b[0] = 0x99;
	bb_u8(&bb, 0x00);
	assert_rejected(bb.b, bb.n, "array of 9");

	/* a valid prefix followed by padding up to the size limit */
	uint8_t big[GSP_CERT_DECODE_MAX + 1];
	memset(big, 0, sizeof(big));
	memcpy(big, full.b, full.n);
	assert_rejected(big, sizeof(big), "over the size limit");

	/* the original still decodes */
	assert_int_equal(gsp_cert_decode(full.b, full.n, &d), 0);
}

/* A version 1 certificate, as pmgtm wrote them before (array of six:
 * version, name, pk, not_before, not_after, sig), is refused whole. */
static void
test_decode_v1(void **state)
{
	struct gsp_cert c = sample("lb1");
	struct bb bb = { .n = 0 };

	bb_u8(&bb, 0x96);
	bb_u8(&bb, 0x01);
	bb_name(&bb, "lb1");
	bb_tag_be(&bb, 0xc4, GSP_PK_LEN, 1);
	bb_put(&bb, c.pk, GSP_PK_LEN);
	bb_tag_be(&bb, 0xce, c.not_before, 4);
	bb_tag_be(&bb, 0xce, c.not_after, 4);
	bb_tag_be(&bb, 0xc4, GSP_SIG_LEN, 1);
	bb_put(&bb, c.sig, GSP_SIG_LEN);
	assert_rejected(bb.b, bb.n, "version 1");
	/* even with the array of the current length */
	bb.b[0] = 0x98;
	assert_rejected(bb.b, bb.n, "version 1 as an array of 8");
}

static void
test_strerror(void **state)
{
	assert_string_equal(gsp_strerror(GSP_ECERTSIG),
			    "certificate not signed by this cluster's CA");
	assert_string_equal(gsp_strerror(GSP_ECERTEXPIRED),
			    "certificate expired or not yet valid");
	assert_string_equal(gsp_strerror(GSP_ECERTCLUSTER),
			    "certificate for another cluster");
	assert_string_equal(gsp_strerror(-EBADMSG), strerror(EBADMSG));
	assert_string_equal(gsp_strerror(-1050), "unknown pmgtm error");
	assert_non_null(gsp_strerror(5));
	assert_true(GSP_ECERTSIG <= GSP_ERR_FIRST &&
		    GSP_ECERTSIG >= GSP_ERR_LAST);
	assert_true(GSP_ECERTEXPIRED <= GSP_ERR_FIRST &&
		    GSP_ECERTEXPIRED >= GSP_ERR_LAST);
	assert_true(GSP_ECERTCLUSTER <= GSP_ERR_FIRST &&
		    GSP_ECERTCLUSTER >= GSP_ERR_LAST);
}

static void
test_keytext(void **state)
{
	char text[NODE_KEYTEXT_MAX], err[200], buf[300];
	uint8_t key[GSP_SK_LEN], pk[GSP_PK_LEN];
	int n;

	n = node_keytext_format(GSP_NODE_SK_HEADER, node_sk, GSP_SK_LEN, text,
				sizeof(text));
	assert_int_equal(n, 24 + 1 + 88 + 1);
	assert_int_equal(strlen(text), (size_t)n);
	assert_memory_equal(text, "pmgtm-node-secret-key-v1\n", 25);
	assert_int_equal(text[n - 1], '\n');
	assert_int_equal(node_keytext_format(GSP_NODE_SK_HEADER, node_sk,
					     GSP_SK_LEN, text, (size_t)n),
			 -ENOSPC);
	n = node_keytext_format(GSP_NODE_SK_HEADER, node_sk, GSP_SK_LEN, text,
				sizeof(text));
	assert_int_equal(node_keytext_parse(text, (size_t)n, GSP_NODE_SK_HEADER,
					    key, GSP_SK_LEN, err, sizeof(err)),
			 0);
	assert_memory_equal(key, node_sk, GSP_SK_LEN);
	/* no final newline */
	assert_int_equal(node_keytext_parse(text, (size_t)n - 1,
					    GSP_NODE_SK_HEADER, key, GSP_SK_LEN,
					    err, sizeof(err)),
			 0);

	/* CRLF and trailing blanks */
	snprintf(buf, sizeof(buf), "%s\r\n%.*s\r\n\n  \n", GSP_NODE_SK_HEADER,
		 88, text + 25);
	assert_int_equal(node_keytext_parse(buf, strlen(buf),
					    GSP_NODE_SK_HEADER, key, GSP_SK_LEN,
					    err, sizeof(err)),
			 0);

	/* another kind of key file is named */
	assert_int_equal(node_keytext_parse(text, (size_t)n, GSP_CA_SK_HEADER,
					    key, GSP_SK_LEN, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "this is a node secret key, not a CA secret "
				 "key");
	n = node_keytext_format(GSP_CA_PK_HEADER, ca_pk, GSP_PK_LEN, text,
				sizeof(text));
	assert_int_equal(n, 22 + 1 + 44 + 1);
	assert_int_equal(node_keytext_parse(text, (size_t)n, GSP_CA_PK_HEADER,
					    pk, GSP_PK_LEN, err, sizeof(err)),
			 0);
	assert_memory_equal(pk, ca_pk, GSP_PK_LEN);
	/* a public key where a secret one is expected: wrong kind, and
	 * the length would not fit either */
	assert_int_equal(node_keytext_parse(text, (size_t)n, GSP_NODE_SK_HEADER,
					    key, GSP_SK_LEN, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "a CA public key"));

	static const char *const bad[] = {
		"",
		"pmgtm-ca-public-key-v1",
		"pmgtm-ca-public-key-v1\n",
		"pmgtm-ca-public-key-v2\nAAAA\n",
		"-----BEGIN PRIVATE KEY-----\n",
		/* 31 bytes, 34 bytes */
		"pmgtm-ca-public-key-v1\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
		"pmgtm-ca-public-key-v1\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
		/* no padding, URL-safe alphabet, two lines, spaces inside */
		"pmgtm-ca-public-key-v1\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"pmgtm-ca-public-key-v1\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_=\n",
		"pmgtm-ca-public-key-v1\n"
		"AAAAAAAAAAAAAAAAAAAAAA\nAAAAAAAAAAAAAAAAAAAAA=\n",
		"pmgtm-ca-public-key-v1\n"
		"AAAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA=\n",
		" pmgtm-ca-public-key-v1\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(pk, 0xa5, sizeof(pk));
		err[0] = 0;
		if (node_keytext_parse(bad[i], strlen(bad[i]), GSP_CA_PK_HEADER,
				       pk, GSP_PK_LEN, err,
				       sizeof(err)) != -EBADMSG)
			fail_msg("accepted key text %zu", i);
		assert_true(err[0] != 0);
		for (size_t j = 0; j < sizeof(pk); j++)
			assert_int_equal(pk[j], 0);
	}
	/* the all-zero 32-byte key in a well-formed file is fine */
	static const char zero[] =
		"pmgtm-ca-public-key-v1\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		"\n";
	assert_int_equal(node_keytext_parse(zero, strlen(zero),
					    GSP_CA_PK_HEADER, pk, GSP_PK_LEN,
					    err, sizeof(err)),
			 0);
	/* a NUL inside */
	assert_int_equal(node_keytext_parse(zero, sizeof(zero),
					    GSP_CA_PK_HEADER, pk, GSP_PK_LEN,
					    err, sizeof(err)),
			 -EBADMSG);
}

/* A scratch directory for the file tests, removed by the teardown. */
static char dir[64];

static int
dir_setup(void **state)
{
	strcpy(dir, "/tmp/test_cert.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
dir_teardown(void **state)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	return rmdir(dir);
}

static const char *
path_in(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, name);
	return buf;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Nothing but the named files: no temporary file left behind. */
static void
assert_dir_holds(size_t n)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	size_t seen = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			seen++;
	closedir(d);
	assert_int_equal(seen, n);
}

static void
test_files_roundtrip(void **state)
{
	char kp[PATH_MAX], cp[PATH_MAX], pp[PATH_MAX], ap[PATH_MAX];
	char err[PATH_MAX + 200];
	uint8_t sk[GSP_SK_LEN], pk[GSP_PK_LEN];
	struct gsp_cert c = sample("lb1"), d;
	mode_t old = umask(0);

	path_in(kp, "node.key");
	path_in(cp, "node.cert");
	path_in(pp, "ca.pub");
	path_in(ap, "ca.key");
	assert_int_equal(node_key_save(kp, node_sk, 0, err, sizeof(err)), 0);
	assert_int_equal(node_ca_key_save(ap, ca_sk, 0, err, sizeof(err)), 0);
	assert_int_equal(node_ca_pub_save(pp, ca_pk, 0, err, sizeof(err)), 0);
	assert_int_equal(node_cert_save(cp, &c, 0, err, sizeof(err)), 0);
	umask(077);
	assert_int_equal(mode_of(kp), 0600);
	assert_int_equal(mode_of(ap), 0600);
	assert_int_equal(mode_of(pp), 0644);
	assert_int_equal(mode_of(cp), 0644);
	umask(old);
	assert_dir_holds(4);

	assert_int_equal(node_key_load(kp, sk, err, sizeof(err)), 0);
	assert_memory_equal(sk, node_sk, GSP_SK_LEN);
	assert_int_equal(node_ca_key_load(ap, sk, err, sizeof(err)), 0);
	assert_memory_equal(sk, ca_sk, GSP_SK_LEN);
	assert_int_equal(node_ca_pub_load(pp, pk, err, sizeof(err)), 0);
	assert_memory_equal(pk, ca_pk, GSP_PK_LEN);
	assert_int_equal(node_cert_load(cp, &d, err, sizeof(err)), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	struct gsp_trust tr = trust_of(pk, "prod");
	assert_int_equal(gsp_cert_verify(&d, &tr, NOW), 0);

	/* the wrong kind of file */
	assert_int_equal(node_ca_key_load(kp, sk, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, kp));
	assert_non_null(strstr(err, "this is a node secret key"));
	assert_int_equal(node_cert_load(kp, &d, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "not a valid pmgtm certificate"));
	assert_int_equal(node_ca_pub_load(cp, pk, err, sizeof(err)), -EBADMSG);
}

static void
test_files_refusals(void **state)
{
	char kp[PATH_MAX], cp[PATH_MAX], want[PATH_MAX + 100];
	char err[PATH_MAX + 200];
	uint8_t sk[GSP_SK_LEN], other[GSP_SK_LEN], pk[GSP_PK_LEN];
	struct gsp_cert c = sample("lb1");

	path_in(kp, "node.key");
	path_in(cp, "node.cert");
	assert_int_equal(node_key_save(kp, node_sk, 0, err, sizeof(err)), 0);

	/* no replacing without the flag; the old key stays */
	assert_int_equal(node_key_save(kp, ca_sk, 0, err, sizeof(err)),
			 -EEXIST);
	snprintf(want, sizeof(want), "%s already exists", kp);
	assert_string_equal(err, want);
	assert_int_equal(node_key_load(kp, sk, err, sizeof(err)), 0);
	assert_memory_equal(sk, node_sk, GSP_SK_LEN);
	assert_int_equal(
		node_key_save(kp, ca_sk, NODE_WRITE_FORCE, err, sizeof(err)),
		0);
	assert_int_equal(node_key_load(kp, sk, err, sizeof(err)), 0);
	assert_memory_equal(sk, ca_sk, GSP_SK_LEN);
	assert_dir_holds(1);

	/* group- or world-accessible secret keys are refused */
	assert_int_equal(chmod(kp, 0644), 0);
	memset(sk, 0xa5, sizeof(sk));
	assert_int_equal(node_key_load(kp, sk, err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want),
		 "key file %s is readable by group or others (mode 0644); "
		 "chmod 600 it",
		 kp);
	assert_string_equal(err, want);
	assert_int_equal(sk[0], 0);
	assert_int_equal(chmod(kp, 0640), 0);
	assert_int_equal(node_key_load(kp, sk, err, sizeof(err)), -EPERM);
	assert_int_equal(chmod(kp, 0602), 0);
	assert_int_equal(node_key_load(kp, sk, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "writable by group or others (mode 0602)"));
	assert_int_equal(chmod(kp, 0400), 0);
	assert_int_equal(node_key_load(kp, sk, err, sizeof(err)), 0);
	assert_int_equal(chmod(kp, 0600), 0);

	/* the kind of file is named before its mode: a CA public key
	 * (mode 0644, as written) given as the CA secret key */
	char pp[PATH_MAX];
	path_in(pp, "ca.pub");
	assert_int_equal(node_ca_pub_save(pp, ca_pk, 0, err, sizeof(err)), 0);
	assert_int_equal(mode_of(pp) & 044, 044);
	assert_int_equal(node_ca_key_load(pp, sk, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "%s: this is a CA public key, not a CA secret key", pp);
	assert_string_equal(err, want);
	assert_int_equal(node_key_load(pp, sk, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "a CA public key, not a node secret key"));
	/* a world-readable file that is no key file at all */
	assert_int_equal(node_file_write(pp, "hello\n", 6, 0644,
					 NODE_WRITE_FORCE, err, sizeof(err)),
			 0);
	assert_int_equal(node_ca_key_load(pp, sk, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "not a pmgtm key file"));
	/* the right kind with a loose mode is still refused for its mode */
	assert_int_equal(
		node_ca_key_save(pp, ca_sk, NODE_WRITE_FORCE, err, sizeof(err)),
		0);
	assert_int_equal(chmod(pp, 0644), 0);
	assert_int_equal(node_ca_key_load(pp, sk, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "chmod 600 it"));
	assert_int_equal(unlink(pp), 0);

	/* a public half that does not match its seed */
	memcpy(other, node_sk, GSP_SK_LEN);
	other[GSP_SK_LEN - 1] ^= 1;
	assert_int_equal(
		node_key_save(kp, other, NODE_WRITE_FORCE, err, sizeof(err)),
		0);
	assert_int_equal(node_key_load(kp, sk, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "corrupt key"));

	/* missing files, directories, large files */
	path_in(want, "nothing");
	assert_int_equal(node_ca_pub_load(want, pk, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(node_ca_pub_load(dir, pk, err, sizeof(err)), -EINVAL);
	static uint8_t zeros[5000];
	assert_int_equal(node_file_write(cp, zeros, sizeof(zeros), 0644, 0, err,
					 sizeof(err)),
			 0);
	assert_int_equal(node_cert_load(cp, &c, err, sizeof(err)), -EFBIG);
	assert_int_equal(node_ca_pub_load(cp, pk, err, sizeof(err)), -EFBIG);

	/* writing into a missing directory fails and leaves nothing */
	path_in(want, "nodir/node.key");
	assert_int_equal(node_key_save(want, node_sk, 0, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "cannot create a file in"));
	assert_dir_holds(2);
}

/* Writes @text to @name in the scratch directory. */
static void
write_text(const char *path, const char *text, mode_t mode)
{
	char err[PATH_MAX + 200];

	assert_int_equal(node_file_write(path, text, strlen(text), mode,
					 NODE_WRITE_FORCE, err, sizeof(err)),
			 0);
}

/* The key file text of a CA public key, appended to @out. */
static void
cat_pub(char *out, size_t cap, const uint8_t pk[GSP_PK_LEN])
{
	char text[NODE_KEYTEXT_MAX];

	assert_true(node_keytext_format(GSP_CA_PK_HEADER, pk, GSP_PK_LEN, text,
					sizeof(text)) > 0);
	assert_true(strlen(out) + strlen(text) < cap);
	strcat(out, text);
}

static void
test_ca_pubs(void **state)
{
	char pp[PATH_MAX], err[PATH_MAX + 200], text[2048];
	uint8_t pks[GSP_CA_MAX + 1][GSP_PK_LEN], k3_pk[GSP_PK_LEN],
		k3_sk[GSP_SK_LEN];
	size_t n, i;

	seed_keys(k3_pk, k3_sk, 7);
	path_in(pp, "ca.pub");

	/* one key, as pmgtmctl ca init writes it */
	assert_int_equal(node_ca_pub_save(pp, ca_pk, 0, err, sizeof(err)), 0);
	n = 99;
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		0);
	assert_int_equal(n, 1);
	assert_memory_equal(pks[0], ca_pk, GSP_PK_LEN);

	/* three keys, blank lines (and blanks on them) between, CRLF */
	text[0] = 0;
	strcat(text, "\n");
	cat_pub(text, sizeof(text), ca_pk);
	strcat(text, "\n \t\n");
	cat_pub(text, sizeof(text), ca2_pk);
	strcat(text, "\r\n");
	cat_pub(text, sizeof(text), k3_pk);
	strcat(text, "\n\n");
	write_text(pp, text, 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		0);
	assert_int_equal(n, 3);
	assert_memory_equal(pks[0], ca_pk, GSP_PK_LEN);
	assert_memory_equal(pks[1], ca2_pk, GSP_PK_LEN);
	assert_memory_equal(pks[2], k3_pk, GSP_PK_LEN);
	/* the last key without its final newline */
	text[strlen(text) - 3] = 0;
	write_text(pp, text, 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		0);
	assert_int_equal(n, 3);
	assert_memory_equal(pks[2], k3_pk, GSP_PK_LEN);

	/* GSP_CA_MAX fit; one more is refused, naming the file */
	text[0] = 0;
	for (i = 0; i < GSP_CA_MAX; i++)
		cat_pub(text, sizeof(text), i % 2 ? ca2_pk : ca_pk);
	write_text(pp, text, 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		0);
	assert_int_equal(n, GSP_CA_MAX);
	cat_pub(text, sizeof(text), k3_pk);
	write_text(pp, text, 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		-EBADMSG);
	assert_non_null(strstr(err, pp));
	assert_non_null(strstr(err, "more than 4 CA keys"));
	/* the caller's bound is the one applied */
	assert_int_equal(node_ca_pubs_load(pp, pks, 2, &n, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "more than 2 CA keys"));

	/* a header with no key after it */
	text[0] = 0;
	cat_pub(text, sizeof(text), ca_pk);
	strcat(text, "\n" GSP_CA_PK_HEADER "\n");
	write_text(pp, text, 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		-EBADMSG);
	assert_non_null(strstr(err, pp));
	assert_non_null(strstr(err, "a CA key header without its key"));
	/* a header, a blank line, then its key: the blank line does not
	 * split a block, the key is read */
	text[0] = 0;
	strcat(text, GSP_CA_PK_HEADER "\n\n");
	cat_pub(text, sizeof(text), ca_pk);
	write_text(pp, text, 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		-EBADMSG);
	assert_non_null(strstr(err, "key 1"));

	/* a CA secret key given as the CA's public key */
	assert_int_equal(
		node_ca_key_save(pp, ca_sk, NODE_WRITE_FORCE, err, sizeof(err)),
		0);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		-EBADMSG);
	assert_non_null(strstr(err, pp));
	assert_non_null(strstr(err, "key 1: this is a CA secret key, not a CA "
				    "public key"));
	/* the second of two keys broken: it is the one named */
	text[0] = 0;
	cat_pub(text, sizeof(text), ca_pk);
	strcat(text, GSP_CA_PK_HEADER "\nAAAA\n");
	write_text(pp, text, 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		-EBADMSG);
	assert_non_null(strstr(err, "key 2:"));

	/* empty, blank only, missing */
	write_text(pp, "", 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		-EBADMSG);
	assert_non_null(strstr(err, "no CA public key"));
	assert_int_equal(n, 0);
	write_text(pp, "\n  \n\r\n", 0644);
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		-EBADMSG);
	assert_non_null(strstr(err, "no CA public key"));
	path_in(pp, "missing.pub");
	assert_int_equal(
		node_ca_pubs_load(pp, pks, GSP_CA_MAX, &n, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, pp));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_issue_fields),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_encode_max),
		cmocka_unit_test(test_signed_bytes),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_cluster),
		cmocka_unit_test(test_verify_several_cas),
		cmocka_unit_test(test_verify_ca_id),
		cmocka_unit_test(test_decode_noncanonical),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_decode_v1),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_keytext),
		cmocka_unit_test_setup_teardown(test_files_roundtrip, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_files_refusals, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_ca_pubs, dir_setup,
						dir_teardown),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
