/*
 * Inside the gossip state machine: shared by gossip/state.c (members and
 * the rules for records) and gossip/swim.c (probing, dissemination,
 * push-pull, timers). Only gossip/ includes this header.
 */
#ifndef PMGTM_GOSSIP_INTERNAL_H
#define PMGTM_GOSSIP_INTERNAL_H

#include <errno.h>

#include "gossip/cert.h"
#include "gossip/error.h"
#include "gossip/gossip.h"
#include "gossip/revoke.h"

#define NO_DEADLINE UINT64_MAX

/*
 * What a peer may assert. A signature proves who wrote a record, never that
 * its values are sane: a stolen or outlived key signs anything.
 */
/* Generations and issue times: at most this far ahead of our clock. */
#define CLOCK_SKEW_S 3600
/* A suspect or dead record may name an incarnation at most this far past
 * the one we hold (the member itself may raise its own at will). */
#define INC_STEP_MAX 1024
/* Intent versions are hybrid clocks: a new one takes the larger of one
 * more than the highest seen and the wall clock in seconds shifted left by
 * this, so they order like Lamport clocks, yet a peer cannot push them
 * further than CLOCK_SKEW_S ahead of our clock (nor ever to the end of
 * the range), and a node with no history accepts what the cluster holds. */
#define INTENT_CLOCK_SHIFT 20
/* An intent's expiry: at most this long after it was issued. */
#define INTENT_TTL_MAX_S (UINT64_C(10) * 366 * 86400)
/* Intents held. Past the cap a new one takes the place of the one
 * ranked last (intents about members first, then the newest), if it ranks
 * before it; otherwise it is refused. */
#define INTENTS_MAX 512
#define RELAYS_MAX 64
#define QUEUE_MAX 1024
#define QUEUE_MEMBER 0
#define QUEUE_INTENT 1
#define QUEUE_ROW 2
#define QUEUE_REVOKE 3
/* Room in a datagram for the header, names, seq, signature and framing;
 * a piggybacked record also needs its own bin header. */
#define ENVELOPE_OVERHEAD 260
#define GSP_PIGGYBACK_RESERVE (ENVELOPE_OVERHEAD + 8)

static inline uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t
sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Refuses a record or packet for @reason: stores it in *why and returns
 * GSP_EREJECTED, the one failure of the functions that take a @why. */
static inline int
gsp__refuse(enum gsp_reject *why, enum gsp_reject reason)
{
	*why = reason;
	return GSP_EREJECTED;
}

/* The monotonic clock in microseconds (derived from ms when not given). */
static inline uint64_t
gsp__now_us(struct gsp_now now)
{
	return now.us ? now.us : now.ms * 1000;
}

/* A signed record as bytes, owned. */
struct blob {
	uint8_t *data;
	size_t len;
};

struct member {
	char name[GSP_NAME_LEN];
	enum gsp_state state;
	uint64_t gen, inc;
	uint8_t pk[GSP_PK_LEN];
	uint64_t cert_not_before, cert_not_after;
	bool revoked; /* a revocation covers the certificate it announced */
	struct ip_addr addrs[GSP_ADDRS_MAX];
	size_t n_addrs;
	char ns_name[GSP_DNAME_LEN];
	struct gsp_endpoint gossip;
	struct blob alive;	       /* latest alive record */
	uint64_t alive_gen, alive_inc; /* its version */
	struct blob state_rec; /* the suspect/dead/left record, if any */
	uint64_t state_since;
	uint64_t suspect_deadline; /* NO_DEADLINE unless suspect */

	/* probing (not used for ourselves) */
	uint64_t next_probe;
	bool probing, retried, indirect_sent;
	uint32_t probe_seq;
	uint64_t probe_sent;
	uint64_t probe_sent_us; /* the last direct ping of this probe */
	uint64_t rtt_us, last_ack;
	bool reached;	 /* the last finished probe was acked directly */
	bool knows_us;	 /* has acked since our alive record last changed */
	uint64_t digest; /* its intent digest, from its last packet */
	bool has_digest;
	uint64_t differs_since; /* ms its digest has differed from ours; 0 */

