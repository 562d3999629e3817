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
#include "evil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define ADDR_ARGS_MAX GSP_ADDRS_MAX
#define FLOOD_VARIANTS 64

volatile sig_atomic_t evil_stop;

static void
on_signal(int sig)
{
	(void)sig;
	evil_stop = 1;
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
			evil_die("unexpected argument '%s'", a);
		}
		for (k = 0; k < n; k++)
			if (strcmp(a + 2, o[k].name) == 0)
				break;
		if (k == n)
			evil_die("unknown option '%s'", a);
		if (!o[k].val && !o[k].list) { /* a flag */
			i++;
			continue;
		}
		if (i + 1 >= argc)
			evil_die("option '%s' needs a value", a);
		if (o[k].list) {
			if (*o[k].n_list == ADDR_ARGS_MAX)
				evil_die("too many '%s'", a);
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
	r->gen = evil_num(a->gen, "--gen");
	r->inc = evil_num(a->inc, "--inc");
	for (size_t i = 0; i < a->n_addrs; i++)
		evil_parse_ip(a->addrs[i], &r->addrs[i]);
	r->n_addrs = a->n_addrs;
	snprintf(r->ns_name, sizeof(r->ns_name), "%s",
		 a->ns_name ? a->ns_name : "");
	evil_parse_ep(a->gossip, &r->gossip);
	memcpy(r->cert, id->cert, id->cert_len);
	r->cert_len = id->cert_len;
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
		evil_die("%s", "cannot encode the record");
	if (a.save)
		evil_save_file(a.save, rec, len);
	int rc = e->to ? evil_send_one(e, &r, e->me.sk) : 0;
	fflush(stdout);
	if (linger_s)
		evil_linger(e, &r, (unsigned)evil_num(linger_s, "--linger"));
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
	gsp_record_set_intent_version(r, version);
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
		evil_die("%s", "--target is required");
	intent_fill(&r, &e->me, target, evil_num(version, "--version"),
		    evil_num(drained, "--drained") != 0,
		    issued ? evil_num(issued, "--issued-at")
			   : (uint64_t)time(NULL),
		    evil_num(expires, "--expires-at"), user, reason);
	return evil_send_one(e, &r, e->me.sk) ? 1 : 0;
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
		evil_die("%s", "--subject is required");
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	snprintf(r.subject, sizeof(r.subject), "%s", subject);
	snprintf(r.author, sizeof(r.author), "%s", e->me.name);
	r.gen = evil_num(gen, "--gen");
	r.inc = evil_num(inc, "--inc");
	return evil_send_one(e, &r, e->me.sk) ? 1 : 0;
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
	uint64_t n = evil_num(count, "--count"), b = evil_num(batch, "--batch");
	uint64_t v = evil_num(version, "--version");
	if (!b || b > GSP_MSG_RECS_MAX)
		evil_die("%s", "--batch must be 1 to 1024");
	uint8_t(*recs)[GSP_REC_MAX] = malloc(b * GSP_REC_MAX);
	const uint8_t **ptrs = malloc(b * sizeof(*ptrs));
	size_t *lens = malloc(b * sizeof(*lens));
	if (!recs || !ptrs || !lens)
		evil_die("%s", "out of memory");
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
				evil_die("%s", "cannot encode the record");
			ptrs[k] = recs[k];
		}
		rc |= evil_send_records(e, ptrs, lens, k);
	}
	free(recs);
	free(ptrs);
	free(lens);
	return rc ? 1 : 0;
}

/* --- someone else's records --- */

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
	evil_identity_load(key, cert, &victim);
	alive_fill(&r, &a, &victim);
	if (gsp_record_encode(&r, victim.sk, rec, sizeof(rec), &len))
		evil_die("%s", "cannot encode the record");
	sodium_memzero(victim.sk, sizeof(victim.sk));
	if (a.save)
		evil_save_file(a.save, rec, len);
	return evil_send_unsigned(e, victim.name, rec, len) ? 1 : 0;
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
		evil_die("%s", "--rec is required");
	FILE *f = fopen(path, "rb");
	if (!f)
		evil_die("cannot open %s", path);
	size_t len = fread(rec, 1, sizeof(rec), f);
	fclose(f);
	if (gsp_record_decode(rec, len, &r))
		evil_die("%s holds no record", path);
	/* The envelope names the record's subject unless told otherwise. */
	const char *sender =
		strcmp(e->sender, e->me.name) ? e->sender : r.subject;
	return evil_send_unsigned(e, sender, rec, len) ? 1 : 0;
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
	uint64_t n = evil_num(count, "--count"), r = evil_num(rate, "--rate");
	uint64_t secs = evil_num(seconds, "--seconds");
	if (!e->to)
		evil_die("%s", "--to is required");
	if (!r)
		evil_die("%s", "--rate must be positive");
	/* A handful of distinct packets (other sequence numbers), each
	 * carrying a genuine Ed25519 signature by a key that is not the
	 * named sender's. */
	for (size_t k = 0; k < FLOOD_VARIANTS; k++) {
		size_t len = evil_packet(e, e->sender, GSP_MSG_PING,
					 randombytes_random(), 0, NULL, NULL, 0,
					 e->me.sk);
		if (len > sizeof(pkts[k]))
			evil_die("%s", "packet too large");
		memcpy(pkts[k], e->pkt, len);
		lens[k] = len;
	}
	evil_parse_ep(e->to, &to);
	evil_sockaddr_of(&to, &sa);
	int fd = evil_socket_from(e->from, SOCK_DGRAM, 0);
	uint64_t t0 = evil_mono_us(), sent = 0, errs = 0;
	while (!evil_stop && sent < n) {
		uint64_t el = evil_mono_us() - t0;
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
	double secs_done = (double)(evil_mono_us() - t0) / 1e6;
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
		evil_die("%s", "sodium_init failed");
	int i = opts_parse(argc, argv, 1, o, sizeof(o) / sizeof(o[0]), true);
	if (i >= argc || !e.cluster || !e.from)
		usage();
	e.tcp = has_flag(argc, argv, 1, i, "--tcp");
	evil_identity_load(key, cert, &e.me);
	if (!e.sender)
		e.sender = e.me.name;
	e.pkt = malloc(PKT_MAX);
	if (!e.pkt)
		evil_die("%s", "out of memory");
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
