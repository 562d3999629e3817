/*
 * Answer synthesis: every documented DNS rule against a view, no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/view.h"
#include "dnsq.h"

#define T_A 1
#define T_NS 2
#define T_SOA 6
#define T_MX 15
#define T_TXT 16
#define T_AAAA 28
#define T_AXFR 252
#define T_IXFR 251
#define T_ANY 255
#define C_IN 1
#define C_CH 3

static struct ip_addr
addr(const char *text)
{
	struct ip_addr a = { 0 };

	if (inet_pton(AF_INET, text, a.bytes) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, text, a.bytes) == 1)
		a.family = 6;
	return a;
}

struct fixture {
	struct ip_addr self[2], lb1[1], lb2[2], p1[2], p2[1], many[40];
	struct dns_spec_host ns[3];
	struct dns_spec_host peers[2];
	struct dns_spec_zone zone;
	struct dns_view_spec spec;
	struct dns_view *view;
	struct dns_cookie_secrets secrets;
	uint8_t q[4096], out[65536];
	struct dnsq_resp r;
	struct dns_result res;
};

static struct fixture fx;

static void
fixture_reset(void)
{
	memset(&fx.spec, 0, sizeof(fx.spec));
	fx.self[0] = addr("198.51.100.10");
	fx.self[1] = addr("2001:db8::10");
	fx.lb1[0] = addr("192.0.2.1");
	fx.lb2[0] = addr("192.0.2.2");
	fx.lb2[1] = addr("2001:db8::2");
	fx.p1[0] = addr("203.0.113.1");
	fx.p1[1] = addr("2001:db8::1:1");
	fx.p2[0] = addr("203.0.113.2");
	fx.ns[0] = (struct dns_spec_host){ "lb1.api.example.com", fx.lb1, 1 };
	fx.ns[1] = (struct dns_spec_host){ "lb2.api.example.com", fx.lb2, 2 };
	fx.ns[2] = (struct dns_spec_host){ "lb3.example.net", NULL, 0 };
	fx.peers[0] = (struct dns_spec_host){ "p1", fx.p1, 2 };
	fx.peers[1] = (struct dns_spec_host){ "p2", fx.p2, 1 };
	fx.zone = (struct dns_spec_zone){
		.name = "api.example.com",
		.ttl = 30,
		.ns = fx.ns,
		.n_ns = 3,
		.soa_rname = "hostmaster.example.com",
		.serial = 7,
		.refresh = 1200,
		.retry = 180,
		.expire = 1209600,
		.minimum = 20,
	};
	fx.spec.node_name = "lb1";
	fx.spec.self = fx.self;
	fx.spec.n_self = 2;
	fx.spec.zones = &fx.zone;
	fx.spec.n_zones = 1;
	memset(fx.secrets.current, 0x42, sizeof(fx.secrets.current));
}

static void
build(void)
{
	char err[256];

	dns_view_free(fx.view);
	fx.view = NULL;
	assert_int_equal(dns_view_new(&fx.spec, &fx.view, err, sizeof(err)), 0);
}

static int
setup(void **state)
{
	fixture_reset();
	build();
	return 0;
}

static int
teardown(void **state)
{
	dns_view_free(fx.view);
	fx.view = NULL;
	return 0;
}

static const uint8_t client_v4[4] = { 127, 0, 0, 1 };

/* Sends a query over @proto and parses the response (asserting it is
 * well formed); returns the response length. */
static int
ask_proto(enum dns_proto proto, const char *name, uint16_t type, uint16_t cls,
	  const struct dnsq_opts *o)
{
	struct dns_req req = {
		.proto = proto,
		.client_ip = client_v4,
		.client_iplen = 4,
		.now = 1000000,
		.cookies = &fx.secrets,
	};
	size_t ql = dnsq_build(fx.q, name, type, cls, o);
	assert_true(ql > 0);
	int n = dns_answer(fx.view, &req, fx.q, ql, fx.out,
			   proto == DNS_UDP ? DNS_UDP_PAYLOAD : sizeof(fx.out),
			   &fx.res);
	if (n >= 0)
		assert_int_equal(dnsq_parse(fx.out, (size_t)n, &fx.r), 0);
	return n;
}

