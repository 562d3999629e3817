/*
 * The exposition writer (node/obs/expo.c): exact text for counters, gauges
 * and histograms, label escaping, the checks that keep a scrape valid
 * (names, duplicates, label sets), sticky errors, every allocation
 * failing in turn, and promtool's verdict on a sample when promtool is
 * installed (skipped otherwise; the integration test always runs it).
 *
 * Allocation failures: the test is linked with -Wl,--wrap=realloc and
 * --wrap=calloc, so the writer's allocations go through the counters
 * below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/obs/expo.h"

#define PROMTOOL "/usr/bin/promtool"

/* ---- allocation failures ---- */

void *__real_realloc(void *p, size_t n);
void *__real_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_calloc(size_t n, size_t size);

static long allocs_left = -1; /* -1: never fail */

static bool
alloc_fails(void)
{
	if (allocs_left < 0)
		return false;
	if (allocs_left == 0)
		return true;
	allocs_left--;
	return false;
}

void *
__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __real_calloc(n, size);
}

/* ---- helpers ---- */

#define L(n, v) ((struct node_expo_label){ (n), (v) })

static struct node_expo *
new_expo(void)
{
	struct node_expo *e = node_expo_new();

	assert_non_null(e);
	return e;
}

static void
assert_text(const struct node_expo *e, const char *want)
{
	size_t len;
	const char *got = node_expo_data(e, &len);

	if (node_expo_error(e))
		fail_msg("error %d: %s", node_expo_error(e),
			 node_expo_errmsg(e));
	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("got:\n%s\nwant:\n%s", got, want);
}

/* ---- tests ---- */

static void
test_counter_gauge(void **state)
{
	struct node_expo *e = new_expo();
	struct node_expo_label l[] = { L("zone", "api.example.com"),
				       L("proto", "udp") };

	assert_int_equal(node_expo_family(e, "pmgtm_q_total", NODE_EXPO_COUNTER,
					  "Queries."),
			 0);
	assert_int_equal(node_expo_u64(e, l, 2, 18446744073709551615ull), 0);
	l[1].value = "tcp";
	assert_int_equal(node_expo_u64(e, l, 2, 0), 0);
	assert_int_equal(
		node_expo_family(e, "pmgtm_up", NODE_EXPO_GAUGE, "Up."), 0);
	assert_int_equal(node_expo_double(e, NULL, 0, 0.1), 0);
	assert_int_equal(
		node_expo_family(e, "pmgtm_x", NODE_EXPO_GAUGE, "Values."), 0);
	const double v[] = { 1e21, -2.5, 1.0 / 3, NAN, INFINITY, -INFINITY };
	const char *k[] = { "a", "b", "c", "d", "e", "f" };
	for (size_t i = 0; i < 6; i++) {
		struct node_expo_label x = L("k", k[i]);
		assert_int_equal(node_expo_double(e, &x, 1, v[i]), 0);
	}
	assert_int_equal(node_expo_family(e, "pmgtm_empty", NODE_EXPO_GAUGE,
					  "None yet."),
			 0);
	assert_text(e,
		    "# HELP pmgtm_q_total Queries.\n"
		    "# TYPE pmgtm_q_total counter\n"
		    "pmgtm_q_total{zone=\"api.example.com\",proto=\"udp\"} "
		    "18446744073709551615\n"
		    "pmgtm_q_total{zone=\"api.example.com\",proto=\"tcp\"} 0\n"
		    "# HELP pmgtm_up Up.\n"
		    "# TYPE pmgtm_up gauge\n"
		    "pmgtm_up 0.1\n"
		    "# HELP pmgtm_x Values.\n"
		    "# TYPE pmgtm_x gauge\n"
		    "pmgtm_x{k=\"a\"} 1e+21\n"
		    "pmgtm_x{k=\"b\"} -2.5\n"
		    "pmgtm_x{k=\"c\"} 0.3333333333333333\n"
		    "pmgtm_x{k=\"d\"} NaN\n"
		    "pmgtm_x{k=\"e\"} +Inf\n"
		    "pmgtm_x{k=\"f\"} -Inf\n"
		    "# HELP pmgtm_empty None yet.\n"
		    "# TYPE pmgtm_empty gauge\n");
	node_expo_free(e);
}

