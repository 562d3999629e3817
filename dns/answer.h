/*
 * The query path: one function from a query's bytes and a view to the
 * response's bytes. Shared by UDP and TCP; pure (time, client address and
 * cookie secrets come in through struct dns_req).
 */
#ifndef PMGTM_DNS_ANSWER_H
#define PMGTM_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

struct dns_view;
struct dns_cookie_secrets;

enum dns_proto {
	DNS_UDP = 0,
	DNS_TCP = 1,
};

/* The request's circumstances. */
struct dns_req {
	enum dns_proto proto;
	const uint8_t *client_ip; /* 4 or 16 bytes, for cookies */
	size_t client_iplen;
	uint32_t now; /* seconds, for cookie timestamps */
	const struct dns_cookie_secrets *cookies; /* NULL: no cookies */
};

/*
 * What the query's COOKIE option showed (RFC 7873 §5.2). Only VALID
 * proves the client saw an earlier answer of ours at that address; an
 * INVALID server cookie (forged, for another address, made with a secret
 * older than the previous one, or out of its time window) is answered as
 * if the query carried its client cookie alone.
 */
enum dns_cookie_state {
	DNS_COOKIE_NONE = 0, /* no cookie, or the query could not be read */
	DNS_COOKIE_CLIENT,   /* a client cookie alone */
	DNS_COOKIE_VALID,    /* a server cookie we issued, current or previous
				secret, within its time window */
	DNS_COOKIE_INVALID,  /* any other server cookie */
	DNS_COOKIE__COUNT,
};

/* What the query was and what became of it, for metrics and logs. */
struct dns_result {
	int zone;	/* index in the view, -1 outside every zone */
	uint16_t qtype; /* 0 when the question could not be read */
	int rcode;	/* extended rcode sent, -1 when dropped */
	enum dns_cookie_state cookie;
};

#define DNS_DROP (-1)
#define DNS_UDP_PAYLOAD 1232 /* advertised EDNS(0) size */
#define DNS_UDP_PLAIN 512    /* limit without EDNS */
#define DNS_MSG_MAX 65535

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16,
};

/*
 * Answers the query in @q (@qlen bytes) from @view into @out (@cap bytes,
 * at least DNS_MSG_MAX for TCP, DNS_UDP_PAYLOAD for UDP). Returns the
 * response length, or DNS_DROP when nothing must be sent (too short, a
 * response, or a drained node in silent mode). @res, when not NULL, says
 * what happened.
 */
int dns_answer(const struct dns_view *view, const struct dns_req *req,
	       const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
	       struct dns_result *res);

#endif
