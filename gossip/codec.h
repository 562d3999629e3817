/*
 * Gossip wire format. Every datagram (and every TCP push-pull frame) is a
 * packet; every packet and every record in it is signed by its author.
 *
 *   packet  = "PG" | version (1 byte) | body
 *     version 1 (plain):  body = signed(envelope)
 *     version 0x81 (sealed, see gossip/seal.h):
 *                         body = key id (4) | nonce (24) | AEAD(plain body)
 *
 *   signed(x) = msgpack [ bin tbs, bin sig ]
 *               tbs = msgpack encoding of x
 *               sig = Ed25519(author key, context string | tbs)
 *
 *   envelope = [ cluster (str), sender (str), type (uint), seq (uint),
 *                target (str, "" when none), records (array of bin),
 *                intent digest (uint, see gsp_intent_digest) ]
 *              type: 1 ping, 2 ack, 3 ping-req (probe target for me),
 *                    4 gossip, 5 push-pull request, 6 push-pull response
 *              each records[i] is one signed(record), forwarded verbatim
 *
 *   record   = [ kind (uint), subject (str), generation (uint),
 *                incarnation (uint), author (str), body ]
 *              kind 1 alive:   body = [ addrs (array of bin 4|16),
 *                                       ns_name (str, "" none),
 *                                       gossip ip (bin 4|16), port (uint),
 *                                       cert (bin, gossip/cert.h) ]
 *              kind 2 suspect, 3 dead, 4 left: body = nil
 *              kind 5 drain intent: subject = target, generation = the
 *                      intent's version, incarnation = 0, author = issuer,
 *                      body = [ drained (bool), issued_at (uint),
 *                               reason (str), user (str),
 *                               expires_at (uint, 0 never),
 *                               issuer cert (bin) ]
 *              kind 6 reachability row: subject = author = observer,
 *                      generation = observer's, incarnation = row number,
 *                      body = [ observed_at (uint), cells (array of
 *                               [ peer (str), flags (uint: 1 reachable,
 *                                 2 indirect), rtt_us, p50_us, p99_us,
 *                                 loss_permille, last_ack_ms ]) ]
 *              kind 7 revocation (gossip/revoke.h): signed by the CA,
 *                      subject = author = the node, generation =
 *                      revoked_at, incarnation = 0,
 *                      body = [ cluster (str), key id (bin 8, or empty:
 *                               every key of that name) ]
 *              kind 8 endorsed intent: a live node vouches for an intent
 *                      it holds (so it outlives its issuer's certificate,
 *                      see gossip/intent.c): subject = target, generation
 *                      = the intent's version, incarnation = 0, author =
 *                      endorser, body = [ intent (bin: the signed kind 5
 *                      record, verbatim), endorsed_at (uint),
 *                      endorser cert (bin) ]
 *
 * Signatures cover the exact bytes received, so nothing is re-encoded and
 * a record travels unchanged from its author to every node. A later format
 * changes the version byte.
 */
#ifndef PMGTM_GOSSIP_CODEC_H
#define PMGTM_GOSSIP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "common/ip.h"

#define GSP_MAGIC0 'P'
#define GSP_MAGIC1 'G'
#define GSP_VERSION_PLAIN 1
#define GSP_VERSION_SEALED 0x81
#define GSP_HDR_LEN 3

#define GSP_NAME_LEN 64	      /* names up to 63 bytes, NUL-terminated */
#define GSP_DNAME_LEN 256     /* DNS names (ns_name), NUL-terminated */
#define GSP_ADDRS_MAX 16      /* DNS addresses a member announces */
#define GSP_CERT_MAX 384      /* encoded certificate */
#define GSP_REC_MAX 4096      /* one signed record */
#define GSP_MSG_RECS_MAX 1024 /* records in one packet (push-pull) */
/* msgpack objects in one decoded envelope or record: an envelope is a few
 * fields and one bin per record, a record at most a 64-cell row. */
#define GSP_MSG_OBJECTS_MAX (GSP_MSG_RECS_MAX + 64)
#define GSP_SIGLEN 64
#define GSP_REASON_LEN 256 /* drain reasons, NUL-terminated */

