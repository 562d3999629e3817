/*
 * Config loader tests: good files read back field by field, bad files and
 * snippets fail with the exact "FILE:LINE:COL: message", and the value
 * parsers take tables of good and malformed input (integers and durations
 * in test_parse.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "node/config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PMGTM_TEST_DATA
#error "PMGTM_TEST_DATA must point to tests/data"
#endif
#define DATA(f) PMGTM_TEST_DATA "/" f

static struct node_config *
load_ok(const char *path)
{
	struct node_config *cfg = NULL;
	char err[512] = "";
	int rc = node_config_load(path, &cfg, err, sizeof(err));

	if (rc)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(cfg);
	return cfg;
}

static void
assert_ip(const struct ip_addr *a, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	assert_int_equal(a->family, family);
	assert_int_equal(
		inet_pton(family == 4 ? AF_INET : AF_INET6, text, want), 1);
	assert_memory_equal(a->bytes, want, family == 4 ? 4 : 16);
}

static int
port_of(const struct node_sockaddr *sa)
{
	if (sa->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&sa->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&sa->ss)->sin6_port);
}

static void
test_good_full(void **state)
{
	struct node_config *c = load_ok(DATA("good_full.yaml"));
	const struct node_zone *z;

	(void)state;
	assert_string_equal(c->path, DATA("good_full.yaml"));
	assert_string_equal(c->node.name, "lb-1");
	assert_int_equal(c->node.n_addrs, 2);
	assert_ip(&c->node.addrs[0], 4, "198.51.100.10");
	assert_ip(&c->node.addrs[1], 6, "2001:db8::10");
	assert_string_equal(c->node.ns_name, "lb1.example.com");
	assert_string_equal(c->node.state_dir, "/var/lib/pmgtm");
	assert_string_equal(c->node.key_file, "/etc/pmgtm/node.key");
	assert_string_equal(c->node.cert_file, "/etc/pmgtm/node.cert");

	assert_int_equal(c->dns.n_listen, 4);
	assert_int_equal(c->dns.listen[0].ss.ss_family, AF_INET);
	assert_int_equal(c->dns.listen[0].len, sizeof(struct sockaddr_in));
	assert_int_equal(port_of(&c->dns.listen[0]), 5353);
	assert_string_equal(c->dns.listen[0].text, "198.51.100.10:5353");
	assert_int_equal(c->dns.listen[1].ss.ss_family, AF_INET6);
	assert_int_equal(c->dns.listen[1].len, sizeof(struct sockaddr_in6));
	assert_int_equal(port_of(&c->dns.listen[1]), 53);
	assert_int_equal(port_of(&c->dns.listen[2]), 53);
	assert_int_equal(c->dns.listen[3].ss.ss_family, AF_INET6);
	assert_int_equal(c->dns.drain_mode, NODE_DRAIN_REFUSE);
	assert_int_equal(c->dns.tcp_idle_timeout_ms, 1500);
	assert_int_equal(c->dns.tcp_max_connections, 64);

	assert_int_equal(c->dns.n_zones, 2);
	z = &c->dns.zones[0];
	assert_string_equal(z->name, "api.example.com");
	assert_int_equal(z->ttl, 60);
	assert_int_equal(z->n_ns, 2);
	assert_string_equal(z->ns[0].name, "lb1.example.com");
	assert_int_equal(z->ns[0].n_addrs, 0);
	assert_string_equal(z->ns[1].name, "lb2.api.example.com");
	assert_int_equal(z->ns[1].n_addrs, 2);
	assert_ip(&z->ns[1].addrs[0], 4, "192.0.2.2");
	assert_ip(&z->ns[1].addrs[1], 6, "2001:db8::2");
	assert_string_equal(z->soa.rname, "ops.example.com");
	assert_int_equal(z->soa.serial, 2024010101u);
	assert_int_equal(z->soa.refresh, 600);
	assert_int_equal(z->soa.retry, 60);
	assert_int_equal(z->soa.expire, 604800);
	assert_int_equal(z->soa.minimum, 10);
	z = &c->dns.zones[1];
	assert_string_equal(z->name, "www.example.org");
	assert_int_equal(z->ttl, 30);
	assert_int_equal(z->n_ns, 0);
	assert_string_equal(z->soa.rname, "hostmaster.www.example.org");
	assert_int_equal(z->soa.serial, 7);
	assert_int_equal(z->soa.refresh, 1200);

	assert_true(c->has_cluster);
	assert_string_equal(c->cluster.name, "prod");
	assert_int_equal(port_of(&c->cluster.listen), 7946);
	assert_int_equal(c->cluster.n_seeds, 2);
	assert_int_equal(port_of(&c->cluster.seeds[0]), 7000);
	assert_int_equal(port_of(&c->cluster.seeds[1]), 7946);
	assert_string_equal(c->cluster.ca_file, "/etc/pmgtm/ca.pub");
	assert_int_equal(c->cluster.profile, NODE_PROFILE_LAN);
	assert_int_equal(c->cluster.n_encrypt_keys, 2);
	assert_string_equal(c->cluster.encrypt_keys[1], "/etc/pmgtm/k2");
	assert_int_equal(c->cluster.min_active, 2);
	assert_int_equal(c->cluster.startup_sync_timeout_ms, 120000);

	assert_string_equal(c->control.socket, "/tmp/pmgtm.sock");
	assert_string_equal(c->control.admin_group, "root");
	assert_int_equal(c->control.admin_gid, 0);
	assert_true(c->has_metrics);
	assert_int_equal(port_of(&c->metrics.listen), 9153);

	assert_int_equal(c->n_checks, 3);
	assert_string_equal(c->checks[0].name, "haproxy");
	assert_int_equal(c->checks[0].type, NODE_CHECK_TCP);
	assert_string_equal(c->checks[0].target, "127.0.0.1:443");
	assert_int_equal(c->checks[0].interval_ms, 2000);
	assert_int_equal(c->checks[0].timeout_ms, 1000);
	assert_int_equal(c->checks[0].rise, 2);
	assert_int_equal(c->checks[0].fall, 3);
	assert_int_equal(c->checks[0].expect_status, 200);
	assert_int_equal(c->checks[1].type, NODE_CHECK_HTTP);
	assert_int_equal(c->checks[1].expect_status, 204);
	assert_int_equal(c->checks[1].interval_ms, 3600000);
	assert_int_equal(c->checks[1].timeout_ms, 30000);
	assert_int_equal(c->checks[1].rise, 1);
	assert_int_equal(c->checks[1].fall, 1);
	assert_int_equal(c->checks[2].type, NODE_CHECK_EXEC);
	assert_string_equal(c->checks[2].target,
			    "/usr/local/bin/check --quiet");

	assert_int_equal(c->log.level, NODE_LOG_DEBUG);
	assert_int_equal(c->log.format, NODE_LOG_JSON);
	node_config_free(c);
}

static void
test_good_minimal(void **state)
{
	struct node_config *c = load_ok(DATA("good_minimal.yaml"));
	const struct node_zone *z = &c->dns.zones[0];

	(void)state;
	assert_string_equal(c->node.name, "lb1");
	assert_null(c->node.ns_name);
	assert_null(c->node.state_dir);
	assert_null(c->node.key_file);
	assert_null(c->node.cert_file);
	assert_int_equal(c->dns.n_listen, 1);
	assert_int_equal(port_of(&c->dns.listen[0]), 53);
	assert_int_equal(c->dns.drain_mode, NODE_DRAIN_REDIRECT);
	assert_int_equal(c->dns.tcp_idle_timeout_ms, 10000);
	assert_int_equal(c->dns.tcp_max_connections, 512);
	assert_int_equal(z->ttl, 30);
	assert_int_equal(z->n_ns, 0);
	assert_string_equal(z->soa.rname, "hostmaster.api.example.com");
	assert_int_equal(z->soa.serial, 1);
	assert_int_equal(z->soa.refresh, 1200);
	assert_int_equal(z->soa.retry, 180);
	assert_int_equal(z->soa.expire, 1209600);
	assert_int_equal(z->soa.minimum, 30);
	assert_false(c->has_cluster);
	assert_null(c->cluster.name);
	assert_string_equal(c->control.socket, "/run/pmgtm/control.sock");
	assert_null(c->control.admin_group); /* root and the daemon only */
	assert_false(c->has_metrics);
	assert_int_equal(c->n_checks, 0);
	assert_int_equal(c->log.level, NODE_LOG_INFO);
	assert_int_equal(c->log.format, NODE_LOG_LOGFMT);
	node_config_free(c);
}

