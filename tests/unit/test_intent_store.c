/*
 * The intents file: saved, loaded back, and a corrupt one moved aside with
 * a clear error, never a crash and never silently dropped.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/gossip.h"
#include "node/cluster/intent_store.h"

static const struct gsp_now T = { .ms = 1000, .unix_s = 1800000000 };

static void
fill(void *ctx, void *buf, size_t n)
{
	memset(buf, 7, n);
}

/* A node "lb1" certified by a fixed CA. */
static struct gsp *
node(void)
{
	uint8_t ca_pk[32], ca_sk[64], pk[32], sk[64], seed[32] = { 1 };
	uint8_t cert[GSP_CERT_MAX];
	struct gsp_cert c;
	size_t clen;
	struct gsp *g = NULL;

	crypto_sign_seed_keypair(ca_pk, ca_sk, seed);
	seed[0] = 2;
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_int_equal(
		gsp_cert_issue(&c, "t", "lb1", pk, T.unix_s, 30 * 86400, ca_sk),
		0);
	assert_int_equal(gsp_cert_encode(&c, cert, sizeof(cert), &clen), 0);
	struct gsp_self self = {
		.cluster = "t",
		.name = "lb1",
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
	assert_int_equal(gsp_new(&self, T, &g), 0);
	return g;
}

static char dir[64];

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/pmgtm-test-intents-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
count_aside(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "intents.corrupt-", 16) == 0;
	if (d)
		closedir(d);
	return n;
}

static void
write_file(const char *name, const void *data, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
test_round_trip(void **state)
{
	struct gsp *a = node(), *b = node();
	char err[512];
	struct gsp_intent in;

	assert_true(gsp_drain(a, T, "lb2", true, "alice", "upgrade", 0) > 0);
	assert_true(gsp_drain(a, T, "lb3", true, "bob", "", T.unix_s + 60) > 0);
	assert_int_equal(node_intents_save(dir, a, err, sizeof(err)), 0);
	assert_int_equal(node_intents_load(dir, b, T, err, sizeof(err)), 2);
	assert_string_equal(err, "");
	assert_true(gsp_intent_get(b, T, "lb2", &in));
	assert_true(in.effective);
	assert_string_equal(in.user, "alice");
	assert_string_equal(in.reason, "upgrade");
	assert_true(gsp_drained(b, T, "lb3"));
	assert_int_equal(gsp_intent_digest(a), gsp_intent_digest(b));
	gsp_free(a);
	gsp_free(b);
}

static void
test_missing_file(void **state)
{
	struct gsp *g = node();
	char err[512];
	char path[256];

	snprintf(path, sizeof(path), "%s/intents", dir);
	unlink(path);
	assert_int_equal(node_intents_load(dir, g, T, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	gsp_free(g);
}

static void
test_corrupt_moved_aside(void **state)
{
	struct gsp *g = node();
	char err[512];
	int before = count_aside();

	write_file("intents", "garbage\n", 8);
	assert_int_equal(node_intents_load(dir, g, T, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "moved to"));
	assert_int_equal(count_aside(), before + 1);

	/* A bounded-scan bomb is no better. */
	write_file("intents", "PI\x01\xdd\xff\xff\xff\xff", 8);
	struct gsp_now later = T;
	later.unix_s++; /* another name for the file moved aside */
	assert_int_equal(node_intents_load(dir, g, later, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not an intents file"));
	assert_int_equal(count_aside(), before + 2);
	gsp_free(g);
}

static void
test_tampered_record(void **state)
{
	struct gsp *a = node(), *b = node();
	char err[512], path[256];
	uint8_t buf[8192];

	assert_true(gsp_drain(a, T, "lb2", true, "alice", "x", 0) > 0);
	assert_true(gsp_drain(a, T, "lb3", true, "alice", "y", 0) > 0);
	assert_int_equal(node_intents_save(dir, a, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/intents", dir);
	FILE *f = fopen(path, "rb");
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* Flip a byte of the last record's signature. */
	buf[n - 10] ^= 1;
	write_file("intents", buf, n);
	struct gsp_now later = T;
	later.unix_s += 2;
	int before = count_aside();
	assert_int_equal(node_intents_load(dir, b, later, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "1 intents do not verify"));
	assert_int_equal(count_aside(), before + 1);
	gsp_free(a);
	gsp_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_corrupt_moved_aside),
		cmocka_unit_test(test_tampered_record),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
