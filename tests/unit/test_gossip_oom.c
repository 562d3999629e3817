/*
 * Gossip drops what it has no memory for (anti-entropy and the next tick
 * make up for it) and counts every such drop in gsp_stats.oom_drops.
 *
 * The test is linked with -Wl,--wrap=malloc, --wrap=calloc and
 * --wrap=realloc: while armed, the k-th allocation made by pmgtm's code
 * fails (msgpack-c and libsodium allocate on their own, unwrapped). A
 * node takes a push-pull request and then ticks, once per k, until a run
 * needs no more allocations than k.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gossip/gossip.h"

#include "gspnet.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static bool armed;
static long fail_at, seen, failed;

static bool
fails(void)
{
	if (!armed)
		return false;
	if (seen++ != fail_at)
		return false;
	failed++;
	return true;
}

void *
__wrap_malloc(size_t n)
{
	return fails() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return fails() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fails() ? NULL : __real_realloc(p, n);
}

static void
arm(long k)
{
	fail_at = k;
	seen = failed = 0;
	armed = true;
}

/* lb1 holds two intents and sends lb2 its full state; lb2 takes it with
 * allocation @k failing, then ticks past its row publication. Returns
 * lb2's drops. */
static uint64_t
pushpull_failing(long k)
{
	struct gspnet_opts o = { .nodes = 2, .ca_seed = 7, .key_seed = 40 };
	struct gspnet *n = gspnet_new(&o);
	struct gsp *g0 = gspnet_gsp(n, 0), *g1 = gspnet_gsp(n, 1);
	struct gsp_now now = gspnet_now(n);
	struct gsp_endpoint lb2 = { { 4, { 10, 0, 0, 2 } }, 7946 };
	struct gsp_out out = { 0 };
	uint8_t *reply = NULL;
	size_t reply_len;

	assert_true(gsp_drain(g0, now, "lb2", true, "root", "a", 0) > 0);
	assert_true(gsp_drain(g0, now, "lb9", true, "root", "b", 0) > 0);
	gsp_join(g0, now, &lb2, 1);
	for (struct gsp_out o2; gsp_out_next(g0, &o2);) {
		if (o2.transport == GSP_OUT_TCP && !out.data)
			out = o2;
		else
			free(o2.data);
	}
	assert_non_null(out.data);

	arm(k);
	(void)gsp_stream_input(g1, now, out.data, out.len, &reply, &reply_len);
	free(reply);
	now.ms += 20000;
	now.unix_s += 20;
	(void)gsp_tick(g1, now);
	armed = false;

	uint64_t drops = gsp_stats(g1)->oom_drops;
	free(out.data);
	gspnet_free(n);
	return drops;
}

static void
every_failed_allocation_is_counted(void **state)
{
	(void)state;
	long k = 0;

	for (;; k++) {
		uint64_t drops = pushpull_failing(k);
		if (!failed) {
			assert_int_equal(drops, 0);
			break;
		}
		if (drops != 1)
			fail_msg("allocation %ld failed; %llu drops counted", k,
				 (unsigned long long)drops);
	}
	/* The run took the state, replied and published a row. */
	assert_true(k >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_failed_allocation_is_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
