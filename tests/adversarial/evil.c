/*
 * pmgtm_evil: a hostile gossip peer that holds one valid certificate from
 * the cluster CA. It builds records and envelopes with the project's own
 * encoder (gossip/codec.h), signs them with its key, and sends them as a
 * UDP gossip packet or as a TCP push-pull request (4-byte big-endian length
 * and the packet; the reply is read and thrown away).
 *
 *   pmgtm_evil --key FILE --cert FILE --cluster NAME --from IP
 *              [--to IP:PORT] [--tcp] [--sender NAME] COMMAND [options]
 *
 *   alive  --gen G --inc I [--ns-name NAME] [--addr IP]... --gossip IP:PORT
 *          [--save-rec FILE] [--linger SECONDS]
 *          our own alive record; --linger: then answer pings on the gossip
 *          endpoint (echoing each peer's intent digest, refuting
 *          suspicions) so the peers keep us alive
 *   intent --target T --version V --drained 0|1 [--expires-at E]
 *          [--issued-at S] [--user U] [--reason R]
 *   suspect|dead --subject S --gen G --inc I
 *   flood-intents --count N [--prefix P] [--batch B] [--version V]
 *          N drain intents for targets P0, P1, ..., B per push-pull
 *   first-contact --subject-key FILE --subject-cert FILE --gen G --inc I
 *          [--ns-name NAME] [--addr IP]... --gossip IP:PORT
 *          another node's genuine alive record (signed with its key), in
 *          an envelope from that node whose signature is random bytes
 *   replay-alive --rec FILE
 *          a saved signed record in an envelope from --sender with a
 *          random signature
 *   forged-flood --sender NAME --count N --rate R [--seconds S]
 *          UDP packets naming NAME as sender, signed with our own key
 *
 * Numbers take any base strtoull() does, up to 2^64 - 1. Exits 0 when
 * everything was sent, 1 otherwise. Only for tests: it trusts its
 * arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/codec.h"
#include "node/keyfile.h"

#define PKT_MAX (4u << 20)
#define ADDR_ARGS_MAX GSP_ADDRS_MAX
#define FLOOD_VARIANTS 64

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
	bool tcp;
	uint8_t *pkt; /* PKT_MAX bytes */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

__attribute__((noreturn)) static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "pmgtm_evil: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/* --- arguments --- */

struct opt {
	const char *name;
	const char **val;
	const char **list; /* repeated option: values collected here */
	size_t *n_list;
};

/* Parses "--name value" pairs from @argv up to the first word that is not
 * an option (returned as an index), or the end. */
static int
opts_parse(int argc, char **argv, int i, struct opt *o, size_t n,
	   bool stop_at_word)
{
	while (i < argc) {
		const char *a = argv[i];
		size_t k;
		if (strncmp(a, "--", 2) != 0) {
			if (stop_at_word)
				return i;
			die("unexpected argument '%s'", a);
		}
		for (k = 0; k < n; k++)
			if (strcmp(a + 2, o[k].name) == 0)
				break;
		if (k == n)
			die("unknown option '%s'", a);
		if (!o[k].val && !o[k].list) { /* a flag */
			i++;
			continue;
		}
		if (i + 1 >= argc)
			die("option '%s' needs a value", a);
		if (o[k].list) {
			if (*o[k].n_list == ADDR_ARGS_MAX)
				die("too many '%s'", a);
			o[k].list[(*o[k].n_list)++] = argv[i + 1];
		} else {
			*o[k].val = argv[i + 1];
		}
		i += 2;
	}
	return i;
}

static bool
has_flag(int argc, char **argv, int from, int to, const char *flag)
{
	for (int i = from; i < to && i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return true;
	return false;
}

static uint64_t
num(const char *s, const char *what)
{
	char *end;

	if (!s)
		die("%s is required", what);
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || s[0] == '-')
		die("bad number '%s'", s);
	return (uint64_t)v;
}

