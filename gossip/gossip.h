/*
 * The cluster protocol as a pure state machine (SWIM with indirect probes,
 * suspicion and refutation, piggybacked dissemination, periodic push-pull
 * anti-entropy), every record signed by its author.
 *
 * It never does I/O: node/ feeds it datagrams (gsp_recv), push-pull frames
 * (gsp_stream_input) and the time (gsp_tick), and sends what it leaves in
 * the outbox (gsp_out_next). Time, randomness and keys come in as
 * arguments, so tests/sim runs many of them in one process on a virtual
 * clock.
 */
#ifndef PMGTM_GOSSIP_GOSSIP_H
#define PMGTM_GOSSIP_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/cert.h"
#include "gossip/codec.h"
#include "gossip/seal.h"

enum gsp_state {
	GSP_ALIVE = 0,
	GSP_SUSPECT = 1,
	GSP_DEAD = 2,
	GSP_LEFT = 3,
};

/* Why a packet or record was dropped (counted, see gsp_stats). */
enum gsp_reject {
	GSP_REJ_DECODE = 0, /* not a packet we can read */
	GSP_REJ_CLUSTER,    /* another cluster's name */
	GSP_REJ_SIGNATURE,  /* bad signature on a packet or record */
	GSP_REJ_UNKNOWN,    /* sender or author without a known cert */
	GSP_REJ_CERT,	    /* cert not signed by our CA, or name mismatch */
	GSP_REJ_EXPIRED,    /* cert expired or not yet valid */
	GSP_REJ_OLD,	    /* older version than what we hold (replay) */
	GSP_REJ_DECRYPT,    /* sealed with no key of ours, or forged */
	GSP_REJ_PLAIN,	    /* plain packet while a keyring is set */
	GSP_REJ_BOUNDS,	    /* a value no honest peer sends: a version, time
			     * or count out of bounds */
	GSP_REJ_SOURCE,	    /* a datagram from an address its sender does
			     * not use, or beyond its verification budget */
	GSP_REJ_REVOKED,    /* signed with a certificate the CA revoked */
	GSP_REJ__COUNT,
};

/* Timings. A profile fills them; tests may change any. */
struct gsp_timing {
	uint32_t probe_interval_ms; /* every peer is probed once per round */
	uint32_t probe_timeout_ms;  /* then indirect probes through others */
	uint32_t suspicion_min_ms;  /* suspect -> dead, at least this */
	uint32_t suspicion_mult;    /* and mult * log10(n + 1) * interval */
	uint32_t gossip_interval_ms;
	uint32_t gossip_fanout;
	uint32_t indirect_k;
	uint32_t pushpull_interval_ms;
	uint32_t retransmit_mult; /* transmits = mult * ceil(log10(n + 1)) */
	uint64_t reap_ms;	  /* dead and left members kept this long */
	uint32_t row_interval_ms; /* our reachability row is republished */
	uint32_t udp_max;	  /* datagram size budget */
};

/* lan: probe 1 s / timeout 500 ms; wan: probe 5 s / timeout 3 s. */
void gsp_timing_profile(struct gsp_timing *t, bool wan);

/* Randomness (seeded in the simulator, libsodium in the daemon). */
struct gsp_rand {
	void (*fill)(void *ctx, void *buf, size_t n);
	void *ctx;
};

/* The time: a monotonic clock for timers, and the wall clock in seconds
 * for certificate validity. */
struct gsp_now {
	uint64_t ms;
	uint64_t unix_s;
	uint64_t us; /* the monotonic clock in microseconds, for RTTs; 0:
		      * derived from ms */
};

/* Who this node is. Everything is copied by gsp_new(). */
struct gsp_self {
	const char *cluster;
	const char *name;
	const uint8_t *sk; /* 64-byte Ed25519 secret key */
	const uint8_t *cert;
	size_t cert_len;
	const uint8_t (*ca_pks)[32]; /* the CA public keys trusted */
	size_t n_ca;		     /* 1 to GSP_CA_MAX */
	uint64_t generation;	     /* persisted, raised at every start */
	const struct ip_addr *addrs;
	size_t n_addrs;
	const char *ns_name; /* NULL or "" when none */
	struct gsp_endpoint gossip;
	const struct gsp_keyring *keyring; /* NULL: plain packets */
	struct gsp_timing timing;
	struct gsp_rand rand;
};

struct gsp;

/* Creates the state machine. Returns 0 and *out, or a negative errno
 * (-EINVAL: our own cert does not verify, or does not match our key). */