	/* our observation of it (gossip/reach.c) */
	uint32_t outcomes;   /* bit i: probe i ago failed directly */
	uint32_t first_lost; /* bit i: its first ping went unanswered */
	uint8_t n_outcomes;
	uint32_t samples[32]; /* recent direct RTTs, microseconds */
	uint8_t n_samples, next_sample;
	bool indirect; /* last probe reached it only through others */
	bool view;     /* reachable, as last reported (an event per change) */
	bool view_known;

	/* its published row */
	struct blob row_rec;
	uint64_t row_inc;
	struct gsp_record *row; /* decoded, NULL when none */
	uint64_t split_sig; /* observers that cannot reach it, as last logged */
	bool split;
};

/* What the table keeps of an intent's record (which is kept whole in
 * rec): a decoded gsp_record is 7.5 KB, most of it row cells. */
struct intent_fields {
	char subject[GSP_NAME_LEN]; /* the target */
	char author[GSP_NAME_LEN];  /* the issuer */
	uint64_t version;
	bool drained;
	uint64_t issued_at, expires_at;
	char user[GSP_NAME_LEN];
	char reason[GSP_REASON_LEN];
};

/* The winning intent about one target, as the best copy we hold: the
 * issuer's own record, or one a live node endorsed (gossip/intent.c). */
struct intent {
	struct intent_fields r;
	struct blob rec;
	bool expired_reported;
	uint8_t id[16]; /* hash of the issuer's signed record */
	uint8_t issuer_pk[GSP_PK_LEN];
	uint64_t issuer_not_before;
	/* who signed the copy held (issuer or endorser), with what */
	char signer[GSP_NAME_LEN];
	uint8_t signer_pk[GSP_PK_LEN];
	uint64_t signer_not_before, signer_not_after;
	bool signer_void;    /* revoked, or no CA of ours signed it */
	uint64_t endorse_at; /* ms: when we endorse it, 0 not planned */
};

/* A revocation held. */
struct revoked {
	struct gsp_revocation rv;
	struct blob rec;
};

/* We probe a target on behalf of a requester (ping-req). */
struct relay {
	uint32_t seq; /* ours, towards the target */
	uint32_t their_seq;
	char requester[GSP_NAME_LEN];
	struct gsp_endpoint to;
	uint64_t deadline;
};

/* Signature checks a datagram source may cost us (a GCRA: one more every
 * INTERVAL, up to BURST ahead). Known senders have a slot per address;
 * packets from senders we do not know share one. */
#define BUDGET_SLOTS 64
#define BUDGET_INTERVAL_US 2500			   /* 400 packets/s */
#define BUDGET_BURST_US (800 * BUDGET_INTERVAL_US) /* 800 at once */
#define STRANGER_INTERVAL_US 10000		   /* 100 packets/s in all */

struct budget {
	struct ip_addr ip;
	uint64_t tat; /* microseconds; 0: a free slot */
};

/* A forgotten member: its old records are not believed again until
 * @until, so a peer that has not reaped yet cannot bring it back. */
struct tomb {
	char name[GSP_NAME_LEN];
	uint64_t gen, inc;
	uint64_t until;
};

/* A record waiting to be piggybacked. */
struct queued {
	struct blob rec;
	char subject[GSP_NAME_LEN];
	uint8_t family;	    /* QUEUE_*: one record per family and subject */
	uint32_t transmits; /* left */
};

/* A FIFO of @size-byte items in an array used as a ring (gossip/ring.c). */
struct gsp_ring {
	unsigned char *items;
	size_t size, first_cap;
	size_t n, cap, head; /* items held, room, index of the first */
};

struct gsp {
	char cluster[GSP_NAME_LEN];
	uint8_t sk[GSP_SK_LEN];
	struct gsp_trust trust; /* CA keys and our cluster */
	uint8_t cert[GSP_CERT_MAX];
	size_t cert_len;
	struct gsp_keyring keyring;
	struct gsp_timing t;
	struct gsp_rand rand;

