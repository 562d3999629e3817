/*
 * node/dns/udp.c and tcp.c on a hand-built struct node_dns_service: real
 * sockets on 127.0.0.211, a real libuv loop, a view built here, a fixed
 * cookie clock. The test is the client, with plain sockets, and runs the
 * loop until each answer is there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/view.h"
#include "dnsq.h"
#include "node/dns/service.h"
#include "node/dns/stats.h"

#define T_A 1
#define C_IN 1
#define ZONE "api.example.com"
#define HOST "127.0.0.211"
#define CLIENT "127.0.0.212"
#define PORT 10053

/* Every malloc of the listeners: the largest since the last reset. */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static size_t malloc_max;

void *
__wrap_malloc(size_t n)
{
	if (n > malloc_max)
		malloc_max = n;
	return __real_malloc(n);
}

struct fx {
	uv_loop_t loop;
	struct dns_view *views[2];
	const struct dns_view *view; /* the current one, as the daemon has */
	struct dns_cookie_secrets secrets;
	struct node_stats stats;
	uint32_t now;
	struct node_dns_service svc;
	struct node_udp *udp;
	struct node_tcp *tcp;
	struct sockaddr_in addr;
	uint8_t q[512], a[65536 + 2];
	struct dnsq_resp r;
};

static uint32_t
fake_clock(void *ctx)
{
	return *(const uint32_t *)ctx;
}

/* A one-zone view answering with @self. */
static struct dns_view *
view_new(const char *self)
{
	struct ip_addr me = { .family = 4 };
	struct dns_spec_host ns = { "lb1." ZONE, &me, 1 };
	struct dns_spec_zone z = {
		.name = ZONE,
		.ttl = 30,
		.ns = &ns,
		.n_ns = 1,
		.soa_rname = "hostmaster.example.com",
		.serial = 1,
		.refresh = 1200,
		.retry = 180,
		.expire = 1209600,
		.minimum = 20,
	};
	struct dns_view_spec spec = {
		.node_name = "lb1",
		.self = &me,
		.n_self = 1,
		.zones = &z,
		.n_zones = 1,
	};
	struct dns_view *v = NULL;
	char err[256];

	assert_int_equal(inet_pton(AF_INET, self, me.bytes), 1);
	if (dns_view_new(&spec, &v, err, sizeof(err)))
		fail_msg("%s", err);
	return v;
}

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct node_sockaddr sa = { 0 };

	assert_non_null(x);
	assert_true(sodium_init() >= 0);
	assert_int_equal(uv_loop_init(&x->loop), 0);
	x->views[0] = view_new("192.0.2.1");
	x->views[1] = view_new("192.0.2.2");
	x->view = x->views[0];
	memset(x->secrets.current, 0x42, sizeof(x->secrets.current));
	assert_int_equal(node_stats_init(&x->stats, 1), 0);
	x->now = 1000000;
	x->svc = (struct node_dns_service){
		.loop = &x->loop,
		.view = &x->view,
		.cookies = &x->secrets,
		.stats = &x->stats,
		.clock = fake_clock,
		.clock_ctx = &x->now,
		.tcp_idle_timeout_ms = 10000,
		.tcp_max_connections = 16,
	};
	x->addr.sin_family = AF_INET;
	x->addr.sin_port = htons(PORT);
	assert_int_equal(inet_pton(AF_INET, HOST, &x->addr.sin_addr), 1);
	memcpy(&sa.ss, &x->addr, sizeof(x->addr));
	sa.len = sizeof(x->addr);
	assert_int_equal(node_udp_open(&x->svc, &sa, &x->udp), 0);
	assert_int_equal(node_tcp_open(&x->svc, &sa, &x->tcp), 0);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;

	node_udp_close(x->udp);
	node_tcp_close(x->tcp);
	uv_run(&x->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&x->loop), 0);
	node_stats_fini(&x->stats);
	dns_view_free(x->views[0]);
	dns_view_free(x->views[1]);
	free(x);
	return 0;
}

/* Runs the loop until @fd has @want bytes to read; fails after about
 * ten seconds so a lost answer ends the test rather than hangs it. */
