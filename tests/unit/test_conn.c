/*
 * node/net/conn.c on a real libuv loop: a listener on 127.0.0.225 accepts
 * TCP connections from 127.0.0.226 into a list, and the tests close them
 * every way the servers do. The closing and free callbacks count per
 * connection, so a double free or a missed one shows as a count, not a
 * crash; every test ends with uv_loop_close() returning 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "node/net/conn.h"

#define HOST "127.0.0.225"
#define CLIENT "127.0.0.226"
#define N 4

struct fx;

struct tconn {
	struct node_conn conn; /* first: the handles' data point here */
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct fx *x;
	int id;
};

struct fx {
	uv_loop_t loop;
	uv_tcp_t server;
	struct sockaddr_in addr;
	uv_tcp_t clients[N];
	uv_connect_t connects[N];
	int connected;
	struct node_conn_list list;
	struct tconn *conns[N]; /* by id, in accept order */
	int accepted;
	int closing[N + 1], freed[N + 1]; /* [N]: one never linked */
	int still_linked; /* closing callbacks that found theirs in the list */
	int fired;	  /* timer callbacks */
	int cascade_from, cascade_to; /* closing one closes the other */
};

static const struct node_conn_ops tconn_ops;

static int
in_list(const struct fx *x, const struct node_conn *c)
{
	const struct node_conn *o;

	node_conn_foreach (o, &x->list) {
		if (o == c)
			return 1;
	}
	return 0;
}

static void
tconn_closing(struct node_conn *c)
{
	struct tconn *t = node_conn_of(c, struct tconn);
	struct fx *x = t->x;

	x->closing[t->id]++;
	x->still_linked += in_list(x, c);
	if (t->id == x->cascade_from)
		node_conn_close(&x->conns[x->cascade_to]->conn);
}

static void
tconn_free(struct node_conn *c)
{
	struct tconn *t = node_conn_of(c, struct tconn);

	t->x->freed[t->id]++;
	free(t);
}

static const struct node_conn_ops tconn_ops = {
	.closing = tconn_closing,
	.free = tconn_free,
};

static void
on_timer(uv_timer_t *h)
{
	struct tconn *t = h->data;

	t->x->fired++;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct fx *x = server->data;
	struct tconn *t = calloc(1, sizeof(*t));

	assert_int_equal(status, 0);
	assert_non_null(t);
	assert_true(x->accepted < N);
	t->x = x;
	t->id = x->accepted;
	assert_int_equal(uv_tcp_init(&x->loop, &t->tcp), 0);
	assert_int_equal(uv_timer_init(&x->loop, &t->timer), 0);
	t->tcp.data = t->timer.data = t;
	node_conn_init(&t->conn, &tconn_ops, (uv_handle_t *)&t->tcp, &t->timer);
	assert_int_equal(uv_accept(server, (uv_stream_t *)&t->tcp), 0);
	node_conn_link(&x->list, &t->conn);
	x->conns[x->accepted++] = t;
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct fx *x = req->data;

	assert_int_equal(status, 0);
	x->connected++;
}

/* N connections accepted and linked, oldest first in x->conns. */
static int
setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct sockaddr_in from;
	int len = sizeof(x->addr);

	assert_non_null(x);
	x->cascade_from = x->cascade_to = -1;
	node_conn_list_init(&x->list);
	assert_int_equal(uv_loop_init(&x->loop), 0);
	assert_int_equal(uv_tcp_init(&x->loop, &x->server), 0);
	x->server.data = x;
	assert_int_equal(uv_ip4_addr(HOST, 0, &x->addr), 0);
	assert_int_equal(
		uv_tcp_bind(&x->server, (const struct sockaddr *)&x->addr, 0),
		0);
	assert_int_equal(uv_tcp_getsockname(&x->server,
					    (struct sockaddr *)&x->addr, &len),
			 0);
	assert_int_equal(uv_listen((uv_stream_t *)&x->server, N, on_connection),
			 0);
	assert_int_equal(uv_ip4_addr(CLIENT, 0, &from), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(uv_tcp_init(&x->loop, &x->clients[i]), 0);
		assert_int_equal(uv_tcp_bind(&x->clients[i],
					     (const struct sockaddr *)&from, 0),
				 0);
		x->connects[i].data = x;
		assert_int_equal(
			uv_tcp_connect(&x->connects[i], &x->clients[i],
				       (const struct sockaddr *)&x->addr,
				       on_connected),
			0);
	}
	while (x->accepted < N || x->connected < N)
		uv_run(&x->loop, UV_RUN_ONCE);
	assert_int_equal(x->list.n, N);
	*state = x;
	return 0;
}

/* Closes what is left, the clients and the listener; the loop must end
 * with no handle open. */
