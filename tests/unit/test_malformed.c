/*
 * Malformed queries: a table of raw packets and what each must get. Every
 * one is also run under ASan/UBSan in CI and fed to the fuzzer as a seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dns/answer.h"
#include "dns/name.h"
#include "dns/view.h"
#include "dnsq.h"

#define DROP (-1)
#define FORMERR 1
#define NOERROR 0

/* Header: id 0x1234, RD, QDCOUNT..ARCOUNT as given. */
#define HDR(qd, an, ns, ar) 0x12, 0x34, 0x01, 0x00, 0, qd, 0, an, 0, ns, 0, ar
/* The question api.example.com A IN. */
#define QNAME                                                                  \
	3, 'a', 'p', 'i', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',   \
		'm', 0
#define QTAIL 0, 1, 0, 1
#define OPT(rdlen_hi, rdlen_lo)                                                \
	0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, rdlen_hi, rdlen_lo

struct mcase {
	const char *what;
	uint8_t bytes[600];
	size_t len; /* 0: computed from a terminating marker */
	int expect; /* DROP or an rcode */
};

#define CASE(what, expect, ...)                                                \
	{                                                                      \
		what, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }),     \
			expect                                                 \
	}

static const struct mcase cases[] = {
	CASE("one byte", DROP, 0x12),
	CASE("eleven bytes", DROP, 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0),
	CASE("QR set", DROP, 0x12, 0x34, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, QNAME,
	     QTAIL),
	CASE("header only, QDCOUNT 1", FORMERR, HDR(1, 0, 0, 0)),
	CASE("QDCOUNT 0", FORMERR, HDR(0, 0, 0, 0)),
	CASE("QDCOUNT 2", FORMERR, HDR(2, 0, 0, 0), QNAME, QTAIL, QNAME, QTAIL),
	CASE("question cut in the name", FORMERR, HDR(1, 0, 0, 0), 3, 'a', 'p'),
	CASE("question without type", FORMERR, HDR(1, 0, 0, 0), QNAME, 0),
	CASE("label of 64", FORMERR, HDR(1, 0, 0, 0), 64, 'a', 0, 0, 1, 0, 1),
	CASE("reserved label type 0x40", FORMERR, HDR(1, 0, 0, 0), 0x41, 0, 0,
	     1, 0, 1),
	CASE("compression pointer in the question", FORMERR, HDR(1, 0, 0, 0), 3,
	     'a', 'p', 'i', 0xc0, 0x0c, QTAIL),
	CASE("pointer loop in an additional name", FORMERR, HDR(1, 0, 0, 1),
	     QNAME, QTAIL, 0xc0, 0x21, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0),
	CASE("forward pointer in an additional name", FORMERR, HDR(1, 0, 0, 1),
	     QNAME, QTAIL, 0xc0, 0x30, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0),
	CASE("backward pointer is fine", NOERROR, HDR(1, 0, 0, 1), QNAME, QTAIL,
	     0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 0, 0, 0),
	CASE("record cut in rdata", FORMERR, HDR(1, 0, 0, 1), QNAME, QTAIL, 0,
	     0, 16, 0, 1, 0, 0, 0, 0, 0, 5, 'a'),
	CASE("counts beyond the message", FORMERR, HDR(1, 0, 0, 9), QNAME,
	     QTAIL),
	CASE("trailing garbage", FORMERR, HDR(1, 0, 0, 0), QNAME, QTAIL, 0xff),
	CASE("two OPT records", FORMERR, HDR(1, 0, 0, 2), QNAME, QTAIL,
	     OPT(0, 0), OPT(0, 0)),
	CASE("OPT not at the root", FORMERR, HDR(1, 0, 0, 1), QNAME, QTAIL, 1,
	     'x', 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0),
	CASE("OPT in the answer section", FORMERR, HDR(1, 1, 0, 0), QNAME,
	     QTAIL, OPT(0, 0)),
	CASE("OPT option longer than its rdata", FORMERR, HDR(1, 0, 0, 1),
	     QNAME, QTAIL, OPT(0, 4), 0, 3, 0, 9),
	CASE("OPT option header cut", FORMERR, HDR(1, 0, 0, 1), QNAME, QTAIL,
	     OPT(0, 3), 0, 3, 0),
	CASE("OPT rdata past the end", FORMERR, HDR(1, 0, 0, 1), QNAME, QTAIL,
	     OPT(0, 8), 0, 3),
	CASE("COOKIE of 5 bytes", FORMERR, HDR(1, 0, 0, 1), QNAME, QTAIL,
	     OPT(0, 9), 0, 10, 0, 5, 1, 2, 3, 4, 5),
	CASE("two COOKIE options", FORMERR, HDR(1, 0, 0, 1), QNAME, QTAIL,
	     OPT(0, 24), 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 0, 8, 1, 2,
	     3, 4, 5, 6, 7, 8),
	CASE("unknown option is ignored", NOERROR, HDR(1, 0, 0, 1), QNAME,
	     QTAIL, OPT(0, 6), 0xfd, 0xe9, 0, 2, 0xab, 0xcd),
};

