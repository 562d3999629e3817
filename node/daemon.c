#include "node/daemon.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sodium.h>
#include <uv.h>

#include "dns/cookie.h"
#include "dns/view.h"
#include "gossip/gossip.h"
#include "node/health/autodrain.h"
#include "node/control/server.h"
#include "node/control/auth.h"
#include "node/control/commands.h"
#include "node/cluster/cluster.h"
#include "node/config/config.h"
#include "node/dns/service.h"
#include "node/dns/stats.h"
#include "node/log/log.h"
#include "node/obs/metrics.h"
#include "node/obs/notify.h"
#include "node/obs/metrics_fill.h"
#include "node/dns/view_build.h"

#define COOKIE_ROTATE_MS (60 * 60 * 1000) /* RFC 9018 suggests hourly-ish */

/* Known to this file alone: each room gets a narrow context built from it
 * (the listeners' service, the control handler's snapshot, auto-drain's
 * cluster interface, the metrics source, the systemd status). */
struct node_daemon {
	uv_loop_t loop;
	struct node_config *cfg;
	const struct dns_view *view; /* swapped whole, never edited */
	struct dns_cookie_secrets cookies;

	struct node_udp **udp;
	struct node_tcp **tcp;
	size_t n_listen;
	struct node_dns_service dns; /* what the listeners see */

	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t cookie_timer;
	struct node_gossip *gossip; /* NULL: standalone */
	struct node_control *control;
	struct node_metrics *metrics; /* NULL: no metrics section */
	bool ready; /* synced, or startup_sync_timeout passed */
	struct node_autodrain *autodrain; /* NULL: not started or stopped */
	struct node_watchdog *watchdog;	  /* NULL: the unit asks for none */
	struct node_stats stats;
	bool view_stale; /* peer data could not be served: own state only */
	bool reload_ok;	 /* the last SIGHUP reload worked */
	uint64_t reload_time; /* unix seconds of the last (re)load */
	uint64_t start_time;  /* unix seconds pmgtmd started */
	uv_timer_t sync_timer;
	bool leaving;
};

static void
rotate_cookie_secret(uv_timer_t *h)
{
	struct node_daemon *d = h->data;

	memcpy(d->cookies.previous, d->cookies.current,
	       sizeof(d->cookies.current));
	d->cookies.has_previous = true;
	randombytes_buf(d->cookies.current, sizeof(d->cookies.current));
	node_log(NODE_LOG_DEBUG, "cookie secret rotated", NULL);
}

/* Swaps in a new view. The old one can go at once: the loop is single
 * threaded and no answer is in flight between callbacks. */
static void
set_view(struct node_daemon *d, struct dns_view *v)
{
	struct dns_view *old = (struct dns_view *)d->view;

	d->view = v;
	dns_view_free(old);
}

/* A member dead this long leaves the NS set and the redirect targets:
 * resolvers would keep trying it until it is forgotten a day later. */
#define DEAD_NS_GRACE_MS (10 * 60 * 1000)

/* Builds the view for @cfg and the current membership (with @peers
 * false, as if this node knew no other member: what it falls back to when
 * peer data cannot be served, so its own drain still reaches DNS). */
static int
build_view(struct node_daemon *d, const struct node_config *cfg,
	   struct dns_view **out, char *err, size_t errlen, bool with_peers)
{
	const struct gsp *g = d->gossip ? node_gossip_state(d->gossip) : NULL;
	size_t n = g && with_peers ? gsp_member_count(g) : 0;
	struct node_peer *peers = calloc(n ? n : 1, sizeof(*peers));
	struct gsp_member_info *info = calloc(n ? n : 1, sizeof(*info));
	size_t np = 0;
	int r = -ENOMEM;
	struct gsp_now now = { .ms = 0, .unix_s = 0 };

