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

static struct gsp_cert
sample(const char *name)
{
	struct gsp_cert c;

	assert_int_equal(gsp_cert_issue(&c, name, node_pk, NOW, 365, ca_sk), 0);
	return c;
}

/* The canonical encoding of @c, written out by hand for these values. */
static void
canonical(struct bb *bb, const struct gsp_cert *c, bool with_sig)
{
	size_t n = strlen(c->name);

	bb_u8(bb, with_sig ? 0x96 : 0x95);
	bb_u8(bb, 0x01);
	if (n < 32)
		bb_u8(bb, (uint8_t)(0xa0 | n));
	else
		bb_tag_be(bb, 0xd9, n, 1);
	bb_put(bb, c->name, n);
	bb_tag_be(bb, 0xc4, GSP_PK_LEN, 1);
	bb_put(bb, c->pk, GSP_PK_LEN);
	assert_true(c->not_before > UINT16_MAX && c->not_after <= UINT32_MAX);
	bb_tag_be(bb, 0xce, c->not_before, 4);
	bb_tag_be(bb, 0xce, c->not_after, 4);
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

static void
test_issue_fields(void **state)
{
	struct gsp_cert c = sample("lb1");

	assert_string_equal(c.name, "lb1");
	assert_memory_equal(c.pk, node_pk, GSP_PK_LEN);
	assert_int_equal(c.not_before, NOW - 300);
	assert_int_equal(c.not_after, NOW + 365 * 86400ull);

	/* early clocks do not wrap */
	assert_int_equal(gsp_cert_issue(&c, "a", node_pk, 100, 1, ca_sk), 0);
	assert_int_equal(c.not_before, 0);
	assert_int_equal(c.not_after, 100 + 86400);

	/* refusals zero the output */
	memset(&c, 0xff, sizeof(c));
	assert_int_equal(gsp_cert_issue(&c, "LB1", node_pk, NOW, 1, ca_sk),
			 -EINVAL);
	assert_true(c.name[0] == 0 && c.not_after == 0 && c.sig[0] == 0);
	assert_int_equal(gsp_cert_issue(&c, "lb1", node_pk, NOW, 0, ca_sk),
			 -EINVAL);
	assert_int_equal(gsp_cert_issue(&c, "lb1", node_pk, NOW,
					GSP_CERT_DAYS_MAX + 1, ca_sk),
			 -EINVAL);
	assert_int_equal(gsp_cert_issue(&c, "lb1", node_pk, UINT64_MAX - 86399,
					1, ca_sk),
			 -EINVAL);
	assert_int_equal(gsp_cert_issue(&c, "lb1", node_pk, UINT64_MAX - 86400,
					1, ca_sk),
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
	assert_memory_equal(out, "\x96\x01\xa3lb1\xc4\x20", 8);

	/* every smaller buffer is too small, and says so */
	for (cap = 0; cap < want.n; cap++)
		assert_int_equal(gsp_cert_encode(&c, out, cap, &len), -ENOSPC);

	assert_int_equal(gsp_cert_decode(out, want.n, &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));
}

/* The largest certificate fits GSP_CERT_MAX_LEN exactly. */
static void
test_encode_max(void **state)
{
	struct gsp_cert c, d;
	uint8_t out[GSP_CERT_MAX_LEN];
	size_t len;

	memset(&c, 0, sizeof(c));
	memset(c.name, 'z', GSP_NAME_MAX);
	c.not_before = UINT64_MAX - 1;
	c.not_after = UINT64_MAX;
	assert_int_equal(gsp_cert_sign(&c, ca_sk), 0);
	assert_int_equal(gsp_cert_encode(&c, out, sizeof(out), &len), 0);
	assert_int_equal(len, GSP_CERT_MAX_LEN);
	assert_int_equal(gsp_cert_decode(out, len, &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(gsp_cert_verify(&d, ca_pk, UINT64_MAX), 0);

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
}

/* The signature covers "pmgtm-cert-v1" and the array of five, as built by
 * hand: checked with libsodium directly, not through gsp_cert_verify(). */
static void
test_signed_bytes(void **state)
{
	struct gsp_cert c = sample("lb-two");
	struct bb msg = { .n = 0 };

	bb_put(&msg, "pmgtm-cert-v1", 13);
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

	assert_int_equal(gsp_cert_verify(&c, ca_pk, NOW), 0);
	assert_int_equal(gsp_cert_verify(&c, ca_pk, c.not_before), 0);
	assert_int_equal(gsp_cert_verify(&c, ca_pk, c.not_after), 0);
	assert_int_equal(gsp_cert_verify(&c, ca_pk, c.not_before - 1),
			 GSP_ECERTEXPIRED);
	assert_int_equal(gsp_cert_verify(&c, ca_pk, c.not_after + 1),
			 GSP_ECERTEXPIRED);
	assert_int_equal(gsp_cert_verify(&c, ca_pk, 0), GSP_ECERTEXPIRED);

	/* another CA */
	assert_int_equal(gsp_cert_verify(&c, ca2_pk, NOW), GSP_ECERTSIG);
	/* the signature is checked before the times */
	assert_int_equal(gsp_cert_verify(&c, ca2_pk, 0), GSP_ECERTSIG);

	/* every field is covered */
	t = c;
	t.name[2] = '2';
	assert_int_equal(gsp_cert_verify(&t, ca_pk, NOW), GSP_ECERTSIG);
	t = c;
	t.pk[31] ^= 1;
	assert_int_equal(gsp_cert_verify(&t, ca_pk, NOW), GSP_ECERTSIG);
	t = c;
	t.not_before--;
	assert_int_equal(gsp_cert_verify(&t, ca_pk, NOW), GSP_ECERTSIG);
	t = c;
	t.not_after++;
	assert_int_equal(gsp_cert_verify(&t, ca_pk, NOW), GSP_ECERTSIG);
	t = c;
	t.sig[0] ^= 0x80;
	assert_int_equal(gsp_cert_verify(&t, ca_pk, NOW), GSP_ECERTSIG);
	t = c;
	strcpy(t.name, "LB1");
	assert_int_equal(gsp_cert_verify(&t, ca_pk, NOW), GSP_ECERTSIG);

	/* a certificate the other CA signed for the same key */
	assert_int_equal(gsp_cert_issue(&t, "lb1", node_pk, NOW, 365, ca2_sk),
			 0);
	assert_int_equal(gsp_cert_verify(&t, ca2_pk, NOW), 0);
	assert_int_equal(gsp_cert_verify(&t, ca_pk, NOW), GSP_ECERTSIG);
}

/* Any encoding of the right types decodes, and still verifies: the
 * signature is over our re-encoding. */
static void
test_decode_noncanonical(void **state)
{
	struct gsp_cert c = sample("lb1"), d;
	struct bb bb = { .n = 0 };

	bb_tag_be(&bb, 0xdd, 6, 4); /* array 32 */
	bb_tag_be(&bb, 0xd3, 1, 8); /* int 64 */
	bb_tag_be(&bb, 0xdb, 3, 4); /* str 32 */
	bb_put(&bb, "lb1", 3);
	bb_tag_be(&bb, 0xc6, GSP_PK_LEN, 4); /* bin 32 */
	bb_put(&bb, c.pk, GSP_PK_LEN);
	bb_tag_be(&bb, 0xcf, c.not_before, 8); /* uint 64 */
	bb_tag_be(&bb, 0xd2, c.not_after, 4);  /* int 32, positive */
	bb_tag_be(&bb, 0xc5, GSP_SIG_LEN, 2);  /* bin 16 */
	bb_put(&bb, c.sig, GSP_SIG_LEN);
	assert_int_equal(gsp_cert_decode(bb.b, bb.n, &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(gsp_cert_verify(&d, ca_pk, NOW), 0);

	static const uint8_t tiny[] = { 0xdc, 0, 6,   0xcc, 1, 0xda,
					0,    1, 'x', 0xc4, 32 };
	bb.n = 0;
	bb_put(&bb, tiny, sizeof(tiny));
	bb_put(&bb, c.pk, 32);
	bb_tag_be(&bb, 0xcd, 7, 2);
	bb_tag_be(&bb, 0xd0, 9, 1);
	bb_tag_be(&bb, 0xc4, 64, 1);
	bb_put(&bb, c.sig, 64);
	assert_int_equal(gsp_cert_decode(bb.b, bb.n, &d), 0);
	assert_string_equal(d.name, "x");
	assert_int_equal(d.not_before, 7);
	assert_int_equal(d.not_after, 9);
}

/* One malformed variant of the "lb1" certificate. */
struct bad {
	const char *what;
	int field; /* the element (0-5) replaced, or -1 for the whole */
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
	{ "array in array", -1, B(0x96, 0xdd, 0xff, 0xff, 0xff, 0xff) },
	{ "version 2", 0, B(0x02) },
	{ "version 0", 0, B(0x00) },
	{ "version -1", 0, B(0xff) },
	{ "version int8 -1", 0, B(0xd0, 0xff) },
	{ "version str", 0, B(0xa1, '1') },
	{ "version float", 0, B(0xca, 0x3f, 0x80, 0, 0) },
	{ "version truncated uint16", 0, B(0xcd, 0x00) },
	{ "name bin", 1, B(0xc4, 3, 'l', 'b', '1') },
	{ "name empty", 1, B(0xa0) },
	{ "name upper", 1, B(0xa3, 'L', 'b', '1') },
	{ "name dot", 1, B(0xa3, 'l', '.', '1') },
	{ "name NUL", 1, B(0xa3, 'l', 0, '1') },
	{ "name str8 too long", 1, B(0xd9, 64) },
	{ "name str32 huge", 1, B(0xdb, 0xff, 0xff, 0xff, 0xff) },
	{ "name int", 1, B(0x01) },
	{ "pk str", 2, B(0xa2, 'a', 'b') },
	{ "pk bin 31", 2, B(0xc4, 31) },
	{ "pk bin 33", 2, B(0xc4, 33) },
	{ "pk array", 2, B(0x91, 0x00) },
	{ "not_before negative", 3, B(0xd3, 0xff, 0, 0, 0, 0, 0, 0, 0) },
	{ "not_before fixneg", 3, B(0xe0) },
	{ "not_before bool", 3, B(0xc3) },
	{ "not_after nil", 4, B(0xc0) },
	{ "not_after int16 negative", 4, B(0xd1, 0x80, 0x00) },
	{ "sig bin 63", 5, B(0xc4, 63) },
	{ "sig bin 65", 5, B(0xc4, 65) },
	{ "sig str", 5, B(0xa1, 'x') },
	{ "sig missing", 5, NULL, 0 },
};

/* Element boundaries of the canonical "lb1" certificate. */
static void
split(const struct gsp_cert *c, struct bb *full, size_t at[7])
{
	canonical(full, c, true);
	at[0] = 2;		/* after 0x96 0x01: name starts */
	at[1] = at[0] + 1 + 3;	/* pk */
	at[2] = at[1] + 2 + 32; /* not_before */
	at[3] = at[2] + 5;	/* not_after */
	at[4] = at[3] + 5;	/* sig */
	at[5] = at[4] + 2 + 64; /* end */
	assert_int_equal(at[5], full->n);
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

static void
test_decode_malformed(void **state)
{
	struct gsp_cert c = sample("lb1");
	struct bb full = { .n = 0 }, bb;
	size_t at[7], i, n;

	split(&c, &full, at);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		bb.n = 0;
		if (b->field < 0) {
			if (b->len)
				bb_put(&bb, b->bytes, b->len);
		} else if (b->field == 0) {
			bb_u8(&bb, 0x96);
			if (b->len)
				bb_put(&bb, b->bytes, b->len);
			bb_put(&bb, full.b + at[0], full.n - at[0]);
		} else {
			bb_put(&bb, full.b, at[b->field - 1]);
			if (b->len)
				bb_put(&bb, b->bytes, b->len);
			bb_put(&bb, full.b + at[b->field],
			       full.n - at[b->field]);
		}
		assert_rejected(bb.b, bb.n, b->what);
	}

	/* every truncation, and one byte more */
	for (n = 0; n < full.n; n++)
		assert_rejected(full.b, n, "truncated");
	bb = full;
	bb_u8(&bb, 0x00);
	assert_rejected(bb.b, bb.n, "trailing byte");

	/* array of 5 and of 7 */
	bb = full;
	bb.b[0] = 0x95;
	assert_rejected(bb.b, bb.n, "array of 5");
	bb.b[0] = 0x97;
	bb_u8(&bb, 0x00);
	assert_rejected(bb.b, bb.n, "array of 7");

	/* a valid prefix followed by padding up to the size limit */
	uint8_t big[GSP_CERT_DECODE_MAX + 1];
	memset(big, 0, sizeof(big));
	memcpy(big, full.b, full.n);
	assert_rejected(big, sizeof(big), "over the size limit");

	/* the original still decodes */
	struct gsp_cert d;
	assert_int_equal(gsp_cert_decode(full.b, full.n, &d), 0);
}

static void
test_strerror(void **state)
{
	assert_string_equal(gsp_strerror(GSP_ECERTSIG),
			    "certificate not signed by this cluster's CA");
	assert_string_equal(gsp_strerror(GSP_ECERTEXPIRED),
			    "certificate expired or not yet valid");
	assert_string_equal(gsp_strerror(-EBADMSG), strerror(EBADMSG));
	assert_string_equal(gsp_strerror(-1050), "unknown pmgtm error");
	assert_non_null(gsp_strerror(5));
	assert_true(GSP_ECERTSIG <= GSP_ERR_FIRST &&
		    GSP_ECERTSIG >= GSP_ERR_LAST);
	assert_true(GSP_ECERTEXPIRED <= GSP_ERR_FIRST &&
		    GSP_ECERTEXPIRED >= GSP_ERR_LAST);
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
	assert_int_equal(gsp_cert_verify(&d, pk, NOW), 0);

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_issue_fields),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_encode_max),
		cmocka_unit_test(test_signed_bytes),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_decode_noncanonical),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_keytext),
		cmocka_unit_test_setup_teardown(test_files_roundtrip, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_files_refusals, dir_setup,
						dir_teardown),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
