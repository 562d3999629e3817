/*
 * systemd notifications (Type=notify): READY/RELOADING/STOPPING, a STATUS=
 * line that says what the node is doing, and the watchdog when the unit
 * sets WatchdogSec=. Nothing happens when pmgtmd was built without
 * libsystemd or does not run under systemd (no NOTIFY_SOCKET).
 */
#ifndef PMGTM_NODE_OBS_NOTIFY_H
#define PMGTM_NODE_OBS_NOTIFY_H

struct node_daemon;

/* "READY=1", "RELOADING=1", "STOPPING=1"... */
void node_notify(const char *state);

/* STATUS= from the daemon's state: serving or not, drained, members. */
void node_notify_status(struct node_daemon *d);

/* Starts WATCHDOG=1 pings at half the unit's WatchdogSec, if set. */
void node_notify_watchdog_start(struct node_daemon *d);

void node_notify_watchdog_stop(struct node_daemon *d);

#endif
