/*
 * Which /metrics connections are closed (node/obs/metrics_guard.c), on a
 * virtual clock: the request deadline, reset by each response; per
 * source, only the most recent stalled connections stay; quick requests
 * are never stalled; sources are addresses, /64 for IPv6.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "node/obs/metrics_guard.h"

#define DEADLINE 10000
#define GRACE 1000
#define PER_SOURCE 3

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (void *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static void
add(struct node_mguard *g, struct node_mguard_conn *c, const char *text,
    uint64_t now)
{
	struct sockaddr_storage ss = addr(text);

	memset(c, 0, sizeof(*c));
	node_mguard_add(g, c, (struct sockaddr *)&ss, now);
}

static void
on_cut(struct node_mguard_conn *c, void *arg)
{
	(*(int *)arg)++;
}

static uint64_t
sweep(struct node_mguard *g, uint64_t now, int *cuts)
{
	return node_mguard_sweep(g, now, DEADLINE, GRACE, PER_SOURCE, on_cut,
				 cuts);
}

static void
test_deadline(void **state)
{
	struct node_mguard g = { 0 };
	struct node_mguard_conn a;
	int cuts = 0;

	assert_int_equal(sweep(&g, 0, &cuts), UINT64_MAX);
	add(&g, &a, "192.0.2.1", 100);
	assert_int_equal(sweep(&g, 100, &cuts), GRACE);
	assert_int_equal(sweep(&g, 1100, &cuts), DEADLINE - 1000);
	node_mguard_done(&g, &a, 5000); /* a response went */
	assert_int_equal(sweep(&g, 14000, &cuts), 1000);
	assert_int_equal(cuts, 0);
	assert_false(a.cut);
	assert_int_equal(sweep(&g, 15000, &cuts), UINT64_MAX);
	assert_int_equal(cuts, 1);
	assert_true(a.cut);
	assert_int_equal(sweep(&g, 20000, &cuts), UINT64_MAX); /* once */
	assert_int_equal(cuts, 1);
	node_mguard_remove(&g, &a);
	assert_null(g.head);
}

/* Five stalled from one source: the two that waited longest go, in
 * whatever order they sit in the list; another source is untouched. */
static void
test_per_source(void **state)
{
	struct node_mguard g = { 0 };
	struct node_mguard_conn c[5], other;
	int cuts = 0;

	add(&g, &other, "198.51.100.1", 0);
	for (int i = 0; i < 5; i++)
		add(&g, &c[i], "192.0.2.1", 10 + (uint64_t)i);
	node_mguard_done(&g, &c[0], 20); /* now the most recent */
	assert_int_equal(sweep(&g, 500, &cuts), GRACE - 500);
	assert_int_equal(cuts, 0);
	sweep(&g, 1020, &cuts);
	assert_int_equal(cuts, 2);
	assert_true(c[1].cut && c[2].cut);
	assert_false(c[0].cut || c[3].cut || c[4].cut || other.cut);
	sweep(&g, 2000, &cuts);
	assert_int_equal(cuts, 2);
	for (int i = 0; i < 5; i++)
		node_mguard_remove(&g, &c[i]);
	node_mguard_remove(&g, &other);
}

/* A burst from one source whose requests complete is never stalled. */
static void
test_quick_burst(void **state)
{
	struct node_mguard g = { 0 };
	struct node_mguard_conn c[20];
	int cuts = 0;

	for (int i = 0; i < 20; i++)
		add(&g, &c[i], "192.0.2.1", (uint64_t)i);
	for (int i = 0; i < 20; i++)
		node_mguard_done(&g, &c[i], 900 + (uint64_t)i);
	assert_int_equal(sweep(&g, 1500, &cuts), 400);
	assert_int_equal(cuts, 0);
	for (int i = 0; i < 20; i++)
		node_mguard_remove(&g, &c[i]);
}

/* IPv6 sources are /64s; IPv4 ones single addresses. */
static void
test_sources(void **state)
{
	struct node_mguard g = { 0 };
	struct node_mguard_conn v6[4], v4[4];
	int cuts = 0;

	for (int i = 0; i < 4; i++) {
		char text[64];
		snprintf(text, sizeof(text), "2001:db8:0:1::%x", i + 1);
		add(&g, &v6[i], text, (uint64_t)i);
		snprintf(text, sizeof(text), "192.0.2.%d", i + 1);
		add(&g, &v4[i], text, (uint64_t)i);
	}
	sweep(&g, 5000, &cuts);
	assert_int_equal(cuts, 1);
	assert_true(v6[0].cut);
	for (int i = 0; i < 4; i++) {
		node_mguard_remove(&g, &v6[i]);
		node_mguard_remove(&g, &v4[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_per_source),
		cmocka_unit_test(test_quick_burst),
		cmocka_unit_test(test_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
