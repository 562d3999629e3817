/*
 * "drain" and "undrain": the local daemon signs an intent on behalf of the
 * calling unix user and gossips it (node/control/drain.h). With --wait,
 * pmgtmctl then asks how far it has spread until every alive member has
 * it, the target has applied it and one zone TTL has passed since, so
 * resolvers have had the time to move; interrupting the wait does not
 * take the intent back.
 *
 * Exit codes: 0 done (or nothing to do), 1 error, timeout or superseded,
 * 2 unknown member or refused by cluster.min_active.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/ctl_client.h"
#include "common/parse.h"
#include "common/mpack.h"

#define POLL_MS 200
#define TIMEOUT_DEFAULT "2m"
#define REASON_MAX 255 /* bytes, as the daemon takes them */

const char cli_drain_usage[] =
	"  pmgtmctl drain NODE [--reason TEXT] [--ttl DURATION] [--force]\n"
	"                 [--wait [--timeout DURATION]] [--json] [-s SOCKET]\n"
	"        stop NODE serving the zones, on every node (a signed intent,\n"
	"        gossiped and kept on disk); --ttl: undrain by itself after\n"
	"        DURATION (30s, 2h); --force: even when fewer than\n"
	"        cluster.min_active members would stay active; --wait: until\n"
	"        every alive member has it, NODE applied it and one zone TTL\n"
	"        has passed (--timeout, default " TIMEOUT_DEFAULT ");\n"
	"        root, pmgtmd's user or control.admin_group only\n";

const char cli_undrain_usage[] =
	"  pmgtmctl undrain NODE [--reason TEXT] [--wait [--timeout "
	"DURATION]]\n"
	"                   [--json] [-s SOCKET]\n"
	"        let NODE serve the zones again; --wait and who may as for\n"
	"        drain\n";

struct drain_opts {
	const char *cmd; /* "drain" or "undrain" */
	bool drain;
	const char *node, *reason, *sock, *timeout_text;
	uint32_t ttl_ms, timeout_ms;
	bool force, wait, json;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A string from the daemon, control characters replaced so nothing in a
 * response can drive the terminal; "-" for nil or another type. */
static void
put_str(FILE *f, const msgpack_object *o)
{
	if (!o || o->type != MSGPACK_OBJECT_STR) {
		fputc('-', f);
		return;
	}
	cli_put_safe(f, o->via.str.ptr, o->via.str.size);
}

static bool
get_bool(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = ctl_map_get(map, key);

	return v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
}

static uint64_t
get_uint(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = ctl_map_get(map, key);

	return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
}

static bool
is_str(const msgpack_object *o)
{
	return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size;
}

/* --- options --- */

static int
duration(const struct drain_opts *o, const char *opt, const char *text,
	 uint32_t *ms)
{
	if (cmn_duration_parse(text, ms)) {
		cli_err("%s: %s: not a duration: '%s' (e.g. 500ms, 30s, 2m, "
			"2h)",
			o->cmd, opt, text);
		return CTL_ERROR;
	}
	if (!*ms) {
		cli_err("%s: %s must be more than 0", o->cmd, opt);
		return CTL_ERROR;
	}
	return 0;
}

/* Returns -1 to go on, or the exit code. */
static int
parse(int argc, char **argv, const char *usage, struct drain_opts *o)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "ttl", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ttl = NULL;
	int c;

	cli_opts_reset();
	while ((c = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->reason = optarg;
			break;
		case 't':
			ttl = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'w':
			o->wait = true;
			break;
		case 'T':
			o->timeout_text = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 's':
			o->sock = optarg;
			break;
		case 'h':
			printf("usage:\n%s", usage);
			return CTL_OK;
		default:
			return cli_opts_error(o->cmd, c, argv);
		}
	}
	if (optind >= argc)
		return cli_missing(o->cmd, "NODE", usage);
	o->node = argv[optind++];
	if (optind < argc) {
		cli_err("%s: unexpected argument '%s'", o->cmd, argv[optind]);
		return CTL_ERROR;
	}
	if (!o->drain && (ttl || o->force)) {
		cli_err("%s: %s is for drain only", o->cmd,
			ttl ? "--ttl" : "--force");
		return CTL_ERROR;
	}
	if (o->timeout_text && !o->wait) {
		cli_err("%s: --timeout needs --wait", o->cmd);
		return CTL_ERROR;
	}
	if (o->reason && strlen(o->reason) > REASON_MAX) {
		cli_err("%s: --reason is longer than %d bytes", o->cmd,
			REASON_MAX);
		return CTL_ERROR;
	}
	for (const char *r = o->reason; r && *r; r++) {
		if ((unsigned char)*r < 0x20 || *r == 0x7f) {
			cli_err("%s: --reason must be one line without control "
				"characters",
				o->cmd);
			return CTL_ERROR;
		}
	}
	if (ttl && duration(o, "--ttl", ttl, &o->ttl_ms))
		return CTL_ERROR;
	if (!o->timeout_text)
		o->timeout_text = TIMEOUT_DEFAULT;
	if (duration(o, "--timeout", o->timeout_text, &o->timeout_ms))
		return CTL_ERROR;
	return -1;
}