static void
test_good_cluster_defaults(void **state)
{
	struct node_config *c = load_ok(DATA("good_cluster_min.yaml"));

	(void)state;
	assert_true(c->has_cluster);
	assert_string_equal(c->dns.zones[0].name, "example.net");
	assert_int_equal(port_of(&c->cluster.listen), 7946);
	assert_string_equal(c->cluster.listen.text, "[2001:db8::2]");
	assert_int_equal(c->cluster.n_seeds, 0);
	assert_int_equal(c->cluster.n_encrypt_keys, 0);
	assert_int_equal(c->cluster.profile, NODE_PROFILE_WAN);
	assert_int_equal(c->cluster.min_active, 1);
	assert_int_equal(c->cluster.startup_sync_timeout_ms, 5000);
	assert_string_equal(c->control.socket, "/run/pmgtm/control.sock");
	assert_int_equal(c->log.level, NODE_LOG_INFO);
	node_config_free(c);
}

/* The shipped example must stay loadable as the schema evolves. */
static void
test_example(void **state)
{
	(void)state;
	node_config_free(load_ok(DATA("../../deploy/examples/pmgtm.yaml")));
}

static const struct {
	const char *file, *want; /* want: what follows "DIR/file" */
} bad_files[] = {
	{ "bad_unknown_key.yaml",
	  ":7:3: unknown key 'zonez' in 'dns'; did you mean 'zones'?" },
	{ "bad_type.yaml",
	  ":3:14: 'node.addresses' must be a sequence, found a scalar" },
	{ "bad_address.yaml", ":3:30: 'node.addresses[1]' is not an IP "
			      "address: '2001:db8::zz'" },
	{ "bad_duration.yaml",
	  ":7:21: 'dns.tcp_idle_timeout' is not a duration: '10 s' (digits "
	  "and a unit: ms, s, m, h or d; at most 49d)" },
	{ "bad_overflow.yaml",
	  ":14:25: 'cluster.startup_sync_timeout' is not a duration: '50d' "
	  "(digits and a unit: ms, s, m, h or d; at most 49d)" },
	{ "bad_enum.yaml", ":6:15: 'dns.drain_mode' must be one of: "
			   "redirect, refuse, silent" },
	{ "bad_missing.yaml", ":5:3: missing required key 'zones' in 'dns'" },
	{ "bad_cluster_key.yaml", ":2:3: missing required key 'key_file' in "
				  "'node' (needed with a 'cluster' section)" },
	{ "bad_ns.yaml", ":8:29: 'dns.zones[0].ns[1]' is not an IP address: "
			 "'192.0.2.256'" },
	{ "bad_syntax.yaml", ":4:4: did not find expected ',' or ']' (while "
			     "parsing a flow sequence at 3:14)" },
	{ "bad_alias.yaml", ":5:11: YAML aliases are not supported" },
	{ "bad_node_name.yaml",
	  ":2:9: 'node.name' must be 1-63 characters of a-z, 0-9 and '-'" },
	{ "bad_dup_key.yaml", ":4:3: duplicate key 'name' in 'node'" },
	{ "bad_int.yaml",
	  ":8:12: 'dns.zones[0].ttl' must be an integer from 0 to "
	  "2147483647" },
	{ "bad_empty.yaml", ":1:1: the configuration is empty" },
	{ "bad_two_docs.yaml", ":7:1: only one YAML document is allowed" },
	{ "bad_no_zones.yaml", ":6:10: 'dns.zones' needs at least 1 entry" },
	{ "bad_zone_name.yaml",
	  ":7:13: 'dns.zones[0].name' is not a valid DNS name: "
	  "'api..example.com' (labels of 1-63 letters, digits, '-' or '_', "
	  "at most 253 characters)" },
	{ "bad_top.yaml", ":1:1: the top level must be a mapping, found a "
			  "sequence" },
	{ "bad_null.yaml", ":2:8: 'node.name' has no value" },
	{ "bad_check.yaml",
	  ":8:73: 'expect_status' only applies to http checks" },
	{ "bad_admin_group.yaml", ":8:16: 'control.admin_group': no group "
				  "'pmgtm-no-such-group' on this system" },
};

