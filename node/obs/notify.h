/*
 * systemd notifications (Type=notify): READY/RELOADING/STOPPING, a STATUS=
 * line that says what the node is doing, and the watchdog when the unit
 * sets WatchdogSec=. Nothing happens when pmgtmd was built without
 * libsystemd or does not run under systemd (no NOTIFY_SOCKET).
 */
#ifndef PMGTM_NODE_OBS_NOTIFY_H
#define PMGTM_NODE_OBS_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* What the STATUS= line shows. */
struct node_status {
	bool standalone;
	size_t n_zones; /* standalone */
	bool ready;	/* synced, or done waiting for a peer */
	bool drained;	/* an intent about this node is effective */
	size_t alive;	/* members alive, this node included */
	size_t members; /* members that have not left */
};

/* "READY=1", "RELOADING=1", "STOPPING=1"... */
void node_notify(const char *state);

/* Writes "STATUS=..." for @s into @buf (truncated to @len, which must not
 * be 0): "serving N zones, standalone", or "serving", "drained" or
 * "waiting to sync with a peer" then "; A/M members alive". */
void node_notify_status_format(const struct node_status *s, char *buf,
			       size_t len);

/* Sends the STATUS= line for @s. */
void node_notify_status(const struct node_status *s);

struct node_watchdog;

/* Starts WATCHDOG=1 pings on @loop at half the unit's WatchdogSec. NULL
 * when the unit sets none (or without systemd, or out of memory). */
struct node_watchdog *node_notify_watchdog_start(uv_loop_t *loop);

/* Stops the pings; the memory goes once libuv has closed the timer.
 * NULL is a no-op. */
void node_notify_watchdog_stop(struct node_watchdog *w);

#endif
