#include "node/dns/tcp_limits.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include "common/source.h"

_Static_assert(NODE_TCP_LIMITS_KEY == crypto_shorthash_KEYBYTES,
	       "SipHash key size");

#define PREFIX_LEN NODE_SOURCE_LEN
#define FIRST_BUCKETS 64

struct node_tcp_peer {
	uint8_t prefix[PREFIX_LEN];
	size_t n;
	struct node_tcp_slot *head, *tail; /* most recently active first */
	struct node_tcp_peer *next;	   /* hash chain */
};

static size_t
bucket_of(const struct node_tcp_limits *l, const uint8_t prefix[PREFIX_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, prefix, PREFIX_LEN, l->key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (l->n_buckets - 1));
}

/* Doubles the table once there are more sources than buckets, so chains
 * stay short; a failed allocation only leaves them longer. */
static void
grow(struct node_tcp_limits *l)
{
	size_t old_n = l->n_buckets;
	struct node_tcp_peer **old = l->buckets;
	struct node_tcp_peer **nb = calloc(old_n * 2, sizeof(*nb));

	if (!nb)
		return;
	l->buckets = nb;
	l->n_buckets = old_n * 2;
	for (size_t i = 0; i < old_n; i++) {
		struct node_tcp_peer *p = old[i], *next;
		for (; p; p = next) {
			next = p->next;
			size_t b = bucket_of(l, p->prefix);
			p->next = nb[b];
			nb[b] = p;
		}
	}
	free(old);
}

static struct node_tcp_peer *
peer_get(struct node_tcp_limits *l, const uint8_t prefix[PREFIX_LEN])
{
	if (!l->buckets) {
		l->buckets = calloc(FIRST_BUCKETS, sizeof(*l->buckets));
		if (!l->buckets)
			return NULL;
		l->n_buckets = FIRST_BUCKETS;
	}
	size_t b = bucket_of(l, prefix);
	for (struct node_tcp_peer *p = l->buckets[b]; p; p = p->next)
		if (!memcmp(p->prefix, prefix, PREFIX_LEN))
			return p;
	struct node_tcp_peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->prefix, prefix, PREFIX_LEN);
	p->next = l->buckets[b];
	l->buckets[b] = p;
	if (++l->n_peers > l->n_buckets)
		grow(l);
	return p;
}

static void
peer_drop(struct node_tcp_limits *l, struct node_tcp_peer *p)
{
	struct node_tcp_peer **pp = &l->buckets[bucket_of(l, p->prefix)];

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	l->n_peers--;
	free(p);
}

void
node_tcp_limits_init(struct node_tcp_limits *l,
		     const uint8_t key[NODE_TCP_LIMITS_KEY])
{
	memset(l, 0, sizeof(*l));
	memcpy(l->key, key, NODE_TCP_LIMITS_KEY);
}

void
node_tcp_limits_fini(struct node_tcp_limits *l)
{
	assert(l->n == 0 && l->n_peers == 0 && l->out_bytes == 0);
	free(l->buckets);
	l->buckets = NULL;
	l->n_buckets = 0;
}

/* Links @s in front of both its lists. */
static void
link_front(struct node_tcp_limits *l, struct node_tcp_slot *s)
{
	struct node_tcp_peer *p = s->peer;

	s->prev = NULL;
	s->next = l->head;
	if (l->head)
		l->head->prev = s;
	else
		l->tail = s;
	l->head = s;
	s->peer_prev = NULL;
	s->peer_next = p->head;
	if (p->head)
		p->head->peer_prev = s;
	else
		p->tail = s;
	p->head = s;
}

static void
unlink_slot(struct node_tcp_limits *l, struct node_tcp_slot *s)
{
	struct node_tcp_peer *p = s->peer;

	if (s->prev)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		l->tail = s->prev;
	if (s->peer_prev)
		s->peer_prev->peer_next = s->peer_next;
	else
		p->head = s->peer_next;
	if (s->peer_next)
		s->peer_next->peer_prev = s->peer_prev;
	else
		p->tail = s->peer_prev;
}

int
node_tcp_limits_add(struct node_tcp_limits *l, struct node_tcp_slot *s,
		    const struct sockaddr *peer)
{
	uint8_t prefix[PREFIX_LEN];

	node_source_of(peer, prefix);
	s->peer = peer_get(l, prefix);
	if (!s->peer)
		return -ENOMEM;
	link_front(l, s);
	s->peer->n++;
	l->n++;
	return 0;
}

void
node_tcp_limits_remove(struct node_tcp_limits *l, struct node_tcp_slot *s)
{
	struct node_tcp_peer *p = s->peer;

	assert(p && p->n > 0 && l->n > 0);
	unlink_slot(l, s);
	l->n--;
	if (--p->n == 0)
		peer_drop(l, p);
	memset(s, 0, sizeof(*s));
}

void
node_tcp_limits_touch(struct node_tcp_limits *l, struct node_tcp_slot *s)
{
	if (l->head == s && s->peer->head == s)
		return;
	unlink_slot(l, s);
	link_front(l, s);
}

uint32_t
node_tcp_limits_peer_cap(uint32_t max_conns)
{
	uint32_t cap = max_conns / 8;

	if (cap < 8)
		cap = 8;
	if (cap > 64)
		cap = 64;
	return cap < max_conns ? cap : max_conns;
}

struct node_tcp_slot *
node_tcp_limits_victim(const struct node_tcp_limits *l,
		       const struct node_tcp_slot *s, uint32_t max_conns)
{
	struct node_tcp_slot *v = NULL;

	if (s->peer->n > node_tcp_limits_peer_cap(max_conns))
		v = s->peer->tail;
	else if (l->n > max_conns)
		v = l->tail;
	if (v == s) /* only when @max_conns is 0: nothing else to close */
		return NULL;
	return v;
}

size_t
node_tcp_limits_peer_count(const struct node_tcp_slot *s)
{
	return s->peer ? s->peer->n : 0;
}

bool
node_tcp_limits_may_answer(const struct node_tcp_limits *l, size_t answers,
			   size_t bytes)
{
	if (answers == 0)
		return true;
	return answers < NODE_TCP_CONN_ANSWERS && bytes < NODE_TCP_CONN_BYTES &&
	       l->out_bytes < NODE_TCP_OUT_BYTES;
}
