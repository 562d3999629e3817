/*
 * Revocations (gossip/revoke.c): records the CA signs to void the
 * certificates of a node name or of one key, read back against a trust,
 * and which certificates they cover.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/error.h"
#include "gossip/revoke.h"

#define AT 1764241200u /* 2025-11-27T11:00:00Z */

static uint8_t ca_pk[GSP_PK_LEN], ca_sk[GSP_SK_LEN];
static uint8_t ca2_pk[GSP_PK_LEN], ca2_sk[GSP_SK_LEN];
static uint8_t k1_pk[GSP_PK_LEN], k1_sk[GSP_SK_LEN];
static uint8_t k2_pk[GSP_PK_LEN], k2_sk[GSP_SK_LEN];

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
	(void)state;
	if (sodium_init() < 0)
		return -1;
	seed_keys(ca_pk, ca_sk, 1);
	seed_keys(ca2_pk, ca2_sk, 2);
	seed_keys(k1_pk, k1_sk, 3);
	seed_keys(k2_pk, k2_sk, 4);
	return 0;
}

static struct gsp_revocation
rv_of(const char *cluster, const char *name, const uint8_t *pk, uint64_t at)
{
	struct gsp_revocation rv;

	memset(&rv, 0, sizeof(rv));
	strcpy(rv.cluster, cluster);
	strcpy(rv.name, name);
	rv.any_key = pk == NULL;
	if (pk)
		gsp_key_id(pk, rv.key_id);
	rv.revoked_at = at;
	return rv;
}

static struct gsp_trust
trust_of(const uint8_t *pk, const char *cluster)
{
	struct gsp_trust t;

	gsp_trust_one(&t, pk, cluster);
	return t;
}

static void
test_roundtrip(void **state)
{
	struct gsp_revocation rv = rv_of("prod", "lb1", k1_pk, AT), back;
	struct gsp_trust t = trust_of(ca_pk, "prod");
	uint8_t buf[512], buf2[512];
	size_t len, len2;

	(void)state;
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf, sizeof(buf), &len), 0);
	assert_true(len > 0 && len <= sizeof(buf));
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(gsp_revocation_read(buf, len, &t, &back), 0);
	assert_string_equal(back.cluster, "prod");
	assert_string_equal(back.name, "lb1");
	assert_false(back.any_key);
	assert_memory_equal(back.key_id, rv.key_id, GSP_KEY_ID_LEN);
	assert_int_equal(back.revoked_at, AT);
	/* deterministic: the same revocation gives the same bytes */
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf2, sizeof(buf2), &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(buf, buf2, len);

	/* every key of the name: no key id travels */
	rv = rv_of("prod", "lb2", NULL, AT);
	memset(rv.key_id, 0x77, sizeof(rv.key_id));
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf2, sizeof(buf2), &len2), 0);
	assert_int_equal(len2, len - GSP_KEY_ID_LEN);
	assert_int_equal(gsp_revocation_read(buf2, len2, &t, &back), 0);
	assert_true(back.any_key);
	assert_string_equal(back.name, "lb2");
	for (size_t i = 0; i < GSP_KEY_ID_LEN; i++)
		assert_int_equal(back.key_id[i], 0);

	/* a trust for any cluster reads it too */
	t = trust_of(ca_pk, "");
	assert_int_equal(gsp_revocation_read(buf, len, &t, &back), 0);
	assert_string_equal(back.cluster, "prod");
}

static void
test_make_refusals(void **state)
{
	struct gsp_revocation rv;
	uint8_t buf[512];
	size_t len = 99, cap;

	(void)state;
	rv = rv_of("prod", "lb1", NULL, 0);
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf, sizeof(buf), &len),
		-EINVAL);
	assert_int_equal(len, 0);
	rv = rv_of("Prod", "lb1", NULL, AT);
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf, sizeof(buf), &len),
		-EINVAL);
	rv = rv_of("prod", "lb_1", NULL, AT);
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf, sizeof(buf), &len),
		-EINVAL);
	rv = rv_of("", "lb1", NULL, AT);
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf, sizeof(buf), &len),
		-EINVAL);
	/* too small a buffer says so */
	rv = rv_of("prod", "lb1", k1_pk, AT);
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf, sizeof(buf), &len), 0);
	cap = len - 1;
	assert_int_equal(gsp_revocation_make(&rv, ca_sk, buf, cap, &len),
			 -ENOSPC);
}