static void
test_bad_files(void **state)
{
	char path[512], want[1024], err[512];
	struct node_config *cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		snprintf(path, sizeof(path), "%s", DATA(""));
		strncat(path, bad_files[i].file,
			sizeof(path) - strlen(path) - 1);
		snprintf(want, sizeof(want), "%s%s", path, bad_files[i].want);
		cfg = (struct node_config *)1;
		assert_int_equal(node_config_load(path, &cfg, err, sizeof(err)),
				 -EINVAL);
		assert_null(cfg);
		assert_string_equal(err, want);
	}
}

/* A snippet written to a temp file; returns the error after the path. */
static const char *
load_text(const char *yaml, char *err, size_t errlen)
{
	char path[] = "/tmp/pmgtm-test-config-XXXXXX";
	struct node_config *cfg = NULL;
	FILE *f;
	int fd, rc;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(yaml, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	rc = node_config_load(path, &cfg, err, errlen);
	unlink(path);
	if (rc == 0) {
		node_config_free(cfg);
		return NULL;
	}
	assert_null(cfg);
	assert_true(rc < 0);
	assert_memory_equal(err, path, strlen(path));
	return err + strlen(path);
}

#define NODE "node: {name: lb1, addresses: [192.0.2.1]}\n"
#define DNS "dns: {listen: [192.0.2.1], zones: [{name: a.example}]}\n"
#define ZONE(z) "dns:\n  listen: [192.0.2.1]\n  zones:\n    - " z "\n"
#define L60 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefgh"
#define L63 L60 "ijk"

static const struct {
	const char *yaml, *want; /* want NULL: loads */
} snippets[] = {
	{ NODE DNS, NULL },
	{ NODE ZONE("{name: " L63 ".example}"), NULL },
	{ NODE ZONE("{name: " L63 "x.example}"),
	  ":5:14: 'dns.zones[0].name' is not a valid DNS name: "
	  "'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkx"
	  ".exa...' (labels of 1-63 letters, digits, '-' or '_', at most 253 "
	  "characters)" },
	{ NODE ZONE("{name: " L63 "." L63 "." L63 "." L60 "}"),
	  ":5:14: 'hostmaster.abcdefghijklmnopqrst...' is too long to be the "
	  "default SOA rname; set 'soa.rname'" },
	{ NODE ZONE("{name: " L63 "." L63 "." L63
		    ".abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx}"),
	  NULL },
	{ NODE ZONE("{name: " L63 "." L63 "." L63 "." L60
		    ", soa: {rname: a.b}}"),
	  NULL },
	{ NODE ZONE("{name: " L63 "." L63 "." L63 "." L60 "x}"),
	  ":5:14: 'hostmaster.abcdefghijklmnopqrst...' is too long to be the "
	  "default SOA rname; set 'soa.rname'" },
	{ NODE ZONE("{name: a.example, soa: {rname: me@example.com}}"),
	  ":5:38: 'dns.zones[0].soa.rname' is not a valid DNS name: "
	  "'me@example.com' (labels of 1-63 letters, digits, '-' or '_', at "
	  "most 253 characters)" },
	{ NODE ZONE("{name: a.example, soa: {serial: 4294967296}}"),
	  ":5:39: 'dns.zones[0].soa.serial' must be an integer from 0 to "
	  "4294967295" },
	{ NODE ZONE("{name: a.example, ns: [\"  \"]}"),
	  ":5:30: 'dns.zones[0].ns[0]' has no name" },
	{ NODE "dns:\n  listen: [192.0.2.1]\n  zones: [{name: A.example}, "
	       "{name: a.example.}]\n",
	  ":4:37: zone 'a.example' is listed twice" },
	{ NODE DNS "health_checks:\n  - {name: x, type: tcp, target: "
		   "127.0.0.1:1}\n  - {name: x, type: exec, target: true}\n",
	  ":5:12: health check 'x' is listed twice" },
	{ NODE DNS "health_checks: [{name: x, type: http, target: "
		   "\"https://h/\"}]\n",
	  ":3:47: 'health_checks[0].target' must be an http:// URL" },
	{ NODE DNS "health_checks: [{name: x, type: tcp, target: "
		   "127.0.0.1}]\n",
	  ":3:46: 'health_checks[0].target' is not an address: '127.0.0.1' "
	  "(want IP, IP:PORT or [IPv6]:PORT, with a port)" },
	{ NODE DNS "health_checks: [{name: x, type: tcp, target: \"1.2.3.4:1\","
		   " interval: 0s}]\n",
	  ":3:69: 'health_checks[0].interval' must be at least 1ms" },
	{ NODE DNS "health_checks: [{name: x, type: ping, target: a}]\n",
	  ":3:33: 'health_checks[0].type' must be one of: tcp, http, exec" },
	{ NODE DNS "health_checks: [{name: x, target: a}]\n",
	  ":3:17: missing required key 'type' in 'health_checks[0]'" },
	{ NODE DNS "control: {socket: /" L63 L63 "}\n",
	  ":3:19: 'control.socket' is too long for a unix socket path (at "
	  "most 107 bytes)" },
	{ NODE DNS "metrics: {}\n",
	  ":3:10: missing required key 'listen' in 'metrics'" },
	{ NODE DNS "control: {admin_group: root}\n", NULL },
	{ NODE DNS "control: {admin_group: \"\"}\n",
	  ":3:24: 'control.admin_group' is empty" },
	{ NODE DNS "control: {admin_group: [root]}\n",
	  ":3:24: 'control.admin_group' must be a scalar, found a sequence" },
	{ NODE DNS "log: {level: verbose}\n",
	  ":3:14: 'log.level' must be one of: debug, info, warn, error" },
	{ NODE DNS "log: [info]\n", ":3:6: 'log' must be a mapping, found a "
				    "sequence" },
	{ NODE DNS "zones: []\n",
	  ":3:1: unknown key 'zones' at the top level" },
	{ DNS, ":1:1: missing required key 'node' at the top level" },
	{ NODE DNS "? [a]\n: b\n",
	  ":3:3: keys must be scalars at the top level" },
	{ "node: {name: \"lb\\0\", addresses: [192.0.2.1]}\n" DNS,
	  ":1:14: 'node.name' contains a NUL character" },
	{ "node: {name: lb1, addresses: [[192.0.2.1]]}\n" DNS,
	  ":1:31: 'node.addresses[0]' must be a scalar, found a sequence" },
	{ "node: {name: lb1, addresses: []}\n" DNS,
	  ":1:30: 'node.addresses' needs at least 1 entry" },
	{ "node: {name: lb1, addresses: "
	  "[1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7]}\n" DNS,
	  ":1:30: 'node.addresses' has 17 entries, at most 16 are allowed" },
	{ "node: {name: lb1, addresses: [192.0.2.1], ns_name: -}\n" DNS, NULL },
	/* What peers refuse to hear announced is refused here already. */
	{ "node: {name: lb1, addresses: [0.0.0.0]}\n" DNS,
	  ":1:31: 'node.addresses[0]' cannot be a node's address: '0.0.0.0' "
	  "(unspecified, broadcast or multicast)" },
	{ "node: {name: lb1, addresses: [192.0.2.1, \"ff02::1\"]}\n" DNS,
	  ":1:42: 'node.addresses[1]' cannot be a node's address: 'ff02::1' "
	  "(unspecified, broadcast or multicast)" },
	{ "node: {name: lb1, addresses: [255.255.255.255]}\n" DNS,
	  ":1:31: 'node.addresses[0]' cannot be a node's address: "
	  "'255.255.255.255' (unspecified, broadcast or multicast)" },
	{ "node: {name: lb1, addresses: [192.0.2.1, 198.51.100.1, "
	  "192.0.2.1]}\n" DNS,
	  ":1:56: 'node.addresses[2]' repeats '192.0.2.1'" },
	{ "node: [[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]\n",
	  ":1:22: nested deeper than 16 levels" },
	{ NODE DNS "---\n" NODE, ":3:1: only one YAML document is allowed" },
	{ "node: {name: \"\xff\"}\n", ":1:15: invalid leading UTF-8 octet" },
	{ NODE DNS "cluster: {name: p, listen: 1.2.3.4, ca_file: c}\n",
	  ":1:7: missing required key 'state_dir' in 'node' (needed with a "
	  "'cluster' section)" },
	{ "node: {name: lb1, addresses: [192.0.2.1], state_dir: s, key_file: "
	  "k, cert_file: c}\n" DNS
	  "cluster: {name: p, listen: \"1.2.3.4:0\", ca_file: c}\n",
	  ":3:28: 'cluster.listen' is not an address: '1.2.3.4:0' (want IP, "
	  "IP:PORT or [IPv6]:PORT)" },
	{ "node: {name: lb1, addresses: [192.0.2.1], state_dir: s, key_file: "
	  "k, cert_file: c}\n" DNS
	  "cluster: {name: p, listen: 1.2.3.4, ca_file: c, min_active: -1}\n",
	  ":3:61: 'cluster.min_active' must be an integer from 0 to "
	  "4294967295" },
};

/* Reports every mismatch before failing, so one run fixes a whole table. */
static void
test_snippets(void **state)
{
	const char *got;
	char err[1024];
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(snippets) / sizeof(snippets[0]); i++) {
		got = load_text(snippets[i].yaml, err, sizeof(err));
		if (!got && !snippets[i].want)
			continue;
		if (got && snippets[i].want && !strcmp(got, snippets[i].want))
			continue;
		print_error("snippet %zu:\n  got  %s\n  want %s\n", i,
			    got ? got : "(loaded)",
			    snippets[i].want ? snippets[i].want : "(loads)");
		bad++;
	}
	assert_int_equal(bad, 0);
}

