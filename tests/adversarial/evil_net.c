/*
 * pmgtm_evil's plumbing: identity, packets and sockets (see evil.h).
 */
#include "evil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/keyfile.h"

__attribute__((noreturn)) void
evil_die(const char *fmt, const char *arg)
{
	fprintf(stderr, "pmgtm_evil: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

uint64_t
evil_num(const char *s, const char *what)
{
	char *end;

	if (!s)
		evil_die("%s is required", what);
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || s[0] == '-')
		evil_die("bad number '%s'", s);
	return (uint64_t)v;
}

void
evil_parse_ip(const char *s, struct ip_addr *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->bytes) == 1)
		ip->family = 4;
	else if (inet_pton(AF_INET6, s, ip->bytes) == 1)
		ip->family = 6;
	else
		evil_die("bad address '%s'", s);
}

/* "IP:PORT" (IPv4 only: the tests stay on 127.0.0.x). */
void
evil_parse_ep(const char *s, struct gsp_endpoint *ep)
{
	char ip[64];
	const char *colon = s ? strrchr(s, ':') : NULL;

	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		evil_die("bad endpoint '%s' (IP:PORT)", s ? s : "(none)");
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	evil_parse_ip(ip, &ep->ip);
	ep->port = (uint16_t)evil_num(colon + 1, "port");
}

void
evil_sockaddr_of(const struct gsp_endpoint *ep, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	memcpy(&sa->sin_addr, ep->ip.bytes, 4);
	sa->sin_port = htons(ep->port);
}

/* --- identity --- */

void
evil_identity_load(const char *key, const char *cert, struct identity *id)
{
	struct gsp_cert c;
	char err[256];

	if (!key || !cert)
		evil_die("%s", "--key and --cert are required");
	if (node_key_load(key, id->sk, err, sizeof(err)) ||
	    node_cert_load(cert, &c, err, sizeof(err)))
		evil_die("%s", err);
	if (gsp_cert_encode(&c, id->cert, sizeof(id->cert), &id->cert_len))
		evil_die("cannot encode the certificate of %s", c.name);
	snprintf(id->name, sizeof(id->name), "%s", c.name);
}

/* --- sending --- */

int
evil_socket_from(const char *from, int type, uint16_t port)
{
	struct gsp_endpoint ep = { 0 };
	struct sockaddr_in sa;
	int one = 1;
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		evil_die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	evil_parse_ip(from, &ep.ip);
	ep.port = port;
	evil_sockaddr_of(&ep, &sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		evil_die("bind: %s", strerror(errno));
	return fd;
}

size_t
evil_packet(struct evil *e, const char *sender, uint8_t type, uint32_t seq,
	    uint64_t digest, const uint8_t *const *recs, const size_t *lens,
	    size_t n, const uint8_t *sk)
{
	size_t len;

	if (gsp_msg_encode(e->cluster, sender, type, seq, "", digest, recs,
			   lens, n, sk, e->pkt, PKT_MAX, &len))
		evil_die("%s", "cannot encode the packet");
	return len;
}

/* The envelope's signature is the last 64 bytes of a plain packet
 * ([bin tbs, bin sig]): overwritten with random bytes. */
static void
scramble_sig(uint8_t *pkt, size_t len)
{
	randombytes_buf(pkt + len - GSP_SIGLEN, GSP_SIGLEN);
}

static bool
read_full(int fd, uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t r = read(fd, buf, n);
		if (r <= 0)
			return false;
		buf += r;
		n -= (size_t)r;
	}
	return true;
}

