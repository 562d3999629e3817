/*
 * The listing commands that ask the local daemon, "members" and "status":
 * a table or lines for people, the response's data as JSON for scripts
 * (--json: one line, the object exactly as pmgtmd sent it, see
 * cli/json.h).
 *
 * Values from the daemon are printed with control characters replaced,
 * so nothing in a response can drive the terminal.
 */
#include "cli/cli.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl_client.h"

const char cli_members_usage[] =
	"  pmgtmctl members [--json] [-s SOCKET]\n"
	"        the cluster as this node sees it: NAME STATE DRAINED "
	"ADDRESSES RTT\n"
	"        VERSION (generation.incarnation); STATE is revoked for a "
	"member\n"
	"        whose certificate the CA revoked; --json: one line of JSON, "
	"with\n"
	"        each member's cert_not_before, cert_not_after, key_id and "
	"revoked\n";

const char cli_status_usage[] =
	"  pmgtmctl status [--json] [-s SOCKET]\n"
	"        this node: name, mode, drained, serving, zones, its "
	"certificate\n"
	"        (key id, expiry, days left, when renewed), peers, gossip "
	"counters;\n"
	"        --json: one line of JSON\n";

#define N_COLS 6

/* A value as text for a person: strings with control characters
 * replaced, numbers, yes/no; "-" for nil or missing. */
static void
put_text(FILE *f, const msgpack_object *o)
{
	if (!o || o->type == MSGPACK_OBJECT_NIL) {
		fputc('-', f);
		return;
	}
	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		cli_put_safe(f, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "yes" : "no", f);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%" PRIu64, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%" PRId64, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		fprintf(f, "%g", o->via.f64);
		break;
	default:
		fputc('?', f);
	}
}

static bool
is_true(const msgpack_object *o)
{
	return o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

/* "0.4ms", "12.3ms", "250ms"; "-" when unknown. */
static void
put_rtt(FILE *f, const msgpack_object *o)
{
	if (!cli_is_number(o)) {
		fputc('-', f);
		return;
	}
	double ms = cli_number(o);
	fprintf(f, ms < 0.1 ? "%.2fms" : ms < 100 ? "%.1fms" : "%.0fms", ms);
}

#define REASON_SHOWN 40 /* bytes of a drain reason in the table */

/* A string cut to at most @max bytes, at a UTF-8 character boundary,
 * with "..." when cut; control characters replaced as by put_text. */
static void
put_cut(FILE *f, const msgpack_object *o, uint32_t max)
{
	if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size <= max) {
		put_text(f, o);
		return;
	}
	msgpack_object cut = *o;
	while (max && ((unsigned char)o->via.str.ptr[max] & 0xc0) == 0x80)
		max--;
	cut.via.str.size = max;
	put_text(f, &cut);
	fputs("...", f);
}

/* "no", or "yes (by lb1, alice: maintenance, until T)" from the member's
 * "drain" object, so the table says who to ask before undraining. */
static void
put_drained(FILE *f, const msgpack_object *m)
{
	const msgpack_object *d = ctl_map_get(m, "drain");
	const msgpack_object *reason = ctl_map_get(d, "reason");
	const msgpack_object *expires = ctl_map_get(d, "expires");

	put_text(f, ctl_map_get(m, "drained"));
	if (!d || d->type != MSGPACK_OBJECT_MAP)
		return;
	fputs(" (by ", f);
	put_text(f, ctl_map_get(d, "by"));
	fputs(", ", f);
	put_text(f, ctl_map_get(d, "user"));
	if (reason && reason->type == MSGPACK_OBJECT_STR &&
	    reason->via.str.size) {
		fputs(": ", f);
		put_cut(f, reason, REASON_SHOWN);
	}
	if (expires && expires->type == MSGPACK_OBJECT_STR) {
		fputs(", until ", f);
		put_text(f, expires);
	}
	fputc(')', f);
}