static void
test_escaping(void **state)
{
	struct node_expo *e = new_expo();
	struct node_expo_label l = L("check", "a\\b\"c\nd\xc3\xa9");

	assert_int_equal(node_expo_family(e, "pmgtm_e", NODE_EXPO_GAUGE,
					  "Back\\slash \"quoted\"\nnext line."),
			 0);
	assert_int_equal(node_expo_u64(e, &l, 1, 1), 0);
	/* Escaped text that only differs once unescaped: two series. */
	l.value = "a\\\\b";
	assert_int_equal(node_expo_u64(e, &l, 1, 2), 0);
	l.value = "a\\b";
	assert_int_equal(node_expo_u64(e, &l, 1, 3), 0);
	l.value = "";
	assert_int_equal(node_expo_u64(e, &l, 1, 4), 0);
	assert_text(e, "# HELP pmgtm_e Back\\\\slash \"quoted\"\\nnext line.\n"
		       "# TYPE pmgtm_e gauge\n"
		       "pmgtm_e{check=\"a\\\\b\\\"c\\nd\xc3\xa9\"} 1\n"
		       "pmgtm_e{check=\"a\\\\\\\\b\"} 2\n"
		       "pmgtm_e{check=\"a\\\\b\"} 3\n"
		       "pmgtm_e{check=\"\"} 4\n");
	node_expo_free(e);
}

static void
test_histogram(void **state)
{
	struct node_expo *e = new_expo();
	const double b[] = { 0.001, 0.01, 0.1 };
	const uint64_t c[] = { 3, 0, 5, 2 }; /* per bucket, 2 above 0.1 */
	struct node_expo_label l = L("peer", "lb2");

	assert_int_equal(node_expo_family(e, "pmgtm_rtt_seconds",
					  NODE_EXPO_HISTOGRAM, "RTT."),
			 0);
	assert_int_equal(node_expo_histogram(e, &l, 1, b, c, 3, 0.75), 0);
	l.value = "lb3";
	assert_int_equal(node_expo_histogram(e, &l, 1, b, c, 0, 0), 0);
	assert_text(e, "# HELP pmgtm_rtt_seconds RTT.\n"
		       "# TYPE pmgtm_rtt_seconds histogram\n"
		       "pmgtm_rtt_seconds_bucket{peer=\"lb2\",le=\"0.001\"} 3\n"
		       "pmgtm_rtt_seconds_bucket{peer=\"lb2\",le=\"0.01\"} 3\n"
		       "pmgtm_rtt_seconds_bucket{peer=\"lb2\",le=\"0.1\"} 8\n"
		       "pmgtm_rtt_seconds_bucket{peer=\"lb2\",le=\"+Inf\"} 10\n"
		       "pmgtm_rtt_seconds_sum{peer=\"lb2\"} 0.75\n"
		       "pmgtm_rtt_seconds_count{peer=\"lb2\"} 10\n"
		       "pmgtm_rtt_seconds_bucket{peer=\"lb3\",le=\"+Inf\"} 3\n"
		       "pmgtm_rtt_seconds_sum{peer=\"lb3\"} 0\n"
		       "pmgtm_rtt_seconds_count{peer=\"lb3\"} 3\n");
	node_expo_free(e);

	/* Without labels. */
	e = new_expo();
	assert_int_equal(node_expo_family(e, "h", NODE_EXPO_HISTOGRAM, "H."),
			 0);
	assert_int_equal(node_expo_histogram(e, NULL, 0, b, c, 1, 2), 0);
	assert_text(e, "# HELP h H.\n# TYPE h histogram\n"
		       "h_bucket{le=\"0.001\"} 3\n"
		       "h_bucket{le=\"+Inf\"} 3\n"
		       "h_sum 2\nh_count 3\n");
	node_expo_free(e);

	/* Bad bounds: not increasing, or not finite. */
	const double bad[][2] = {
		{ 1, 1 }, { 2, 1 }, { 1, INFINITY }, { NAN, 1 }
	};
	for (size_t i = 0; i < 4; i++) {
		e = new_expo();
		assert_int_equal(
			node_expo_family(e, "h", NODE_EXPO_HISTOGRAM, "H."), 0);
		assert_int_equal(
			node_expo_histogram(e, NULL, 0, bad[i], c, 2, 0),
			-EINVAL);
		node_expo_free(e);
	}
}