	if (g)
		now = node_gossip_now(d->gossip);
	if (!peers || !info)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!gsp_member_get(g, i, &info[i]) || info[i].self ||
		    info[i].state == GSP_LEFT ||
		    (info[i].state == GSP_DEAD &&
		     now.ms - info[i].state_since_ms > DEAD_NS_GRACE_MS))
			continue;
		peers[np].name = info[i].name;
		peers[np].ns_name = info[i].ns_name;
		peers[np].addrs = info[i].addrs;
		peers[np].n_addrs = info[i].n_addrs;
		peers[np].redirect = info[i].state == GSP_ALIVE &&
				     info[i].reached &&
				     !gsp_drained(g, now, info[i].name);
		peers[np].rtt_us = info[i].rtt_us;
		np++;
	}
	struct node_view_state st = {
		.drained = g && gsp_drained(g, now, cfg->node.name),
		.ready = d->ready,
	};
	r = node_view_build(cfg, peers, np, g ? &st : NULL, out, err, errlen);
out:
	if (r == -ENOMEM && !*out)
		snprintf(err, errlen, "out of memory");
	free(peers);
	free(info);
	return r;
}

/* STATUS= for systemd: serving or not, drained, members. */
static void
notify_status(const struct node_daemon *d)
{
	struct node_status s = {
		.standalone = !d->gossip,
		.n_zones = d->cfg->dns.n_zones,
		.ready = d->ready,
	};

	if (d->gossip) {
		const struct gsp *g = node_gossip_state(d->gossip);
		struct gsp_member_info m;
		for (size_t i = 0; gsp_member_get(g, i, &m); i++) {
			s.members += m.state != GSP_LEFT;
			s.alive += m.state == GSP_ALIVE;
		}
		s.drained = gsp_drained(g, node_gossip_now(d->gossip),
					d->cfg->node.name);
	}
	node_notify_status(&s);
}

/* ---- how auto-drain sees and changes the cluster ---- */

static bool
autodrain_ready(void *ctx)
{
	const struct node_daemon *d = ctx;

	return d->gossip && d->ready;
}

static enum node_autodrain_intent
autodrain_intent(void *ctx)
{
	const struct node_daemon *d = ctx;
	const char *self = d->cfg->node.name;
	struct gsp_intent in;

	if (!d->gossip ||
	    !gsp_intent_get(node_gossip_state(d->gossip),
			    node_gossip_now(d->gossip), self, &in) ||
	    !in.effective)
		return NODE_AUTODRAIN_NOT_DRAINED;
	return strcmp(in.issuer, self) == 0 &&
			       strcmp(in.user, NODE_AUTODRAIN_USER) == 0
		       ? NODE_AUTODRAIN_DRAINED_AUTO
		       : NODE_AUTODRAIN_DRAINED_OTHER;
}

static size_t
autodrain_active(void *ctx)
{
	const struct node_daemon *d = ctx;

	return d->gossip ? gsp_active_count(node_gossip_state(d->gossip),
					    node_gossip_now(d->gossip))
			 : 0;
}

static int64_t
autodrain_drain(void *ctx, bool drained, const char *reason)
{
	struct node_daemon *d = ctx;

	if (!d->gossip)
		return 0;
	return node_gossip_drain(d->gossip, d->cfg->node.name, drained,
				 NODE_AUTODRAIN_USER, reason, 0);
}

static int
start_autodrain(struct node_daemon *d)
{
	struct node_autodrain_cluster c = {
		.ctx = d,
		.ready = autodrain_ready,
		.intent = autodrain_intent,
		.active = autodrain_active,
		.drain = autodrain_drain,
	};

	return node_autodrain_start(&d->loop, d->cfg, d->gossip ? &c : NULL,
				    &d->autodrain);
}

