/*
 * pmgtm_evil's plumbing (tests/adversarial/evil_net.c): its identity, the
 * packets it builds with the project's encoder, and the sockets that carry
 * them. The commands are in evil.c; see there for the command line.
 */
#ifndef PMGTM_TESTS_ADVERSARIAL_EVIL_H
#define PMGTM_TESTS_ADVERSARIAL_EVIL_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/cert.h"
#include "gossip/codec.h"

#define PKT_MAX (4u << 20) /* a push-pull frame, as pmgtmd takes them */

/* A certified node: its secret key, its encoded certificate, its name. */
struct identity {
	uint8_t sk[GSP_SK_LEN];
	uint8_t cert[GSP_CERT_MAX];
	size_t cert_len;
	char name[GSP_NAME_LEN];
};

struct evil {
	struct identity me;
	const char *cluster;
	const char *sender; /* envelope sender; default our cert's name */
	const char *from;   /* source address */
	const char *to;	    /* IP:PORT */
	bool tcp;	    /* push-pull requests instead of datagrams */
	uint8_t *pkt;	    /* PKT_MAX bytes */
};

/* Set by SIGTERM/SIGINT: loops (linger, floods) end. */
extern volatile sig_atomic_t evil_stop;

/* "pmgtm_evil: " and the message on stderr, exit 1. */
__attribute__((noreturn)) void evil_die(const char *fmt, const char *arg);

/* A number in any base strtoull() reads; dies on NULL ("@what is
 * required") or garbage. */
uint64_t evil_num(const char *s, const char *what);

void evil_parse_ip(const char *s, struct ip_addr *ip);

/* "IP:PORT", IPv4. */
void evil_parse_ep(const char *s, struct gsp_endpoint *ep);

void evil_sockaddr_of(const struct gsp_endpoint *ep, struct sockaddr_in *sa);

/* Loads a node.key and node.cert as pmgtmctl writes them; dies on error. */
void evil_identity_load(const char *key, const char *cert, struct identity *id);

/* A socket of @type bound to @from:@port (0: any port). */
int evil_socket_from(const char *from, int type, uint16_t port);

/* Encodes a plain packet into e->pkt, signed with @sk; its length. */
size_t evil_packet(struct evil *e, const char *sender, uint8_t type,
		   uint32_t seq, uint64_t digest, const uint8_t *const *recs,
		   const size_t *lens, size_t n, const uint8_t *sk);

/* Sends @pkt to e->to: a push-pull request when e->tcp (the reply is read
 * and thrown away), else a datagram. 0 or -1. */
int evil_send_pkt(struct evil *e, const uint8_t *pkt, size_t len);

/* @n signed records in a packet from e->sender signed with our key: a
 * push-pull request over TCP, else a gossip datagram. */
int evil_send_records(struct evil *e, const uint8_t *const *recs,
		      const size_t *lens, size_t n);

/* One record, signed with @sk, sent as evil_send_records() does. */
int evil_send_one(struct evil *e, const struct gsp_record *r,
		  const uint8_t *sk);

/* One signed record in an envelope from @sender whose signature is random
 * bytes. */
int evil_send_unsigned(struct evil *e, const char *sender, const uint8_t *rec,
		       size_t rec_len);

void evil_save_file(const char *path, const uint8_t *data, size_t len);

/* Answers pings on @self's gossip endpoint for @secs seconds (see
 * evil_net.c). May raise self->inc to refute a suspicion. */
void evil_linger(struct evil *e, struct gsp_record *self, unsigned secs);

uint64_t evil_mono_us(void);

#endif