enum gsp_msg_type {
	GSP_MSG_PING = 1,
	GSP_MSG_ACK = 2,
	GSP_MSG_PING_REQ = 3,
	GSP_MSG_GOSSIP = 4,
	GSP_MSG_PUSH = 5,
	GSP_MSG_PULL = 6,
};

enum gsp_rec_kind {
	GSP_REC_ALIVE = 1,
	GSP_REC_SUSPECT = 2,
	GSP_REC_DEAD = 3,
	GSP_REC_LEFT = 4,
	GSP_REC_INTENT = 5,
	GSP_REC_ROW = 6,
	GSP_REC_REVOKE = 7,
	GSP_REC_ENDORSE = 8,
};

/* The largest signed intent record an endorsement carries. */
#define GSP_INNER_MAX 1200

/* An IP address (family 4 or 6, network order), and a port for gossip. */
struct gsp_endpoint {
	struct ip_addr ip;
	uint16_t port;
};

/* A decoded record, self-contained (no pointers into the input). gen and
 * inc are the wire's generation and incarnation: a member's version for
 * alive, suspect, dead and left; an intent and a row give them meanings of
 * their own, read and written through the accessors below. */
struct gsp_record {
	uint8_t kind;
	char subject[GSP_NAME_LEN];
	char author[GSP_NAME_LEN];
	uint64_t gen, inc;
	/* alive only */
	struct ip_addr addrs[GSP_ADDRS_MAX];
	size_t n_addrs;
	char ns_name[GSP_DNAME_LEN];
	struct gsp_endpoint gossip;
	uint8_t cert[GSP_CERT_MAX]; /* alive: subject's; intent: issuer's */
	size_t cert_len;
	/* intent only */
	bool drained;
	uint64_t issued_at, expires_at;
	char reason[GSP_REASON_LEN];
	char user[GSP_NAME_LEN];
	/* revocation only */
	char rv_cluster[GSP_NAME_LEN];
	uint8_t rv_key_id[8];
	bool rv_any_key;
	/* endorsement only (and cert above: the endorser's) */
	uint8_t inner[GSP_INNER_MAX]; /* the signed intent record */
	size_t inner_len;
	uint64_t endorsed_at;
	/* row only: cells point into the decoded copy below */
	uint64_t observed_at;
	size_t n_cells;
	struct gsp_row_cell {
		char peer[GSP_NAME_LEN];
		uint8_t flags;
		uint32_t rtt_us, p50_us, p99_us;
		uint16_t loss_permille;
		uint64_t last_ack_ms;
	} cells[64];
	/* the signed bytes, as received or made */
	const uint8_t *tbs;
	size_t tbs_len;
	const uint8_t *sig;
};

/* An intent's version travels as its generation (its incarnation is 0). */
static inline uint64_t
gsp_record_intent_version(const struct gsp_record *r)
{
	return r->gen;
}

static inline void
gsp_record_set_intent_version(struct gsp_record *r, uint64_t version)
{
	r->gen = version;
	r->inc = 0;
}

/* A row's number travels as its incarnation (its generation is the
 * observer's). */
static inline uint64_t
gsp_record_row_number(const struct gsp_record *r)
{
	return r->inc;
}

static inline void
gsp_record_set_row_number(struct gsp_record *r, uint64_t number)
{
	r->inc = number;
}

/* A decoded envelope. Pointers (tbs, sig, records) point into the packet
 * buffer and stay valid as long as it and the message (until
 * gsp_msg_fini()). */
struct gsp_msg {
	char cluster[GSP_NAME_LEN];
	char sender[GSP_NAME_LEN];
	uint8_t type;
	uint32_t seq;
	char target[GSP_NAME_LEN];
	uint64_t digest;
	const uint8_t *tbs;
	size_t tbs_len;
	const uint8_t *sig;
	const uint8_t *recs[GSP_MSG_RECS_MAX];
	size_t rec_len[GSP_MSG_RECS_MAX];
	size_t n_recs;
	msgpack_unpacked up[2]; /* outer [tbs, sig] and the envelope */
	int live;
};