static int
ask(const char *name, uint16_t type, const struct dnsq_opts *o)
{
	return ask_proto(DNS_UDP, name, type, C_IN, o);
}

#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_AD 0x0020
#define F_CD 0x0010

static void
assert_addr(const struct dnsq_rr *rr, const char *text)
{
	struct ip_addr a = addr(text);

	assert_int_equal(rr->type, a.family == 4 ? T_A : T_AAAA);
	assert_int_equal(rr->rdlen, a.family == 4 ? 4 : 16);
	assert_memory_equal(rr->rdata, a.bytes, rr->rdlen);
}

static void
test_a_own_address(void **state)
{
	const char *names[] = { "api.example.com", "x.api.example.com",
				"a.b.c.d.api.example.com" };

	for (size_t i = 0; i < 3; i++) {
		assert_true(ask(names[i], T_A, NULL) > 0);
		assert_int_equal(fx.r.rcode, 0);
		assert_true(fx.r.flags & F_AA);
		assert_false(fx.r.flags & F_RA);
		assert_int_equal(fx.r.an, 1);
		assert_int_equal(fx.r.ns, 0);
		assert_int_equal(fx.r.ar, 0);
		assert_int_equal(fx.r.rr[0].ttl, 30);
		assert_string_equal(fx.r.rr[0].name, fx.r.qname);
		assert_addr(&fx.r.rr[0], "198.51.100.10");
	}
	assert_true(ask("x.api.example.com", T_AAAA, NULL) > 0);
	assert_int_equal(fx.r.an, 1);
	assert_addr(&fx.r.rr[0], "2001:db8::10");
}

static void
test_case_echoed_and_compressed(void **state)
{
	int n = ask("WwW.ApI.eXample.COM", T_A, NULL);

	assert_true(n > 0);
	assert_string_equal(fx.r.qname, "WwW.ApI.eXample.COM.");
	/* Question byte for byte, answer owner a pointer to it. */
	size_t ql = 12 + 21 + 4;
	assert_memory_equal(fx.out + 12, fx.q + 12, ql - 12);
	assert_int_equal(fx.out[ql], 0xc0);
	assert_int_equal(fx.out[ql + 1], 0x0c);
}

static void
test_nodata_without_family(void **state)
{
	fx.spec.n_self = 1; /* IPv4 only */
	build();
	assert_true(ask("x.api.example.com", T_AAAA, NULL) > 0);
	assert_int_equal(fx.r.rcode, 0);
	assert_true(fx.r.flags & F_AA);
	assert_int_equal(fx.r.an, 0);
	assert_int_equal(fx.r.ns, 1);
	assert_int_equal(fx.r.rr[0].type, T_SOA);
	assert_string_equal(fx.r.rr[0].name, "api.example.com.");
	assert_int_equal(fx.r.rr[0].ttl, 20); /* min(ttl 30, minimum 20) */
}