__attribute__((warn_unused_result)) int
gsp_new(const struct gsp_self *self, struct gsp_now now, struct gsp **out);

void gsp_free(struct gsp *g);

/* A datagram from @from. */
void gsp_recv(struct gsp *g, struct gsp_now now,
	      const struct gsp_endpoint *from, const uint8_t *buf, size_t len);

/* A push-pull frame read from a TCP stream (without its 4-byte length).
 * For a request, *reply receives a malloc'd response frame (the caller
 * sends then frees it); for a response, *reply is NULL. Returns 0 or a
 * negative errno when the frame was rejected. */
int gsp_stream_input(struct gsp *g, struct gsp_now now, const uint8_t *buf,
		     size_t len, uint8_t **reply, size_t *reply_len);

/* Push-pull with @n seed endpoints now (joining). */
void gsp_join(struct gsp *g, struct gsp_now now,
	      const struct gsp_endpoint *seeds, size_t n);

/* Runs timers; returns the time (ms) of the next deadline. */
uint64_t gsp_tick(struct gsp *g, struct gsp_now now);

enum gsp_transport {
	GSP_OUT_UDP = 0,
	GSP_OUT_TCP = 1, /* a push-pull request: connect, send, read reply */
};

/* One thing to send. @data is malloc'd and the caller's to free. */
struct gsp_out {
	enum gsp_transport transport;
	struct gsp_endpoint to;
	char peer[GSP_NAME_LEN]; /* "" for a seed */
	uint8_t *data;
	size_t len;
	uint8_t type; /* enum gsp_msg_type, for counters */
};

/* Pops the next outgoing packet; false when the outbox is empty. */
bool gsp_out_next(struct gsp *g, struct gsp_out *out);

enum gsp_event_type {
	GSP_EV_STATE = 1, /* a member appeared or changed state */
	GSP_EV_UPDATE,	  /* same state, new addresses or incarnation */
	GSP_EV_REFUTE,	  /* we refuted a suspicion about ourselves */
	GSP_EV_SYNCED,	  /* first full-state exchange with a peer done */
	GSP_EV_REAPED,	  /* a dead or left member was forgotten */
	GSP_EV_INTENT,	  /* a new intent won, or one expired */
	GSP_EV_REACH, /* our view of a peer changed: new_state 1 reachable */
	GSP_EV_SPLIT, /* observers disagree about name (new_state 1), or
		       * agree again (0) */
	GSP_EV_CERT_EXPIRED, /* our own certificate is outside its validity:
			      * peers refuse us, so we stop probing them */
	GSP_EV_ENDORSED,     /* an intent held is now vouched for by a
			      * certificate that lasts longer (name: its
			      * target, by: the endorser); the intent is
			      * unchanged */
	GSP_EV_REVOKED,	     /* a revocation arrived; name: the member it
			      * names; new_state 1 when it is this node
			      * (which then stops gossiping) */
};

struct gsp_event {
	enum gsp_event_type type;
	char name[GSP_NAME_LEN];
	int old_state; /* -1: new member */
	int new_state;
	uint64_t gen, inc;
	char by[GSP_NAME_LEN]; /* author of the record */
};

bool gsp_event_next(struct gsp *g, struct gsp_event *ev);

/* What node/ and the CLI show of a member. */
struct gsp_member_info {
	char name[GSP_NAME_LEN];
	enum gsp_state state;
	bool self;
	uint64_t gen, inc;
	struct ip_addr addrs[GSP_ADDRS_MAX];
	size_t n_addrs;
	char ns_name[GSP_DNAME_LEN];
	struct gsp_endpoint gossip;
	uint64_t rtt_us; /* smoothed direct RTT, 0 unknown */
	bool reached;	 /* our last probe got a direct ack (presumed until the
			  * first probe after it joins) */
	uint64_t last_ack_ms;	 /* monotonic time of the last direct ack */
	uint64_t state_since_ms; /* when it entered its state */
	/* its certificate, as its alive record carries it */
	uint8_t pk[32];
	uint64_t cert_not_before, cert_not_after; /* unix seconds */
	bool revoked; /* a revocation covers its certificate */
};

size_t gsp_member_count(const struct gsp *g);

/* Member @i (0 is this node); false past the end. */
bool gsp_member_get(const struct gsp *g, size_t i, struct gsp_member_info *out);

/* Announces new addresses and NS name for this node (a config reload):
 * raises our incarnation and spreads a new alive record. */
void gsp_update_self(struct gsp *g, struct gsp_now now,
		     const struct ip_addr *addrs, size_t n_addrs,
		     const char *ns_name);