	struct member *m; /* m[0] is this node */
	size_t n, cap;

	struct relay relays[RELAYS_MAX];
	size_t n_relays;

	struct queued *queue;
	size_t n_queue;

	struct tomb *tombs;
	size_t n_tombs;

	struct intent *intents; /* sorted by target */
	size_t n_intents, cap_intents;
	uint64_t lamport; /* highest intent version seen */

	uint64_t row_inc;  /* our row number */
	uint64_t next_row; /* next periodic publication */
	bool row_dirty;	   /* our view changed since the last row */
	bool split_dirty;  /* rows or our view changed: look for splits */
	uint64_t next_split;

	struct revoked *revs;
	size_t n_revs;
	bool self_revoked;

	struct budget budget[BUDGET_SLOTS];
	uint64_t stranger_tat;

	size_t page_intents, page_rows;	 /* where the next full state starts */
	bool cert_expired;		 /* our own, as last ticked */
	const struct gsp_endpoint *from; /* the datagram being read, or NULL */
	uint64_t digest; /* of our intents, while !digest_dirty */
	bool digest_dirty;
	uint64_t next_repair; /* earliest push-pull for a differing digest */

	struct gsp_ring out;	/* struct gsp_out */
	struct gsp_ring events; /* struct gsp_event */

	uint64_t next_gossip, next_pushpull;
	struct gsp_endpoint seeds[16]; /* retried until the first sync */
	size_t n_seeds;
	uint64_t next_join;
	size_t probe_rr; /* round-robin start for fairness */
	bool synced;
	bool left;
	struct gsp_stats stats;
};

/* Whether @m points at a member held now: g->m moves when it grows, so
 * a pointer taken before a member was added may be stale. For asserts. */
static inline bool
gsp__member_held(const struct gsp *g, const struct member *m)
{
	return m >= g->m && m < g->m + g->n;
}

/* Something dropped for lack of memory. */
static inline void
gsp__oom(struct gsp *g)
{
	g->stats.oom_drops++;
}

/* Whether a signature check (gsp_record_check, gsp_msg_check) passed; one
 * that could not run for lack of memory is counted as such. */
static inline bool
gsp__sig_ok(struct gsp *g, int rc)
{
	if (rc == -ENOMEM)
		gsp__oom(g);
	return rc == 0;
}

/* --- gossip/state.c --- */

struct member *gsp__find(struct gsp *g, const char *name);

/* Whether the certificate @m announced is valid at @unix_s. */
bool gsp__cert_valid(const struct member *m, uint64_t unix_s);

/* Verifies and applies one signed record. Returns 1 when it changed our
 * state (and was queued for dissemination), 0 for a duplicate, or
 * GSP_EREJECTED with the reason in *why.
 */
int gsp__apply(struct gsp *g, struct gsp_now now, const uint8_t *rec,
	       size_t len, enum gsp_reject *why);

/* Makes and applies our own record of @kind about @subject (ourselves
 * for alive and left, a peer for suspect and dead). */
void gsp__declare(struct gsp *g, struct gsp_now now, struct member *subject,
		  uint8_t kind);

/* Queues an event about @m (or about nothing, NULL) and returns it, for
 * the caller to complete; NULL when there was no memory for it. */
struct gsp_event *gsp__event(struct gsp *g, enum gsp_event_type type,
			     const struct member *m, int old_state,
			     const char *by);

void gsp__queue(struct gsp *g, uint8_t family, const char *subject,
		const uint8_t *rec, size_t len);

uint32_t gsp__rand32(struct gsp *g);

/* Copies @data into @b; false, @b unchanged and the drop counted, when
 * there is no memory for it. */
bool gsp__blob_set(struct gsp *g, struct blob *b, const uint8_t *data,
		   size_t len);

/* Forgets dead and left members after reap_ms. */
void gsp__reap(struct gsp *g, struct gsp_now now);

/* Active peer count (alive or suspect), for the log(n) scalings. */
size_t gsp__active(const struct gsp *g);

/* --- gossip/intent.c --- */