static void
parse_ip(const char *s, struct gsp_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->bytes) == 1)
		ip->family = 4;
	else if (inet_pton(AF_INET6, s, ip->bytes) == 1)
		ip->family = 6;
	else
		die("bad address '%s'", s);
}

/* "IP:PORT" (IPv4 only: the tests stay on 127.0.0.x). */
static void
parse_ep(const char *s, struct gsp_endpoint *ep)
{
	char ip[64];
	const char *colon = s ? strrchr(s, ':') : NULL;

	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		die("bad endpoint '%s' (IP:PORT)", s ? s : "(none)");
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	parse_ip(ip, &ep->ip);
	ep->port = (uint16_t)num(colon + 1, "port");
}

static void
sockaddr_of(const struct gsp_endpoint *ep, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	memcpy(&sa->sin_addr, ep->ip.bytes, 4);
	sa->sin_port = htons(ep->port);
}

/* --- identity --- */

static void
identity_load(const char *key, const char *cert, struct identity *id)
{
	struct gsp_cert c;
	char err[256];

	if (!key || !cert)
		die("%s", "--key and --cert are required");
	if (node_key_load(key, id->sk, err, sizeof(err)) ||
	    node_cert_load(cert, &c, err, sizeof(err)))
		die("%s", err);
	if (gsp_cert_encode(&c, id->cert, sizeof(id->cert), &id->cert_len))
		die("cannot encode the certificate of %s", c.name);
	snprintf(id->name, sizeof(id->name), "%s", c.name);
}

/* --- sending --- */