static void
pump(struct fx *x, int fd, size_t want)
{
	static uint8_t peek[4096];

	assert_true(want <= sizeof(peek));
	for (int i = 0; i < 1000; i++) {
		uv_run(&x->loop, UV_RUN_NOWAIT);
		ssize_t n =
			recv(fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
		if (n >= (ssize_t)want)
			return;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		poll(&p, 1, 10);
	}
	fail_msg("no answer");
}

/* A socket bound to CLIENT, the address cookies are made for. */
static int
client(int type)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, CLIENT, &me.sin_addr), 1);
	assert_int_equal(bind(fd, (const struct sockaddr *)&me, sizeof(me)), 0);
	return fd;
}

static int
udp_client(void)
{
	return client(SOCK_DGRAM);
}

/* Asks over UDP from @fd and parses the answer into x->r. */
static void
ask_udp(struct fx *x, int fd, const struct dnsq_opts *o)
{
	size_t ql = dnsq_build(x->q, ZONE, T_A, C_IN, o);

	assert_int_equal(sendto(fd, x->q, ql, 0,
				(const struct sockaddr *)&x->addr,
				sizeof(x->addr)),
			 (ssize_t)ql);
	pump(x, fd, 1);
	ssize_t n = recv(fd, x->a, sizeof(x->a), 0);
	assert_true(n > 0);
	assert_int_equal(dnsq_parse(x->a, (size_t)n, &x->r), 0);
}

static int
tcp_client(struct fx *x)
{
	int fd = client(SOCK_STREAM);

	/* The kernel completes the handshake; the loop accepts later. */
	assert_int_equal(
		connect(fd, (const struct sockaddr *)&x->addr, sizeof(x->addr)),
		0);
	return fd;
}

static void
send_tcp(struct fx *x, int fd, uint16_t id)
{
	struct dnsq_opts o = { .id = id };
	size_t ql = dnsq_build(x->q + 2, ZONE, T_A, C_IN, &o);

	x->q[0] = (uint8_t)(ql >> 8);
	x->q[1] = (uint8_t)ql;
	assert_int_equal(send(fd, x->q, ql + 2, 0), (ssize_t)(ql + 2));
}

/* Reads one length-prefixed answer from @fd into x->r. */
static void
read_tcp(struct fx *x, int fd)
{
	pump(x, fd, 2);
	assert_int_equal(recv(fd, x->a, 2, MSG_WAITALL), 2);
	size_t len = (size_t)x->a[0] << 8 | x->a[1];
	pump(x, fd, len);
	assert_int_equal(recv(fd, x->a, len, MSG_WAITALL), (ssize_t)len);
	assert_int_equal(dnsq_parse(x->a, len, &x->r), 0);
}

