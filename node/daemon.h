/*
 * The pmgtmd process: owns the libuv loop, the current config and DNS
 * view, the listeners and the signal handlers.
 */
#ifndef PMGTM_NODE_DAEMON_H
#define PMGTM_NODE_DAEMON_H

#include <stdbool.h>
#include <uv.h>

#include "dns/cookie.h"
#include "node/config/config.h"
#include "node/dns/service.h"
#include "node/dns/stats.h"

struct dns_view;
struct node_udp;
struct node_tcp;
struct node_gossip;
struct node_control;
struct node_autodrain;
struct node_watchdog;
struct node_metrics;

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
	int exit_code;
};

/* Loads nothing: starts listeners for @cfg (taking ownership of it) and
 * runs the loop until SIGTERM/SIGINT. Returns the process exit code. */
int node_daemon_run(struct node_config *cfg);

#endif
