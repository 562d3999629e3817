#include "node/net/conn.h"

#include <assert.h>

void
node_conn_list_init(struct node_conn_list *l)
{
	l->head = NULL;
	l->n = 0;
}

void
node_conn_init(struct node_conn *c, const struct node_conn_ops *ops,
	       uv_handle_t *io, uv_timer_t *timer)
{
	assert(ops && ops->free && io->data == c && timer->data == c);
	c->prev = c->next = NULL;
	c->list = NULL;
	c->ops = ops;
	c->io = io;
	c->timer = timer;
	c->open = 2;
	c->closing = false;
}

void
node_conn_link(struct node_conn_list *l, struct node_conn *c)
{
	assert(!c->list && !c->closing);
	c->list = l;
	c->prev = NULL;
	c->next = l->head;
	if (l->head)
		l->head->prev = c;
	l->head = c;
	l->n++;
}

static void
unlink_conn(struct node_conn *c)
{
	struct node_conn_list *l = c->list;

	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	assert(l->n > 0);
	l->n--;
	c->list = NULL;
	c->prev = c->next = NULL;
}

static void
on_closed(uv_handle_t *h)
{
	struct node_conn *c = h->data;

	assert(c->open > 0);
	if (--c->open == 0)
		c->ops->free(c);
}

void
node_conn_close(struct node_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->list)
		unlink_conn(c);
	if (c->ops->closing)
		c->ops->closing(c);
	uv_timer_stop(c->timer);
	uv_close((uv_handle_t *)c->timer, on_closed);
	uv_close(c->io, on_closed);
}

bool
node_conn_closing(const struct node_conn *c)
{
	return c->closing;
}

void
node_conn_close_all(struct node_conn_list *l)
{
	while (l->head)
		node_conn_close(l->head);
}
