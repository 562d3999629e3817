/*
 * The revoke control command (node/control/revoke.c): the record reaches
 * the cluster's revoke function unchanged, its answer becomes the
 * command's, and only admins may send one. The cluster side is a fake
 * here: what node_gossip_revoke() does with a record is tested with it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "gossip/error.h"
#include "node/control/auth.h"
#include "node/control/commands.h"
#include "node/control/revoke.h"
#include "common/ctl_proto.h"

#include "cmdnet.h"

/* What the fake cluster was given, and what it answers. */
struct fake {
	int calls;
	uint8_t rec[2048];
	size_t len;
	int rc;
	const char *why;
};

static int
fake_revoke(void *ctx, const uint8_t *rec, size_t len, char *err, size_t errlen)
{
	struct fake *f = ctx;

	f->calls++;
	assert_true(len <= sizeof(f->rec));
	memcpy(f->rec, rec, len);
	f->len = len;
	if (f->why)
		snprintf(err, errlen, "%s", f->why);
	return f->rc;
}

static int64_t
no_drain(void *ctx, const char *target, bool drained, const char *user,
	 const char *reason, uint64_t expires_at)
{
	fail_msg("revoke drained %s", target);
	return -1;
}

struct rig {
	struct cmdnet *n;
	struct fake fake;
	struct node_cmd_cluster cluster;
	struct node_cmd_env env;
};

static int
setup(void **state)
{
	static const struct gspnet_opts opts = { .nodes = 1,
						 .ca_seed = 1,
						 .key_seed = 0x10,
						 .rnd = 1,
						 .ns_zone = "api.example.com" };
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->n = cmdnet_new(&opts, 10);
	r->cluster = (struct node_cmd_cluster){ .drain = no_drain,
						.revoke = fake_revoke,
						.ctx = &r->fake };
	r->env = cmdnet_env(r->n, 0);
	r->env.cluster = &r->cluster;
	*state = r;
	return 0;
}

static int
teardown(void **state)
{
	struct rig *r = *state;

	cmdnet_free(r->n);
	free(r);
	return 0;
}

static const uint8_t record[] = { 0x92, 0xc4, 0x03, 0x07, 0xa3, 'l',
				  0x00, 0xff, 0x80, 0x01, 0x02 };

static void
test_handed_over(void **state)
{
	struct rig *r = *state;
	struct cmdnet_arg a = ARG_X("record", record, sizeof(record));
	struct cmdnet_reply *rep;

	r->fake.rc = 1;
	rep = cmdnet_run(&r->env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_OK);
	assert_int_equal(r->fake.calls, 1);
	assert_int_equal(r->fake.len, sizeof(record));
	assert_memory_equal(r->fake.rec, record, sizeof(record));
	assert_true(mp_bool(mp_get(rep->d, "new")));
	cmdnet_reply_free(rep);

	/* held already: not an error */
	r->fake.rc = 0;
	rep = cmdnet_run(&r->env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_OK);
	assert_false(mp_bool(mp_get(rep->d, "new")));
	assert_int_equal(r->fake.calls, 2);
	cmdnet_reply_free(rep);

	/* the largest record taken */
	static uint8_t big[NODE_CMD_REVOCATION_MAX];
	memset(big, 0x5a, sizeof(big));
	a = ARG_X("record", big, sizeof(big));
	rep = cmdnet_run(&r->env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_OK);
	assert_int_equal(r->fake.len, sizeof(big));
	cmdnet_reply_free(rep);
}

static void
test_refused(void **state)
{
	struct rig *r = *state;
	struct cmdnet_arg a = ARG_X("record", record, sizeof(record));
	struct cmdnet_reply *rep;

	/* the cluster's reason is passed on, as a refusal */
	r->fake.rc = GSP_EREJECTED;
	r->fake.why = "not signed by a CA of cluster.ca_file";
	rep = cmdnet_run(&r->env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_REFUSED);
	assert_string_equal(rep->err, "revocation refused: not signed by a CA "
				      "of cluster.ca_file");
	assert_null(rep->d);
	cmdnet_reply_free(rep);

	/* without a reason, the code's message */
	r->fake.rc = GSP_ECERTCLUSTER;
	r->fake.why = NULL;
	rep = cmdnet_run(&r->env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_REFUSED);
	assert_string_equal(rep->err,
			    "revocation refused: certificate for another "
			    "cluster");
	cmdnet_reply_free(rep);
	r->fake.rc = -EBADMSG;
	rep = cmdnet_run(&r->env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_REFUSED);
	cmdnet_reply_free(rep);

	/* the node's own failure is an error, not a refusal */
	r->fake.rc = -EIO;
	r->fake.why = "state_dir/revocations: Input/output error";
	rep = cmdnet_run(&r->env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_ERROR);
	assert_non_null(strstr(rep->err, "Input/output error"));
	cmdnet_reply_free(rep);
	assert_int_equal(r->fake.calls, 4);
}