/* A bounded buffer that a msgpack_packer writes into; ->err sticks. */
struct gsp_buf {
	uint8_t *data;
	size_t cap, len;
	int err;
};

void gsp_buf_init(struct gsp_buf *b, uint8_t *data, size_t cap);

void gsp_packer_init(msgpack_packer *pk, struct gsp_buf *b);

/*
 * Checks that @buf holds exactly one msgpack object, complete, and that no
 * array or map announces more elements than there are bytes left. msgpack-c
 * reserves memory for the announced count before reading the elements, so
 * every untrusted buffer passes here first. Returns 0 or -EBADMSG.
 */
__attribute__((warn_unused_result)) int gsp_msgpack_bounded(const uint8_t *buf,
							    size_t len);

/* gsp_msgpack_bounded() that also refuses more than @max_objects objects
 * in all (msgpack-c spends about 24 bytes on each, whatever its size on
 * the wire). */
__attribute__((warn_unused_result)) int
gsp_msgpack_scan(const uint8_t *buf, size_t len, size_t max_objects);

/* Unpacks exactly the one object filling @buf, after gsp_msgpack_scan():
 * 0 (destroy @up after use), -EBADMSG when the bytes are not one bounded
 * object, -EPROTO when msgpack-c cannot read it (nested deeper than its
 * stack); @up needs no destroy on error. */
__attribute__((warn_unused_result)) int gsp_msgpack_unpack(msgpack_unpacked *up,
							   const uint8_t *buf,
							   size_t len,
							   size_t max_objects);

/* Whether @name is a host name usable as an NS name: LDH labels (and
 * '_'), 1-63 bytes each, 253 in all, an optional final dot. */
bool gsp_dname_valid(const char *name);

/* Signs @tbs with @sk under @context ("pmgtm-rec-v1", "pmgtm-msg-v1") and
 * writes signed(tbs) to @out. Returns 0 or -ENOSPC. */
__attribute__((warn_unused_result)) int
gsp_sign_wrap(const char *context, const uint8_t *sk, const uint8_t *tbs,
	      size_t tbs_len, struct gsp_buf *out);

/* Verifies a signature made by gsp_sign_wrap(); 0 or -EBADMSG. */
__attribute__((warn_unused_result)) int
gsp_sig_check(const char *context, const uint8_t *pk, const uint8_t *tbs,
	      size_t tbs_len, const uint8_t *sig);

/* Encodes and signs a record; @r's tbs/sig fields are ignored. */
__attribute__((warn_unused_result)) int
gsp_record_encode(const struct gsp_record *r, const uint8_t *sk, uint8_t *out,
		  size_t cap, size_t *len);

/* Decodes signed(record) from @buf; does not check the signature (the
 * caller knows the author's key). @r->tbs/sig point into @buf. Returns 0
 * or -EBADMSG (then @r is cleared). */
__attribute__((warn_unused_result)) int
gsp_record_decode(const uint8_t *buf, size_t len, struct gsp_record *r);

/* Starts a packet body: writes the plain header and the envelope, with
 * @n_recs records taken from @recs/@lens, signed by @sk. */
__attribute__((warn_unused_result)) int
gsp_msg_encode(const char *cluster, const char *sender, uint8_t type,
	       uint32_t seq, const char *target, uint64_t digest,
	       const uint8_t *const *recs, const size_t *lens, size_t n_recs,
	       const uint8_t *sk, uint8_t *out, size_t cap, size_t *len);

/* Decodes a plain packet (header included). Returns 0 (release with
 * gsp_msg_fini()) or -EBADMSG (nothing to release). */
__attribute__((warn_unused_result)) int
gsp_msg_decode(const uint8_t *buf, size_t len, struct gsp_msg *m);

void gsp_msg_fini(struct gsp_msg *m);

/* Verify the signature of an envelope / a record with the author's public
 * key; 0 or -EBADMSG. */
__attribute__((warn_unused_result)) int gsp_msg_check(const struct gsp_msg *m,
						      const uint8_t *pk);

__attribute__((warn_unused_result)) int
gsp_record_check(const struct gsp_record *r, const uint8_t *pk);

#endif