/* The +Inf bucket equals _count, whatever the counts. */
static void
test_histogram_inf_is_count(void **state)
{
	uint64_t seed = 12345, c[NODE_EXPO_BUCKETS_MAX + 1];
	double b[NODE_EXPO_BUCKETS_MAX];

	for (int round = 0; round < 50; round++) {
		struct node_expo *e = new_expo();
		size_t nb = (size_t)round % (NODE_EXPO_BUCKETS_MAX + 1);
		uint64_t total = 0;
		for (size_t i = 0; i <= nb; i++) {
			seed = seed * 6364136223846793005ull + 1;
			c[i] = seed >> 40;
			total += c[i];
			if (i < nb)
				b[i] = (double)(i + 1) / 8;
		}
		assert_int_equal(
			node_expo_family(e, "h", NODE_EXPO_HISTOGRAM, "H."), 0);
		assert_int_equal(node_expo_histogram(e, NULL, 0, b, c, nb, 1),
				 0);
		size_t len;
		const char *t = node_expo_data(e, &len);
		char want[64];
		snprintf(want, sizeof(want), "h_bucket{le=\"+Inf\"} %llu\n",
			 (unsigned long long)total);
		assert_non_null(strstr(t, want));
		snprintf(want, sizeof(want), "h_count %llu\n",
			 (unsigned long long)total);
		assert_non_null(strstr(t, want));
		/* Cumulative: never decreasing along the buckets. */
		uint64_t last = 0;
		for (const char *p = strstr(t, "h_bucket"); p;
		     p = strstr(p + 1, "h_bucket")) {
			uint64_t v = strtoull(strchr(p, ' ') + 1, NULL, 10);
			assert_true(v >= last);
			last = v;
		}
		assert_int_equal(last, total);
		node_expo_free(e);
	}
}

static void
test_duplicates(void **state)
{
	struct node_expo *e = new_expo();
	struct node_expo_label l[] = { L("a", "1"), L("b", "2") };

	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
	assert_int_equal(node_expo_u64(e, l, 2, 1), 0);
	l[1].value = "3";
	assert_int_equal(node_expo_u64(e, l, 2, 1), 0);
	l[1].value = "2";
	assert_int_equal(node_expo_u64(e, l, 2, 1), -EEXIST);
	assert_non_null(strstr(node_expo_errmsg(e), "g{a=\"1\",b=\"2\"}"));
	/* Sticky: nothing more is written. */
	size_t before, after;
	node_expo_data(e, &before);
	assert_int_equal(node_expo_family(e, "h", NODE_EXPO_GAUGE, "H."),
			 -EEXIST);
	node_expo_data(e, &after);
	assert_int_equal(before, after);
	node_expo_free(e);

	/* Many series: the table grows and still finds every one. */
	e = new_expo();
	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
	char v[16];
	struct node_expo_label x = L("i", v);
	for (int i = 0; i < 1000; i++) {
		snprintf(v, sizeof(v), "%d", i);
		assert_int_equal(node_expo_u64(e, &x, 1, 1), 0);
	}
	snprintf(v, sizeof(v), "%d", 777);
	assert_int_equal(node_expo_u64(e, &x, 1, 1), -EEXIST);
	node_expo_free(e);

	/* The same labels in another family are another series; no labels
	 * at all is a series too. */
	e = new_expo();
	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
	assert_int_equal(node_expo_u64(e, NULL, 0, 1), 0);
	assert_int_equal(node_expo_family(e, "k", NODE_EXPO_GAUGE, "K."), 0);
	assert_int_equal(node_expo_u64(e, NULL, 0, 1), 0);
	assert_int_equal(node_expo_u64(e, NULL, 0, 1), -EEXIST);
	node_expo_free(e);

	/* A family twice; a name a histogram's samples use. */
	const struct {
		const char *first, *second;
		enum node_expo_type t1, t2;
	} fam[] = {
		{ "g", "g", NODE_EXPO_GAUGE, NODE_EXPO_GAUGE },
		{ "h", "h", NODE_EXPO_HISTOGRAM, NODE_EXPO_GAUGE },
		{ "h", "h_bucket", NODE_EXPO_HISTOGRAM, NODE_EXPO_HISTOGRAM },
		{ "h_count", "h", NODE_EXPO_HISTOGRAM, NODE_EXPO_HISTOGRAM },
	};
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		e = new_expo();
		assert_int_equal(
			node_expo_family(e, fam[i].first, fam[i].t1, "F."), 0);
		assert_int_equal(
			node_expo_family(e, fam[i].second, fam[i].t2, "F."),
			-EEXIST);
		node_expo_free(e);
	}
}

