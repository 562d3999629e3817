/*
 * The connections a libuv server holds: each one a stream handle and a
 * timer, kept in its server's list so that closing the server can close
 * them all, and freed only once libuv has closed both handles.
 *
 * A connection embeds struct node_conn as its first member, and both its
 * handles have their data pointing at it: libuv hands that pointer back
 * to the close callback, which is how the last one finds what to free.
 *
 * node_conn_close() is the one way a connection ends. It is safe to call
 * again (later calls do nothing), takes the connection out of its list
 * at once, so a walk of the list never meets a closing one, and frees the
 * memory from a later turn of the loop. Between the two, callbacks of
 * the handles may still run (a write cancelled by the close): they must
 * look at node_conn_closing() before touching the server, which may be
 * gone by then.
 */
#ifndef PMGTM_NODE_NET_CONN_H
#define PMGTM_NODE_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct node_conn;

struct node_conn_ops {
	/* Close has begun: @c is out of its list and its handles are
	 * closing. Gives back what @c held in its server's accounting; may
	 * close other connections. NULL: nothing to give back. */
	void (*closing)(struct node_conn *c);
	/* Both handles are closed: frees @c's memory (and may drop the
	 * server's last reference). Never called twice. */
	void (*free)(struct node_conn *c);
};

/* Embedded first in each connection; the fields are the helper's. */
struct node_conn {
	struct node_conn *prev, *next; /* in list, newest first */
	struct node_conn_list *list;   /* NULL: in none */
	const struct node_conn_ops *ops;
	uv_handle_t *io;
	uv_timer_t *timer;
	int open; /* handles whose close callback has not run */
	bool closing;
};

/* A server's open connections; storage is the caller's. */
struct node_conn_list {
	struct node_conn *head;
	size_t n;
};

/* The connection around @c, whose first member it is. */
#define node_conn_of(c, type) ((type *)(void *)(c))

/* Walks @l; the body must not close a connection (see close_all). */
#define node_conn_foreach(c, l) for ((c) = (l)->head; (c); (c) = (c)->next)

void node_conn_list_init(struct node_conn_list *l);

/* Takes charge of @io and @timer, both initialised on the same loop with
 * data pointing at @c; @ops must outlive @c. @c is in no list yet. */
void node_conn_init(struct node_conn *c, const struct node_conn_ops *ops,
		    uv_handle_t *io, uv_timer_t *timer);

/* Puts @c, not closing and in no list, at the head of @l. */
void node_conn_link(struct node_conn_list *l, struct node_conn *c);

/* Unlinks @c, runs ops->closing, stops the timer and closes the timer,
 * then the stream. Calls after the first do nothing. */
void node_conn_close(struct node_conn *c);

/* Whether node_conn_close() has been called on @c. */
bool node_conn_closing(const struct node_conn *c);

/* Closes every connection in @l, newest first; a closing callback may
 * close others meanwhile. @l is empty after. */
void node_conn_close_all(struct node_conn_list *l);

#endif
