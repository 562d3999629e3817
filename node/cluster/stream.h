/*
 * The gossip's TCP push-pull streams: one frame each way per connection.
 *
 *   frame = length (4 bytes, big endian) | that many bytes
 *
 * We connect and push our state (outgoing), or accept a peer's push and
 * answer with ours (inbound). Nothing on an inbound stream can be
 * authenticated before its frame is whole, so what a stranger can make us
 * hold is bounded here, before the gossip core sees a byte:
 *   - at most NODE_STREAMS_IN_MAX inbound streams at once, and at most
 *     NODE_STREAMS_PER_SOURCE from one source (an IPv4 address, an IPv6
 *     /64); a connection over either cap is accepted and closed at once,
 *     so the listen backlog never fills and no descriptor is kept;
 *   - a buffer grows with the bytes that arrived (at most doubling) and
 *     never past the announced length; a length over NODE_STREAM_FRAME_MAX
 *     closes the stream;
 *   - all inbound buffers together stay under NODE_STREAMS_IN_BUDGET
 *     bytes: a stream that would pass it is closed;
 *   - a stream lives NODE_STREAM_TIMEOUT_MS at most, whatever it does.
 * Outgoing streams are ours and take no inbound slot or budget.
 */
#ifndef PMGTM_NODE_CLUSTER_STREAM_H
#define PMGTM_NODE_CLUSTER_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gossip/codec.h"

#define NODE_STREAMS_IN_MAX 32
#define NODE_STREAMS_PER_SOURCE 4
#define NODE_STREAMS_IN_BUDGET (32u << 20)
#define NODE_STREAM_TIMEOUT_MS 10000

/* The largest frame the gossip core can build: a full state holds at most
 * GSP_MSG_RECS_MAX records of at most GSP_REC_MAX bytes, each with a few
 * bytes of framing, plus the envelope and its seal (far under 64 KiB). */
#define NODE_STREAM_FRAME_MAX                                                  \
	((size_t)GSP_MSG_RECS_MAX * (GSP_REC_MAX + 8) + (64u << 10))

struct node_streams;

/*
 * A whole frame (without its length) arrived on a stream. For an inbound
 * stream, set *reply to a malloc'd frame to send back (the streams free
 * it) or leave it NULL to close; on an outgoing stream a reply is freed
 * unsent. @frame is valid during the call only. The callback may push.
 */
typedef void (*node_stream_frame_cb)(void *ctx, const uint8_t *frame,
				     size_t len, uint8_t **reply,
				     size_t *reply_len);

/* Inbound streams closed before their frame was whole, since the start,
 * by reason. */
struct node_stream_stats {
	uint64_t over_max;    /* NODE_STREAMS_IN_MAX streams were open */
	uint64_t over_source; /* the source had its NODE_STREAMS_PER_SOURCE */
	uint64_t over_budget; /* its buffer would pass the byte budget */
	uint64_t over_frame;  /* it announced more than the frame max */
};

/*
 * Listens on @addr (TCP). Returns 0 and *out, or a negative libuv error
 * (then nothing is left open).
 */
__attribute__((warn_unused_result)) int
node_streams_open(uv_loop_t *loop, const struct sockaddr *addr,
		  node_stream_frame_cb cb, void *ctx,
		  struct node_streams **out);

/* Connects to @to, sends @frame (copied) and hands the reply frame to the
 * callback. Failures only lose this exchange: the protocol retries. */
void node_streams_push(struct node_streams *ss, const struct sockaddr *to,
		       const uint8_t *frame, size_t len);

const struct node_stream_stats *
node_streams_stats(const struct node_streams *ss);

/* Stops listening and closes every stream; the callback is not called
 * again. The memory goes once libuv has closed the handles. NULL is a
 * no-op. */
void node_streams_close(struct node_streams *ss);

#endif
