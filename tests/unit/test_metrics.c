/*
 * The /metrics endpoint (node/obs/metrics.c) on 127.0.0.1 with a libuv TCP
 * client on the same loop: status codes, headers and bodies for GET,
 * HEAD, other paths and other methods, a failing fill callback, close
 * with a client still connected, the connection limit and the limit per
 * client address (clients bound to 127.0.0.150-158), a port already
 * taken. Then the families
 * of a standalone node and the certificate families of a node in a
 * cluster (node/obs/metrics_fill.c, checked by promtool when installed)
 * and the /proc/PID/stat parser (node/obs/procstat.c).
 *
 * Waits are bounded by a timer that fails the test. Every endpoint test
 * ends with node_metrics_close() and uv_loop_close() returning 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "dns/view.h"
#include "node/config/config.h"
#include "node/obs/expo.h"
#include "node/obs/metrics.h"
#include "node/obs/metrics_fill.h"
#include "node/obs/procstat.h"
#include "node/dns/stats.h"
#include "node/dns/view_build.h"

#include "gspnet.h"

#define WAIT_MS 3000
#define PROMTOOL "/usr/bin/promtool"

/* ---- a fill callback the tests steer ---- */

struct filler {
	int calls;
	bool fail;
};

static void
fill(void *ctx, struct node_expo *e)
{
	struct filler *f = ctx;
	struct node_expo_label l = { "zone", "api.example.com" };

	f->calls++;
	node_expo_family(e, "pmgtm_test", NODE_EXPO_GAUGE, "A test.");
	node_expo_u64(e, &l, 1, (uint64_t)f->calls);
	if (f->fail)
		node_expo_fail(e, -EINVAL, "told to fail");
}

/* ---- a one-request HTTP client on the loop ---- */

struct client {
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t wr;
	char req[512];
	char resp[8192];
	size_t len;
	bool eof; /* the server closed, or an error */
	bool closed;
};

static void
on_client_closed(uv_handle_t *h)
{
	struct client *c = h->data;

	c->closed = true;
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct client *c = h->data;

	*b = uv_buf_init(c->resp + c->len,
			 (unsigned)(sizeof(c->resp) - 1 - c->len));
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct client *c = s->data;

	if (n > 0) {
		c->len += (size_t)n;
		c->resp[c->len] = '\0';
	} else if (n < 0) {
		c->eof = true;
	}
}

static void
on_written(uv_write_t *w, int status)
{
	assert_int_equal(status, 0);
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct client *c = req->data;

	assert_int_equal(status, 0);
	uv_buf_t b = uv_buf_init(c->req, (unsigned)strlen(c->req));
	assert_int_equal(
		uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written), 0);
	assert_int_equal(
		uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read), 0);
}

/* Connects from @src (NULL: any address) to the server on 127.0.0.1. */
static void
client_start_from(uv_loop_t *loop, struct client *c, uint16_t port,
		  const char *req, const char *src)
{
	struct sockaddr_in sa;

	memset(c, 0, sizeof(*c));
	snprintf(c->req, sizeof(c->req), "%s", req);
	uv_ip4_addr("127.0.0.1", port, &sa);
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c->conn.data = c;
	if (src) {
		struct sockaddr_in from;
		uv_ip4_addr(src, 0, &from);
		assert_int_equal(
			uv_tcp_bind(&c->tcp, (const struct sockaddr *)&from, 0),
			0);
	}
	assert_int_equal(uv_tcp_connect(&c->conn, &c->tcp,
					(const struct sockaddr *)&sa,
					on_connected),
			 0);
}

static void
client_start(uv_loop_t *loop, struct client *c, uint16_t port, const char *req)
{
	client_start_from(loop, c, port, req, NULL);
}

/* The idle connections' sources: NODE_METRICS_PER_IP per address from
 * 127.0.0.150 on, so the per-address limit does not come first. */