/* Replaces the keyring (a reload during key rotation); NULL or an empty
 * keyring: plain packets. */
void gsp_set_keyring(struct gsp *g, const struct gsp_keyring *kr);

/* A renewed certificate, or a new key and its certificate (a reload):
 * checked like at gsp_new() (our CAs, our cluster and name, valid now,
 * for @sk), then announced in a new alive record, sent first to every
 * peer. Returns 0, or -EINVAL with nothing changed. */
__attribute__((warn_unused_result)) int
gsp_set_identity(struct gsp *g, struct gsp_now now, const uint8_t *sk,
		 const uint8_t *cert, size_t cert_len);

/* Replaces the CA keys trusted (a CA rotation), 1 to GSP_CA_MAX. Our own
 * certificate must verify under them (-EINVAL otherwise, nothing
 * changed). Members and intents whose certificates no longer verify are
 * handled as if their certificates had expired. */
__attribute__((warn_unused_result)) int
gsp_set_trust(struct gsp *g, struct gsp_now now, const uint8_t (*ca_pks)[32],
	      size_t n_ca);

/* Our own certificate, decoded. */
void gsp_self_cert(const struct gsp *g, struct gsp_cert *out);

/*
 * Drain intents. An intent (target, drained yes/no) is signed by the node
 * that issues it, on behalf of a unix user, with a reason and an optional
 * expiry; it carries the issuer's certificate, so it verifies on its own
 * (from a state file, before any member is known). Versions are hybrid
 * clocks: a new intent takes one more than the highest version this node
 * has seen, or the wall clock in seconds << 20 when that is larger (so a
 * version from a peer is refused when it is more than an hour ahead of
 * our clock); between equal versions a drain beats an undrain, then the
 * issuer name decides. The newest intent for a target wins on every node.
 */
struct gsp_intent {
	char target[GSP_NAME_LEN];
	bool drained;	/* what the intent says */
	bool effective; /* drained and not expired, now */
	uint64_t version;
	char issuer[GSP_NAME_LEN];
	char user[GSP_NAME_LEN];
	char reason[GSP_REASON_LEN];
	uint64_t issued_at;  /* unix seconds */
	uint64_t expires_at; /* unix seconds, 0: never */
};

/* Issues an intent about @target and spreads it: the next gsp_tick() sends
 * it to gossip_fanout members, whenever the last round was. Returns the
 * version (> 0) or a negative errno (-EINVAL for a bad name or reason). */
int64_t gsp_drain(struct gsp *g, struct gsp_now now, const char *target,
		  bool drained, const char *user, const char *reason,
		  uint64_t expires_at);

/* The winning intent about @target; false when there is none. */
bool gsp_intent_get(const struct gsp *g, struct gsp_now now, const char *target,
		    struct gsp_intent *out);

/* Whether @name is drained now (an effective intent). */
bool gsp_drained(const struct gsp *g, struct gsp_now now, const char *name);

/* Active members (alive and not drained), this node included: what
 * cluster.min_active is checked against. */
size_t gsp_active_count(const struct gsp *g, struct gsp_now now);

/* The cluster.min_active rule, written once for pmgtmctl drain and for
 * auto-drain: draining one of @active active members leaves @active - 1,
 * which must not fall below @min_active. */
static inline bool
gsp_drain_leaves_enough(size_t active, uint32_t min_active)
{
	return active > 0 && active - 1 >= min_active;
}

/* A digest of all intents held (targets and versions): equal on two nodes
 * when they hold the same intents. Every packet carries the sender's, so
 * gsp_peer_digest() tells who has caught up. */
uint64_t gsp_intent_digest(const struct gsp *g);

/* The digest member @name last sent us; false when unknown. */
bool gsp_peer_digest(const struct gsp *g, const char *name, uint64_t *digest);

/* Every intent as signed bytes, for the state file: calls @fn for each. */
void gsp_intents_export(const struct gsp *g,
			void (*fn)(void *ctx, const uint8_t *rec, size_t len),
			void *ctx);

/* Loads an intent saved by gsp_intents_export(): verified like one from
 * the network, except that the certificate that signed it must have been
 * valid when it signed (issued or endorsed), not now: our own file holds
 * only what we verified. Returns 1 applied, 0 not newer, or GSP_EREJECTED
 * (gossip/error.h) when it is not an intent, does not verify or is older
 * than the one held; then *why (when not NULL) says why. */