/* --- talking to the daemon --- */

/* One call; 0 with an ok @reply, else the exit code (said on stderr). */
static int
call(const struct drain_opts *o, const char *cmd, const struct ctl_buf *args,
     struct cli_reply *reply)
{
	if (args->err) {
		cli_err("%s: cannot encode the request", o->cmd);
		return CTL_ERROR;
	}
	return cli_ask(o->cmd, o->sock, cmd, args->data, args->len, reply);
}

static int
issue(const struct drain_opts *o, struct cli_reply *reply)
{
	struct ctl_buf b;
	msgpack_packer pk;

	ctl_buf_init(&b, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 2 + !!o->reason + !!o->ttl_ms + o->force);
	cmn_pack_str(&pk, "target");
	cmn_pack_str(&pk, o->node);
	cmn_pack_str(&pk, "drained");
	cmn_pack_bool(&pk, o->drain);
	if (o->reason) {
		cmn_pack_str(&pk, "reason");
		cmn_pack_str(&pk, o->reason);
	}
	if (o->ttl_ms) {
		cmn_pack_str(&pk, "ttl_ms");
		msgpack_pack_uint32(&pk, o->ttl_ms);
	}
	if (o->force) {
		cmn_pack_str(&pk, "force");
		msgpack_pack_true(&pk);
	}
	int rc = call(o, "drain", &b, reply);
	ctl_buf_fini(&b);
	return rc;
}

static int
ask_progress(const struct drain_opts *o, uint64_t version,
	     struct cli_reply *reply)
{
	struct ctl_buf b;
	msgpack_packer pk;