static void
test_soa_and_ns_at_apex(void **state)
{
	assert_true(ask("API.example.com", T_SOA, NULL) > 0);
	assert_int_equal(fx.r.an, 1);
	const struct dnsq_rr *soa = &fx.r.rr[0];
	assert_int_equal(soa->type, T_SOA);
	assert_int_equal(soa->ttl, 30);
	/* mname lb1.api.example.com, rname, then five numbers. */
	static const uint8_t tail[] = {
		0, 0,	0, 7,	 0,    0, 4, 0xb0, 0, 0,
		0, 180, 0, 0x12, 0x75, 0, 0, 0,	   0, 20
	};
	assert_memory_equal(soa->rdata + soa->rdlen - 20, tail, 20);
	assert_memory_equal(soa->rdata, "\3lb1\3api\7example\3com\0", 21);

	assert_true(ask("api.example.com", T_NS, NULL) > 0);
	assert_int_equal(fx.r.rcode, 0);
	assert_int_equal(dnsq_count(&fx.r, 0, T_NS), 3);
	/* Glue for the two in-zone names only. */
	assert_int_equal(dnsq_count(&fx.r, 2, T_A), 2);
	assert_int_equal(dnsq_count(&fx.r, 2, T_AAAA), 1);
	assert_string_equal(fx.r.rr[3].name, "lb1.api.example.com.");
	assert_addr(&fx.r.rr[3], "192.0.2.1");
	assert_string_equal(fx.r.rr[4].name, "lb2.api.example.com.");
	assert_string_equal(fx.r.rr[5].name, "lb2.api.example.com.");
	assert_addr(&fx.r.rr[5], "2001:db8::2");
}