static void
on_members_changed(void *ctx)
{
	struct node_daemon *d = ctx;
	struct dns_view *v = NULL;
	char err[512];

	if (!d->ready && d->gossip && node_gossip_synced(d->gossip)) {
		d->ready = true;
		uv_timer_stop(&d->sync_timer);
		node_log(NODE_LOG_INFO, "synced: serving the zones", NULL);
	}
	if (build_view(d, d->cfg, &v, err, sizeof(err), true)) {
		char err2[512];
		/* Peer data must never keep our own state from DNS: serve
		 * without it, and say so until a full view builds again. */
		if (!d->view_stale)
			node_log(NODE_LOG_ERROR,
				 "cannot build the DNS view with the members' "
				 "data; serving this node's own state only",
				 "error", err, NULL);
		d->view_stale = true;
		if (build_view(d, d->cfg, &v, err2, sizeof(err2), false)) {
			node_log(NODE_LOG_ERROR, "cannot rebuild the DNS view",
				 "error", err2, NULL);
			return;
		}
	} else if (d->view_stale) {
		d->view_stale = false;
		node_log(NODE_LOG_INFO,
			 "DNS view built with every member again", NULL);
	}
	set_view(d, v);
	node_autodrain_members_changed(d->autodrain);
	notify_status(d);
}

/* startup_sync_timeout passed without a peer: serve what we know. */
static void
on_sync_timeout(uv_timer_t *t)
{
	struct node_daemon *d = t->data;

	if (d->ready)
		return;
	d->ready = true;
	node_log(NODE_LOG_WARN,
		 "no peer synced within cluster.startup_sync_timeout; serving",
		 NULL);
	on_members_changed(d);
}