__attribute__((warn_unused_result)) int
gsp_intent_import(struct gsp *g, struct gsp_now now, const uint8_t *rec,
		  size_t len, enum gsp_reject *why);

/*
 * Reachability: what this node observes of each peer (from its own probes)
 * and the rows every other node published, signed, so any node can show
 * the whole matrix. A peer is reachable when one of our last three probes
 * got a direct ack; indirect when only ping-req through others reached it.
 */
#define GSP_ROW_MAX 64

struct gsp_reach_cell {
	char peer[GSP_NAME_LEN];
	bool reachable;
	bool indirect;		 /* reached only through other members */
	uint32_t rtt_us;	 /* smoothed, 0 unknown */
	uint32_t p50_us, p99_us; /* over the recent samples */
	uint16_t loss_permille;	 /* probes without a direct ack, recent */
	uint64_t last_ack_ms; /* age of the last direct ack; UINT64_MAX never */
};

struct gsp_reach_row {
	char observer[GSP_NAME_LEN];
	uint64_t observed_at; /* unix seconds, when the row was made */
	uint64_t age_ms;      /* how old it is now */
	bool stale;	      /* older than three publication periods */
	size_t n;
	struct gsp_reach_cell cells[GSP_ROW_MAX];
};

/* Rows known: 0 is our own, live; then one per observer heard from. */
size_t gsp_reach_count(const struct gsp *g);

bool gsp_reach_get(const struct gsp *g, struct gsp_now now, size_t i,
		   struct gsp_reach_row *out);

/* Split views: targets that some fresh rows reach and others do not.
 * Calls @fn once per such target with the two lists. */
void gsp_split_views(const struct gsp *g, struct gsp_now now,
		     void (*fn)(void *ctx, const char *target,
				const char *const *reach, size_t n_reach,
				const char *const *unreach, size_t n_unreach),
		     void *ctx);

/* Announces a graceful leave (a signed "left" record sent to every peer);
 * the caller flushes the outbox and stops. */
void gsp_leave(struct gsp *g, struct gsp_now now);

/*
 * Revocations (gossip/revoke.h): CA-signed records that void a node's
 * certificate. Each node keeps those it verified, spreads them, refuses
 * records and packets signed with a revoked certificate (GSP_REJ_REVOKED)
 * and drops the intents such a key issued at or after the revocation
 * time. A node whose own certificate is revoked stops gossiping.
 */
#define GSP_REVOCATIONS_MAX 256

/* A revocation from the operator or from the state file: verified against
 * our CAs and cluster. Returns 1 new, 0 already held, or GSP_EREJECTED
 * with the reason in *why (when not NULL). */
__attribute__((warn_unused_result)) int
gsp_revocation_import(struct gsp *g, struct gsp_now now, const uint8_t *rec,
		      size_t len, enum gsp_reject *why);

/* Every revocation held as signed bytes, for the state file. */
void gsp_revocations_export(const struct gsp *g,
			    void (*fn)(void *ctx, const uint8_t *rec,
				       size_t len),
			    void *ctx);

/* Whether the CA revoked our own certificate. */
bool gsp_self_revoked(const struct gsp *g);

/* Whether this node's own certificate is outside its validity now. */
bool gsp_cert_expired(const struct gsp *g, struct gsp_now now);

/* Whether a full-state exchange with a peer has completed. */
bool gsp_synced(const struct gsp *g);

/* Direct probe round-trip times: upper bounds in microseconds. */
#define GSP_RTT_BOUNDS                                                         \
	{                                                                      \
		250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,       \
			250000, 500000, 1000000                                \
	}
#define GSP_RTT_NBOUNDS 12

struct gsp_stats {
	uint64_t rejected[GSP_REJ__COUNT];
	/* observations per bucket (not cumulative), the last above all */
	uint64_t rtt_buckets[GSP_RTT_NBOUNDS + 1];
	uint64_t rtt_sum_us;
	uint64_t sent[GSP_MSG_PULL + 1]; /* by message type */
	uint64_t recv[GSP_MSG_PULL + 1];
	uint64_t bytes_sent, bytes_recv;
	/* records, events, packets or timer work dropped for lack of memory
	 * (anti-entropy and the next tick make up for them) */
	uint64_t oom_drops;
	/* where the last datagram rejected for each reason came from
	 * (family 0: none yet, or it came over a stream) */
	struct ip_addr last_source[GSP_REJ__COUNT];
};

const struct gsp_stats *gsp_stats(const struct gsp *g);

const char *gsp_reject_name(enum gsp_reject r);

const char *gsp_state_name(enum gsp_state s);

#endif