static const char *
idle_source(int i)
{
	static char text[32];

	snprintf(text, sizeof(text), "127.0.0.%d",
		 150 + i / NODE_METRICS_PER_IP);
	return text;
}

static void
on_pause(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

static void
on_deadline(uv_timer_t *t)
{
	fail_msg("no answer within %d ms", WAIT_MS);
}

/* Runs the loop until @done is true; fails the test past WAIT_MS. */
static void
run_until(uv_loop_t *loop, const bool *done)
{
	uv_timer_t t;

	uv_timer_init(loop, &t);
	uv_timer_start(&t, on_deadline, WAIT_MS, 0);
	while (!*done)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

/* One request on a fresh connection (Connection: close), the whole
 * response in c->resp. */
static void
request(uv_loop_t *loop, struct client *c, uint16_t port, const char *req)
{
	client_start(loop, c, port, req);
	run_until(loop, &c->eof);
	uv_close((uv_handle_t *)&c->tcp, on_client_closed);
	run_until(loop, &c->closed);
}

/* ---- fixtures ---- */

struct fx {
	uv_loop_t loop;
	struct node_metrics *m;
	struct filler f;
	uint16_t port;
};

static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct node_sockaddr a;
	char err[256];

	assert_non_null(x);
	assert_int_equal(uv_loop_init(&x->loop), 0);
	/* Port 0, which the config does not accept: the kernel picks. */
	memset(&a, 0, sizeof(a));
	assert_int_equal(
		uv_ip4_addr("127.0.0.1", 0, (struct sockaddr_in *)&a.ss), 0);
	a.len = sizeof(struct sockaddr_in);
	snprintf(a.text, sizeof(a.text), "127.0.0.1:0");
	if (node_metrics_start(&x->loop, &a, fill, &x->f, &x->m, err,
			       sizeof(err)))
		fail_msg("%s", err);
	x->port = node_metrics_port(x->m);
	assert_true(x->port != 0);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *x = *state;

	node_metrics_close(x->m);
	uv_run(&x->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&x->loop), 0);
	free(x);
	return 0;
}

static const char *
body_of(const struct client *c)
{
	const char *b = strstr(c->resp, "\r\n\r\n");

	assert_non_null(b);
	return b + 4;
}

/* ---- the endpoint ---- */