static void
test_rejected(void **state)
{
	const struct {
		const char *name;
		enum node_expo_type type;
		const char *help;
	} fam[] = {
		{ "", NODE_EXPO_GAUGE, "x" },
		{ "1abc", NODE_EXPO_GAUGE, "x" },
		{ "a-b", NODE_EXPO_GAUGE, "x" },
		{ "a b", NODE_EXPO_GAUGE, "x" },
		{ "ok", NODE_EXPO_GAUGE, "" },
		{ "ok", NODE_EXPO_GAUGE, NULL },
		{ "ok", NODE_EXPO_GAUGE, "bad \xff utf-8" },
		{ "requests", NODE_EXPO_COUNTER, "x" },
		{ "requests_total", NODE_EXPO_GAUGE, "x" },
		{ "x_count", NODE_EXPO_GAUGE, "x" },
		{ "x_sum", NODE_EXPO_GAUGE, "x" },
		{ "x_bucket", NODE_EXPO_COUNTER, "x" },
		{ "ok", (enum node_expo_type)7, "x" },
	};
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		struct node_expo *e = new_expo();
		if (node_expo_family(e, fam[i].name, fam[i].type,
				     fam[i].help) != -EINVAL)
			fail_msg("family %zu (%s) accepted", i, fam[i].name);
		node_expo_free(e);
	}

	const struct node_expo_label bad[][2] = {
		{ L("le", "1") },
		{ L("__x", "1") },
		{ L("a:b", "1") },
		{ L("0a", "1") },
		{ L(NULL, "1") },
		{ L("a", NULL) },
		{ L("a", "\xc0\xaf") },	    /* overlong '/' */
		{ L("a", "\xed\xa0\x80") }, /* a surrogate */
		{ L("a", "\xe2\x82") },	    /* cut short */
		{ L("a", "1"), L("a", "2") },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct node_expo *e = new_expo();
		size_t n = bad[i][1].name ? 2 : 1;
		assert_int_equal(
			node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
		if (node_expo_u64(e, bad[i], n, 1) != -EINVAL)
			fail_msg("labels %zu accepted", i);
		node_expo_free(e);
	}

	/* Misuse: a sample before any family, other label names than the
	 * first sample's, a plain sample in a histogram, a histogram in a
	 * gauge, a negative counter, too many labels. */
	struct node_expo *e = new_expo();
	assert_int_equal(node_expo_u64(e, NULL, 0, 1), -EINVAL);
	node_expo_free(e);

	struct node_expo_label ab[] = { L("a", "1"), L("b", "2") };
	struct node_expo_label ba[] = { L("b", "2"), L("a", "1") };
	e = new_expo();
	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
	assert_int_equal(node_expo_u64(e, ab, 2, 1), 0);
	assert_int_equal(node_expo_u64(e, ba, 2, 1), -EINVAL);
	node_expo_free(e);

	e = new_expo();
	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
	assert_int_equal(node_expo_u64(e, ab, 2, 1), 0);
	assert_int_equal(node_expo_u64(e, ab, 1, 1), -EINVAL);
	node_expo_free(e);

	e = new_expo();
	assert_int_equal(node_expo_family(e, "h", NODE_EXPO_HISTOGRAM, "H."),
			 0);
	assert_int_equal(node_expo_u64(e, NULL, 0, 1), -EINVAL);
	node_expo_free(e);

	const uint64_t c[1] = { 0 };
	e = new_expo();
	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
	assert_int_equal(node_expo_histogram(e, NULL, 0, NULL, c, 0, 0),
			 -EINVAL);
	node_expo_free(e);

	e = new_expo();
	assert_int_equal(
		node_expo_family(e, "c_total", NODE_EXPO_COUNTER, "C."), 0);
	assert_int_equal(node_expo_double(e, NULL, 0, -1), -EINVAL);
	node_expo_free(e);

	struct node_expo_label many[NODE_EXPO_LABELS_MAX + 1];
	char names[NODE_EXPO_LABELS_MAX + 1][8];
	for (size_t i = 0; i <= NODE_EXPO_LABELS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "l%zu", i);
		many[i] = L(names[i], "v");
	}
	e = new_expo();
	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
	assert_int_equal(node_expo_u64(e, many, NODE_EXPO_LABELS_MAX, 1), 0);
	assert_int_equal(node_expo_u64(e, many, NODE_EXPO_LABELS_MAX + 1, 1),
			 -EINVAL);
	node_expo_free(e);

	/* A caller's own failure sticks like the writer's. */
	e = new_expo();
	node_expo_fail(e, -ENOMEM, "gathering members");
	node_expo_fail(e, -EIO, "later");
	assert_int_equal(node_expo_error(e), -ENOMEM);
	assert_string_equal(node_expo_errmsg(e), "gathering members");
	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."),
			 -ENOMEM);
	node_expo_free(e);
}

