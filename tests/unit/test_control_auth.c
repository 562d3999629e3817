/*
 * Who may do what on the control socket (node/control/auth.c): the
 * decision from a command, the peer's credentials and the policy, with
 * its message, and the sharing of client slots between uids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "node/control/server.h"
#include "node/control/auth.h"
#include "node/config/config.h"
#include "common/ctl_proto.h"

#define DAEMON_UID 998
#define ADMIN_GID 1500
#define OTHER_GID 1600

static const struct node_control_policy no_group = {
	.self_uid = DAEMON_UID,
};
static const struct node_control_policy with_group = {
	.self_uid = DAEMON_UID,
	.admin_group = "pmgtm-admin",
	.admin_gid = ADMIN_GID,
};

static const gid_t admin_groups[] = { OTHER_GID, ADMIN_GID };
static const gid_t other_groups[] = { OTHER_GID, 0 };

static void
test_read_only(void **state)
{
	(void)state;
	assert_true(node_control_read_only("members"));
	assert_true(node_control_read_only("status"));
	assert_true(node_control_read_only("reachability"));
	assert_true(node_control_read_only("drain_progress"));
	/* drain also undrains and forces; anything not listed changes. */
	assert_false(node_control_read_only("drain"));
	assert_false(node_control_read_only("revoke"));
	assert_false(node_control_read_only(""));
	assert_false(node_control_read_only("members "));
}

static void
test_may_admin(void **state)
{
	const struct {
		const struct node_control_policy *pol;
		struct ctl_peer who;
		bool want;
	} cases[] = {
		/* uid 0 and the daemon's uid, with any group. */
		{ &no_group, { .uid = 0, .gid = 65534 }, true },
		{ &no_group, { .uid = DAEMON_UID, .gid = 65534 }, true },
		{ &with_group, { .uid = 0, .gid = 65534 }, true },
		/* Without a group, nobody else: not gid 0 either. */
		{ &no_group, { .uid = 1000, .gid = 0 }, false },
		{ &no_group,
		  { .uid = 1000,
		    .gid = 1000,
		    .groups = admin_groups,
		    .n_groups = 2 },
		  false },
		/* The admin group as primary or supplementary group. */
		{ &with_group, { .uid = 1000, .gid = ADMIN_GID }, true },
		{ &with_group,
		  { .uid = 1000,
		    .gid = 1000,
		    .groups = admin_groups,
		    .n_groups = 2 },
		  true },
		/* The group past n_groups does not count. */
		{ &with_group,
		  { .uid = 1000,
		    .gid = 1000,
		    .groups = admin_groups,
		    .n_groups = 1 },
		  false },
		{ &with_group,
		  { .uid = 1000,
		    .gid = 0,
		    .groups = other_groups,
		    .n_groups = 2 },
		  false },
		{ &with_group, { .uid = 65534, .gid = 65534 }, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = node_control_may_admin(cases[i].pol, &cases[i].who);

		if (got != cases[i].want)
			fail_msg("case %zu: got %d", i, got);
	}
	assert_false(node_control_may_admin(&with_group, NULL));
}

/* A request's "args" map with "drained" set to @drained. */
static msgpack_object
drained_args(msgpack_unpacked *up, struct ctl_buf *b, bool drained)
{
	msgpack_packer pk;
	size_t off = 0;

	ctl_buf_init(b, 256);
	ctl_packer_init(&pk, b);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "target", 6);
	msgpack_pack_str_with_body(&pk, "lb2", 3);
	msgpack_pack_str_with_body(&pk, "drained", 7);
	if (drained)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	msgpack_unpacked_init(up);
	assert_int_equal(
		msgpack_unpack_next(up, (const char *)b->data, b->len, &off),
		MSGPACK_UNPACK_SUCCESS);
	return up->data;
}