static void
test_get(void **state)
{
	struct fx *x = *state;
	struct client c;

	request(&x->loop, &c, x->port,
		"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: "
		"close\r\n\r\n");
	assert_true(strncmp(c.resp, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(c.resp, "\r\nContent-Type: text/plain; "
				       "version=0.0.4; charset=utf-8\r\n"));
	assert_string_equal(body_of(&c),
			    "# HELP pmgtm_test A test.\n"
			    "# TYPE pmgtm_test gauge\n"
			    "pmgtm_test{zone=\"api.example.com\"} 1\n");

	/* Each scrape writes the families again; a query string is fine. */
	request(&x->loop, &c, x->port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	assert_true(strncmp(c.resp, "HTTP/1.", 7) == 0);
	assert_non_null(strstr(c.resp, " 200 "));
	assert_non_null(strstr(body_of(&c), "} 2\n"));

	/* HEAD: the headers only. */
	request(&x->loop, &c, x->port,
		"HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		"\r\n");
	assert_true(strncmp(c.resp, "HTTP/1.1 200 ", 13) == 0);
	assert_string_equal(body_of(&c), "");
	assert_int_equal(x->f.calls, 3);
}

static void
test_not_found(void **state)
{
	struct fx *x = *state;
	struct client c;
	const char *paths[] = { "/", "/metrics/", "/metricsx", "/foo" };

	for (size_t i = 0; i < 4; i++) {
		char req[128];
		snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			 "\r\n",
			 paths[i]);
		request(&x->loop, &c, x->port, req);
		if (strncmp(c.resp, "HTTP/1.1 404 ", 13) != 0)
			fail_msg("%s: %.40s", paths[i], c.resp);
	}
	assert_int_equal(x->f.calls, 0);
}

static void
test_method_not_allowed(void **state)
{
	struct fx *x = *state;
	struct client c;
	const char *reqs[] = {
		"POST /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		"Content-Length: 5\r\n\r\nhello",
		"DELETE /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		"\r\n",
		"PUT /other HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		"Content-Length: 0\r\n\r\n",
	};

	for (size_t i = 0; i < 3; i++) {
		request(&x->loop, &c, x->port, reqs[i]);
		if (strncmp(c.resp, "HTTP/1.1 405 ", 13) != 0)
			fail_msg("%zu: %.40s", i, c.resp);
		assert_non_null(strstr(c.resp, "\r\nAllow: GET, HEAD\r\n"));
	}
	assert_int_equal(x->f.calls, 0);
}

static void
test_fill_fails(void **state)
{
	struct fx *x = *state;
	struct client c;

	x->f.fail = true;
	request(&x->loop, &c, x->port,
		"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: "
		"close\r\n\r\n");
	assert_true(strncmp(c.resp, "HTTP/1.1 500 ", 13) == 0);
	assert_null(strstr(c.resp, "pmgtm_test"));
}

/* Keep-alive: two requests one after the other on one connection, then
 * close the endpoint with the client still connected: the client sees
 * the end, and the loop closes (teardown). */
static void
test_close_with_client(void **state)
{
	struct fx *x = *state;
	struct client c;
	uv_timer_t t;

	client_start(&x->loop, &c, x->port,
		     "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
	uv_timer_init(&x->loop, &t);
	uv_timer_start(&t, on_deadline, WAIT_MS, 0);
	while (!strstr(c.resp, "} 1\n") && !c.eof)
		uv_run(&x->loop, UV_RUN_ONCE);
	assert_null(strstr(c.resp, "Connection: close"));
	uv_buf_t b = uv_buf_init(c.req, (unsigned)strlen(c.req));
	assert_int_equal(
		uv_write(&c.wr, (uv_stream_t *)&c.tcp, &b, 1, on_written), 0);
	while (!strstr(c.resp, "} 2\n") && !c.eof)
		uv_run(&x->loop, UV_RUN_ONCE);
	assert_int_equal(x->f.calls, 2);
	assert_false(c.eof);
	uv_close((uv_handle_t *)&t, NULL);

	node_metrics_close(x->m);
	x->m = NULL;
	run_until(&x->loop, &c.eof);
	uv_close((uv_handle_t *)&c.tcp, on_client_closed);
	run_until(&x->loop, &c.closed);
}

/* At the connection limit a new client waits in the listen backlog; once
 * idle clients hang up, it is served. (MHD takes its listening socket out
 * of its epoll set at the limit and puts it back only on a later run.) */
static void
test_connection_limit(void **state)
{
	struct fx *x = *state;
	struct client *idle = calloc(NODE_METRICS_CONNECTIONS, sizeof(*idle));
	struct client c;
	uv_timer_t t;
	bool done = false;

	assert_non_null(idle);
	for (int i = 0; i < NODE_METRICS_CONNECTIONS; i++)
		client_start_from(&x->loop, &idle[i], x->port, "",
				  idle_source(i));
	uv_timer_init(&x->loop, &t);
	uv_timer_start(&t, on_deadline, WAIT_MS, 0);
	/* Let the server accept all of them. */
	for (int i = 0; i < 50; i++)
		uv_run(&x->loop, UV_RUN_NOWAIT);
	client_start_from(&x->loop, &c, x->port,
			  "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: "
			  "close\r\n\r\n",
			  idle_source(NODE_METRICS_CONNECTIONS));
	uv_timer_t pause;
	uv_timer_init(&x->loop, &pause);
	pause.data = &done;
	uv_timer_start(&pause, on_pause, 300, 0);
	while (!done)
		uv_run(&x->loop, UV_RUN_ONCE);
	assert_int_equal(c.len, 0);
	assert_int_equal(x->f.calls, 0);

	for (int i = 0; i < NODE_METRICS_CONNECTIONS; i++)
		uv_close((uv_handle_t *)&idle[i].tcp, on_client_closed);
	while (!c.eof)
		uv_run(&x->loop, UV_RUN_ONCE);
	assert_true(strncmp(c.resp, "HTTP/1.1 200 ", 13) == 0);
	uv_close((uv_handle_t *)&c.tcp, on_client_closed);
	uv_close((uv_handle_t *)&t, NULL);
	uv_close((uv_handle_t *)&pause, NULL);
	run_until(&x->loop, &c.closed);
	free(idle);
}

/* One address fills the endpoint with connections that send nothing:
 * once they have waited NODE_METRICS_GRACE_MS, all but its
 * NODE_METRICS_PER_IP most recent are closed, and a client from another
 * address is served (long before the idle timeout). */
static void
test_per_ip_limit(void **state)
{
	struct fx *x = *state;
	struct client *idle = calloc(NODE_METRICS_CONNECTIONS, sizeof(*idle));
	struct client other;
	uv_timer_t t;

	assert_non_null(idle);
	for (int i = 0; i < NODE_METRICS_CONNECTIONS; i++)
		client_start_from(&x->loop, &idle[i], x->port, "",
				  "127.0.0.150");
	uv_timer_init(&x->loop, &t);
	uv_timer_start(&t, on_deadline, WAIT_MS, 0);
	for (int i = 0; i < 50; i++)
		uv_run(&x->loop, UV_RUN_NOWAIT);
	client_start_from(&x->loop, &other, x->port,
			  "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: "
			  "close\r\n\r\n",
			  "127.0.0.151");
	run_until(&x->loop, &other.eof);
	assert_true(strncmp(other.resp, "HTTP/1.1 200 ", 13) == 0);
	int closed;
	for (;;) {
		closed = 0;
		for (int i = 0; i < NODE_METRICS_CONNECTIONS; i++)
			closed += idle[i].eof;
		if (closed >= NODE_METRICS_CONNECTIONS - NODE_METRICS_PER_IP)
			break;
		uv_run(&x->loop, UV_RUN_ONCE);
	}
	assert_int_equal(closed,
			 NODE_METRICS_CONNECTIONS - NODE_METRICS_PER_IP);
	for (int i = 0; i < NODE_METRICS_CONNECTIONS; i++)
		uv_close((uv_handle_t *)&idle[i].tcp, on_client_closed);
	uv_close((uv_handle_t *)&other.tcp, on_client_closed);
	uv_close((uv_handle_t *)&t, NULL);
	run_until(&x->loop, &other.closed);
	free(idle);
}

static void
test_port_taken(void **state)
{
	struct fx *x = *state;
	struct node_metrics *m2 = NULL;
	struct node_sockaddr a;
	char err[256], text[32];

	snprintf(text, sizeof(text), "127.0.0.1:%u", x->port);
	assert_int_equal(node_sockaddr_parse(text, 9153, &a), 0);
	assert_int_equal(node_metrics_start(&x->loop, &a, fill, &x->f, &m2, err,
					    sizeof(err)),
			 -EADDRINUSE);
	assert_null(m2);
	assert_non_null(strstr(err, text));
	/* The first one still answers. */
	struct client c;
	request(&x->loop, &c, x->port,
		"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: "
		"close\r\n\r\n");
	assert_true(strncmp(c.resp, "HTTP/1.1 200 ", 13) == 0);
}

/* ---- the families ---- */

static void
test_standalone_families(void **state)
{
	struct node_config *cfg = NULL;
	struct dns_view *view = NULL;
	struct node_stats st;
	char err[512];

	if (node_config_load(PMGTM_TEST_DATA "/good_minimal.yaml", &cfg, err,
			     sizeof(err)))
		fail_msg("%s", err);
	cfg->node.ns_name = strdup("lb1.example.com");
	assert_non_null(cfg->node.ns_name);
	if (node_view_build(cfg, NULL, 0, NULL, &view, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(node_stats_init(&st, cfg->dns.n_zones), 0);
	struct dns_result a = {
		.zone = 0, .qtype = 1, .rcode = 0, .cookie = DNS_COOKIE_VALID
	};
	struct dns_result out = {
		.zone = -1, .qtype = 99, .rcode = 5, .cookie = DNS_COOKIE_NONE
	};
	node_stats_count(&st, DNS_UDP, &a);
	node_stats_count(&st, DNS_UDP, &a);
	node_stats_count(&st, DNS_TCP, &out);

	struct node_metrics_src src = {
		.cfg = cfg,
		.view = view,
		.stats = &st,
		.ready = true,
		.reload_ok = true,
		.reload_time = 1790000000,
	};
	struct node_expo *e = node_expo_new();
	assert_non_null(e);
	node_metrics_write(&src, e);
	if (node_expo_error(e))
		fail_msg("%s", node_expo_errmsg(e));
	size_t len;
	const char *t = node_expo_data(e, &len);
	const char *want[] = {
		"\npmgtm_build_info{version=\"" PMGTM_VERSION "\"} 1\n",
		"\npmgtm_dns_requests_total{zone=\"api.example.com\",proto="
		"\"udp\",qtype=\"A\"} 2\n",
		"\npmgtm_dns_requests_total{zone=\"api.example.com\",proto="
		"\"tcp\",qtype=\"A\"} 0\n",
		"\npmgtm_dns_requests_total{zone=\"\",proto=\"tcp\",qtype="
		"\"other\"} 1\n",
		"\npmgtm_dns_responses_total{zone=\"api.example.com\",rcode="
		"\"NOERROR\"} 2\n",
		"\npmgtm_dns_responses_total{zone=\"\",rcode=\"REFUSED\"} 1\n",
		"\npmgtm_dns_cookies_total{result=\"none\"} 1\n",
		"\npmgtm_dns_cookies_total{result=\"client\"} 0\n",
		"\npmgtm_dns_cookies_total{result=\"valid\"} 2\n",
		"\npmgtm_dns_cookies_total{result=\"invalid\"} 0\n",
		"\npmgtm_ready 1\n",
		"\npmgtm_drained 0\n",
		"\npmgtm_serving 1\n",
		/* Cluster families without series on a standalone node. */
		"# TYPE pmgtm_members gauge\n# HELP pmgtm_member_drained ",
		"# TYPE pmgtm_cert_expiry_timestamp_seconds gauge\n# HELP "
		"pmgtm_revoked_members ",
		"# TYPE pmgtm_revoked_members gauge\n# HELP ",
		"# TYPE pmgtm_gossip_rejected_total counter\n# HELP ",
		"# TYPE pmgtm_gossip_oom_drops_total counter\n# HELP ",
		"# TYPE pmgtm_health_check_up gauge\n# HELP ",
		"\npmgtm_config_last_reload_successful 1\n",
		"\npmgtm_config_last_reload_success_timestamp_seconds "
		"1790000000\n",
		"\nprocess_cpu_seconds_total ",
		"\nprocess_resident_memory_bytes ",
		"\nprocess_virtual_memory_bytes ",
		"\nprocess_open_fds ",
		"\nprocess_max_fds ",
		"\nprocess_start_time_seconds ",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(t, want[i]))
			fail_msg("no '%s' in:\n%s", want[i], t);

	if (access(PROMTOOL, X_OK) == 0) {
		char path[] = "/tmp/pmgtm-metrics-XXXXXX", cmd[128];
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, t, len), (ssize_t)len);
		close(fd);
		snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s",
			 path);
		int rc = system(cmd);
		unlink(path);
		assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	}
	node_expo_free(e);
	node_stats_fini(&st);
	dns_view_free(view);
	node_config_free(cfg);
}

/* The certificate families of a node in a cluster of three (tests/unit/
 * gspnet.h: every certificate valid for 30 days from GSPNET_T0). */
static void
test_cluster_cert_families(void **state)
{
	static const struct gspnet_opts opts = {
		.nodes = 3, .ca_seed = 1, .key_seed = 0x20, .rnd = 7
	};
	struct node_config *cfg = NULL;
	char err[512], want[160];

	if (node_config_load(PMGTM_TEST_DATA "/good_minimal.yaml", &cfg, err,
			     sizeof(err)))
		fail_msg("%s", err);
	struct gspnet *n = gspnet_new(&opts);
	gspnet_join(n, 1, 0);
	gspnet_join(n, 2, 0);
	gspnet_run(n, 3000);
	assert_int_equal(gsp_member_count(gspnet_gsp(n, 0)), 3);

	struct node_metrics_src src = {
		.cfg = cfg,
		.g = gspnet_gsp(n, 0),
		.now = gspnet_now(n),
		.ready = true,
		.reload_ok = true,
	};
	struct node_expo *e = node_expo_new();
	assert_non_null(e);
	node_metrics_write(&src, e);
	if (node_expo_error(e))
		fail_msg("%s", node_expo_errmsg(e));
	size_t len;
	const char *t = node_expo_data(e, &len);
	for (int i = 1; i <= 3; i++) {
		snprintf(want, sizeof(want),
			 "\npmgtm_cert_expiry_timestamp_seconds{member="
			 "\"lb%d\"} %u\n",
			 i, GSPNET_T0 + 30 * 86400);
		if (!strstr(t, want))
			fail_msg("no '%s' in:\n%s", want, t);
	}
	if (!strstr(t, "\npmgtm_revoked_members 0\n"))
		fail_msg("no pmgtm_revoked_members 0 in:\n%s", t);
	if (access(PROMTOOL, X_OK) == 0) {
		char path[] = "/tmp/pmgtm-metrics-XXXXXX", cmd[128];
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, t, len), (ssize_t)len);
		close(fd);
		snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s",
			 path);
		int rc = system(cmd);
		unlink(path);
		assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	}
	node_expo_free(e);
	gspnet_free(n);
	node_config_free(cfg);
}