static void
reload(struct node_daemon *d)
{
	struct node_config *cfg = NULL;
	struct dns_view *v = NULL;
	char err[512];

	d->reload_ok = false;
	if (node_config_load(d->cfg->path, &cfg, err, sizeof(err))) {
		node_log(NODE_LOG_ERROR,
			 "reload failed, keeping the old config", "error", err,
			 NULL);
		return;
	}
	if (build_view(d, cfg, &v, err, sizeof(err), true)) {
		node_log(NODE_LOG_ERROR,
			 "reload failed, keeping the old config", "error", err,
			 NULL);
		node_config_free(cfg);
		return;
	}
	/* The cluster identity first: a certificate that does not verify
	 * fails the whole reload. */
	if (d->gossip && node_gossip_reload(d->gossip, cfg, err, sizeof(err))) {
		node_log(NODE_LOG_ERROR,
			 "reload failed, keeping the old config", "error", err,
			 NULL);
		dns_view_free(v);
		node_config_free(cfg);
		return;
	}
	/* Listeners stay: a changed dns.listen needs a restart. */
	int same = cfg->dns.n_listen == d->cfg->dns.n_listen;
	for (size_t i = 0; same && i < cfg->dns.n_listen; i++)
		same = strcmp(cfg->dns.listen[i].text,
			      d->cfg->dns.listen[i].text) == 0;
	if (!same)
		node_log(NODE_LOG_WARN,
			 "dns.listen changed; restart pmgtmd to apply it",
			 NULL);
	if (cfg->has_metrics != d->cfg->has_metrics ||
	    (cfg->has_metrics && strcmp(cfg->metrics.listen.text,
					d->cfg->metrics.listen.text) != 0))
		node_log(NODE_LOG_WARN,
			 "metrics.listen changed; restart pmgtmd to apply it",
			 NULL);
	/* Keep the listen addresses the sockets were opened with. */
	struct node_sockaddr *tmp = cfg->dns.listen;
	size_t ntmp = cfg->dns.n_listen;
	cfg->dns.listen = d->cfg->dns.listen;
	cfg->dns.n_listen = d->cfg->dns.n_listen;
	d->cfg->dns.listen = tmp;
	d->cfg->dns.n_listen = ntmp;

	struct node_config *old = d->cfg;
	d->cfg = cfg;
	d->dns.tcp_idle_timeout_ms = cfg->dns.tcp_idle_timeout_ms;
	d->dns.tcp_max_connections = cfg->dns.tcp_max_connections;
	node_log_setup(cfg->log.level, cfg->log.format);
	set_view(d, v);
	/* Checks that did not change keep running, with their state. */
	node_autodrain_reload(d->autodrain, cfg);
	node_config_free(old);
	if (cfg->dns.n_zones != d->stats.n_zones) {
		/* Other zones, other series: start the counters again. */
		struct node_stats st;
		if (node_stats_init(&st, cfg->dns.n_zones) == 0) {
			node_stats_fini(&d->stats);
			d->stats = st;
		}
	}
	d->reload_time = (uint64_t)time(NULL);
	d->reload_ok = true;
	node_log(NODE_LOG_INFO, "config reloaded", "file", cfg->path, NULL);
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* The daemon is zeroed when allocated, and a handle whose init failed
 * keeps type 0: stop() can run at any point of the start. */
static void
close_handle(uv_handle_t *h)
{
	if (h->type != UV_UNKNOWN_HANDLE && !uv_is_closing(h))
		uv_close(h, NULL);
}

static void
stop(struct node_daemon *d)
{
	for (size_t i = 0; i < d->n_listen; i++) {
		node_udp_close(d->udp[i]);
		node_tcp_close(d->tcp[i]);
	}
	d->n_listen = 0;
	node_gossip_close(d->gossip);
	d->gossip = NULL;
	node_control_close(d->control);
	d->control = NULL;
	node_metrics_close(d->metrics);
	d->metrics = NULL;
	node_notify_watchdog_stop(d->watchdog);
	d->watchdog = NULL;
	node_autodrain_close(d->autodrain);
	d->autodrain = NULL;
	close_handle((uv_handle_t *)&d->sig_term);
	close_handle((uv_handle_t *)&d->sig_int);
	close_handle((uv_handle_t *)&d->sig_hup);
	close_handle((uv_handle_t *)&d->cookie_timer);
	close_handle((uv_handle_t *)&d->sync_timer);
}

static void
on_left(void *ctx)
{
	struct node_daemon *d = ctx;

	d->gossip = NULL;
	stop(d);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct node_daemon *d = h->data;

	if (signum == SIGHUP) {
		node_notify("RELOADING=1");
		reload(d);
		node_notify("READY=1");
		notify_status(d);
		return;
	}
	node_log(NODE_LOG_INFO, "stopping", "signal", strsignal(signum), NULL);
	node_notify("STOPPING=1\nSTATUS=leaving the cluster");
	if (d->gossip && !d->leaving) {
		/* SIGTERM and SIGINT both leave gracefully first. */
		d->leaving = true;
		node_gossip_leave(d->gossip, on_left, d);
		return;
	}
	if (!d->leaving)
		stop(d);
}

/* /metrics from the daemon's state. */
static void
fill_metrics(void *ctx, struct node_expo *e)
{
	const struct node_daemon *d = ctx;
	struct node_metrics_src s = {
		.cfg = d->cfg,
		.view = d->view,
		.stats = &d->stats,
		.g = d->gossip ? node_gossip_state(d->gossip) : NULL,
		.health = node_autodrain_health(d->autodrain),
		.ready = d->ready,
		.reload_ok = d->reload_ok,
		.view_stale = d->view_stale,
		.reload_time = d->reload_time,
	};

	if (d->gossip)
		s.now = node_gossip_now(d->gossip);
	node_metrics_write(&s, e);
}

static int64_t
drain_gossip(void *ctx, const char *target, bool drained, const char *user,
	     const char *reason, uint64_t expires_at)
{
	return node_gossip_drain(ctx, target, drained, user, reason,
				 expires_at);
}

static int
revoke_gossip(void *ctx, const uint8_t *rec, size_t len, char *err,
	      size_t errlen)
{
	return node_gossip_revoke(ctx, rec, len, err, errlen);
}

/* The control socket's handler: a fresh snapshot of the node for each
 * command. */
static int
control_handle(void *ctx, const char *cmd, const msgpack_object *args,
	       const struct ctl_peer *who, msgpack_packer *data, char *err,
	       size_t errlen)
{
	const struct node_daemon *d = ctx;
	const struct node_control_policy pol = {
		.self_uid = geteuid(),
		.admin_group = d->cfg->control.admin_group,
		.admin_gid = d->cfg->control.admin_gid,
	};
	struct gsp_now now = { .ms = uv_now(&d->loop),
			       .unix_s = (uint64_t)time(NULL) };
	const struct node_cmd_cluster cluster = {
		.drain = drain_gossip,
		.revoke = revoke_gossip,
		.ctx = d->gossip,
	};
	if (d->gossip)
		now = node_gossip_now(d->gossip);
	struct node_cmd_env env = {
		.cfg = d->cfg,
		.g = d->gossip ? node_gossip_state(d->gossip) : NULL,
		.now_ms = now.ms,
		.serving = d->view && dns_view_serving(d->view),
		.unix_s = now.unix_s,
		.cluster = d->gossip ? &cluster : NULL,
	};

	return node_cmd_dispatch(&env, &pol, cmd, args, who, data, err, errlen);
}

static const struct node_control_ops control_ops = {
	.handle = control_handle,
};

/* /metrics, when the config has a metrics section. */
static int
start_metrics(struct node_daemon *d)
{
	char err[256];

	if (!d->cfg->has_metrics)
		return 0;
	int r = node_metrics_start(&d->loop, &d->cfg->metrics.listen,
				   fill_metrics, d, &d->metrics, err,
				   sizeof(err));
	if (r) {
		node_log(NODE_LOG_ERROR, "cannot serve metrics", "error", err,
			 NULL);
		return r;
	}
	node_log(NODE_LOG_INFO, "serving metrics", "addr",
		 d->cfg->metrics.listen.text, "path", "/metrics", NULL);
	return 0;
}

static int
open_listeners(struct node_daemon *d)
{
	size_t n = d->cfg->dns.n_listen;

	d->udp = calloc(n, sizeof(*d->udp));
	d->tcp = calloc(n, sizeof(*d->tcp));
	if (!d->udp || !d->tcp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct node_sockaddr *a = &d->cfg->dns.listen[i];
		int r = node_udp_open(&d->dns, a, &d->udp[i]);
		d->n_listen = i + 1;
		if (!r)
			r = node_tcp_open(&d->dns, a, &d->tcp[i]);
		if (r) {
			node_log(NODE_LOG_ERROR, "cannot listen", "addr",
				 a->text, "error", uv_strerror(r), NULL);
			return r;
		}
		node_log(NODE_LOG_INFO, "listening", "addr", a->text, "proto",
			 "udp+tcp", NULL);
	}
	return 0;
}

/* Below this many descriptors libuv aborts the process while it makes
 * its signal pipes, and the listeners, the control socket and the gossip
 * socket could not all open anyway: refuse in words instead. */
#define NOFILE_MIN 32

static bool
enough_descriptors(void)
{
	struct rlimit rl;
	char have[24], need[24];

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= NOFILE_MIN)
		return true;
	snprintf(have, sizeof(have), "%llu", (unsigned long long)rl.rlim_cur);
	snprintf(need, sizeof(need), "%d", NOFILE_MIN);
	node_log(NODE_LOG_ERROR,
		 "too few file descriptors (raise LimitNOFILE or ulimit -n)",
		 "limit", have, "need", need, NULL);
	return false;
}