static void
test_nodata_cases(void **state)
{
	const struct {
		const char *name;
		uint16_t type;
	} cases[] = {
		{ "x.api.example.com", T_SOA }, { "x.api.example.com", T_NS },
		{ "api.example.com", T_MX },	{ "x.api.example.com", T_TXT },
		{ "api.example.com", 99 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(ask(cases[i].name, cases[i].type, NULL) > 0);
		assert_int_equal(fx.r.rcode, 0);
		assert_true(fx.r.flags & F_AA);
		assert_int_equal(fx.r.an, 0);
		assert_int_equal(fx.r.ns, 1);
		assert_int_equal(fx.r.rr[0].type, T_SOA);
	}
}

static void
test_ns_name_gets_member_address(void **state)
{
	assert_true(ask("LB2.api.example.com", T_A, NULL) > 0);
	assert_int_equal(fx.r.an, 1);
	assert_addr(&fx.r.rr[0], "192.0.2.2");
	assert_true(ask("lb2.api.example.com", T_AAAA, NULL) > 0);
	assert_addr(&fx.r.rr[0], "2001:db8::2");
	assert_true(ask("lb1.api.example.com", T_AAAA, NULL) > 0);
	assert_int_equal(fx.r.an, 0); /* lb1 has no IPv6 glue */
	assert_int_equal(fx.r.ns, 1);
}

static void
test_any_is_minimal(void **state)
{
	for (int proto = 0; proto < 2; proto++) {
		assert_true(ask_proto((enum dns_proto)proto, "api.example.com",
				      T_ANY, C_IN, NULL) > 0);
		assert_int_equal(fx.r.rcode, 0);
		assert_int_equal(fx.r.an, 1);
		assert_int_equal(fx.r.rr[0].type, T_A);
	}
	/* One record even when the set is large. */
	fx.many[0] = addr("192.0.2.7");
	fx.many[1] = addr("192.0.2.8");
	fx.spec.self = fx.many;
	fx.spec.n_self = 2;
	build();
	assert_true(ask("api.example.com", T_ANY, NULL) > 0);
	assert_int_equal(fx.r.an, 1);
	assert_addr(&fx.r.rr[0], "192.0.2.7");
	fx.spec.n_self = 0;
	build();
	assert_true(ask("api.example.com", T_ANY, NULL) > 0);
	assert_int_equal(fx.r.an, 1);
	assert_int_equal(fx.r.rr[0].type, 13); /* HINFO "RFC8482" */
}

static void
test_refused(void **state)
{
	const char *outside[] = { "example.com", "xapi.example.com",
				  "api.example.org", "com", "." };

	for (size_t i = 0; i < 5; i++) {
		assert_true(ask(outside[i], T_A, NULL) > 0);
		assert_int_equal(fx.r.rcode, 5);
		assert_false(fx.r.flags & F_AA);
		assert_int_equal(fx.r.an, 0);
		assert_int_equal(fx.r.qd, 1);
	}
	assert_true(ask("api.example.com", T_AXFR, NULL) > 0);
	assert_int_equal(fx.r.rcode, 5);
	assert_true(ask_proto(DNS_TCP, "api.example.com", T_IXFR, C_IN, NULL) >
		    0);
	assert_int_equal(fx.r.rcode, 5);
	assert_true(ask_proto(DNS_UDP, "api.example.com", T_A, 4, NULL) > 0);
	assert_int_equal(fx.r.rcode, 5);
}

static void
test_header_flags(void **state)
{
	struct dnsq_opts o = { .id = 0xbeef,
			       .flags = F_RD | F_CD | F_AD | 0x0040 };

	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_int_equal(fx.r.id, 0xbeef);
	assert_true(fx.r.flags & 0x8000);
	assert_int_equal(fx.r.flags & 0x7fff, F_AA | F_RD | F_CD);
	o.flags = 0;
	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_int_equal(fx.r.flags & 0x7fff, F_AA);
}

static void
test_notimp(void **state)
{
	for (int opcode = 1; opcode < 16; opcode++) {
		struct dnsq_opts o = { .id = 7,
				       .flags = (uint16_t)(opcode << 11 | F_RD),
				       .edns = true };
		int n = ask("api.example.com", T_A, &o);
		assert_int_equal(n, 12);
		assert_int_equal(fx.r.rcode, 4);
		assert_int_equal((fx.r.flags >> 11) & 0xf, opcode);
		assert_int_equal(fx.r.flags & (F_AA | F_RA | F_RD), 0);
		assert_int_equal(fx.r.qd + fx.r.an + fx.r.ns + fx.r.ar, 0);
	}
}

static void
test_node_identity(void **state)
{
	const char *names[] = { "id.server", "ID.Server", "hostname.bind" };

	for (size_t i = 0; i < 3; i++) {
		assert_true(ask_proto(DNS_UDP, names[i], T_TXT, C_CH, NULL) >
			    0);
		assert_int_equal(fx.r.rcode, 0);
		assert_int_equal(fx.r.an, 1);
		assert_int_equal(fx.r.rr[0].cls, C_CH);
		assert_memory_equal(fx.r.rr[0].rdata, "\3lb1", 4);
	}
	assert_true(ask_proto(DNS_UDP, "version.bind", T_TXT, C_CH, NULL) > 0);
	assert_int_equal(fx.r.rcode, 5);

	struct dnsq_opts o = { .edns = true, .nsid = true };
	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_int_equal(fx.r.nsid_len, 3);
	assert_memory_equal(fx.r.nsid, "lb1", 3);
}

static void
test_edns(void **state)
{
	assert_true(ask("api.example.com", T_A, NULL) > 0);
	assert_false(fx.r.has_opt);

	struct dnsq_opts o = { .edns = true,
			       .payload = 4096,
			       .ednsflags = 0x8000 | 0x0040 };
	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_true(fx.r.has_opt);
	assert_int_equal(fx.r.opt_payload, 1232);
	/* DO echoed, unknown flag bits and version zero. */
	assert_int_equal(fx.r.opt_ttl, 0x8000);
	assert_int_equal(fx.r.opt_options, 0);

	o.version = 1;
	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_int_equal(fx.r.rcode, 16);
	assert_int_equal(fx.r.an, 0);
	assert_int_equal((fx.r.opt_ttl >> 16) & 0xff, 0);
}

static void
test_cookies(void **state)
{
	uint8_t c[48] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct dnsq_opts o = { .edns = true, .cookie = c, .cookie_len = 8 };

	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_int_equal(fx.r.rcode, 0);
	assert_int_equal(fx.r.cookie_len, 24);
	assert_memory_equal(fx.r.cookie, c, 8);
	assert_int_equal(fx.r.cookie[8], 1); /* RFC 9018 version */
	assert_true(dns_cookie_valid(&fx.secrets, c, fx.r.cookie + 8, 16,
				     client_v4, 4, 1000000));
	/* Another address or another hour does not verify. */
	static const uint8_t other[4] = { 127, 0, 0, 2 };
	assert_false(dns_cookie_valid(&fx.secrets, c, fx.r.cookie + 8, 16,
				      other, 4, 1000000));
	assert_false(dns_cookie_valid(&fx.secrets, c, fx.r.cookie + 8, 16,
				      client_v4, 4, 1000000 + 3601));

	/* The full cookie sent back is accepted. */
	memcpy(c + 8, fx.r.cookie + 8, 16);
	o.cookie_len = 24;
	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_int_equal(fx.r.rcode, 0);
	assert_int_equal(fx.r.cookie_len, 24);

	/* After a rotation the previous secret still verifies. */
	struct dns_cookie_secrets s = fx.secrets;
	memcpy(s.previous, s.current, 16);
	memset(s.current, 0x17, 16);
	s.has_previous = true;
	assert_true(dns_cookie_valid(&s, c, c + 8, 16, client_v4, 4, 1000000));
	s.has_previous = false;
	assert_false(dns_cookie_valid(&s, c, c + 8, 16, client_v4, 4, 1000000));

	const size_t bad[] = { 1, 7, 9, 15, 41 };
	for (size_t i = 0; i < 5; i++) {
		o.cookie_len = bad[i];
		assert_true(ask("api.example.com", T_A, &o) > 0);
		assert_int_equal(fx.r.rcode, 1);
	}
}

/* Asks with @c (8 client bytes, then @len - 8 server bytes) and checks
 * the query was answered normally, with a fresh server cookie of ours. */
static enum dns_cookie_state
ask_cookie(enum dns_proto proto, const uint8_t *c, size_t len)
{
	struct dnsq_opts o = { .edns = true, .cookie = c, .cookie_len = len };

	assert_true(ask_proto(proto, "api.example.com", T_A, C_IN, &o) > 0);
	assert_int_equal(fx.r.rcode, 0);
	assert_int_equal(fx.r.an, 1);
	assert_int_equal(fx.r.cookie_len, 24);
	assert_memory_equal(fx.r.cookie, c, 8);
	assert_true(dns_cookie_valid(&fx.secrets, c, fx.r.cookie + 8, 16,
				     client_v4, 4, 1000000));
	return fx.res.cookie;
}

static void
test_cookie_outcomes(void **state)
{
	uint8_t c[40] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct dnsq_opts plain = { .edns = false };
	struct dnsq_opts edns = { .edns = true };
	static const uint8_t other[4] = { 127, 0, 0, 2 };

	assert_true(ask("api.example.com", T_A, &plain) > 0);
	assert_int_equal(fx.res.cookie, DNS_COOKIE_NONE);
	assert_true(ask("api.example.com", T_A, &edns) > 0);
	assert_int_equal(fx.res.cookie, DNS_COOKIE_NONE);
	assert_int_equal(ask_cookie(DNS_UDP, c, 8), DNS_COOKIE_CLIENT);

	/* The server cookie we gave, sent back: valid on both transports. */
	memcpy(c + 8, fx.r.cookie + 8, 16);
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_VALID);
	assert_int_equal(ask_cookie(DNS_TCP, c, 24), DNS_COOKIE_VALID);

	/* A forged one: still answered, as a client cookie alone. */
	c[8 + 15] ^= 1;
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_INVALID);
	assert_int_equal(ask_cookie(DNS_TCP, c, 24), DNS_COOKIE_INVALID);

	/* Made for another address, or out of its time window. */
	dns_cookie_make(fx.secrets.current, c, other, 4, 1000000, c + 8);
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_INVALID);
	dns_cookie_make(fx.secrets.current, c, client_v4, 4, 1000000 - 3600,
			c + 8);
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_VALID);
	dns_cookie_make(fx.secrets.current, c, client_v4, 4, 1000000 - 3601,
			c + 8);
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_INVALID);
	dns_cookie_make(fx.secrets.current, c, client_v4, 4, 1000000 + 301,
			c + 8);
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_INVALID);

	/* A length we never issue (8 to 32 server bytes are well formed). */
	dns_cookie_make(fx.secrets.current, c, client_v4, 4, 1000000, c + 8);
	assert_int_equal(ask_cookie(DNS_UDP, c, 16), DNS_COOKIE_INVALID);
	assert_int_equal(ask_cookie(DNS_UDP, c, 40), DNS_COOKIE_INVALID);

	/* Malformed: FORMERR, and no cookie was read. */
	struct dnsq_opts bad = { .edns = true, .cookie = c, .cookie_len = 9 };
	assert_true(ask("api.example.com", T_A, &bad) > 0);
	assert_int_equal(fx.r.rcode, 1);
	assert_int_equal(fx.res.cookie, DNS_COOKIE_NONE);
}

