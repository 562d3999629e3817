/*
 * The command tests' cluster and assertions (tests/unit/cmdnet.h).
 */
#include "cmdnet.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/gossip.h"
#include "node/config/config.h"

#ifndef PMGTM_TEST_DATA
#error "PMGTM_TEST_DATA must point to tests/data"
#endif

/* Node @i issuing intents through its cluster API. */
struct issuer {
	struct cmdnet *net;
	int i;
};

struct cmdnet {
	struct gspnet *gn;
	int nodes;
	struct node_config *cfg[GSPNET_MAX];
	struct issuer issuers[GSPNET_MAX];
	struct node_cmd_cluster cluster[GSPNET_MAX];
	int issued;
};

static int64_t
issue(void *ctx, const char *target, bool drained, const char *user,
      const char *reason, uint64_t expires_at)
{
	struct issuer *is = ctx;
	struct cmdnet *n = is->net;

	n->issued++;
	return gsp_drain(gspnet_gsp(n->gn, is->i), gspnet_now(n->gn), target,
			 drained, user, reason, expires_at);
}

/* The config as node @i's own. */
static struct node_config *
load_config(int i)
{
	struct node_config *cfg = NULL;
	char name[16], err[512];

	snprintf(name, sizeof(name), "lb%d", i + 1); /* as gspnet names it */
	if (node_config_load(PMGTM_TEST_DATA "/good_minimal.yaml", &cfg, err,
			     sizeof(err)))
		fail_msg("%s", err);
	free(cfg->node.name);
	cfg->node.name = strdup(name);
	assert_non_null(cfg->node.name);
	return cfg;
}

struct cmdnet *
cmdnet_new(const struct gspnet_opts *o, uint64_t settle_ms)
{
	struct cmdnet *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	assert_true(o->nodes >= 1 && o->nodes <= GSPNET_MAX);
	n->nodes = o->nodes;
	n->gn = gspnet_new(o);
	for (int i = 0; i < n->nodes; i++) {
		n->cfg[i] = load_config(i);
		n->issuers[i] = (struct issuer){ n, i };
		n->cluster[i] = (struct node_cmd_cluster){
			.drain = issue,
			.ctx = &n->issuers[i],
		};
	}
	for (int i = 1; i < n->nodes; i++)
		gspnet_join(n->gn, i, 0);
	gspnet_run(n->gn, settle_ms);
	return n;
}

void
cmdnet_free(struct cmdnet *n)
{
	gspnet_free(n->gn);
	for (int i = 0; i < n->nodes; i++)
		node_config_free(n->cfg[i]);
	free(n);
}

struct gspnet *
cmdnet_gspnet(const struct cmdnet *n)
{
	return n->gn;
}

struct node_config *
cmdnet_config(const struct cmdnet *n, int i)
{
	assert_true(i >= 0 && i < n->nodes);
	return n->cfg[i];
}

int
cmdnet_issued(const struct cmdnet *n)
{
	return n->issued;
}

struct node_cmd_env
cmdnet_env(struct cmdnet *n, int i)
{
	struct gsp_now now = gspnet_now(n->gn);

	return (struct node_cmd_env){
		.cfg = cmdnet_config(n, i),
		.g = gspnet_gsp(n->gn, i),
		.now_ms = now.ms,
		.serving = true,
		.unix_s = now.unix_s,
		.cluster = &n->cluster[i],
	};
}

/* Unpacks the one object in @b. */
static void
unpack(struct ctl_buf *b, msgpack_unpacked *up)
{
	size_t off = 0;

	assert_int_equal(b->err, 0);
	msgpack_unpacked_init(up);
	assert_int_equal(
		msgpack_unpack_next(up, (const char *)b->data, b->len, &off),
		MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, b->len); /* exactly one object */
}

static void
pack_arg(msgpack_packer *pk, const struct cmdnet_arg *a)
{
	msgpack_pack_str_with_body(pk, a->key, strlen(a->key));
	if (a->type == 's')
		msgpack_pack_str_with_body(pk, a->s, strlen(a->s));
	else if (a->type == 'b' && a->u)
		msgpack_pack_true(pk);
	else if (a->type == 'b')
		msgpack_pack_false(pk);
	else if (a->type == 'u')
		msgpack_pack_uint64(pk, a->u);
	else if (a->type == 'x')
		msgpack_pack_bin_with_body(pk, a->s, (size_t)a->u);
	else
		msgpack_pack_nil(pk);
}

struct cmdnet_reply *
cmdnet_run(const struct node_cmd_env *env, const char *cmd,
	   const struct cmdnet_arg *args, size_t n_args, const char *user)
{
	struct cmdnet_reply *r = calloc(1, sizeof(*r));
	struct ctl_peer who = { .uid = 1000 };
	msgpack_packer pk;

	assert_non_null(r);
	snprintf(who.user, sizeof(who.user), "%s", user ? user : "");
	ctl_buf_init(&r->args, 4096);
	ctl_packer_init(&pk, &r->args);
	msgpack_pack_map(&pk, n_args);
	for (size_t i = 0; i < n_args; i++)
		pack_arg(&pk, &args[i]);
	unpack(&r->args, &r->args_up);

	ctl_buf_init(&r->data, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &r->data);
	r->code = node_cmd_run(env, cmd, &r->args_up.data, &who, &pk, r->err,
			       sizeof(r->err));
	if (r->data.len) {
		unpack(&r->data, &r->data_up);
		r->d = &r->data_up.data;
	}
	return r;
}

struct cmdnet_reply *
cmdnet_ok(const struct node_cmd_env *env, const char *cmd)
{
	struct cmdnet_reply *r = cmdnet_run(env, cmd, NULL, 0, NULL);

	if (r->code != CTL_OK)
		fail_msg("%s: code %d: %s", cmd, r->code, r->err);
	assert_non_null(r->d);
	return r;
}

struct cmdnet_reply *
cmdnet_call(struct cmdnet *n, int i, const char *cmd,
	    const struct cmdnet_arg *args, size_t n_args, const char *user)
{
	struct node_cmd_env env = cmdnet_env(n, i);

	return cmdnet_run(&env, cmd, args, n_args, user);
}

void
cmdnet_reply_free(struct cmdnet_reply *r)
{
	msgpack_unpacked_destroy(&r->args_up);
	if (r->d)
		msgpack_unpacked_destroy(&r->data_up);
	ctl_buf_fini(&r->args);
	ctl_buf_fini(&r->data);
	free(r);
}

const msgpack_object *
mp_get(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = ctl_map_get(map, key);

	if (!v)
		fail_msg("no key '%s'", key);
	return v;
}

const msgpack_object *
mp_array(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = mp_get(map, key);

	assert_int_equal(v->type, MSGPACK_OBJECT_ARRAY);
	return v;
}

const msgpack_object *
mp_find(const msgpack_object *arr, const char *key, const char *name)
{
	for (uint32_t i = 0; i < arr->via.array.size; i++)
		if (ctl_str_eq(mp_get(&arr->via.array.ptr[i], key), name))
			return &arr->via.array.ptr[i];
	return NULL;
}

bool
mp_bool(const msgpack_object *o)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_BOOLEAN);
	return o->via.boolean;
}

double
mp_f64(const msgpack_object *o)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_FLOAT64);
	return o->via.f64;
}

void
assert_str(const msgpack_object *o, const char *s)
{
	if (!ctl_str_eq(o, s))
		fail_msg("expected the string '%s'", s);
}

void
assert_nil(const msgpack_object *o)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_NIL);
}