static void
test_authorize(void **state)
{
	struct ctl_peer nobody = { .uid = 65534, .gid = 0, .user = "nobody" };
	struct ctl_peer op = { .uid = 1000,
			       .gid = 1000,
			       .user = "op",
			       .groups = admin_groups,
			       .n_groups = 2 };
	struct ctl_peer root = { .uid = 0, .gid = 0, .user = "root" };
	msgpack_unpacked up1, up2;
	struct ctl_buf b1, b2;
	msgpack_object drain = drained_args(&up1, &b1, true);
	msgpack_object undrain = drained_args(&up2, &b2, false);
	char err[CTL_ERROR_MAX];

	(void)state;
	/* Reading needs nothing but the socket. */
	err[0] = '\0';
	assert_int_equal(node_control_authorize(&no_group, "members", NULL,
						&nobody, err, sizeof(err)),
			 CTL_OK);
	assert_int_equal(node_control_authorize(&no_group, "drain_progress",
						&drain, NULL, err, sizeof(err)),
			 CTL_OK);
	assert_string_equal(err, "");

	assert_int_equal(node_control_authorize(&no_group, "drain", &drain,
						&nobody, err, sizeof(err)),
			 CTL_REFUSED);
	assert_string_equal(err, "permission denied: drain needs root or the "
				 "daemon's user (no control.admin_group is "
				 "set)");
	assert_int_equal(node_control_authorize(&with_group, "drain", &undrain,
						&nobody, err, sizeof(err)),
			 CTL_REFUSED);
	assert_string_equal(err, "permission denied: undrain needs root, the "
				 "daemon's user or group pmgtm-admin "
				 "(control.admin_group)");
	/* A future command is closed until listed as read-only. */
	assert_int_equal(node_control_authorize(&with_group, "revoke", NULL,
						&nobody, err, sizeof(err)),
			 CTL_REFUSED);
	assert_non_null(strstr(err, "revoke needs root"));

	assert_int_equal(node_control_authorize(&with_group, "drain", &drain,
						&op, err, sizeof(err)),
			 CTL_OK);
	assert_int_equal(node_control_authorize(&no_group, "drain", &undrain,
						&op, err, sizeof(err)),
			 CTL_REFUSED);
	assert_int_equal(node_control_authorize(&no_group, "drain", &drain,
						&root, err, sizeof(err)),
			 CTL_OK);

	/* A short buffer still gets a terminated message. */
	char small[16];
	assert_int_equal(node_control_authorize(&no_group, "drain", NULL,
						&nobody, small, sizeof(small)),
			 CTL_REFUSED);
	assert_string_equal(small, "permission deni");

	msgpack_unpacked_destroy(&up1);
	msgpack_unpacked_destroy(&up2);
	ctl_buf_fini(&b1);
	ctl_buf_fini(&b2);
}

static void
test_admit(void **state)
{
	const size_t max = NODE_CONTROL_CLIENTS_MAX;
	const size_t per = NODE_CONTROL_PER_UID_MAX;

	(void)state;
	assert_int_equal(node_control_admit(1000, 0, 0), NODE_CONTROL_ADMIT);
	assert_int_equal(node_control_admit(1000, 10, per - 1),
			 NODE_CONTROL_ADMIT);
	assert_int_equal(node_control_admit(1000, 10, per),
			 NODE_CONTROL_USER_FULL);
	/* The daemon's uid shares like anyone but root. */
	assert_int_equal(node_control_admit(DAEMON_UID, per, per),
			 NODE_CONTROL_USER_FULL);
	/* The last slot is root's. */
	assert_int_equal(node_control_admit(1000, max - 2, 0),
			 NODE_CONTROL_ADMIT);
	assert_int_equal(node_control_admit(1000, max - 1, 0),
			 NODE_CONTROL_FULL);
	assert_int_equal(node_control_admit(0, max - 1, 0), NODE_CONTROL_ADMIT);
	assert_int_equal(node_control_admit(0, max, 0), NODE_CONTROL_FULL);
	/* Root has no share of its own to exhaust. */
	assert_int_equal(node_control_admit(0, max - 1, max - 1),
			 NODE_CONTROL_ADMIT);

	/* Filled one client at a time by uids 1000, 1001, ...: each gets
	 * its share until only root's slot is left. */
	size_t admitted = 0, of_uid[max];
	memset(of_uid, 0, sizeof(of_uid));
	for (uid_t u = 0; u < max; u++) {
		for (size_t k = 0; k < per + 2; k++) {
			if (node_control_admit(1000 + u, admitted, of_uid[u]) ==
			    NODE_CONTROL_ADMIT) {
				admitted++;
				of_uid[u]++;
			}
		}
	}
	assert_int_equal(admitted, max - NODE_CONTROL_ROOT_KEPT);
	assert_int_equal(of_uid[0], per);
	assert_int_equal(node_control_admit(0, admitted, 0),
			 NODE_CONTROL_ADMIT);
}

static void
test_group_lookup(void **state)
{
	gid_t gid = 12345;

	(void)state;
	assert_int_equal(node_group_lookup("root", &gid), 0);
	assert_int_equal(gid, 0);
	assert_int_equal(node_group_lookup("pmgtm-no-such-group", &gid),
			 -ENOENT);
	assert_int_equal(node_group_lookup("", &gid), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_may_admin),
		cmocka_unit_test(test_authorize),
		cmocka_unit_test(test_admit),
		cmocka_unit_test(test_group_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