/* After a rotation a cookie made with the previous secret is valid and
 * the answer carries one made with the new secret; one rotation more and
 * it is not. */
static void
test_cookie_previous_secret(void **state)
{
	uint8_t c[24] = { 8, 7, 6, 5, 4, 3, 2, 1 };

	assert_int_equal(ask_cookie(DNS_UDP, c, 8), DNS_COOKIE_CLIENT);
	memcpy(c + 8, fx.r.cookie + 8, 16);

	memcpy(fx.secrets.previous, fx.secrets.current, 16);
	memset(fx.secrets.current, 0x17, 16);
	fx.secrets.has_previous = true;
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_VALID);
	uint8_t want[16];
	dns_cookie_make(fx.secrets.current, c, client_v4, 4, 1000000, want);
	assert_memory_equal(fx.r.cookie + 8, want, 16);

	fx.secrets.has_previous = false;
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_INVALID);
	fx.secrets.has_previous = true;

	memcpy(fx.secrets.previous, fx.secrets.current, 16);
	memset(fx.secrets.current, 0x99, 16);
	assert_int_equal(ask_cookie(DNS_UDP, c, 24), DNS_COOKIE_INVALID);
}

static void
test_truncation(void **state)
{
	for (int i = 0; i < 40; i++) {
		fx.many[i].family = 4;
		fx.many[i].bytes[0] = 192;
		fx.many[i].bytes[2] = 2;
		fx.many[i].bytes[3] = (uint8_t)i;
	}
	fx.spec.self = fx.many;
	fx.spec.n_self = 40;
	build();
	assert_true(ask("api.example.com", T_A, NULL) > 0);
	assert_true(fx.r.flags & F_TC);
	assert_int_equal(fx.r.an, 0);
	assert_int_equal(fx.r.qd, 1);

	struct dnsq_opts o = { .edns = true, .payload = 1232 };
	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_false(fx.r.flags & F_TC);
	assert_int_equal(fx.r.an, 40);

	o.payload = 600; /* the client's smaller size is respected */
	assert_true(ask("api.example.com", T_A, &o) > 0);
	assert_true(fx.r.flags & F_TC);
	assert_true(fx.r.has_opt);

	assert_true(ask_proto(DNS_TCP, "api.example.com", T_A, C_IN, NULL) > 0);
	assert_false(fx.r.flags & F_TC);
	assert_int_equal(fx.r.an, 40);
}