static void
test_procstat(void **state)
{
	struct node_procstat p;
	/* A command with spaces and parentheses; 100 ticks/s, 4 KiB pages,
	 * utime 250 + stime 50 ticks, started 1234 ticks after boot. */
	const char *stat =
		"4242 (pm (gtm) d) S 1 4242 4242 0 -1 4194560 1018 0 0 0 250 "
		"50 0 0 20 0 3 0 1234 123456789 2048 18446744073709551615 1 1 "
		"0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

	assert_int_equal(node_procstat_parse(stat, 100, 4096, 1700000000, &p),
			 0);
	assert_true(p.cpu_seconds == 3.0);
	assert_true(p.start_time > 1700000012.339 &&
		    p.start_time < 1700000012.341);
	assert_int_equal(p.vsize_bytes, 123456789);
	assert_int_equal(p.rss_bytes, 2048 * 4096);

	const char *bad[] = { "", "4242 (x", "4242 (x) S 1 2",
			      ("4242 (x) S 1 4242 4242 0 -1 4194560 1018 0 0 0 "
			       "abc 50 0 0 20 0 3 0 1234 1 2") };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(node_procstat_parse(bad[i], 100, 4096, 0, &p),
				 -EINVAL);

	/* This process. */
	assert_int_equal(node_procstat_read(&p), 0);
	assert_true(p.rss_bytes > 0 && p.vsize_bytes >= p.rss_bytes);
	assert_true(p.open_fds >= 3 && p.max_fds >= p.open_fds);
	assert_true(p.start_time > 1.6e9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_method_not_allowed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fill_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_with_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_per_ip_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connection_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_taken, setup,
						teardown),
		cmocka_unit_test(test_standalone_families),
		cmocka_unit_test(test_cluster_cert_families),
		cmocka_unit_test(test_procstat),
	};

	/* As in pmgtmd: a peer that hangs up must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