static int
teardown(void **state)
{
	struct fx *x = *state;

	node_conn_close_all(&x->list);
	for (int i = 0; i < N; i++)
		uv_close((uv_handle_t *)&x->clients[i], NULL);
	uv_close((uv_handle_t *)&x->server, NULL);
	assert_int_equal(uv_run(&x->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&x->loop), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(x->closing[i], 1);
		assert_int_equal(x->freed[i], 1);
	}
	free(x);
	return 0;
}

static void
list_is_newest_first(void **state)
{
	struct fx *x = *state;
	const struct node_conn *c;
	int id = N;

	node_conn_foreach (c, &x->list) {
		assert_int_equal(node_conn_of(c, const struct tconn)->id, --id);
		assert_false(node_conn_closing(c));
	}
	assert_int_equal(id, 0);
}

/* Nothing is freed until libuv has run both close callbacks. */
static void
close_all_frees_each_once_after_the_loop(void **state)
{
	struct fx *x = *state;

	node_conn_close_all(&x->list);
	assert_null(x->list.head);
	assert_int_equal(x->list.n, 0);
	assert_int_equal(x->still_linked, 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(x->closing[i], 1);
		assert_int_equal(x->freed[i], 0);
		assert_true(node_conn_closing(&x->conns[i]->conn));
	}
	uv_run(&x->loop, UV_RUN_NOWAIT);
	for (int i = 0; i < N; i++)
		assert_int_equal(x->freed[i], 1);
}

static void
close_twice_is_once(void **state)
{
	struct fx *x = *state;
	struct tconn *t = x->conns[1];

	node_conn_close(&t->conn);
	node_conn_close(&t->conn);
	assert_int_equal(x->closing[1], 1);
	assert_int_equal(x->list.n, N - 1);
	assert_false(in_list(x, &t->conn));
	uv_run(&x->loop, UV_RUN_NOWAIT);
	assert_int_equal(x->freed[1], 1);
	assert_int_equal(x->freed[0] + x->freed[2] + x->freed[3], 0);
}

/* A closing callback that closes another connection, which close_all
 * would have reached later: each still closes and frees once. */
static void
close_all_while_callbacks_close_others(void **state)
{
	struct fx *x = *state;

	x->cascade_from = N - 1; /* the head: closed first */
	x->cascade_to = 1;
	node_conn_close_all(&x->list);
	assert_int_equal(x->list.n, 0);
	assert_int_equal(x->still_linked, 0);
	uv_run(&x->loop, UV_RUN_NOWAIT);
	for (int i = 0; i < N; i++)
		assert_int_equal(x->freed[i], 1);
}

/* Unlinking from the middle, the head and the tail keeps the rest
 * walkable and counted. */
static void
close_middle_head_tail(void **state)
{
	struct fx *x = *state;
	const struct node_conn *c;
	int seen = 0;

	node_conn_close(&x->conns[1]->conn);	 /* middle */
	node_conn_close(&x->conns[N - 1]->conn); /* head */
	node_conn_close(&x->conns[0]->conn);	 /* tail */
	assert_int_equal(x->list.n, N - 3);
	node_conn_foreach (c, &x->list) {
		assert_ptr_equal(c, &x->conns[2]->conn);
		seen++;
	}
	assert_int_equal(seen, 1);
	assert_null(x->list.head->prev);
}

/* A timer armed when the connection closes never fires. */
static void
close_stops_the_timer(void **state)
{
	struct fx *x = *state;

	for (int i = 0; i < N; i++)
		assert_int_equal(
			uv_timer_start(&x->conns[i]->timer, on_timer, 0, 0), 0);
	node_conn_close_all(&x->list);
	uv_run(&x->loop, UV_RUN_NOWAIT);
	assert_int_equal(x->fired, 0);
}

/* A connection in no list (accepted but never admitted) closes and frees
 * the same way. */
static void
unlinked_conn_closes(void **state)
{
	struct fx *x = *state;
	struct tconn *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->x = x;
	t->id = N;
	assert_int_equal(uv_tcp_init(&x->loop, &t->tcp), 0);
	assert_int_equal(uv_timer_init(&x->loop, &t->timer), 0);
	t->tcp.data = t->timer.data = t;
	node_conn_init(&t->conn, &tconn_ops, (uv_handle_t *)&t->tcp, &t->timer);
	node_conn_close(&t->conn);
	assert_int_equal(x->list.n, N);
	assert_int_equal(x->closing[N], 1);
	assert_int_equal(x->freed[N], 0);
	uv_run(&x->loop, UV_RUN_NOWAIT);
	assert_int_equal(x->freed[N], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(list_is_newest_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			close_all_frees_each_once_after_the_loop, setup,
			teardown),
		cmocka_unit_test_setup_teardown(close_twice_is_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			close_all_while_callbacks_close_others, setup,
			teardown),
		cmocka_unit_test_setup_teardown(close_middle_head_tail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(close_stops_the_timer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unlinked_conn_closes, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