static int
send_tcp(struct evil *e, const uint8_t *pkt, size_t len)
{
	struct gsp_endpoint to;
	struct sockaddr_in sa;
	struct timeval tv = { .tv_sec = 5 };
	uint8_t hdr[4], sink[65536];
	int fd = evil_socket_from(e->from, SOCK_STREAM, 0);

	evil_parse_ep(e->to, &to);
	evil_sockaddr_of(&to, &sa);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "pmgtm_evil: connect %s: %s\n", e->to,
			strerror(errno));
		close(fd);
		return -1;
	}
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	if (write(fd, hdr, 4) != 4 || write(fd, pkt, len) != (ssize_t)len) {
		fprintf(stderr, "pmgtm_evil: write: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	size_t rlen = 0;
	if (read_full(fd, hdr, 4)) {
		rlen = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
		       (size_t)hdr[2] << 8 | hdr[3];
		for (size_t left = rlen; left;) {
			size_t n = left < sizeof(sink) ? left : sizeof(sink);
			if (!read_full(fd, sink, n))
				break;
			left -= n;
		}
		printf("tcp: sent %zu bytes to %s, reply %zu bytes\n", len,
		       e->to, rlen);
	} else {
		printf("tcp: sent %zu bytes to %s, no reply\n", len, e->to);
	}
	close(fd);
	return 0;
}

static int
send_udp(struct evil *e, const uint8_t *pkt, size_t len)
{
	struct gsp_endpoint to;
	struct sockaddr_in sa;
	int fd = evil_socket_from(e->from, SOCK_DGRAM, 0);

	evil_parse_ep(e->to, &to);
	evil_sockaddr_of(&to, &sa);
	ssize_t n = sendto(fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (n != (ssize_t)len) {
		fprintf(stderr, "pmgtm_evil: sendto: %s\n", strerror(errno));
		return -1;
	}
	printf("udp: sent %zu bytes to %s\n", len, e->to);
	return 0;
}

int
evil_send_pkt(struct evil *e, const uint8_t *pkt, size_t len)
{
	if (!e->to)
		evil_die("%s", "--to is required");
	return e->tcp ? send_tcp(e, pkt, len) : send_udp(e, pkt, len);
}

/* Signs @n records as our sender and sends them: a push-pull request over
 * TCP, else a gossip datagram. */
int
evil_send_records(struct evil *e, const uint8_t *const *recs,
		  const size_t *lens, size_t n)
{
	size_t len = evil_packet(
		e, e->sender, e->tcp ? GSP_MSG_PUSH : GSP_MSG_GOSSIP,
		randombytes_random(), 0, recs, lens, n, e->me.sk);

	return evil_send_pkt(e, e->pkt, len);
}

int
evil_send_one(struct evil *e, const struct gsp_record *r, const uint8_t *sk)
{
	uint8_t rec[GSP_REC_MAX];
	size_t len;
	const uint8_t *recs[1] = { rec };

	if (gsp_record_encode(r, sk, rec, sizeof(rec), &len))
		evil_die("%s", "cannot encode the record");
	return evil_send_records(e, recs, &len, 1);
}

void
evil_save_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		evil_die("cannot write %s", path);
}

/* A record in @m says we are suspect or dead at our version or later:
 * the new incarnation that refutes it, or 0. */
static uint64_t
refutation(const struct gsp_msg *m, const struct gsp_record *self)
{
	uint64_t inc = 0;

	for (size_t i = 0; i < m->n_recs; i++) {
		struct gsp_record r;
		if (gsp_record_decode(m->recs[i], m->rec_len[i], &r))
			continue;
		if ((r.kind == GSP_REC_SUSPECT || r.kind == GSP_REC_DEAD) &&
		    strcmp(r.subject, self->subject) == 0 &&
		    r.gen == self->gen && r.inc >= self->inc && r.inc + 1 > inc)
			inc = r.inc + 1;
	}
	return inc;
}

/* Answers pings on our gossip endpoint for @secs seconds, with our alive
 * record piggybacked and the pinger's own intent digest echoed, so the
 * peers count us alive and up to date. */
void
evil_linger(struct evil *e, struct gsp_record *self, unsigned secs)
{
	uint8_t rec[GSP_REC_MAX], in[65536];
	size_t rec_len;
	struct gsp_msg *m = calloc(1, sizeof(*m));
	int fd = evil_socket_from(e->from, SOCK_DGRAM, self->gossip.port);
	time_t end = time(NULL) + (time_t)secs;
	unsigned long acks = 0;

	if (!m || gsp_record_encode(self, e->me.sk, rec, sizeof(rec), &rec_len))
		evil_die("%s", "out of memory");
	while (!evil_stop && time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t n = recvfrom(fd, in, sizeof(in), 0,
				     (struct sockaddr *)&src, &sl);
		if (n <= 0 || gsp_msg_decode(in, (size_t)n, m))
			continue;
		uint64_t inc = refutation(m, self);
		if (inc) {
			self->inc = inc;
			if (gsp_record_encode(self, e->me.sk, rec, sizeof(rec),
					      &rec_len))
				evil_die("%s", "cannot encode the record");
		}
		if (m->type == GSP_MSG_PING || inc) {
			const uint8_t *recs[1] = { rec };
			size_t len = evil_packet(
				e, e->me.name,
				m->type == GSP_MSG_PING ? GSP_MSG_ACK
							: GSP_MSG_GOSSIP,
				m->seq, m->digest, recs, &rec_len, 1, e->me.sk);
			if (sendto(fd, e->pkt, len, 0, (struct sockaddr *)&src,
				   sl) == (ssize_t)len)
				acks++;
		}
		gsp_msg_fini(m);
	}
	printf("linger: %lu answers sent, incarnation %llu\n", acks,
	       (unsigned long long)self->inc);
	free(m);
	close(fd);
}

int
evil_send_unsigned(struct evil *e, const char *sender, const uint8_t *rec,
		   size_t rec_len)
{
	const uint8_t *recs[1] = { rec };
	size_t len = evil_packet(
		e, sender, e->tcp ? GSP_MSG_PUSH : GSP_MSG_GOSSIP,
		randombytes_random(), 0, recs, &rec_len, 1, e->me.sk);

	scramble_sig(e->pkt, len);
	return evil_send_pkt(e, e->pkt, len);
}

uint64_t
evil_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
