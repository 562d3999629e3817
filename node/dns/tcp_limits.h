/*
 * The limits that keep hostile DNS-over-TCP clients from hurting the node,
 * kept apart from the socket code so they can be tested alone.
 *
 * Admission. Each listener keeps its connections least recently active
 * last, in one list of all of them and one per source prefix (/32 for
 * IPv4, /64 for IPv6); "active" means a complete message arrived. A new
 * connection always gets in; when that puts its source past its share
 * (node_tcp_limits_peer_cap()), the source's least recently active
 * connection goes, else when it puts the listener past
 * dns.tcp_max_connections, the listener's least recently active one goes.
 * A client that holds slots without sending whole messages therefore
 * loses them to the next newcomer instead of locking everyone out, and
 * one source can only ever push out its own connections.
 *
 * Output. Answers wait in memory while the client does not read; a
 * connection may have NODE_TCP_CONN_ANSWERS answers or
 * NODE_TCP_CONN_BYTES allocated bytes queued, and all connections of a
 * listener NODE_TCP_OUT_BYTES together, before it stops reading. A
 * connection with nothing queued may always answer one message, so the
 * shared budget cannot starve a client that reads.
 */
#ifndef PMGTM_NODE_DNS_TCP_LIMITS_H
#define PMGTM_NODE_DNS_TCP_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct node_tcp_peer;

#define NODE_TCP_CONN_ANSWERS 64
#define NODE_TCP_CONN_BYTES (64 * 1024)
#define NODE_TCP_OUT_BYTES (8 * 1024 * 1024)
#define NODE_TCP_LIMITS_KEY 16 /* bytes of hash key */

/* Embedded in each connection; owned by the listener's limits while the
 * connection is added. */
struct node_tcp_slot {
	struct node_tcp_slot *prev, *next; /* all, most recently active first */
	struct node_tcp_slot *peer_prev, *peer_next; /* same source, same */
	struct node_tcp_peer *peer;
};

struct node_tcp_limits {
	struct node_tcp_slot *head, *tail;
	size_t n;			/* connections */
	struct node_tcp_peer **buckets; /* source prefixes, chained */
	size_t n_buckets, n_peers;
	uint8_t key[NODE_TCP_LIMITS_KEY]; /* so sources cannot pick buckets */
	size_t out_bytes; /* allocated for unsent answers, all connections */
};

/* Empty limits; @key (random) seeds the source hash. */
void node_tcp_limits_init(struct node_tcp_limits *l,
			  const uint8_t key[NODE_TCP_LIMITS_KEY]);

/* Frees the table; every slot must have been removed. */
void node_tcp_limits_fini(struct node_tcp_limits *l);

/* Adds @s for a new connection from @peer (NULL or an unknown family: one
 * shared "unknown" source) as the most recently active. Returns 0 or
 * -ENOMEM (then @s is not added). */
__attribute__((warn_unused_result)) int
node_tcp_limits_add(struct node_tcp_limits *l, struct node_tcp_slot *s,
		    const struct sockaddr *peer);

/* Takes @s out; its source goes when it was the last of it. */
void node_tcp_limits_remove(struct node_tcp_limits *l, struct node_tcp_slot *s);

/* Marks @s as the most recently active (a complete message came in). */
void node_tcp_limits_touch(struct node_tcp_limits *l, struct node_tcp_slot *s);

/* The connection to close now that @s came in, under a cap of
 * @max_conns: @s's source's least recently active one when the source is
 * past its share, else the listener's least recently active one when it
 * is past @max_conns, else NULL. Never @s itself. Call again after each
 * close: a lowered cap may take several. */
struct node_tcp_slot *node_tcp_limits_victim(const struct node_tcp_limits *l,
					     const struct node_tcp_slot *s,
					     uint32_t max_conns);

/* A source's share of @max_conns: an eighth, but at least 8 and at most
 * 64 (and never more than @max_conns). */
uint32_t node_tcp_limits_peer_cap(uint32_t max_conns);

/* Connections from @s's source, @s included. */
size_t node_tcp_limits_peer_count(const struct node_tcp_slot *s);

/* Whether a connection with @answers answers and @bytes allocated bytes
 * queued may answer one more message now. */
bool node_tcp_limits_may_answer(const struct node_tcp_limits *l, size_t answers,
				size_t bytes);

#endif
