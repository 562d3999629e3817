/*
 * node/dns/view_build.c: the NS set a cluster node serves from its members'
 * NS names, when members claim names that are not theirs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/view.h"
#include "dnsq.h"
#include "node/config/config.h"
#include "node/dns/view_build.h"

static struct ip_addr
v4(uint8_t last)
{
	struct ip_addr a = { 4, { 192, 0, 2, last } };
	return a;
}

struct claim {
	const char *name, *ns;
	uint8_t addr;
};

/* Builds lb2's view with @peers and asks it for the zone's NS set. */
static void
ns_answer(const struct claim *claims, size_t n, struct dnsq_resp *r,
	  uint8_t *out, size_t cap)
{
	struct node_config *cfg = NULL;
	struct dns_view *view = NULL;
	struct node_peer peers[8];
	struct ip_addr addrs[8];
	struct dns_cookie_secrets secrets;
	uint8_t q[512];
	char err[512];

	if (node_config_load(PMGTM_TEST_DATA "/good_cluster_min.yaml", &cfg,
			     err, sizeof(err)))
		fail_msg("%s", err);
	cfg->node.ns_name = strdup("lb2.example.net");
	assert_non_null(cfg->node.ns_name);
	for (size_t i = 0; i < n; i++) {
		addrs[i] = v4(claims[i].addr);
		peers[i] = (struct node_peer){ .name = claims[i].name,
					       .ns_name = claims[i].ns,
					       .addrs = &addrs[i],
					       .n_addrs = 1 };
	}
	struct node_view_state st = { .drained = false, .ready = true };
	if (node_view_build(cfg, peers, n, &st, &view, err, sizeof(err)))
		fail_msg("%s", err);
	memset(&secrets, 0, sizeof(secrets));
	struct dns_req req = { .proto = DNS_TCP,
			       .now = 1,
			       .cookies = &secrets };
	struct dnsq_opts o = { .id = 1 };
	size_t ql = dnsq_build(q, "example.net", 2, 1, &o);
	int len = dns_answer(view, &req, q, ql, out, cap, NULL);
	assert_true(len > 0);
	assert_int_equal(dnsq_parse(out, (size_t)len, r), 0);
	dns_view_free(view);
	node_config_free(cfg);
}

static int
count_rr(const struct dnsq_resp *r, int section, uint16_t type,
	 const char *name, const uint8_t *rdata4)
{
	int n = 0;

	for (size_t i = 0; i < r->n_rr; i++) {
		const struct dnsq_rr *rr = &r->rr[i];
		if (rr->section != section || rr->type != type ||
		    strcasecmp(rr->name, name) != 0)
			continue;
		if (rdata4 && (rr->rdlen != 4 || memcmp(rr->rdata, rdata4, 4)))
			continue;
		n++;
	}
	return n;
}

/* A member that claims another's NS name gets neither a second NS record
 * nor its address into that name's glue; a member that claims ours gets
 * nothing; a name two members claim and neither is named after goes to
 * nobody. */
static void
test_ns_claims(void **state)
{
	static const struct claim claims[] = {
		{ "lb1", "lb1.example.net", 1 },
		{ "evil", "lb1.example.net", 66 },
		{ "evil2", "lb2.example.net", 67 },
		{ "lb3", "ns-c.example.net", 3 },
		{ "evil3", "ns-c.example.net", 68 },
		{ "lb4", "lb4.example.net", 4 },
	};
	static uint8_t out[65536];
	struct dnsq_resp r;
	(void)state;

	ns_answer(claims, 6, &r, out, sizeof(out));
	assert_int_equal(dnsq_count(&r, 0, 2), 3);
	assert_int_equal(count_rr(&r, 2, 1, "lb1.example.net.", NULL), 1);
	assert_int_equal(count_rr(&r, 2, 1, "lb1.example.net.",
				  (const uint8_t[]){ 192, 0, 2, 1 }),
			 1);
	assert_int_equal(count_rr(&r, 2, 1, "lb2.example.net.",
				  (const uint8_t[]){ 192, 0, 2, 67 }),
			 0);
	assert_int_equal(count_rr(&r, 2, 1, "lb4.example.net.", NULL), 1);
	assert_int_equal(count_rr(&r, 2, 1, "ns-c.example.net.", NULL), 0);
}

/* A peer NS name that is no host name is left out, not fatal. */
static void
test_bad_peer_name(void **state)
{
	static const struct claim claims[] = {
		{ "lb1", "lb1.example.net", 1 },
		{ "evil", "a..b", 66 },
	};
	static uint8_t out[65536];
	struct dnsq_resp r;
	(void)state;

	ns_answer(claims, 2, &r, out, sizeof(out));
	assert_int_equal(dnsq_count(&r, 0, 2), 2);
}

/* An NS entry written without glue (a name outside the zone) next to one
 * with it: the view builds, and nothing reads through the absent
 * address list (UBSan watches in the sanitizer build). */
static void
test_ns_without_glue(void **state)
{
	static const char yaml[] = "node: {name: lb1, addresses: [192.0.2.1]}\n"
				   "dns:\n  listen: [192.0.2.1]\n  zones:\n"
				   "    - name: api.example.com\n"
				   "      ns: [lb1.example.org, "
				   "\"lb2.api.example.com 192.0.2.2\"]\n";
	char path[] = "/tmp/pmgtm-test-view-XXXXXX", err[512];
	struct node_config *cfg = NULL;
	struct dns_view *view = NULL;
	int fd = mkstemp(path);
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, sizeof(yaml) - 1),
			 (ssize_t)(sizeof(yaml) - 1));
	close(fd);
	int r = node_config_load(path, &cfg, err, sizeof(err));
	unlink(path);
	if (r)
		fail_msg("%s", err);
	assert_int_equal(
		node_view_build(cfg, NULL, 0, NULL, &view, err, sizeof(err)),
		0);
	dns_view_free(view);
	node_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_claims),
		cmocka_unit_test(test_bad_peer_name),
		cmocka_unit_test(test_ns_without_glue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