static void
assert_answer(const struct fx *x, uint16_t id, const char *addr)
{
	uint8_t want[4];

	assert_int_equal(inet_pton(AF_INET, addr, want), 1);
	assert_int_equal(x->r.id, id);
	assert_int_equal(x->r.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(x->r.an, 1);
	assert_int_equal(x->r.rr[0].type, T_A);
	assert_int_equal(x->r.rr[0].rdlen, 4);
	assert_memory_equal(x->r.rr[0].rdata, want, 4);
}

static void
test_udp_answers_and_counts(void **state)
{
	struct fx *x = *state;
	int fd = udp_client();

	for (uint16_t id = 1; id <= 3; id++) {
		struct dnsq_opts o = { .id = id };
		ask_udp(x, fd, &o);
		assert_answer(x, id, "192.0.2.1");
	}
	assert_int_equal(node_stats_requests(&x->stats, 1, DNS_UDP, NODE_QT_A),
			 3);
	assert_int_equal(node_stats_requests(&x->stats, 1, DNS_TCP, NODE_QT_A),
			 0);
	assert_int_equal(node_stats_responses(&x->stats, 1, NODE_RC_NOERROR),
			 3);
	close(fd);
}

static void
test_tcp_pipelined_answers_and_counts(void **state)
{
	struct fx *x = *state;
	int fd = tcp_client(x);

	send_tcp(x, fd, 7);
	send_tcp(x, fd, 8);
	read_tcp(x, fd);
	assert_answer(x, 7, "192.0.2.1");
	read_tcp(x, fd);
	assert_answer(x, 8, "192.0.2.1");
	assert_int_equal(node_stats_requests(&x->stats, 1, DNS_TCP, NODE_QT_A),
			 2);
	assert_int_equal(node_stats_requests(&x->stats, 1, DNS_UDP, NODE_QT_A),
			 0);
	assert_int_equal(node_stats_responses(&x->stats, 1, NODE_RC_NOERROR),
			 2);
	close(fd);
}

/* The next query after a swap reads the new view, on both transports
 * and on a TCP connection opened before the swap. */
static void
test_view_swap_applies_to_next_query(void **state)
{
	struct fx *x = *state;
	struct dnsq_opts o = { .id = 1 };
	int u = udp_client(), t = tcp_client(x);

	ask_udp(x, u, &o);
	assert_answer(x, 1, "192.0.2.1");
	send_tcp(x, t, 2);
	read_tcp(x, t);
	assert_answer(x, 2, "192.0.2.1");

	x->view = x->views[1];
	o.id = 3;
	ask_udp(x, u, &o);
	assert_answer(x, 3, "192.0.2.2");
	send_tcp(x, t, 4);
	read_tcp(x, t);
	assert_answer(x, 4, "192.0.2.2");
	close(u);
	close(t);
}

/* Server cookies are stamped and checked with the service's clock. */
static void
test_cookie_uses_service_clock(void **state)
{
	struct fx *x = *state;
	uint8_t c[24] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct dnsq_opts o = {
		.id = 1, .edns = true, .cookie = c, .cookie_len = 8
	};
	static const uint8_t ip[4] = { 127, 0, 0, 212 };
	int fd = udp_client();

	x->now = 0x12345678;
	ask_udp(x, fd, &o);
	assert_int_equal(x->r.cookie_len, 24);
	assert_memory_equal(x->r.cookie, c, 8);
	static const uint8_t stamp[4] = { 0x12, 0x34, 0x56, 0x78 };
	assert_memory_equal(x->r.cookie + 12, stamp, 4);
	assert_true(dns_cookie_valid(&x->secrets, c, x->r.cookie + 8, 16, ip, 4,
				     x->now));

	/* Sent back within the hour it is valid; an hour and a second
	 * later it is not, and the query is still answered. */
	memcpy(c + 8, x->r.cookie + 8, 16);
	o.cookie_len = 24;
	x->now += 3600;
	ask_udp(x, fd, &o);
	assert_answer(x, 1, "192.0.2.1");
	x->now += 1;
	ask_udp(x, fd, &o);
	assert_answer(x, 1, "192.0.2.1");
	assert_int_equal(x->r.cookie_len, 24);
	o.edns = false;
	ask_udp(x, fd, &o);
	assert_int_equal(node_stats_cookies(&x->stats, DNS_COOKIE_CLIENT), 1);
	assert_int_equal(node_stats_cookies(&x->stats, DNS_COOKIE_VALID), 1);
	assert_int_equal(node_stats_cookies(&x->stats, DNS_COOKIE_INVALID), 1);
	assert_int_equal(node_stats_cookies(&x->stats, DNS_COOKIE_NONE), 1);
	close(fd);
}

/* A TCP answer allocates about its own size, not a whole 64 KiB
 * message, however many a client keeps queued. */
static void
test_tcp_answer_allocates_its_size(void **state)
{
	struct fx *x = *state;
	int fd = tcp_client(x);

	send_tcp(x, fd, 1);
	read_tcp(x, fd); /* the connection and its input buffer exist now */
	malloc_max = 0;
	send_tcp(x, fd, 2);
	read_tcp(x, fd);
	assert_answer(x, 2, "192.0.2.1");
	assert_true(malloc_max > 0);
	assert_true(malloc_max < 1024);
	close(fd);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_udp_answers_and_counts),
		T(test_tcp_pipelined_answers_and_counts),
		T(test_view_swap_applies_to_next_query),
		T(test_cookie_uses_service_clock),
		T(test_tcp_answer_allocates_its_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