/* The daemon for @cfg with its loop, or NULL (logged; @cfg freed). */
static struct node_daemon *
daemon_new(struct node_config *cfg)
{
	struct node_daemon *d = calloc(1, sizeof(*d));
	int r = -ENOMEM;

	if (!d || sodium_init() < 0 ||
	    node_stats_init(&d->stats, cfg->dns.n_zones)) {
		node_log(NODE_LOG_ERROR, "cannot initialise", "error",
			 "out of memory", NULL);
		free(d);
		node_config_free(cfg);
		return NULL;
	}
	if (!enough_descriptors())
		r = UV_EMFILE; /* said */
	else if ((r = uv_loop_init(&d->loop)))
		node_log(NODE_LOG_ERROR, "cannot start the event loop", "error",
			 uv_strerror(r), NULL);
	if (r) {
		node_stats_fini(&d->stats);
		free(d);
		node_config_free(cfg);
		return NULL;
	}
	d->cfg = cfg;
	d->ready = !cfg->has_cluster;
	d->start_time = d->reload_time = (uint64_t)time(NULL);
	d->reload_ok = true;
	d->dns = (struct node_dns_service){
		.loop = &d->loop,
		.view = &d->view,
		.cookies = &d->cookies,
		.stats = &d->stats,
		.clock = node_dns_clock_wall,
		.tcp_idle_timeout_ms = cfg->dns.tcp_idle_timeout_ms,
		.tcp_max_connections = cfg->dns.tcp_max_connections,
	};
	randombytes_buf(d->cookies.current, sizeof(d->cookies.current));
	return d;
}