static void
test_read_refusals(void **state)
{
	struct gsp_revocation rv = rv_of("prod", "lb1", k1_pk, AT), back;
	struct gsp_trust t;
	uint8_t buf[512], bad[512];
	size_t len, i;

	(void)state;
	assert_int_equal(
		gsp_revocation_make(&rv, ca_sk, buf, sizeof(buf), &len), 0);

	/* another CA */
	t = trust_of(ca2_pk, "prod");
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(gsp_revocation_read(buf, len, &t, &back),
			 GSP_ECERTSIG);
	assert_int_equal(back.name[0], 0);
	assert_int_equal(back.revoked_at, 0);
	/* ... unless it is one of several trusted */
	memcpy(t.ca_pk[1], ca_pk, GSP_PK_LEN);
	t.n_ca = 2;
	assert_int_equal(gsp_revocation_read(buf, len, &t, &back), 0);
	t.n_ca = 1;
	assert_int_equal(gsp_revocation_read(buf, len, &t, &back),
			 GSP_ECERTSIG);

	/* another cluster's, signed by our CA */
	t = trust_of(ca_pk, "staging");
	assert_int_equal(gsp_revocation_read(buf, len, &t, &back),
			 GSP_ECERTCLUSTER);
	assert_int_equal(back.name[0], 0);

	/* a node's key signing it is not the CA */
	t = trust_of(ca_pk, "prod");
	size_t len2;
	assert_int_equal(
		gsp_revocation_make(&rv, k1_sk, bad, sizeof(bad), &len2), 0);
	assert_int_equal(gsp_revocation_read(bad, len2, &t, &back),
			 GSP_ECERTSIG);

	/* any bit flipped: refused as malformed or as unsigned */
	for (i = 0; i < len; i++) {
		memcpy(bad, buf, len);
		bad[i] ^= 0x01;
		int rc = gsp_revocation_read(bad, len, &t, &back);
		if (rc != -EBADMSG && rc != GSP_ECERTSIG &&
		    rc != GSP_ECERTCLUSTER)
			fail_msg("bit flip at %zu: %d", i, rc);
	}
	/* truncated, trailing byte, empty */
	for (i = 0; i < len; i++)
		assert_int_not_equal(gsp_revocation_read(buf, i, &t, &back), 0);
	memcpy(bad, buf, len);
	bad[len] = 0;
	assert_int_not_equal(gsp_revocation_read(bad, len + 1, &t, &back), 0);
	assert_int_equal(gsp_revocation_read(NULL, 0, &t, &back), -EBADMSG);
}

static void
test_covers_key_id(void **state)
{
	struct gsp_revocation rv = rv_of("prod", "lb1", k1_pk, AT);

	(void)state;
	/* that name and that key, whenever the certificate was issued */
	assert_true(gsp_revocation_covers(&rv, "lb1", k1_pk, AT - 86400));
	assert_true(gsp_revocation_covers(&rv, "lb1", k1_pk, AT + 86400));
	/* another key of the same name: a renewal with a new key */
	assert_false(gsp_revocation_covers(&rv, "lb1", k2_pk, AT - 86400));
	/* the same key under another name */
	assert_false(gsp_revocation_covers(&rv, "lb2", k1_pk, AT - 86400));
	assert_false(gsp_revocation_covers(&rv, "lb", k1_pk, AT - 86400));
	assert_false(gsp_revocation_covers(&rv, "lb11", k1_pk, AT - 86400));
}

static void
test_covers_any_key(void **state)
{
	struct gsp_revocation rv = rv_of("prod", "lb1", NULL, AT);

	(void)state;
	/* every key of the name issued up to revoked_at: a certificate's
	 * not_before is its issue time less the skew allowance */
	assert_true(gsp_revocation_covers(&rv, "lb1", k1_pk, AT - 86400));
	assert_true(gsp_revocation_covers(&rv, "lb1", k2_pk, AT - 86400));
	assert_true(
		gsp_revocation_covers(&rv, "lb1", k1_pk, AT - GSP_CERT_SKEW));
	/* issued after the revocation: a new certificate, not covered */
	assert_false(gsp_revocation_covers(&rv, "lb1", k1_pk,
					   AT - GSP_CERT_SKEW + 1));
	assert_false(gsp_revocation_covers(&rv, "lb1", k2_pk, AT + 86400));
	/* another name */
	assert_false(gsp_revocation_covers(&rv, "lb2", k1_pk, AT - 86400));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_make_refusals),
		cmocka_unit_test(test_read_refusals),
		cmocka_unit_test(test_covers_key_id),
		cmocka_unit_test(test_covers_any_key),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