static void
test_bad_requests(void **state)
{
	struct rig *r = *state;
	static uint8_t big[NODE_CMD_REVOCATION_MAX + 1];
	const struct {
		struct cmdnet_arg a;
		size_t n;
		const char *err;
	} bad[] = {
		{ ARG_S("other", "x"), 1, "\"record\" is required" },
		{ ARG_S("record", "abc"), 1, "\"record\" is required (bin)" },
		{ ARG_U("record", 7), 1, "\"record\" is required" },
		{ ARG_X("record", record, 0), 1, "\"record\" is required" },
		{ ARG_X("record", big, sizeof(big)), 1,
		  "\"record\" is 1025 bytes, more than a revocation (1024 at "
		  "most)" },
		{ ARG_S("record", "x"), 0, "\"record\" is required" },
	};
	struct cmdnet_reply *rep;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rep = cmdnet_run(&r->env, "revoke", &bad[i].a, bad[i].n,
				 "alice");
		assert_int_equal(rep->code, CTL_ERROR);
		assert_non_null(strstr(rep->err, bad[i].err));
		cmdnet_reply_free(rep);
	}
	assert_int_equal(r->fake.calls, 0);
}

/* A standalone node, or a cluster table without revoke, refuses. */
static void
test_no_cluster(void **state)
{
	struct rig *r = *state;
	struct cmdnet_arg a = ARG_X("record", record, sizeof(record));
	struct node_cmd_env env = r->env;
	struct node_cmd_cluster none = r->cluster;
	struct cmdnet_reply *rep;

	env.cluster = NULL;
	rep = cmdnet_run(&env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_ERROR);
	assert_string_equal(rep->err, "revoke needs a cluster");
	cmdnet_reply_free(rep);
	none.revoke = NULL;
	env.cluster = &none;
	rep = cmdnet_run(&env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_ERROR);
	cmdnet_reply_free(rep);
	env = r->env;
	env.g = NULL;
	rep = cmdnet_run(&env, "revoke", &a, 1, "alice");
	assert_int_equal(rep->code, CTL_ERROR);
	cmdnet_reply_free(rep);
	assert_int_equal(r->fake.calls, 0);
}

/* Who may: the same as for drain. */
static void
test_authorization(void **state)
{
	struct rig *r = *state;
	const struct node_control_policy pol = { .self_uid = 999 };
	struct ctl_peer user = { .uid = 1000 }, root = { .uid = 0 };
	struct ctl_buf b;
	msgpack_packer pk;
	msgpack_sbuffer sb;
	msgpack_packer apk;
	msgpack_unpacked up;
	char err[CTL_ERROR_MAX];
	size_t off = 0;

	assert_false(node_control_read_only("revoke"));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&apk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&apk, 1);
	msgpack_pack_str_with_body(&apk, "record", 6);
	msgpack_pack_bin_with_body(&apk, record, sizeof(record));
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, &off),
			 MSGPACK_UNPACK_SUCCESS);

	ctl_buf_init(&b, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &b);
	r->fake.rc = 1;
	assert_int_equal(node_cmd_dispatch(&r->env, &pol, "revoke", &up.data,
					   &user, &pk, err, sizeof(err)),
			 CTL_REFUSED);
	assert_string_equal(err, "permission denied: revoke needs root or the "
				 "daemon's user (no control.admin_group is "
				 "set)");
	assert_int_equal(r->fake.calls, 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(node_cmd_dispatch(&r->env, &pol, "revoke", &up.data,
					   &root, &pk, err, sizeof(err)),
			 CTL_OK);
	assert_int_equal(r->fake.calls, 1);
	assert_true(b.len > 0);
	ctl_buf_fini(&b);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handed_over, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_cluster, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_authorization, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
