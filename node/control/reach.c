#include "node/control/reach.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/gossip.h"
#include "common/mpack.h"
#include "node/control/commands.h"

#define OBSERVER_FIELDS 5
#define PEER_FIELDS 8

/* Microseconds as milliseconds; nil for 0 (unknown). */
static void
pack_ms(msgpack_packer *pk, uint32_t us)
{
	if (us)
		msgpack_pack_double(pk, us / 1e3);
	else
		msgpack_pack_nil(pk);
}

static const char *
path_name(const struct gsp_reach_cell *c)
{
	if (c->reachable)
		return "direct";
	return c->indirect ? "indirect" : "none";
}

static void
pack_cell(msgpack_packer *pk, const struct gsp_reach_cell *c)
{
	msgpack_pack_map(pk, PEER_FIELDS);
	cmn_pack_str(pk, "name");
	cmn_pack_str(pk, c->peer);
	cmn_pack_str(pk, "reachable");
	cmn_pack_bool(pk, c->reachable);
	cmn_pack_str(pk, "path");
	cmn_pack_str(pk, path_name(c));
	/* The smoothed RTT outlives the path it measured: an unreachable
	 * peer has none to show (the documented JSON shape). */
	cmn_pack_str(pk, "rtt_ms");
	pack_ms(pk, c->reachable ? c->rtt_us : 0);
	cmn_pack_str(pk, "p50_ms");
	pack_ms(pk, c->p50_us);
	cmn_pack_str(pk, "p99_ms");
	pack_ms(pk, c->p99_us);
	cmn_pack_str(pk, "loss");
	msgpack_pack_double(
		pk, (c->loss_permille > 1000 ? 1000 : c->loss_permille) / 1e3);
	cmn_pack_str(pk, "last_ack_s");
	if (c->last_ack_ms == UINT64_MAX)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_double(pk, c->last_ack_ms / 1e3);
}

static void
pack_row(msgpack_packer *pk, const struct gsp_reach_row *row, bool self)
{
	msgpack_pack_map(pk, OBSERVER_FIELDS);
	cmn_pack_str(pk, "name");
	cmn_pack_str(pk, row->observer);
	cmn_pack_str(pk, "self");
	cmn_pack_bool(pk, self);
	cmn_pack_str(pk, "age_s");
	msgpack_pack_double(pk, row->age_ms / 1e3);
	cmn_pack_str(pk, "stale");
	cmn_pack_bool(pk, row->stale);
	cmn_pack_str(pk, "peers");
	msgpack_pack_array(pk, row->n);
	for (size_t i = 0; i < row->n; i++)
		pack_cell(pk, &row->cells[i]);
}

static void
pack_names(msgpack_packer *pk, const char *const *names, size_t n)
{
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		cmn_pack_str(pk, names[i]);
}

/* gsp_split_views() is walked twice with the same state and time: once
 * to count (msgpack needs the length first), once to pack. */
struct split_walk {
	msgpack_packer *pk; /* NULL: count only */
	size_t n;
};

static void
split_one(void *ctx, const char *target, const char *const *reach,
	  size_t n_reach, const char *const *unreach, size_t n_unreach)
{
	struct split_walk *w = ctx;

	w->n++;
	if (!w->pk)
		return;
	msgpack_pack_map(w->pk, 3);
	cmn_pack_str(w->pk, "target");
	cmn_pack_str(w->pk, target);
	cmn_pack_str(w->pk, "reachable_from");
	pack_names(w->pk, reach, n_reach);
	cmn_pack_str(w->pk, "unreachable_from");
	pack_names(w->pk, unreach, n_unreach);
}

int
node_cmd_reachability(const struct node_cmd_env *env, msgpack_packer *pk)
{
	struct gsp_now now = { .ms = env->now_ms, .unix_s = env->unix_s };
	struct split_walk count = { NULL, 0 }, walk = { pk, 0 };
	struct gsp_reach_row *row;
	size_t n = 0;

	if (!env->g) {
		msgpack_pack_map(pk, 2);
		cmn_pack_str(pk, "observers");
		msgpack_pack_array(pk, 0);
		cmn_pack_str(pk, "split_views");
		msgpack_pack_array(pk, 0);
		return 0;
	}
	/* Several kilobytes: not on the stack of the event loop. */
	row = malloc(sizeof(*row));
	if (!row)
		return -ENOMEM;
	/* The count is fixed first, so count what gsp_reach_get gives. */
	while (n < gsp_reach_count(env->g) &&
	       gsp_reach_get(env->g, now, n, row))
		n++;
	msgpack_pack_map(pk, 2);
	cmn_pack_str(pk, "observers");
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++) {
		if (!gsp_reach_get(env->g, now, i, row))
			break;
		pack_row(pk, row, i == 0);
	}
	free(row);

	cmn_pack_str(pk, "split_views");
	gsp_split_views(env->g, now, split_one, &count);
	msgpack_pack_array(pk, count.n);
	gsp_split_views(env->g, now, split_one, &walk);
	return 0;
}