static void
test_errors_without_buffer(void **state)
{
	struct node_config *cfg = NULL;
	char small[8];

	(void)state;
	assert_int_equal(node_config_load(DATA("bad_ns.yaml"), &cfg, NULL, 0),
			 -EINVAL);
	assert_null(cfg);
	assert_int_equal(node_config_load(DATA("bad_ns.yaml"), &cfg, small,
					  sizeof(small)),
			 -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(
		node_config_load(DATA("nope.yaml"), &cfg, small, sizeof(small)),
		-ENOENT);
	assert_int_equal(node_config_load(PMGTM_TEST_DATA, &cfg, NULL, 0),
			 -EISDIR);
	node_config_free(NULL);
}

static void
test_missing_file(void **state)
{
	struct node_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(
		node_config_load(DATA("nope.yaml"), &cfg, err, sizeof(err)),
		-ENOENT);
	assert_string_equal(err, DATA("nope.yaml") ": No such file or "
						   "directory");
}

static void
test_ipaddr(void **state)
{
	static const struct {
		const char *text;
		int family;
	} t[] = {
		{ "192.0.2.1", 4 },
		{ "0.0.0.0", 4 },
		{ "::", 6 },
		{ "2001:db8::1", 6 },
		{ "::ffff:192.0.2.1", 6 },
		{ "192.0.2.256", 0 },
		{ "192.0.2", 0 },
		{ "192.0.2.1.5", 0 },
		{ "", 0 },
		{ " 192.0.2.1", 0 },
		{ "2001:db8::1%eth0", 0 },
		{ "[::1]", 0 },
		{ "lb1.example.com", 0 },
		{ "192.0.2.1:53", 0 },
	};
	struct ip_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&a, 0xaa, sizeof(a));
		assert_int_equal(node_ipaddr_parse(t[i].text, &a),
				 t[i].family ? 0 : -EINVAL);
		assert_int_equal(a.family, t[i].family);
		if (t[i].family)
			assert_ip(&a, t[i].family, t[i].text);
	}
	assert_int_equal(node_ipaddr_parse(NULL, &a), -EINVAL);
}