/* A little of everything, as the daemon writes it. */
static int
write_sample(struct node_expo *e)
{
	const double b[] = { 0.0005, 0.001, 0.005, 0.01, 0.05 };
	const uint64_t c[] = { 1, 2, 3, 4, 5, 6 };
	char v[16];
	struct node_expo_label l[] = { L("zone", "api.example.com"),
				       L("rcode", v) };

	node_expo_family(e, "pmgtm_build_info", NODE_EXPO_GAUGE,
			 "Build information; the value is always 1.");
	node_expo_u64(e, &(struct node_expo_label){ "version", "0.1.0" }, 1, 1);
	node_expo_family(e, "pmgtm_dns_responses_total", NODE_EXPO_COUNTER,
			 "DNS responses by zone and rcode.");
	for (int i = 0; i < 200; i++) {
		snprintf(v, sizeof(v), "R%d", i);
		node_expo_u64(e, l, 2, (uint64_t)i * 1000);
	}
	node_expo_family(e, "pmgtm_members", NODE_EXPO_GAUGE,
			 "Cluster members by state.");
	node_expo_family(e, "pmgtm_probe_rtt_seconds", NODE_EXPO_HISTOGRAM,
			 "Probe round-trip times.");
	node_expo_histogram(e, &(struct node_expo_label){ "peer", "lb\"2\n" },
			    1, b, c, 5, 0.0421);
	node_expo_family(e, "process_cpu_seconds_total", NODE_EXPO_COUNTER,
			 "Total user and system CPU time spent in seconds.");
	return node_expo_double(e, NULL, 0, 0.37);
}

static void
test_out_of_memory(void **state)
{
	bool succeeded = false;

	for (long k = 0; k < 1000 && !succeeded; k++) {
		allocs_left = k;
		struct node_expo *e = node_expo_new();
		int r = e ? write_sample(e) : -ENOMEM;
		if (r == 0) {
			size_t len;
			char *t = node_expo_take(e, &len);
			r = t ? 0 : -ENOMEM;
			free(t);
		}
		allocs_left = -1;
		if (r != 0 && r != -ENOMEM)
			fail_msg("allocation %ld failing: %d", k, r);
		succeeded = r == 0;
		node_expo_free(e);
	}
	assert_true(succeeded);
}

static void
test_take(void **state)
{
	struct node_expo *e = new_expo();
	size_t len = 99;
	char *t = node_expo_take(e, &len);

	assert_string_equal(t, "");
	assert_int_equal(len, 0);
	free(t);
	assert_int_equal(node_expo_family(e, "g", NODE_EXPO_GAUGE, "G."), 0);
	t = node_expo_take(e, &len);
	assert_int_equal(len, strlen(t));
	assert_string_equal(t, "# HELP g G.\n# TYPE g gauge\n");
	free(t);
	node_expo_free(e);
}

static void
test_promtool(void **state)
{
	if (access(PROMTOOL, X_OK) != 0)
		skip();
	struct node_expo *e = new_expo();
	assert_int_equal(write_sample(e), 0);
	char path[] = "/tmp/pmgtm-expo-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len;
	const char *t = node_expo_data(e, &len);
	assert_int_equal(write(fd, t, len), (ssize_t)len);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s", path);
	int st = system(cmd);
	unlink(path);
	node_expo_free(e);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_gauge),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_inf_is_count),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
