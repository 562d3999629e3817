/*
 * Inside the cluster room: the glue's state, shared by its files and by no
 * one else (node/cluster/cluster.h is the room's public face).
 *
 *   cluster.c    lifecycle, reads, the commands, reporting to the daemon
 *   transport.c  UDP datagrams, push-pull streams, the pump and its timer
 *   bootstrap.c  identity, keyring and generation -> the state machine
 *   report.c     log lines for events and for rejected input
 */
#ifndef PMGTM_NODE_CLUSTER_INTERNAL_H
#define PMGTM_NODE_CLUSTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "gossip/gossip.h"
#include "node/cluster/cluster.h"
#include "node/cluster/stream.h"

struct node_config;

struct node_gossip {
	uv_loop_t *loop;
	struct gsp *g;
	uv_udp_t udp;
	uv_timer_t timer, log_timer;
	uv_idle_t soon; /* a pump on the next loop turn */
	node_gossip_changed_cb cb;
	void *ctx;
	bool reporting; /* inside cb: a change found now waits for it */
	bool changed;	/* not yet told to cb */
	bool pumping;
	uint64_t logged[GSP_REJ__COUNT];
	uint8_t rx[65536];
	int open_handles;
	bool closing;
	void (*done)(void *ctx);
	void *done_ctx;
	struct node_streams *streams; /* TCP push-pull, closed with us */
	struct node_stream_stats logged_streams;
	char *state_dir;
	int state_lock;	       /* held while we run: one pmgtmd per state_dir */
	uint64_t cert_watched; /* not_after of the certificate warned about */
	unsigned cert_warned;  /* bit i: the warning of mark i was logged */
};

/* The time as the state machine wants it, from the loop and the clocks. */
struct gsp_now cluster__now(const struct node_gossip *ng);

void cluster__to_endpoint(const struct sockaddr *sa, struct gsp_endpoint *ep);

/* --- transport.c --- */

/* Binds UDP and the push-pull streams on @sa; the handles count in
 * ng->open_handles from here on, whatever the result. 0 or a libuv error. */
int cluster__transport_open(struct node_gossip *ng, const struct sockaddr *sa);

/* Ticks the state machine, sends what it wants sent, reports (see
 * cluster__report) and re-arms the timer. Never re-entered: everything
 * that runs inside it asks for cluster__pump_soon() instead. */
void cluster__pump(struct node_gossip *ng);

/* A pump on the next loop turn (uv_idle), never from inside the caller. */
void cluster__pump_soon(struct node_gossip *ng);

/* Sends what the state machine has to send now, without reporting: what
 * a command queued leaves before the command writes files or rebuilds
 * the view. Inside a pump it asks for cluster__pump_soon() instead. */
void cluster__send_now(struct node_gossip *ng);

/* Closes the handles; each close runs cluster__handle_closed. */
void cluster__transport_close(struct node_gossip *ng);

void cluster__handle_closed(uv_handle_t *h);

/* --- cluster.c --- */

/* Takes the events the state machine queued: logs them, saves the
 * intents when one changed (before anyone is told), then tells the daemon
 * once. Inside the daemon's callback it only gathers: the callback runs
 * again after it returns, never nested in itself. */
void cluster__report(struct node_gossip *ng);

/* --- bootstrap.c --- */

/* Locks and cleans state_dir, then builds ng->g from @cfg's keys,
 * certificate, cluster keys and a new generation. 0 or a negative errno
 * with a reason in @err; on failure the lock is released. */
__attribute__((warn_unused_result)) int
cluster__bootstrap(struct node_gossip *ng, const struct node_config *cfg,
		   char *err, size_t errlen);

/* Reads, raises and stores the generation in @dir/generation: the larger
 * of the stored value + 1 and the wall clock in seconds, so a lost or
 * corrupt file (moved aside, reported in @err) never reuses one. */
__attribute__((warn_unused_result)) int
node_generation_next(const char *dir, uint64_t unix_now, uint64_t *gen,
		     char *err, size_t errlen);

/* --- report.c --- */

/* One log line (or none) for event @ev. */
void cluster__log_event(struct node_gossip *ng, const struct gsp_event *ev);

/* The rejections and refused streams counted since the last call, one
 * line per reason (run every REPORT_REJECTS_MS). */
void cluster__log_rejects(struct node_gossip *ng);

/* Logs, once each, that our own certificate ends within 30 days, 7 days
 * and 1 day (again after a renewal). */
void cluster__cert_watch(struct node_gossip *ng, uint64_t unix_s);

#define REPORT_REJECTS_MS 10000

#endif