static void
test_sockaddr(void **state)
{
	static const struct {
		const char *text;
		uint16_t dflt;
		int family, port;
	} t[] = {
		{ "192.0.2.1:53", 53, AF_INET, 53 },
		{ "192.0.2.1", 5353, AF_INET, 5353 },
		{ "192.0.2.1:65535", 0, AF_INET, 65535 },
		{ "[2001:db8::1]:853", 53, AF_INET6, 853 },
		{ "[2001:db8::1]", 53, AF_INET6, 53 },
		{ "2001:db8::1", 53, AF_INET6, 53 },
		{ "::", 7946, AF_INET6, 7946 },
		{ "192.0.2.1", 0, 0, 0 },
		{ "192.0.2.1:0", 53, 0, 0 },
		{ "192.0.2.1:65536", 53, 0, 0 },
		{ "192.0.2.1:", 53, 0, 0 },
		{ "192.0.2.1:5x", 53, 0, 0 },
		{ "192.0.2.1:+53", 53, 0, 0 },
		{ "192.0.2.1:53:53", 53, 0, 0 },
		{ "[192.0.2.1]:53", 53, 0, 0 },
		{ "[2001:db8::1", 53, 0, 0 },
		{ "[2001:db8::1]53", 53, 0, 0 },
		{ "2001:db8::1:53x", 53, 0, 0 },
		{ "localhost:53", 53, 0, 0 },
		{ ":53", 53, 0, 0 },
		{ "", 53, 0, 0 },
		{ "[0000:0000:0000:0000:0000:ffff:192.168.100.200]:65535", 53,
		  AF_INET6, 65535 },
		{ "[0000:0000:0000:0000:0000:ffff:192.168.100.200]:"
		  "0000000000000065535",
		  53, 0, 0 },
		{ "[::ffff:192.168.100.200]:65535", 53, AF_INET6, 65535 },
	};
	struct node_sockaddr sa;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&sa, 0xaa, sizeof(sa));
		assert_int_equal(node_sockaddr_parse(t[i].text, t[i].dflt, &sa),
				 t[i].family ? 0 : -EINVAL);
		assert_int_equal(sa.ss.ss_family, t[i].family);
		if (!t[i].family) {
			assert_int_equal(sa.len, 0);
			continue;
		}
		assert_int_equal(port_of(&sa), t[i].port);
		assert_string_equal(sa.text, t[i].text);
		assert_int_equal(sa.len, t[i].family == AF_INET
						 ? sizeof(struct sockaddr_in)
						 : sizeof(struct sockaddr_in6));
	}
	assert_int_equal(node_sockaddr_parse(NULL, 53, &sa), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_good_minimal),
		cmocka_unit_test(test_good_cluster_defaults),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_snippets),
		cmocka_unit_test(test_errors_without_buffer),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_ipaddr),
		cmocka_unit_test(test_sockaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
