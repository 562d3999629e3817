/*
 * Test helper: the control commands (node/control/commands.h) answered by
 * the nodes of a gspnet cluster (tests/unit/gspnet.h), and the msgpack
 * assertions the command tests share.
 *
 * Node i has its own config, tests/data/good_minimal.yaml with the name
 * "lb<i+1>" that gspnet gives it, and answers in the environment pmgtmd
 * gives its commands: its state machine, the virtual time, serving, and a
 * cluster API whose drains go straight to its state machine, as
 * node_gossip_drain() does (and no revoke: a test brings its own).
 *
 * Failures to set up are test failures (cmocka asserts), so the tests
 * need no error paths.
 */
#ifndef PMGTM_TESTS_CMDNET_H
#define PMGTM_TESTS_CMDNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "common/ctl_proto.h"
#include "node/control/commands.h"

#include "gspnet.h"

struct cmdnet;
struct node_config;

/* Creates @o->nodes nodes and their configs, joins every node through
 * node 0, and runs @settle_ms of virtual time. Free with cmdnet_free(). */
struct cmdnet *cmdnet_new(const struct gspnet_opts *o, uint64_t settle_ms);

/* Frees the nodes and their configs. */
void cmdnet_free(struct cmdnet *n);

/* The network under the nodes, owned by @n: run it, cut it, stop nodes. */
struct gspnet *cmdnet_gspnet(const struct cmdnet *n);

/* Node @i's config, owned by @n; a test may change it between commands. */
struct node_config *cmdnet_config(const struct cmdnet *n, int i);

/* How many drains the nodes' cluster APIs issued since cmdnet_new(). */
int cmdnet_issued(const struct cmdnet *n);

/* Node @i's command environment at the current virtual time, as pmgtmd
 * fills it; it points into @n and is valid until cmdnet_free(). */
struct node_cmd_env cmdnet_env(struct cmdnet *n, int i);

/* One argument of a command: a string, a bool, an unsigned integer, a
 * bin (@s, @u bytes), or nil (a wrong type on purpose). */
struct cmdnet_arg {
	const char *key;
	char type; /* 's', 'b', 'u', 'x', '-' */
	const char *s;
	uint64_t u;
};

#define ARG_S(k, v) ((struct cmdnet_arg){ k, 's', v, 0 })
#define ARG_B(k, v) ((struct cmdnet_arg){ k, 'b', NULL, v })
#define ARG_U(k, v) ((struct cmdnet_arg){ k, 'u', NULL, v })
#define ARG_X(k, p, n) ((struct cmdnet_arg){ k, 'x', (const char *)(p), n })

/* A command's answer: its code, its message and the data it packed. */
struct cmdnet_reply {
	int code;
	char err[CTL_ERROR_MAX];
	const msgpack_object *d; /* NULL when nothing was packed */
	/* Where the arguments and the data are kept until the free. */
	struct ctl_buf args, data;
	msgpack_unpacked args_up, data_up;
};

/* Runs @cmd in @env with the map of @args, for local user @user (uid
 * 1000; NULL: no name). The data, when there is any, must be exactly one
 * msgpack object that fits in a frame. Free with cmdnet_reply_free(). */
struct cmdnet_reply *cmdnet_run(const struct node_cmd_env *env, const char *cmd,
				const struct cmdnet_arg *args, size_t n_args,
				const char *user);

/* cmdnet_run() of @cmd without arguments, which must answer CTL_OK with
 * data. */
struct cmdnet_reply *cmdnet_ok(const struct node_cmd_env *env, const char *cmd);

/* cmdnet_run() in node @i's environment. */
struct cmdnet_reply *cmdnet_call(struct cmdnet *n, int i, const char *cmd,
				 const struct cmdnet_arg *args, size_t n_args,
				 const char *user);

void cmdnet_reply_free(struct cmdnet_reply *r);

/* The value of @key in @map; fails the test when there is none. */
const msgpack_object *mp_get(const msgpack_object *map, const char *key);

/* The value of @key in @map, which must be an array. */
const msgpack_object *mp_array(const msgpack_object *map, const char *key);

/* The element of array @arr whose @key is the string @name; NULL when
 * none. */
const msgpack_object *mp_find(const msgpack_object *arr, const char *key,
			      const char *name);

/* @o, which must be a boolean / a float64. */
bool mp_bool(const msgpack_object *o);
double mp_f64(const msgpack_object *o);

/* @o is the string @s / nil. */
void assert_str(const msgpack_object *o, const char *s);
void assert_nil(const msgpack_object *o);

#endif
