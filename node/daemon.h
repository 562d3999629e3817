/*
 * The pmgtmd process, the composition root: the only file that knows
 * every room. It owns the libuv loop, the config, the DNS view, the
 * signals, and the contexts each room works on (the listeners' service,
 * the cluster, the control socket's handler, auto-drain's view of the
 * cluster, the metrics snapshot, the systemd status).
 */
#ifndef PMGTM_NODE_DAEMON_H
#define PMGTM_NODE_DAEMON_H

struct node_config;

/* Runs a node for @cfg (taking ownership of it): joins the cluster when
 * it has one, builds the DNS view, opens the control socket, the DNS
 * listeners and /metrics, starts auto-drain, and runs the loop until
 * SIGTERM/SIGINT (after leaving the cluster). Returns the exit code. */
int node_daemon_run(struct node_config *cfg);

#endif
