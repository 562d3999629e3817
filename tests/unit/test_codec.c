/*
 * Gossip wire format: records, envelopes, sealing, and a table of
 * malformed inputs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "gossip/codec.h"
#include "gossip/seal.h"

static uint8_t sk[64], pk[32];

static int
setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(pk, sk);
	return 0;
}

static void
sample(struct gsp_record *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = GSP_REC_ALIVE;
	strcpy(r->subject, "lb1");
	strcpy(r->author, "lb1");
	r->gen = 1795778948;
	r->inc = 3;
	r->n_addrs = 2;
	r->addrs[0].family = 4;
	memcpy(r->addrs[0].bytes, "\xc6\x33\x64\x0a", 4);
	r->addrs[1].family = 6;
	r->addrs[1].bytes[0] = 0x20;
	strcpy(r->ns_name, "lb1.api.example.com");
	r->gossip.ip.family = 4;
	memcpy(r->gossip.ip.bytes, "\x7f\0\0\x1f", 4);
	r->gossip.port = 7946;
	r->cert_len = 100;
	memset(r->cert, 0x5a, 100);
}

static void
test_record_round_trip(void **state)
{
	struct gsp_record r, d;
	uint8_t buf[GSP_REC_MAX];
	size_t len;

	sample(&r);
	assert_int_equal(gsp_record_encode(&r, sk, buf, sizeof(buf), &len), 0);
	assert_int_equal(gsp_record_decode(buf, len, &d), 0);
	assert_int_equal(gsp_record_check(&d, pk), 0);
	assert_int_equal(d.kind, GSP_REC_ALIVE);
	assert_string_equal(d.subject, "lb1");
	assert_int_equal(d.gen, r.gen);
	assert_int_equal(d.inc, 3);
	assert_int_equal(d.n_addrs, 2);
	assert_memory_equal(&d.addrs[0], &r.addrs[0], sizeof(r.addrs[0]));
	assert_memory_equal(&d.addrs[1], &r.addrs[1], sizeof(r.addrs[1]));
	assert_string_equal(d.ns_name, "lb1.api.example.com");
	assert_int_equal(d.gossip.port, 7946);
	assert_int_equal(d.cert_len, 100);

	/* Any flipped byte breaks the signature or the decoding. */
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		int ok = gsp_record_decode(buf, len, &d) == 0 &&
			 gsp_record_check(&d, pk) == 0;
		assert_false(ok);
		buf[i] ^= 0x01;
	}

	r.kind = GSP_REC_SUSPECT;
	strcpy(r.author, "lb2");
	assert_int_equal(gsp_record_encode(&r, sk, buf, sizeof(buf), &len), 0);
	assert_int_equal(gsp_record_decode(buf, len, &d), 0);
	assert_int_equal(d.kind, GSP_REC_SUSPECT);
	assert_string_equal(d.author, "lb2");
	assert_int_equal(d.n_addrs, 0);
}

/* An intent's version and a row's number keep their wire places: the
 * generation and the incarnation. */
static void
test_intent_and_row_numbers(void **state)
{
	struct gsp_record r, d;
	uint8_t buf[GSP_REC_MAX];
	size_t len;

	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_INTENT;
	strcpy(r.subject, "lb2");
	strcpy(r.author, "lb1");
	gsp_record_set_intent_version(&r, UINT64_C(1882135491) << 20);
	r.issued_at = 1795778948;
	r.cert_len = 100;
	memset(r.cert, 0x5a, 100);
	assert_int_equal(gsp_record_encode(&r, sk, buf, sizeof(buf), &len), 0);
	assert_int_equal(gsp_record_decode(buf, len, &d), 0);
	assert_int_equal(gsp_record_intent_version(&d), UINT64_C(1882135491)
								<< 20);
	assert_int_equal(d.gen, UINT64_C(1882135491) << 20);
	assert_int_equal(d.inc, 0);

	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_ROW;
	strcpy(r.subject, "lb1");
	strcpy(r.author, "lb1");
	r.gen = 1795778948;
	gsp_record_set_row_number(&r, 42);
	r.observed_at = 1795778950;
	assert_int_equal(gsp_record_encode(&r, sk, buf, sizeof(buf), &len), 0);
	assert_int_equal(gsp_record_decode(buf, len, &d), 0);
	assert_int_equal(gsp_record_row_number(&d), 42);
	assert_int_equal(d.gen, 1795778948);
	assert_int_equal(d.inc, 42);
}