/* Verifies and applies an intent record or an endorsed intent: 1 a new
 * winner or a better copy of the one held, 0 not newer, or GSP_EREJECTED
 * with the reason in *why. @disk: from our own state file (certificates
 * checked at the time they signed, not now). */
int gsp__intent_apply(struct gsp *g, struct gsp_now now,
		      const struct gsp_record *r, const uint8_t *rec,
		      size_t len, bool disk, enum gsp_reject *why);

/* Reports intents that expired; returns the next expiry as a monotonic
 * deadline, or NO_DEADLINE. */
uint64_t gsp__intent_tick(struct gsp *g, struct gsp_now now);

void gsp__intents_free(struct gsp *g);

/* gsp_intent_digest(), computed again only when the intents changed. */
uint64_t gsp__digest(struct gsp *g);

/* Re-checks the copies held after the CAs changed, plans endorsements
 * and drops the intents a new revocation voids (@rv; NULL: none). */
void gsp__intents_trust_changed(struct gsp *g, const struct gsp_revocation *rv);

/* --- gossip/revoked.c --- */

/* Whether a revocation held covers the certificate of @name for @pk
 * valid from @not_before; *@at (when not NULL) gets the earliest time of
 * those that do. */
bool gsp__revoked(const struct gsp *g, const char *name,
		  const uint8_t pk[GSP_PK_LEN], uint64_t not_before,
		  uint64_t *at);

/* Verifies and keeps a revocation record (from a peer or the operator):
 * 1 new, 0 held, or GSP_EREJECTED with *why. */
int gsp__revoke_apply(struct gsp *g, struct gsp_now now,
		      const struct gsp_record *r, const uint8_t *rec,
		      size_t len, enum gsp_reject *why);

void gsp__revocations_free(struct gsp *g);

/* --- gossip/budget.c --- */

/* Takes one signature check from the budget of @ip (NULL: a sender we do
 * not know); false when it is spent. */
bool gsp__budget_take(struct gsp *g, struct gsp_now now,
		      const struct ip_addr *ip);

/* --- gossip/reach.c --- */

/* A probe of @m finished: acked directly (rtt_us), through others only,
 * or not at all. */
enum probe_outcome {
	PROBE_DIRECT,
	PROBE_INDIRECT,
	PROBE_FAILED,
};

void gsp__reach_observe(struct gsp *g, struct member *m, enum probe_outcome o,
			uint64_t rtt_us, bool first_try);

/* Verifies (author's cert) and applies a row: 1 newer, 0 not, or
 * GSP_EREJECTED with the reason in *why. */
int gsp__row_apply(struct gsp *g, struct gsp_now now,
		   const struct gsp_record *r, const uint8_t *rec, size_t len,
		   enum gsp_reject *why);

/* Publishes our row when due, reports split views; returns the next
 * deadline. */
uint64_t gsp__reach_tick(struct gsp *g, struct gsp_now now);

void gsp__member_reach_free(struct member *m);

/* Reachable in our own view: a direct ack within the last three probes
 * (presumed before the first). */
bool gsp__reachable(const struct member *m);

/* --- gossip/ring.c --- */

/* An empty ring of @size-byte items; the first growth makes room for
 * @first_cap. */
void gsp__ring_init(struct gsp_ring *r, size_t size, size_t first_cap);

/* Room for one more item at the tail, counted as held (the caller fills
 * it); NULL, and nothing changed, when the ring could not grow. */
void *gsp__ring_push(struct gsp_ring *r);

/* Copies the first item to @out and drops it; false when empty. */
bool gsp__ring_pop(struct gsp_ring *r, void *out);

/* Item @i from the first, i < r->n. */
void *gsp__ring_at(const struct gsp_ring *r, size_t i);

void gsp__ring_fini(struct gsp_ring *r);

/* --- gossip/swim.c --- */

/* Puts a packet of @type to @m (or @to when m is NULL) in the outbox.
 */
void gsp__send(struct gsp *g, struct gsp_now now, struct member *m,
	       const struct gsp_endpoint *to, uint8_t type, uint32_t seq,
	       const char *target);

#endif