static int
start_signals(struct node_daemon *d)
{
	uv_signal_t *h[] = { &d->sig_term, &d->sig_int, &d->sig_hup };
	const int signum[] = { SIGTERM, SIGINT, SIGHUP };

	for (size_t i = 0; i < 3; i++) {
		int r = uv_signal_init(&d->loop, h[i]);
		if (!r)
			r = uv_signal_start(h[i], on_signal, signum[i]);
		if (r) {
			node_log(NODE_LOG_ERROR, "cannot handle signals",
				 "error", uv_strerror(r), NULL);
			return r;
		}
		h[i]->data = d;
	}
	return 0;
}

/* Everything a serving node runs, in order; the first failure is logged
 * and returned, and the caller stops what did start. */
static int
start(struct node_daemon *d)
{
	const struct node_config *cfg = d->cfg;
	struct dns_view *v = NULL;
	char err[512];
	int r;

	uv_timer_init(&d->loop, &d->sync_timer);
	d->sync_timer.data = d;
	uv_timer_init(&d->loop, &d->cookie_timer);
	d->cookie_timer.data = d;
	if ((r = start_signals(d)))
		return r;
	if (cfg->has_cluster &&
	    (r = node_gossip_start(&d->loop, cfg, on_members_changed, d,
				   &d->gossip, err, sizeof(err)))) {
		/* Mostly a local file (key, certificate, state_dir) or
		 * socket: err names it. */
		node_log(NODE_LOG_ERROR, "cannot start the cluster member",
			 "error", err, NULL);
		return r;
	}
	if ((r = build_view(d, cfg, &v, err, sizeof(err), true))) {
		node_log(NODE_LOG_ERROR, "bad zone data", "error", err, NULL);
		return r;
	}
	set_view(d, v);
	if (!d->ready)
		uv_timer_start(&d->sync_timer, on_sync_timeout,
			       cfg->cluster.startup_sync_timeout_ms, 0);
	uv_timer_start(&d->cookie_timer, rotate_cookie_secret, COOKIE_ROTATE_MS,
		       COOKIE_ROTATE_MS);
	/* The control socket is the only way to command a node: without it
	 * the node does not run. */
	if ((r = node_control_start(&d->loop, cfg->control.socket, &control_ops,
				    d, &d->control, err, sizeof(err)))) {
		node_log(NODE_LOG_ERROR, "cannot open the control socket",
			 "error", err, NULL);
		return r;
	}
	if ((r = open_listeners(d)) || (r = start_metrics(d)))
		return r;
	node_log(NODE_LOG_INFO, "serving", "node", cfg->node.name, "mode",
		 cfg->has_cluster ? "cluster" : "standalone", NULL);
	node_notify("READY=1");
	notify_status(d);
	d->watchdog = node_notify_watchdog_start(&d->loop);
	return start_autodrain(d);
}

int
node_daemon_run(struct node_config *cfg)
{
	struct node_daemon *d = daemon_new(cfg);

	if (!d)
		return 1;
	int rc = start(d) ? 1 : 0;
	if (rc)
		stop(d);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	/* Anything still open is closed so the loop ends cleanly. */
	uv_walk(&d->loop, close_walk, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d->loop))
		node_log(NODE_LOG_WARN, "event loop closed with handles open",
			 NULL);
	free(d->udp);
	free(d->tcp);
	dns_view_free((struct dns_view *)d->view);
	node_config_free(d->cfg);
	node_stats_fini(&d->stats);
	free(d);
	return rc;
}
