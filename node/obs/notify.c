#include "node/obs/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef PMGTM_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

struct node_watchdog {
	uv_timer_t timer;
};

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
node_notify_status_format(const struct node_status *s, char *buf, size_t len)
{
	if (s->standalone)
		snprintf(buf, len, "STATUS=serving %zu zone%s, standalone",
			 s->n_zones, s->n_zones == 1 ? "" : "s");
	else
		snprintf(buf, len, "STATUS=%s; %zu/%zu members alive",
			 !s->ready    ? "waiting to sync with a peer"
			 : s->drained ? "drained"
				      : "serving",
			 s->alive, s->members);
}

void
node_notify_status(const struct node_status *s)
{
	char line[256];

	node_notify_status_format(s, line, sizeof(line));
	node_notify(line);
}

#ifdef PMGTM_HAVE_SYSTEMD
static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	node_notify("WATCHDOG=1");
}
#endif

struct node_watchdog *
node_notify_watchdog_start(uv_loop_t *loop)
{
#ifdef PMGTM_HAVE_SYSTEMD
	uint64_t usec = 0;
	struct node_watchdog *w;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec < 2000)
		return NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return NULL;
	uv_timer_init(loop, &w->timer);
	w->timer.data = w;
	uv_timer_start(&w->timer, on_watchdog, 0, usec / 2000);
	return w;
#else
	(void)loop;
	return NULL;
#endif
}

static void
on_closed(uv_handle_t *h)
{
	free(h->data);
}

void
node_notify_watchdog_stop(struct node_watchdog *w)
{
	if (w)
		uv_close((uv_handle_t *)&w->timer, on_closed);
}