static void
test_msg_round_trip(void **state)
{
	struct gsp_record r;
	uint8_t rec[GSP_REC_MAX], pkt[4096];
	size_t rlen, len;
	struct gsp_msg m;

	sample(&r);
	assert_int_equal(gsp_record_encode(&r, sk, rec, sizeof(rec), &rlen), 0);
	const uint8_t *recs[2] = { rec, rec };
	size_t lens[2] = { rlen, rlen };
	assert_int_equal(gsp_msg_encode("prod", "lb1", GSP_MSG_PING_REQ, 77,
					"lb3", 0, recs, lens, 2, sk, pkt,
					sizeof(pkt), &len),
			 0);
	memset(&m, 0, sizeof(m));
	assert_int_equal(gsp_msg_decode(pkt, len, &m), 0);
	assert_int_equal(gsp_msg_check(&m, pk), 0);
	assert_string_equal(m.cluster, "prod");
	assert_string_equal(m.sender, "lb1");
	assert_int_equal(m.type, GSP_MSG_PING_REQ);
	assert_int_equal(m.seq, 77);
	assert_string_equal(m.target, "lb3");
	assert_int_equal(m.n_recs, 2);
	assert_int_equal(m.rec_len[1], rlen);
	assert_memory_equal(m.recs[1], rec, rlen);
	gsp_msg_fini(&m);

	/* Too small a buffer is an error, not an overflow. */
	assert_int_equal(gsp_msg_encode("prod", "lb1", GSP_MSG_PING, 1, "", 0,
					recs, lens, 2, sk, pkt, 200, &len),
			 -ENOSPC);
}

static void
test_malformed(void **state)
{
	static const struct {
		const char *what;
		const char *bytes;
		size_t len;
	} cases[] = {
		{ "empty", "", 0 },
		{ "header only", "PG\x01", 3 },
		{ "bad magic", "XG\x01\x92\xc4\x00\xc4\x00", 8 },
		{ "unknown version", "PG\x02\x92\xc4\x00\xc4\x00", 8 },
		{ "array bomb", "PG\x01\xdd\x10\x00\x00\x00", 8 },
		{ "map bomb", "PG\x01\xdf\xff\xff\xff\xff\x00", 9 },
		{ "bin past the end", "PG\x01\x92\xc6\x00\x00\xff\xff", 9 },
		{ "short signature", "PG\x01\x92\xc4\x01\x90\xc4\x02zz", 11 },
		{ "trailing byte", "PG\x01\x92\xc4\x00\xc4\x00\x00", 9 },
		{ "reserved byte 0xc1", "PG\x01\xc1", 4 },
		{ "not an array", "PG\x01\xc0", 4 },
	};
	struct gsp_msg m;
	struct gsp_record r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&m, 0, sizeof(m));
		if (gsp_msg_decode((const uint8_t *)cases[i].bytes,
				   cases[i].len, &m) == 0)
			fail_msg("%s: decoded", cases[i].what);
		if (cases[i].len > 3 &&
		    gsp_record_decode((const uint8_t *)cases[i].bytes + 3,
				      cases[i].len - 3, &r) == 0)
			fail_msg("%s: decoded as a record", cases[i].what);
	}
	assert_int_equal(
		gsp_msgpack_bounded((const uint8_t *)"\x93\x01\x02", 3),
		-EBADMSG);
	assert_int_equal(
		gsp_msgpack_bounded((const uint8_t *)"\x92\x01\x02", 3), 0);
	assert_int_equal(
		gsp_msgpack_bounded((const uint8_t *)"\x81\xa1k\xc0", 4), 0);
}

static void
test_seal(void **state)
{
	uint8_t keys[2][GSP_KEY_LEN], nonce[GSP_NONCE_LEN] = { 7 };
	uint8_t plain[200], sealed[300], opened[300];
	struct gsp_keyring a, b, c;
	size_t len, olen;

	memset(keys[0], 1, GSP_KEY_LEN);
	memset(keys[1], 2, GSP_KEY_LEN);
	assert_int_equal(gsp_keyring_init(&a, keys, 1), 0);
	assert_int_equal(gsp_keyring_init(&b, keys, 2), 0);
	assert_int_equal(gsp_keyring_init(&c, keys + 1, 1), 0);
	memcpy(plain, "PG\x01", 3);
	for (int i = 3; i < 200; i++)
		plain[i] = (uint8_t)i;
	assert_int_equal(
		gsp_seal(&a, nonce, plain, 200, sealed, sizeof(sealed), &len),
		0);
	assert_int_equal(len, 200 - 3 + 3 + GSP_SEAL_OVERHEAD);
	/* Any key of the ring opens it; a ring without it does not. */
	assert_int_equal(
		gsp_open(&b, sealed, len, opened, sizeof(opened), &olen), 0);
	assert_int_equal(olen, 200);
	assert_memory_equal(opened, plain, 200);
	assert_int_equal(
		gsp_open(&c, sealed, len, opened, sizeof(opened), &olen),
		-ENOKEY);
	sealed[len - 1] ^= 1;
	assert_int_equal(
		gsp_open(&a, sealed, len, opened, sizeof(opened), &olen),
		-EBADMSG);
	sealed[len - 1] ^= 1;
	sealed[5] ^= 1; /* the key id is authenticated too */
	assert_true(gsp_open(&b, sealed, len, opened, sizeof(opened), &olen) <
		    0);
	assert_int_equal(
		gsp_open(&a, sealed, 10, opened, sizeof(opened), &olen),
		-EBADMSG);
	assert_int_equal(gsp_keyring_init(&a, keys, GSP_KEYS_MAX + 1), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_intent_and_row_numbers),
		cmocka_unit_test(test_msg_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_seal),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
