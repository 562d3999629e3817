/*
 * The DNS-over-TCP limits (node/dns/tcp_limits.c): which connection a
 * newcomer pushes out (the least recently active of its source when the
 * source is past its share, else of the listener), source prefixes (/32,
 * /64), the share itself, the output budgets, a table that grows past
 * its first buckets, and every allocation failing in turn.
 *
 * Allocation failures: the test is linked with -Wl,--wrap=calloc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "node/dns/tcp_limits.h"

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static long allocs_left = -1; /* -1: never fail */

void *
__wrap_calloc(size_t n, size_t size)
{
	if (allocs_left == 0)
		return NULL;
	if (allocs_left > 0)
		allocs_left--;
	return __real_calloc(n, size);
}

static const uint8_t KEY[NODE_TCP_LIMITS_KEY] = { 1, 2, 3 };

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
add(struct node_tcp_limits *l, struct node_tcp_slot *s, const char *text)
{
	struct sockaddr_storage ss = addr(text);

	assert_int_equal(node_tcp_limits_add(l, s, (struct sockaddr *)&ss), 0);
}

static void
test_peer_cap(void **state)
{
	static const uint32_t table[][2] = {
		{ 1, 1 },    { 4, 4 },	   { 8, 8 },
		{ 32, 8 },   { 64, 8 },	   { 100, 12 },
		{ 512, 64 }, { 1024, 64 }, { 1048576, 64 },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_int_equal(node_tcp_limits_peer_cap(table[i][0]),
				 table[i][1]);
}

/* Past the cap, the least recently active connection goes; a complete
 * message (touch) moves a connection to the safe end. */
static void
test_global_lru(void **state)
{
	struct node_tcp_limits l;
	struct node_tcp_slot s[5];
	char ip[32];

	node_tcp_limits_init(&l, KEY);
	for (int i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		add(&l, &s[i], ip);
		assert_null(node_tcp_limits_victim(&l, &s[i], 4));
	}
	node_tcp_limits_touch(&l, &s[0]); /* s[1] is now the oldest */
	add(&l, &s[4], "192.0.2.5");
	assert_ptr_equal(node_tcp_limits_victim(&l, &s[4], 4), &s[1]);
	node_tcp_limits_remove(&l, &s[1]);
	assert_null(node_tcp_limits_victim(&l, &s[4], 4));
	/* A lowered cap (a reload) takes one per call until under it. */
	assert_ptr_equal(node_tcp_limits_victim(&l, &s[4], 2), &s[2]);
	node_tcp_limits_remove(&l, &s[2]);
	assert_ptr_equal(node_tcp_limits_victim(&l, &s[4], 2), &s[3]);
	node_tcp_limits_remove(&l, &s[3]);
	assert_null(node_tcp_limits_victim(&l, &s[4], 2));
	assert_int_equal(l.n, 2);
	node_tcp_limits_remove(&l, &s[0]);
	node_tcp_limits_remove(&l, &s[4]);
	node_tcp_limits_fini(&l);
}

/* A source past its share pushes out its own oldest connection, never
 * another source's, even one that is older. */
static void
test_per_source(void **state)
{
	struct node_tcp_limits l;
	struct node_tcp_slot other, s[9];

	node_tcp_limits_init(&l, KEY);
	add(&l, &other, "198.51.100.7");
	for (int i = 0; i < 8; i++) {
		add(&l, &s[i], "192.0.2.1");
		assert_null(node_tcp_limits_victim(&l, &s[i], 32));
	}
	assert_int_equal(node_tcp_limits_peer_count(&s[0]), 8);
	assert_int_equal(node_tcp_limits_peer_count(&other), 1);
	node_tcp_limits_touch(&l, &s[0]);
	add(&l, &s[8], "192.0.2.1");
	assert_ptr_equal(node_tcp_limits_victim(&l, &s[8], 32), &s[1]);
	node_tcp_limits_remove(&l, &s[1]);
	assert_null(node_tcp_limits_victim(&l, &s[8], 32));
	for (int i = 0; i < 9; i++)
		if (i != 1)
			node_tcp_limits_remove(&l, &s[i]);
	node_tcp_limits_remove(&l, &other);
	assert_int_equal(l.n_peers, 0);
	node_tcp_limits_fini(&l);
}

/* IPv4 sources are /32, IPv6 sources /64; an unknown family is one more
 * source of its own. */
static void
test_prefixes(void **state)
{
	struct node_tcp_limits l;
	struct node_tcp_slot a, b, c, d, e, f;

	node_tcp_limits_init(&l, KEY);
	add(&l, &a, "2001:db8:1:2::1");
	add(&l, &b, "2001:db8:1:2:ffff:ffff:ffff:ffff");
	add(&l, &c, "2001:db8:1:3::1");
	add(&l, &d, "192.0.2.1");
	add(&l, &e, "192.0.2.2");
	assert_int_equal(node_tcp_limits_add(&l, &f, NULL), 0);
	assert_int_equal(node_tcp_limits_peer_count(&a), 2);
	assert_int_equal(node_tcp_limits_peer_count(&c), 1);
	assert_int_equal(node_tcp_limits_peer_count(&d), 1);
	assert_int_equal(node_tcp_limits_peer_count(&f), 1);
	assert_int_equal(l.n_peers, 5);
	node_tcp_limits_remove(&l, &a);
	assert_int_equal(node_tcp_limits_peer_count(&b), 1);
	node_tcp_limits_remove(&l, &b);
	node_tcp_limits_remove(&l, &c);
	node_tcp_limits_remove(&l, &d);
	node_tcp_limits_remove(&l, &e);
	node_tcp_limits_remove(&l, &f);
	assert_int_equal(l.n_peers, 0);
	node_tcp_limits_fini(&l);
}

/* On a dual-stack listener IPv4 clients arrive mapped into IPv6: each is
 * its own source, the same as when it arrives as IPv4, not one /64 that
 * every IPv4 client would share. */
static void
test_mapped_ipv4(void **state)
{
	struct node_tcp_limits l;
	struct node_tcp_slot a, b, c;

	node_tcp_limits_init(&l, KEY);
	add(&l, &a, "::ffff:192.0.2.1");
	add(&l, &b, "::ffff:198.51.100.7");
	add(&l, &c, "192.0.2.1");
	assert_int_equal(node_tcp_limits_peer_count(&a), 2);
	assert_int_equal(node_tcp_limits_peer_count(&b), 1);
	assert_int_equal(l.n_peers, 2);
	node_tcp_limits_remove(&l, &a);
	node_tcp_limits_remove(&l, &b);
	node_tcp_limits_remove(&l, &c);
	node_tcp_limits_fini(&l);
}

/* Thousands of sources: the table grows, every count stays right. */
static void
test_many_sources(void **state)
{
	enum {
		N = 3000
	};
	struct node_tcp_limits l;
	struct node_tcp_slot *s = calloc(N * 2, sizeof(*s));
	char ip[64];

	assert_non_null(s);
	node_tcp_limits_init(&l, KEY);
	for (int i = 0; i < N * 2; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:%x::%x", i % N, i);
		add(&l, &s[i], ip);
	}
	assert_int_equal(l.n_peers, N);
	assert_true(l.n_buckets >= N);
	for (int i = 0; i < N; i++)
		assert_int_equal(node_tcp_limits_peer_count(&s[i]), 2);
	for (int i = 0; i < N; i++)
		node_tcp_limits_remove(&l, &s[i]);
	assert_int_equal(l.n_peers, N);
	for (int i = N; i < N * 2; i++)
		assert_int_equal(node_tcp_limits_peer_count(&s[i]), 1);
	for (int i = N; i < N * 2; i++)
		node_tcp_limits_remove(&l, &s[i]);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.n_peers, 0);
	node_tcp_limits_fini(&l);
	free(s);
}