	ctl_buf_init(&b, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	cmn_pack_str(&pk, "target");
	cmn_pack_str(&pk, o->node);
	cmn_pack_str(&pk, "version");
	msgpack_pack_uint64(&pk, version);
	int rc = call(o, "drain_progress", &b, reply);
	ctl_buf_fini(&b);
	return rc;
}

/* "drained (version 12, by lb1 for alice: maintenance)", after the
 * target's name; "until T" when the intent expires. */
static void
put_intent(FILE *f, const msgpack_object *in)
{
	const msgpack_object *reason = ctl_map_get(in, "reason");
	const msgpack_object *expires = ctl_map_get(in, "expires");

	fputs(get_bool(in, "drained") ? "drained" : "undrained", f);
	if (is_str(expires)) {
		fputs(" until ", f);
		put_str(f, expires);
	}
	fprintf(f, " (version %" PRIu64 ", by ", get_uint(in, "version"));
	put_str(f, ctl_map_get(in, "issuer"));
	fputs(" for ", f);
	put_str(f, ctl_map_get(in, "user"));
	if (is_str(reason)) {
		fputs(": ", f);
		put_str(f, reason);
	}
	fputc(')', f);
}

/* --- --wait --- */

/* What one drain_progress answer says, in the terms the wait needs. */
struct progress {
	const msgpack_object *data;
	bool superseded, applied, gone;
	uint32_t alive, have, ttl_s;
	char lagging[1024]; /* "lb3, lb4" */
};

/* Appends @o to @buf as put_str() would print it, cut at the end of the
 * buffer (long lists only lose their tail on a progress line). */
static void
append(char *buf, size_t cap, const char *sep, const msgpack_object *o)
{
	size_t n = cli_safe_append(buf, strlen(buf), cap, sep, strlen(sep));

	if (o && o->type == MSGPACK_OBJECT_STR)
		cli_safe_append(buf, n, cap, o->via.str.ptr, o->via.str.size);
}

static void
progress_read(const msgpack_object *d, struct progress *p)
{
	const msgpack_object *list = ctl_map_get(d, "members");
	const msgpack_object *lag = ctl_map_get(d, "lagging");
	const msgpack_object *state = ctl_map_get(d, "target_state");

	memset(p, 0, sizeof(*p));
	p->data = d;
	p->superseded = get_bool(d, "superseded");
	p->applied = get_bool(d, "target_applied");
	/* A dead member serves nothing, and syncs before it serves again:
	 * its stale digest must not hold the wait forever. */
	p->gone = ctl_str_eq(state, "dead") || ctl_str_eq(state, "left");
	p->ttl_s = (uint32_t)get_uint(d, "ttl_s");
	for (uint32_t i = 0; list && list->type == MSGPACK_OBJECT_ARRAY &&
			     i < list->via.array.size;
	     i++) {
		const msgpack_object *m = &list->via.array.ptr[i];
		if (!ctl_str_eq(ctl_map_get(m, "state"), "alive"))
			continue;
		p->alive++;
		p->have += get_bool(m, "has");
	}
	for (uint32_t i = 0; lag && lag->type == MSGPACK_OBJECT_ARRAY &&
			     i < lag->via.array.size;
	     i++)
		append(p->lagging, sizeof(p->lagging), i ? ", " : "",
		       &lag->via.array.ptr[i]);
}

static void
say_superseded(const struct drain_opts *o, const struct progress *p)
{
	const msgpack_object *in = ctl_map_get(p->data, "intent");

	fprintf(stderr, "pmgtmctl: %s: superseded: %s is now ", o->cmd,
		o->node);
	if (in && in->type == MSGPACK_OBJECT_MAP)
		put_intent(stderr, in);
	else
		fputs("without any intent", stderr);
	fputc('\n', stderr);
}

static void
say_timeout(const struct drain_opts *o, const struct progress *p,
	    bool ttl_pending)
{
	fprintf(stderr, "pmgtmctl: %s: timed out after %s", o->cmd,
		o->timeout_text);
	if (p->lagging[0])
		fprintf(stderr, "; lagging: %s", p->lagging);
	if (!p->applied && !p->gone)
		fprintf(stderr, "; %s has not applied it", o->node);
	if (ttl_pending)
		fprintf(stderr, "; one zone TTL (%" PRIu32 " s) had not passed",
			p->ttl_s);
	fputc('\n', stderr);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (ms > 0 && nanosleep(&ts, &ts))
		;
}

/*
 * Polls drain_progress until done, superseded or the deadline. Progress
 * lines go to stdout when something changed; with --json only the last
 * answer is printed, whatever the outcome.
 */
static int
wait_spread(const struct drain_opts *o, uint64_t version)
{
	int64_t start = now_ms(), deadline = start + o->timeout_ms;
	int64_t applied_at = -1;
	char said[sizeof(((struct progress *)0)->lagging) + 64] = "";
	bool ttl_said = false, human = !o->json;
	struct cli_reply reply = { 0 };
	struct progress p;
	int rc;

	for (;;) {
		cli_reply_fini(&reply);
		rc = ask_progress(o, version, &reply);
		if (rc)
			return rc;
		progress_read(reply.resp.data, &p);
		int64_t now = now_ms();
		if (p.superseded) {
			say_superseded(o, &p);
			rc = CTL_ERROR;
			break;
		}
		char line[sizeof(said)];
		snprintf(line, sizeof(line),
			 "%" PRIu32 "/%" PRIu32 " members have the intent%s%s",
			 p.have, p.alive, p.lagging[0] ? "; waiting for: " : "",
			 p.lagging);
		if (human && strcmp(line, said))
			printf("%s\n", line);
		snprintf(said, sizeof(said), "%s", line);
		if ((p.applied || p.gone) && applied_at < 0) {
			applied_at = now;
			if (human && p.applied)
				printf("%s applied it\n", o->node);
			else if (human)
				printf("%s is down; it syncs before it serves "
				       "again\n",
				       o->node);
		}
		bool spread = applied_at >= 0 && !p.lagging[0];
		if (spread && now - applied_at >= (int64_t)p.ttl_s * 1000) {
			if (human)
				printf("done\n");
			rc = CTL_OK;
			break;
		}
		if (spread && !ttl_said && human)
			printf("waiting one zone TTL: %" PRIu32 " s\n",
			       p.ttl_s);
		ttl_said = ttl_said || spread;
		if (now >= deadline) {
			say_timeout(o, &p, spread);
			rc = CTL_ERROR;
			break;
		}
		fflush(stdout);
		int64_t pause =
			deadline - now < POLL_MS ? deadline - now : POLL_MS;
		/* Wake when the TTL ends, not up to a poll later. */
		if (spread &&
		    applied_at + (int64_t)p.ttl_s * 1000 - now < pause)
			pause = applied_at + (int64_t)p.ttl_s * 1000 - now;
		sleep_ms(pause);
	}
	if (o->json && cli_json_line(reply.resp.data))
		rc = CTL_ERROR;
	cli_reply_fini(&reply);
	return rc;
}

/* --- the commands --- */

static int
drain_main(int argc, char **argv, bool drain)
{
	struct drain_opts o = { .cmd = argv[0], .drain = drain };
	struct cli_reply reply;
	int rc;

	rc = parse(argc, argv, drain ? cli_drain_usage : cli_undrain_usage, &o);
	if (rc >= 0)
		return rc;
	rc = issue(&o, &reply);
	if (rc)
		return rc;
	const msgpack_object *d = reply.resp.data;
	uint64_t version = get_uint(d, "version");
	bool noop = get_bool(d, "noop");
	if (o.json && (noop || !o.wait)) {
		rc = cli_json_line(d);
	} else if (noop) {
		put_str(stdout, ctl_map_get(d, "message"));
		putchar('\n');
	} else if (!o.json) {
		put_str(stdout, ctl_map_get(d, "target"));
		putchar(' ');
		put_intent(stdout, d);
		putchar('\n');
	}
	cli_reply_fini(&reply);
	if (!rc && !noop && o.wait) {
		if (!version) {
			cli_err("%s: the daemon sent no version", o.cmd);
			rc = CTL_ERROR;
		} else {
			fflush(stdout);
			rc = wait_spread(&o, version);
		}
	}
	return cli_flush(o.cmd, rc);
}

int
cli_drain_main(int argc, char **argv)
{
	return drain_main(argc, argv, true);
}

int
cli_undrain_main(int argc, char **argv)
{
	return drain_main(argc, argv, false);
}