/* The text of column @col for member @m, malloc'd; NULL: no memory. */
static char *
cell(const msgpack_object *m, int col)
{
	static const char *const keys[N_COLS] = { "name", "state", "drained",
						  "addresses", "rtt_ms" };
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	const msgpack_object *v = col < 5 ? ctl_map_get(m, keys[col]) : NULL;
	if (col == 3 && v && v->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t i = 0; i < v->via.array.size; i++) {
			if (i)
				fputc(',', f);
			put_text(f, &v->via.array.ptr[i]);
		}
		if (!v->via.array.size)
			fputc('-', f);
	} else if (col == 2) {
		put_drained(f, m);
	} else if (col == 1 && is_true(ctl_map_get(m, "revoked"))) {
		/* a revoked member's other state no longer matters */
		fputs("revoked", f);
	} else if (col == 4) {
		put_rtt(f, v);
	} else if (col == 5) {
		const msgpack_object *g = ctl_map_get(m, "generation");
		const msgpack_object *i = ctl_map_get(m, "incarnation");
		put_text(f, g);
		fputc('.', f);
		put_text(f, i);
	} else {
		put_text(f, v);
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

static int
print_members(const msgpack_object *data)
{
	static const char *const heads[N_COLS] = { "NAME",    "STATE",
						   "DRAINED", "ADDRESSES",
						   "RTT",     "VERSION" };
	const msgpack_object *list = ctl_map_get(data, "members");
	size_t width[N_COLS], n, r, c;
	int rc = CTL_OK;

	if (!list || list->type != MSGPACK_OBJECT_ARRAY) {
		cli_err("members: the daemon sent no member list");
		return CTL_ERROR;
	}
	n = list->via.array.size;
	char **cells = calloc(n * N_COLS + 1, sizeof(*cells));
	if (!cells) {
		cli_err("members: out of memory");
		return CTL_ERROR;
	}
	for (c = 0; c < N_COLS; c++)
		width[c] = cli_text_width(heads[c]);
	for (r = 0; r < n; r++) {
		for (c = 0; c < N_COLS; c++) {
			char *s = cell(&list->via.array.ptr[r], (int)c);
			if (!s) {
				cli_err("members: out of memory");
				rc = CTL_ERROR;
				goto out;
			}
			cells[r * N_COLS + c] = s;
			if (cli_text_width(s) > width[c])
				width[c] = cli_text_width(s);
		}
	}
	for (c = 0; c < N_COLS; c++)
		cli_put_cell(heads[c], width[c], c + 1 == N_COLS);
	for (r = 0; r < n; r++)
		for (c = 0; c < N_COLS; c++)
			cli_put_cell(cells[r * N_COLS + c], width[c],
				     c + 1 == N_COLS);
out:
	for (r = 0; r < n * N_COLS; r++)
		free(cells[r]);
	free(cells);
	return rc;
}

static void
line(const char *label, const msgpack_object *data, const char *key)
{
	printf("%-12s", label);
	put_text(stdout, ctl_map_get(data, key));
	putchar('\n');
}

/* This node's certificate: key id, expiry and days left, and when it was
 * issued (renewed); nothing standalone. */
static void
print_cert(const msgpack_object *c)
{
	const msgpack_object *days = ctl_map_get(c, "days_left");

	if (!c || c->type != MSGPACK_OBJECT_MAP)
		return;
	printf("%-12s", "cert key:");
	put_text(stdout, ctl_map_get(c, "key_id"));
	if (is_true(ctl_map_get(c, "revoked")))
		fputs(" (revoked by the CA)", stdout);
	printf("\n%-12s", "expires:");
	put_text(stdout, ctl_map_get(c, "not_after_time"));
	if (days && days->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		printf(" (in %" PRIu64 " day%s)", days->via.u64,
		       days->via.u64 == 1 ? "" : "s");
	else if (days && days->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		printf(" (expired %" PRIu64 " day%s ago)",
		       (uint64_t)-days->via.i64,
		       days->via.i64 == -1 ? "" : "s");
	printf("\n%-12s", "renewed:");
	put_text(stdout, ctl_map_get(c, "not_before_time"));
	fputs(" (issued)\n", stdout);
}

static int
print_status(const msgpack_object *data)
{
	const msgpack_object *v, *gossip;

	if (!data || data->type != MSGPACK_OBJECT_MAP) {
		cli_err("status: the daemon sent no status");
		return CTL_ERROR;
	}
	line("name:", data, "name");
	line("pmgtmd:", data, "version");
	line("mode:", data, "mode");
	line("drained:", data, "drained");
	line("serving:", data, "serving");
	line("synced:", data, "synced");
	printf("%-12s", "zones:");
	v = ctl_map_get(data, "zones");
	for (uint32_t i = 0;
	     v && v->type == MSGPACK_OBJECT_ARRAY && i < v->via.array.size;
	     i++) {
		fputs(i ? ", " : "", stdout);
		put_text(stdout, &v->via.array.ptr[i]);
	}
	putchar('\n');
	v = ctl_map_get(data, "generation");
	if (v && v->type != MSGPACK_OBJECT_NIL) {
		printf("%-12s", "version:");
		put_text(stdout, v);
		putchar('.');
		put_text(stdout, ctl_map_get(data, "incarnation"));
		fputs(" (generation.incarnation)\n", stdout);
	}
	print_cert(ctl_map_get(data, "cert"));
	v = ctl_map_get(data, "peers");
	printf("%-12s", "peers:");
	static const char *const states[] = { "alive", "suspect", "dead",
					      "left" };
	for (size_t i = 0; i < 4; i++) {
		fputs(i ? ", " : "", stdout);
		put_text(stdout, ctl_map_get(v, states[i]));
		printf(" %s", states[i]);
	}
	putchar('\n');
	gossip = ctl_map_get(data, "gossip");
	if (gossip && gossip->type == MSGPACK_OBJECT_MAP) {
		printf("%-12s", "gossip:");
		fputs("sent ", stdout);
		put_text(stdout, ctl_map_get(gossip, "sent"));
		fputs(", received ", stdout);
		put_text(stdout, ctl_map_get(gossip, "received"));
		fputs(", rejected:", stdout);
		v = ctl_map_get(gossip, "rejected");
		int any = 0;
		for (uint32_t i = 0;
		     v && v->type == MSGPACK_OBJECT_MAP && i < v->via.map.size;
		     i++) {
			const msgpack_object_kv *kv = &v->via.map.ptr[i];
			if (kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
			    kv->val.via.u64 == 0)
				continue;
			putchar(' ');
			put_text(stdout, &kv->key);
			putchar('=');
			put_text(stdout, &kv->val);
			any = 1;
		}
		fputs(any ? "\n" : " none\n", stdout);
	}
	return CTL_OK;
}

int
cli_members_main(int argc, char **argv)
{
	return cli_listing(argc, argv, cli_members_usage, print_members);
}

int
cli_status_main(int argc, char **argv)
{
	return cli_listing(argc, argv, cli_status_usage, print_status);
}