static void
test_drain_redirect(void **state)
{
	fx.spec.drained = true;
	fx.spec.drain_mode = DNS_DRAIN_REDIRECT;
	fx.spec.peers = fx.peers;
	fx.spec.n_peers = 2;
	build();
	assert_false(dns_view_serving(fx.view));
	assert_true(ask("x.api.example.com", T_A, NULL) > 0);
	assert_int_equal(fx.r.rcode, 0);
	assert_true(fx.r.flags & F_AA);
	assert_int_equal(fx.r.an, 2);
	assert_addr(&fx.r.rr[0], "203.0.113.1"); /* preference order */
	assert_addr(&fx.r.rr[1], "203.0.113.2");
	assert_true(ask("x.api.example.com", T_AAAA, NULL) > 0);
	assert_int_equal(fx.r.an, 1);
	assert_addr(&fx.r.rr[0], "2001:db8::1:1");
	/* NS names, SOA and identity are unchanged. */
	assert_true(ask("lb2.api.example.com", T_A, NULL) > 0);
	assert_addr(&fx.r.rr[0], "192.0.2.2");
	assert_true(ask("api.example.com", T_SOA, NULL) > 0);
	assert_int_equal(fx.r.an, 1);
	assert_true(ask_proto(DNS_UDP, "id.server", T_TXT, C_CH, NULL) > 0);
	assert_int_equal(fx.r.an, 1);

	/* With nobody to redirect to, it refuses. */
	fx.spec.n_peers = 0;
	build();
	assert_true(ask("x.api.example.com", T_A, NULL) > 0);
	assert_int_equal(fx.r.rcode, 5);
}