static struct dns_view *view;

static int
setup(void **state)
{
	static const struct ip_addr self = { 4, { 192, 0, 2, 10 } };
	static const struct dns_spec_host ns = { "ns.example.net", NULL, 0 };
	static const struct dns_spec_zone zone = {
		.name = "api.example.com",
		.ttl = 30,
		.ns = &ns,
		.n_ns = 1,
		.soa_rname = "h.example.com",
		.minimum = 30,
	};
	const struct dns_view_spec spec = {
		.node_name = "n1",
		.self = &self,
		.n_self = 1,
		.zones = &zone,
		.n_zones = 1,
	};
	char err[128];

	return dns_view_new(&spec, &view, err, sizeof(err));
}

static int
teardown(void **state)
{
	dns_view_free(view);
	return 0;
}

static void
test_table(void **state)
{
	struct dns_req req = { .proto = DNS_UDP };
	uint8_t out[DNS_UDP_PAYLOAD];
	struct dnsq_resp r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mcase *c = &cases[i];
		int n = dns_answer(view, &req, c->bytes, c->len, out,
				   sizeof(out), NULL);
		if (c->expect == DROP) {
			if (n != DNS_DROP)
				fail_msg("%s: answered, expected a drop",
					 c->what);
			continue;
		}
		if (n < 12)
			fail_msg("%s: no response", c->what);
		assert_int_equal(dnsq_parse(out, (size_t)n, &r), 0);
		if (r.rcode != c->expect)
			fail_msg("%s: rcode %d, expected %d", c->what, r.rcode,
				 c->expect);
		assert_int_equal(r.id, 0x1234);
		assert_true(r.flags & 0x8000);
	}
}

static void
test_name_limits(void **state)
{
	/* 255 bytes is the limit: 127 one-letter labels + root = 255. */
	uint8_t q[600] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	uint8_t out[DNS_UDP_PAYLOAD];
	struct dns_req req = { .proto = DNS_UDP };
	struct dnsq_resp r;
	size_t n = 12;

	for (int i = 0; i < 127; i++) {
		q[n++] = 1;
		q[n++] = 'a';
	}
	q[n++] = 0;
	q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;
	int len = dns_answer(view, &req, q, n, out, sizeof(out), NULL);
	assert_true(len > 0);
	assert_int_equal(dnsq_parse(out, (size_t)len, &r), 0);
	assert_int_equal(r.rcode, 5); /* well formed, outside the zone */

	/* One more label makes 257 bytes: FORMERR. */
	memmove(q + 14, q + 12, n - 12);
	q[12] = 1, q[13] = 'b';
	n += 2;
	len = dns_answer(view, &req, q, n, out, sizeof(out), NULL);
	assert_true(len > 0);
	assert_int_equal(dnsq_parse(out, (size_t)len, &r), 0);
	assert_int_equal(r.rcode, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_name_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