static int
socket_from(const char *from, int type, uint16_t port)
{
	struct gsp_endpoint ep = { 0 };
	struct sockaddr_in sa;
	int one = 1;
	int fd = socket(AF_INET, type, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	parse_ip(from, &ep.ip);
	ep.port = port;
	sockaddr_of(&ep, &sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind: %s", strerror(errno));
	return fd;
}

static size_t
packet(struct evil *e, const char *sender, uint8_t type, uint32_t seq,
       uint64_t digest, const uint8_t *const *recs, const size_t *lens,
       size_t n, const uint8_t *sk)
{
	size_t len;

	if (gsp_msg_encode(e->cluster, sender, type, seq, "", digest, recs,
			   lens, n, sk, e->pkt, PKT_MAX, &len))
		die("%s", "cannot encode the packet");
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
	int fd = socket_from(e->from, SOCK_STREAM, 0);

	parse_ep(e->to, &to);
	sockaddr_of(&to, &sa);
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
	int fd = socket_from(e->from, SOCK_DGRAM, 0);

	parse_ep(e->to, &to);
	sockaddr_of(&to, &sa);
	ssize_t n = sendto(fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (n != (ssize_t)len) {
		fprintf(stderr, "pmgtm_evil: sendto: %s\n", strerror(errno));
		return -1;
	}
	printf("udp: sent %zu bytes to %s\n", len, e->to);
	return 0;
}

static int
send_pkt(struct evil *e, const uint8_t *pkt, size_t len)
{
	if (!e->to)
		die("%s", "--to is required");
	return e->tcp ? send_tcp(e, pkt, len) : send_udp(e, pkt, len);
}

/* Signs @n records as our sender and sends them: a push-pull request over
 * TCP, else a gossip datagram. */
static int
send_records(struct evil *e, const uint8_t *const *recs, const size_t *lens,
	     size_t n)
{
	size_t len =
		packet(e, e->sender, e->tcp ? GSP_MSG_PUSH : GSP_MSG_GOSSIP,
		       randombytes_random(), 0, recs, lens, n, e->me.sk);

	return send_pkt(e, e->pkt, len);
}

static int
send_one(struct evil *e, const struct gsp_record *r, const uint8_t *sk)
{
	uint8_t rec[GSP_REC_MAX];
	size_t len;
	const uint8_t *recs[1] = { rec };

	if (gsp_record_encode(r, sk, rec, sizeof(rec), &len))
		die("%s", "cannot encode the record");
	return send_records(e, recs, &len, 1);
}

static void
save_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		die("cannot write %s", path);
}

/* --- alive, and staying alive --- */

struct alive_args {
	const char *gen, *inc, *ns_name, *gossip, *save;
	const char *addrs[ADDR_ARGS_MAX];
	size_t n_addrs;
};

static void
alive_fill(struct gsp_record *r, const struct alive_args *a,
	   const struct identity *id)
{
	memset(r, 0, sizeof(*r));
	r->kind = GSP_REC_ALIVE;
	snprintf(r->subject, sizeof(r->subject), "%s", id->name);
	snprintf(r->author, sizeof(r->author), "%s", id->name);
	r->gen = num(a->gen, "--gen");
	r->inc = num(a->inc, "--inc");
	for (size_t i = 0; i < a->n_addrs; i++)
		parse_ip(a->addrs[i], &r->addrs[i]);
	r->n_addrs = a->n_addrs;
	snprintf(r->ns_name, sizeof(r->ns_name), "%s",
		 a->ns_name ? a->ns_name : "");
	parse_ep(a->gossip, &r->gossip);
	memcpy(r->cert, id->cert, id->cert_len);
	r->cert_len = id->cert_len;
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
static void
linger(struct evil *e, struct gsp_record *self, unsigned secs)
{
	uint8_t rec[GSP_REC_MAX], in[65536];
	size_t rec_len;
	struct gsp_msg *m = calloc(1, sizeof(*m));
	int fd = socket_from(e->from, SOCK_DGRAM, self->gossip.port);
	time_t end = time(NULL) + (time_t)secs;
	unsigned long acks = 0;

	if (!m || gsp_record_encode(self, e->me.sk, rec, sizeof(rec), &rec_len))
		die("%s", "out of memory");
	while (!stop && time(NULL) < end) {
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
				die("%s", "cannot encode the record");
		}
		if (m->type == GSP_MSG_PING || inc) {
			const uint8_t *recs[1] = { rec };
			size_t len = packet(
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

static int
cmd_alive(struct evil *e, int argc, char **argv, int i)
{
	struct alive_args a = { 0 };
	const char *linger_s = NULL;
	struct opt o[] = {
		{ "gen", &a.gen, NULL, NULL },
		{ "inc", &a.inc, NULL, NULL },
		{ "ns-name", &a.ns_name, NULL, NULL },
		{ "addr", NULL, a.addrs, &a.n_addrs },
		{ "gossip", &a.gossip, NULL, NULL },
		{ "save-rec", &a.save, NULL, NULL },
		{ "linger", &linger_s, NULL, NULL },
	};
	struct gsp_record r;
	uint8_t rec[GSP_REC_MAX];
	size_t len;

	opts_parse(argc, argv, i, o, sizeof(o) / sizeof(o[0]), false);
	alive_fill(&r, &a, &e->me);
	if (gsp_record_encode(&r, e->me.sk, rec, sizeof(rec), &len))
		die("%s", "cannot encode the record");
	if (a.save)
		save_file(a.save, rec, len);
	int rc = e->to ? send_one(e, &r, e->me.sk) : 0;
	fflush(stdout);
	if (linger_s)
		linger(e, &r, (unsigned)num(linger_s, "--linger"));
	return rc ? 1 : 0;
}

/* --- intents, suspicions --- */

static void
intent_fill(struct gsp_record *r, const struct identity *id, const char *target,
	    uint64_t version, bool drained, uint64_t issued_at,
	    uint64_t expires_at, const char *user, const char *reason)
{
	memset(r, 0, sizeof(*r));
	r->kind = GSP_REC_INTENT;
	snprintf(r->subject, sizeof(r->subject), "%s", target);
	snprintf(r->author, sizeof(r->author), "%s", id->name);
	r->gen = version;
	r->drained = drained;
	r->issued_at = issued_at;
	r->expires_at = expires_at;
	snprintf(r->user, sizeof(r->user), "%s", user);
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	memcpy(r->cert, id->cert, id->cert_len);
	r->cert_len = id->cert_len;
}

static int
cmd_intent(struct evil *e, int argc, char **argv, int i)
{
	const char *target = NULL, *version = NULL, *drained = "1";
	const char *expires = "0", *issued = NULL, *user = "evil";
	const char *reason = "adversarial test";
	struct opt o[] = {
		{ "target", &target, NULL, NULL },
		{ "version", &version, NULL, NULL },
		{ "drained", &drained, NULL, NULL },
		{ "expires-at", &expires, NULL, NULL },
		{ "issued-at", &issued, NULL, NULL },
		{ "user", &user, NULL, NULL },
		{ "reason", &reason, NULL, NULL },
	};
	struct gsp_record r;

	opts_parse(argc, argv, i, o, sizeof(o) / sizeof(o[0]), false);
	if (!target)
		die("%s", "--target is required");
	intent_fill(&r, &e->me, target, num(version, "--version"),
		    num(drained, "--drained") != 0,
		    issued ? num(issued, "--issued-at") : (uint64_t)time(NULL),
		    num(expires, "--expires-at"), user, reason);
	return send_one(e, &r, e->me.sk) ? 1 : 0;
}

static int
cmd_state(struct evil *e, int argc, char **argv, int i, uint8_t kind)
{
	const char *subject = NULL, *gen = NULL, *inc = NULL;
	struct opt o[] = {
		{ "subject", &subject, NULL, NULL },
		{ "gen", &gen, NULL, NULL },
		{ "inc", &inc, NULL, NULL },
	};
	struct gsp_record r;

	opts_parse(argc, argv, i, o, sizeof(o) / sizeof(o[0]), false);
	if (!subject)
		die("%s", "--subject is required");
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	snprintf(r.subject, sizeof(r.subject), "%s", subject);
	snprintf(r.author, sizeof(r.author), "%s", e->me.name);
	r.gen = num(gen, "--gen");
	r.inc = num(inc, "--inc");
	return send_one(e, &r, e->me.sk) ? 1 : 0;
}

static int
cmd_flood_intents(struct evil *e, int argc, char **argv, int i)
{
	const char *count = NULL, *prefix = "ghost-", *batch = "200";
	const char *version = "1";
	struct opt o[] = {
		{ "count", &count, NULL, NULL },
		{ "prefix", &prefix, NULL, NULL },
		{ "batch", &batch, NULL, NULL },
		{ "version", &version, NULL, NULL },
	};

	opts_parse(argc, argv, i, o, sizeof(o) / sizeof(o[0]), false);
	uint64_t n = num(count, "--count"), b = num(batch, "--batch");
	uint64_t v = num(version, "--version");
	if (!b || b > GSP_MSG_RECS_MAX)
		die("%s", "--batch must be 1 to 1024");
	uint8_t(*recs)[GSP_REC_MAX] = malloc(b * GSP_REC_MAX);
	const uint8_t **ptrs = malloc(b * sizeof(*ptrs));
	size_t *lens = malloc(b * sizeof(*lens));
	if (!recs || !ptrs || !lens)
		die("%s", "out of memory");
	e->tcp = true;
	int rc = 0;
	for (uint64_t done = 0; done < n;) {
		size_t k = 0;
		for (; k < b && done < n; k++, done++) {
			struct gsp_record r;
			char target[GSP_NAME_LEN];
			snprintf(target, sizeof(target), "%s%llu", prefix,
				 (unsigned long long)done);
			intent_fill(&r, &e->me, target, v, true,
				    (uint64_t)time(NULL), 0, "evil", "flood");
			if (gsp_record_encode(&r, e->me.sk, recs[k],
					      GSP_REC_MAX, &lens[k]))
				die("%s", "cannot encode the record");
			ptrs[k] = recs[k];
		}
		rc |= send_records(e, ptrs, lens, k);
	}
	free(recs);
	free(ptrs);
	free(lens);
	return rc ? 1 : 0;
}

/* --- someone else's records --- */

static int
send_unsigned_envelope(struct evil *e, const char *sender, const uint8_t *rec,
		       size_t rec_len)
{
	const uint8_t *recs[1] = { rec };
	size_t len =
		packet(e, sender, e->tcp ? GSP_MSG_PUSH : GSP_MSG_GOSSIP,
		       randombytes_random(), 0, recs, &rec_len, 1, e->me.sk);

	scramble_sig(e->pkt, len);
	return send_pkt(e, e->pkt, len);
}

static int
cmd_first_contact(struct evil *e, int argc, char **argv, int i)
{
	struct alive_args a = { 0 };
	const char *key = NULL, *cert = NULL;
	struct opt o[] = {
		{ "subject-key", &key, NULL, NULL },
		{ "subject-cert", &cert, NULL, NULL },
		{ "gen", &a.gen, NULL, NULL },
		{ "inc", &a.inc, NULL, NULL },
		{ "ns-name", &a.ns_name, NULL, NULL },
		{ "addr", NULL, a.addrs, &a.n_addrs },
		{ "gossip", &a.gossip, NULL, NULL },
		{ "save-rec", &a.save, NULL, NULL },
	};
	struct identity victim;
	struct gsp_record r;
	uint8_t rec[GSP_REC_MAX];
	size_t len;

	opts_parse(argc, argv, i, o, sizeof(o) / sizeof(o[0]), false);
	identity_load(key, cert, &victim);
	alive_fill(&r, &a, &victim);
	if (gsp_record_encode(&r, victim.sk, rec, sizeof(rec), &len))
		die("%s", "cannot encode the record");
	sodium_memzero(victim.sk, sizeof(victim.sk));
	if (a.save)
		save_file(a.save, rec, len);
	return send_unsigned_envelope(e, victim.name, rec, len) ? 1 : 0;
}

static int
cmd_replay_alive(struct evil *e, int argc, char **argv, int i)
{
	const char *path = NULL;
	struct opt o[] = { { "rec", &path, NULL, NULL } };
	uint8_t rec[GSP_REC_MAX];
	struct gsp_record r;

	opts_parse(argc, argv, i, o, 1, false);
	if (!path)
		die("%s", "--rec is required");
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open %s", path);
	size_t len = fread(rec, 1, sizeof(rec), f);
	fclose(f);
	if (gsp_record_decode(rec, len, &r))
		die("%s holds no record", path);
	/* The envelope names the record's subject unless told otherwise. */
	const char *sender =
		strcmp(e->sender, e->me.name) ? e->sender : r.subject;
	return send_unsigned_envelope(e, sender, rec, len) ? 1 : 0;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
cmd_forged_flood(struct evil *e, int argc, char **argv, int i)
{
	const char *count = NULL, *rate = "20000", *seconds = "5";
	struct opt o[] = {
		{ "count", &count, NULL, NULL },
		{ "rate", &rate, NULL, NULL },
		{ "seconds", &seconds, NULL, NULL },
	};
	static uint8_t pkts[FLOOD_VARIANTS][512];
	size_t lens[FLOOD_VARIANTS];
	struct gsp_endpoint to;
	struct sockaddr_in sa;

	opts_parse(argc, argv, i, o, sizeof(o) / sizeof(o[0]), false);
	uint64_t n = num(count, "--count"), r = num(rate, "--rate");
	uint64_t secs = num(seconds, "--seconds");
	if (!e->to)
		die("%s", "--to is required");
	if (!r)
		die("%s", "--rate must be positive");
	/* A handful of distinct packets (other sequence numbers), each
	 * carrying a genuine Ed25519 signature by a key that is not the
	 * named sender's. */
	for (size_t k = 0; k < FLOOD_VARIANTS; k++) {
		size_t len =
			packet(e, e->sender, GSP_MSG_PING, randombytes_random(),
			       0, NULL, NULL, 0, e->me.sk);
		if (len > sizeof(pkts[k]))
			die("%s", "packet too large");
		memcpy(pkts[k], e->pkt, len);
		lens[k] = len;
	}
	parse_ep(e->to, &to);
	sockaddr_of(&to, &sa);
	int fd = socket_from(e->from, SOCK_DGRAM, 0);
	uint64_t t0 = mono_us(), sent = 0, errs = 0;
	while (!stop && sent < n) {
		uint64_t el = mono_us() - t0;
		if (el >= secs * 1000000)
			break;
		uint64_t due = el * r / 1000000 + 1;
		if (sent >= due) {
			usleep(100);
			continue;
		}
		for (; sent < due && sent < n; sent++) {
			size_t k = sent % FLOOD_VARIANTS;
			if (sendto(fd, pkts[k], lens[k], 0,
				   (struct sockaddr *)&sa,
				   sizeof(sa)) != (ssize_t)lens[k])
				errs++;
		}
	}
	double secs_done = (double)(mono_us() - t0) / 1e6;
	printf("forged-flood: %llu packets as %s in %.2f s (%.0f/s), %llu "
	       "send errors\n",
	       (unsigned long long)sent, e->sender, secs_done,
	       secs_done > 0 ? (double)sent / secs_done : 0.0,
	       (unsigned long long)errs);
	close(fd);
	return 0;
}

__attribute__((noreturn)) static void
usage(void)
{
	fputs("usage: pmgtm_evil --key FILE --cert FILE --cluster NAME --from "
	      "IP\n"
	      "                  [--to IP:PORT] [--tcp] [--sender NAME] "
	      "COMMAND [options]\n"
	      "commands: alive intent suspect dead flood-intents "
	      "first-contact\n"
	      "          replay-alive forged-flood (see tests/adversarial/"
	      "README.md)\n",
	      stderr);
	exit(1);
}

int
main(int argc, char **argv)
{
	struct evil e = { 0 };
	const char *key = NULL, *cert = NULL;
	struct opt o[] = {
		{ "key", &key, NULL, NULL },
		{ "cert", &cert, NULL, NULL },
		{ "cluster", &e.cluster, NULL, NULL },
		{ "from", &e.from, NULL, NULL },
		{ "to", &e.to, NULL, NULL },
		{ "sender", &e.sender, NULL, NULL },
		{ "tcp", NULL, NULL, NULL },
	};

	if (sodium_init() < 0)
		die("%s", "sodium_init failed");
	int i = opts_parse(argc, argv, 1, o, sizeof(o) / sizeof(o[0]), true);
	if (i >= argc || !e.cluster || !e.from)
		usage();
	e.tcp = has_flag(argc, argv, 1, i, "--tcp");
	identity_load(key, cert, &e.me);
	if (!e.sender)
		e.sender = e.me.name;
	e.pkt = malloc(PKT_MAX);
	if (!e.pkt)
		die("%s", "out of memory");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	const char *cmd = argv[i++];
	int rc;
	if (strcmp(cmd, "alive") == 0)
		rc = cmd_alive(&e, argc, argv, i);
	else if (strcmp(cmd, "intent") == 0)
		rc = cmd_intent(&e, argc, argv, i);
	else if (strcmp(cmd, "suspect") == 0)
		rc = cmd_state(&e, argc, argv, i, GSP_REC_SUSPECT);
	else if (strcmp(cmd, "dead") == 0)
		rc = cmd_state(&e, argc, argv, i, GSP_REC_DEAD);
	else if (strcmp(cmd, "flood-intents") == 0)
		rc = cmd_flood_intents(&e, argc, argv, i);
	else if (strcmp(cmd, "first-contact") == 0)
		rc = cmd_first_contact(&e, argc, argv, i);
	else if (strcmp(cmd, "replay-alive") == 0)
		rc = cmd_replay_alive(&e, argc, argv, i);
	else if (strcmp(cmd, "forged-flood") == 0)
		rc = cmd_forged_flood(&e, argc, argv, i);
	else
		usage();
	sodium_memzero(e.me.sk, sizeof(e.me.sk));
	free(e.pkt);
	return rc;
}