/* Per connection: 64 answers or 64 KiB; per listener: 8 MiB; but a
 * connection with nothing queued may always answer. */
static void
test_output_budget(void **state)
{
	struct node_tcp_limits l;

	node_tcp_limits_init(&l, KEY);
	assert_true(node_tcp_limits_may_answer(&l, 0, 0));
	assert_true(node_tcp_limits_may_answer(&l, NODE_TCP_CONN_ANSWERS - 1,
					       NODE_TCP_CONN_BYTES - 1));
	assert_false(node_tcp_limits_may_answer(&l, NODE_TCP_CONN_ANSWERS, 1));
	assert_false(node_tcp_limits_may_answer(&l, 1, NODE_TCP_CONN_BYTES));
	l.out_bytes = NODE_TCP_OUT_BYTES;
	assert_false(node_tcp_limits_may_answer(&l, 1, 100));
	assert_true(node_tcp_limits_may_answer(&l, 0, 0));
	l.out_bytes = 0;
	node_tcp_limits_fini(&l);
}

/* Each allocation failing in turn: the add fails cleanly with -ENOMEM
 * and leaves the limits as they were. */
static void
test_out_of_memory(void **state)
{
	struct node_tcp_limits l;
	struct node_tcp_slot a, b;
	struct sockaddr_storage ss = addr("192.0.2.1");

	for (long fail_at = 0; fail_at < 2; fail_at++) {
		node_tcp_limits_init(&l, KEY);
		allocs_left = fail_at;
		assert_int_equal(
			node_tcp_limits_add(&l, &a, (struct sockaddr *)&ss),
			-ENOMEM);
		allocs_left = -1;
		assert_int_equal(l.n, 0);
		assert_int_equal(l.n_peers, 0);
		add(&l, &a, "192.0.2.1");
		/* A known source needs no allocation. */
		allocs_left = 0;
		add(&l, &b, "192.0.2.1");
		allocs_left = -1;
		assert_int_equal(node_tcp_limits_peer_count(&a), 2);
		node_tcp_limits_remove(&l, &a);
		node_tcp_limits_remove(&l, &b);
		node_tcp_limits_fini(&l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_cap),
		cmocka_unit_test(test_global_lru),
		cmocka_unit_test(test_per_source),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_mapped_ipv4),
		cmocka_unit_test(test_many_sources),
		cmocka_unit_test(test_output_budget),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