static void
test_drain_refuse_and_silent(void **state)
{
	fx.spec.drained = true;
	fx.spec.drain_mode = DNS_DRAIN_REFUSE;
	fx.spec.peers = fx.peers;
	fx.spec.n_peers = 2;
	build();
	assert_true(ask("x.api.example.com", T_A, NULL) > 0);
	assert_int_equal(fx.r.rcode, 5);
	assert_int_equal(fx.r.an, 0);

	fx.spec.drain_mode = DNS_DRAIN_SILENT;
	build();
	assert_int_equal(ask("x.api.example.com", T_A, NULL), DNS_DROP);
	assert_int_equal(ask("api.example.com", T_SOA, NULL), DNS_DROP);
	struct dnsq_opts o = { .edns = true, .nsid = true };
	assert_true(ask_proto(DNS_UDP, "id.server", T_TXT, C_CH, &o) > 0);
	assert_memory_equal(fx.r.nsid, "lb1", 3);

	fx.spec.drained = false;
	build();
	assert_true(dns_view_serving(fx.view));
	assert_true(ask("x.api.example.com", T_A, NULL) > 0);
	assert_addr(&fx.r.rr[0], "198.51.100.10");
}

/* An in-zone NS name whose addresses are not known yet: no glue, NODATA
 * for its address, everything else unchanged. */
static void
test_ns_without_glue(void **state)
{
	fx.ns[0].n_addrs = 0;
	build();
	assert_true(ask("api.example.com", T_NS, NULL) > 0);
	assert_int_equal(dnsq_count(&fx.r, 0, T_NS), 3);
	assert_int_equal(dnsq_count(&fx.r, 2, T_A), 1); /* lb2 only */
	assert_true(ask("lb1.api.example.com", T_A, NULL) > 0);
	assert_int_equal(fx.r.an, 0);
	assert_int_equal(fx.r.ns, 1);
}

static void
test_view_errors(void **state)
{
	char err[256];
	struct dns_view *v = NULL;

	fx.zone.name = "bad..name";
	assert_int_not_equal(dns_view_new(&fx.spec, &v, err, sizeof(err)), 0);
	fixture_reset();
	fx.spec.node_name = "";
	assert_int_not_equal(dns_view_new(&fx.spec, &v, err, sizeof(err)), 0);
	fixture_reset();
	fx.zone.n_ns = 0;
	assert_int_not_equal(dns_view_new(&fx.spec, &v, err, sizeof(err)), 0);
	fixture_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_a_own_address),
		T(test_case_echoed_and_compressed),
		T(test_nodata_without_family),
		T(test_soa_and_ns_at_apex),
		T(test_nodata_cases),
		T(test_ns_name_gets_member_address),
		T(test_any_is_minimal),
		T(test_refused),
		T(test_header_flags),
		T(test_notimp),
		T(test_node_identity),
		T(test_edns),
		T(test_cookies),
		T(test_cookie_outcomes),
		T(test_cookie_previous_secret),
		T(test_truncation),
		T(test_drain_redirect),
		T(test_drain_refuse_and_silent),
		T(test_ns_without_glue),
		T(test_view_errors),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
