#include "node/obs/notify.h"

#include <stdio.h>
#include <string.h>
#ifdef PMGTM_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "gossip/gossip.h"
#include "node/daemon.h"
#include "node/cluster/gossip_io.h"

void
node_notify(const char *state)
{
#ifdef PMGTM_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

void
node_notify_status(struct node_daemon *d)
{
	char line[256];
	size_t alive = 0, total = 0;
	bool drained = false;

	if (d->gossip) {
		const struct gsp *g = node_gossip_state(d->gossip);
		struct gsp_member_info m;
		for (size_t i = 0; gsp_member_get(g, i, &m); i++) {
			total += m.state != GSP_LEFT;
			alive += m.state == GSP_ALIVE;
		}
		drained = gsp_drained(g, node_gossip_now(d->gossip),
				      d->cfg->node.name);
	}
	if (!d->gossip)
		snprintf(line, sizeof(line),
			 "STATUS=serving %zu zone%s, standalone",
			 d->cfg->dns.n_zones,
			 d->cfg->dns.n_zones == 1 ? "" : "s");
	else
		snprintf(line, sizeof(line), "STATUS=%s; %zu/%zu members alive",
			 !d->ready ? "waiting to sync with a peer"
			 : drained ? "drained"
				   : "serving",
			 alive, total);
	node_notify(line);
}

#ifdef PMGTM_HAVE_SYSTEMD
static void
on_watchdog(uv_timer_t *t)
{
	node_notify("WATCHDOG=1");
}
#endif

void
node_notify_watchdog_start(struct node_daemon *d)
{
#ifdef PMGTM_HAVE_SYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec < 2000)
		return;
	uv_timer_init(&d->loop, &d->watchdog);
	d->watchdog_live = true;
	uv_timer_start(&d->watchdog, on_watchdog, 0, usec / 2000);
#else
	(void)d;
#endif
}

void
node_notify_watchdog_stop(struct node_daemon *d)
{
	if (!d->watchdog_live)
		return;
	uv_close((uv_handle_t *)&d->watchdog, NULL);
	d->watchdog_live = false;
}
