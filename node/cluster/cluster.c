#include "node/cluster/cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/cluster/intent_store.h"
#include "node/cluster/internal.h"
#include "node/cluster/state_dir.h"
#include "node/config/config.h"
#include "node/log/log.h"

#define LEAVE_FLUSH_MS 300

struct gsp_now
cluster__now(const struct node_gossip *ng)
{
	struct gsp_now t = { uv_now(ng->loop), (uint64_t)time(NULL),
			     uv_hrtime() / 1000 };
	return t;
}

struct gsp_now
node_gossip_now(const struct node_gossip *ng)
{
	return cluster__now(ng);
}

bool
node_gossip_synced(const struct node_gossip *ng)
{
	return gsp_synced(ng->g);
}

const struct gsp *
node_gossip_state(const struct node_gossip *ng)
{
	return ng->g;
}

static void
save_intents(struct node_gossip *ng)
{
	char err[512];

	if (node_intents_save(ng->state_dir, ng->g, err, sizeof(err)))
		node_log(NODE_LOG_ERROR, "cannot save drain intents", "error",
			 err, NULL);
}

void
cluster__report(struct node_gossip *ng)
{
	struct gsp_event ev;
	bool intents = false;

	while (gsp_event_next(ng->g, &ev)) {
		cluster__log_event(ng, &ev);
		intents |= ev.type == GSP_EV_INTENT ||
			   ev.type == GSP_EV_ENDORSED ||
			   ev.type == GSP_EV_REVOKED;
		ng->changed = true;
	}
	/* On disk before anyone is told: a node killed now restarts with
	 * every intent it has applied. */
	if (intents)
		save_intents(ng);
	if (ng->reporting || !ng->cb)
		return;
	ng->reporting = true;
	while (ng->changed) {
		ng->changed = false;
		ng->cb(ng->ctx);
	}
	ng->reporting = false;
}

int64_t
node_gossip_drain(struct node_gossip *ng, const char *target, bool drained,
		  const char *user, const char *reason, uint64_t expires_at)
{
	int64_t v = gsp_drain(ng->g, cluster__now(ng), target, drained, user,
			      reason, expires_at);

	if (v > 0) {
		/* On the wire first: the intents file's fsync and the view
		 * rebuild cost milliseconds the peers need not wait for. */
		cluster__send_now(ng);
		cluster__report(ng);
	}
	return v;
}

int
node_gossip_revoke(struct node_gossip *ng, const uint8_t *rec, size_t len,
		   char *err, size_t errlen)
{
	enum gsp_reject why;
	int rc = gsp_revocation_import(ng->g, cluster__now(ng), rec, len, &why);

	if (rc < 0) {
		/* The control command says "revocation refused: ". */
		snprintf(err, errlen, "%s",
			 why == GSP_REJ_SIGNATURE
				 ? "not signed by a CA of this "
				   "cluster"
			 : why == GSP_REJ_CLUSTER ? "for another cluster"
			 : why == GSP_REJ_DECODE  ? "not a pmgtm revocation"
						  : gsp_reject_name(why));
		return rc;
	}
	if (rc == 1) {
		cluster__send_now(ng);
		cluster__report(ng);
	}
	return rc;
}

void
cluster__handle_closed(uv_handle_t *h)
{
	struct node_gossip *ng = h->data;

	if (--ng->open_handles > 0)
		return;
	void (*done)(void *) = ng->done;
	void *ctx = ng->done_ctx;
	gsp_free(ng->g);
	node_state_unlock(ng->state_lock);
	free(ng->state_dir);
	free(ng);
	if (done)
		done(ctx);
}

void
node_gossip_close(struct node_gossip *ng)
{
	if (!ng)
		return;
	ng->closing = true;
	cluster__transport_close(ng);
}

static void
on_leave_flushed(uv_timer_t *t)
{
	node_gossip_close(t->data);
}

void
node_gossip_leave(struct node_gossip *ng, void (*done)(void *ctx), void *ctx)
{
	ng->done = done;
	ng->done_ctx = ctx;
	ng->closing = true;
	gsp_leave(ng->g, cluster__now(ng));
	cluster__pump(ng);
	node_log(NODE_LOG_INFO, "left the cluster", NULL);
	/* Give the datagrams a moment to leave the socket buffer. */
	uv_timer_stop(&ng->log_timer);
	uv_idle_stop(&ng->soon);
	uv_timer_start(&ng->timer, on_leave_flushed, LEAVE_FLUSH_MS, 0);
}

/* The intents this node held when it stopped, before it hears a peer. */
static void
load_intents(struct node_gossip *ng)
{
	char err[512], n[16];
	int loaded = node_intents_load(ng->state_dir, ng->g, cluster__now(ng),
				       err, sizeof(err));

	if (err[0]) {
		node_log(NODE_LOG_ERROR, "drain intents file corrupt", "error",
			 err, NULL);
		save_intents(ng); /* what did verify, back on disk */
	}
	if (loaded > 0) {
		snprintf(n, sizeof(n), "%d", loaded);
		node_log(NODE_LOG_INFO, "drain intents loaded", "count", n,
			 NULL);
	}
}

static size_t
seeds_of(const struct node_config *cfg, struct gsp_endpoint *seeds, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->cluster.n_seeds && n < cap; i++) {
		cluster__to_endpoint(
			(const struct sockaddr *)&cfg->cluster.seeds[i].ss,
			&seeds[n]);
		/* Not ourselves. */
		if (strcmp(cfg->cluster.seeds[i].text,
			   cfg->cluster.listen.text) != 0)
			n++;
	}
	return n;
}

int
node_gossip_start(uv_loop_t *loop, const struct node_config *cfg,
		  node_gossip_changed_cb cb, void *ctx,
		  struct node_gossip **out, char *err, size_t errlen)
{
	struct node_gossip *ng = calloc(1, sizeof(*ng));
	struct gsp_endpoint seeds[64];
	int r = -ENOMEM;

	*out = NULL;
	if (!ng)
		return -ENOMEM;
	ng->loop = loop;
	ng->cb = cb;
	ng->ctx = ctx;
	ng->state_dir = strdup(cfg->node.state_dir);
	ng->state_lock = -1;
	if (!ng->state_dir || (r = cluster__bootstrap(ng, cfg, err, errlen))) {
		free(ng->state_dir);
		free(ng);
		return r;
	}
	load_intents(ng);
	r = cluster__transport_open(
		ng, (const struct sockaddr *)&cfg->cluster.listen.ss);
	if (r) {
		snprintf(err, errlen, "cannot listen on %s for gossip: %s",
			 cfg->cluster.listen.text, uv_strerror(r));
		node_gossip_close(ng);
		return r;
	}
	size_t n = seeds_of(cfg, seeds, sizeof(seeds) / sizeof(seeds[0]));
	gsp_join(ng->g, cluster__now(ng), seeds, n);
	node_log(NODE_LOG_INFO, "gossip listening", "addr",
		 cfg->cluster.listen.text, "profile",
		 cfg->cluster.profile == NODE_PROFILE_WAN ? "wan" : "lan",
		 "seeds", n ? "yes" : "none", NULL);
	cluster__pump(ng);
	*out = ng;
	return 0;
}
