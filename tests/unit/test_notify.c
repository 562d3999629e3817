/*
 * The systemd STATUS= line (node/obs/notify.c) from a struct node_status.
 * Nothing is sent: only the formatting is checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "node/obs/notify.h"

static void
check(const struct node_status *s, const char *want)
{
	char buf[256];

	node_notify_status_format(s, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_standalone(void **state)
{
	(void)state;
	check(&(struct node_status){ .standalone = true, .n_zones = 1 },
	      "STATUS=serving 1 zone, standalone");
	check(&(struct node_status){ .standalone = true, .n_zones = 0 },
	      "STATUS=serving 0 zones, standalone");
	/* Cluster fields mean nothing on a standalone node. */
	check(&(struct node_status){ .standalone = true,
				     .n_zones = 3,
				     .drained = true,
				     .alive = 2,
				     .members = 5 },
	      "STATUS=serving 3 zones, standalone");
}

static void
test_cluster(void **state)
{
	(void)state;
	check(&(struct node_status){ .ready = true, .alive = 3, .members = 3 },
	      "STATUS=serving; 3/3 members alive");
	check(&(struct node_status){ .ready = true,
				     .drained = true,
				     .alive = 2,
				     .members = 3 },
	      "STATUS=drained; 2/3 members alive");
	/* Not synced yet says so, drained or not. */
	check(&(struct node_status){ .drained = true,
				     .alive = 1,
				     .members = 1 },
	      "STATUS=waiting to sync with a peer; 1/1 members alive");
	check(&(struct node_status){ 0 },
	      "STATUS=waiting to sync with a peer; 0/0 members alive");
}

static void
test_truncated(void **state)
{
	char buf[12];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	node_notify_status_format(&(struct node_status){ .ready = true,
							 .alive = 3,
							 .members = 3 },
				  buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=serv");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standalone),
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
