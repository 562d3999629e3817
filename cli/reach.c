/*
 * "reachability": the matrix the local daemon holds (node/control/reach.h)
 * as a table for people, rows = observers and columns = targets, then the
 * split views; --json prints the response's data as one line.
 *
 *   OBSERVER  lb1         lb2    lb3
 *   lb1       -           0.4ms  UNREACH(i)
 *   lb2       0.3ms       -      0.5ms
 *   lb3       UNREACH(i)  0.4ms  -
 *
 *   split view: lb1 reachable from lb2, not from lb3
 *   split view: lb3 reachable from lb2, not from lb1
 *
 * A cell is the observer's smoothed RTT to the target ("ok" when it is
 * presumed reachable but not probed yet), "UNREACH" when no recent probe
 * got a direct ack, with "(i)" when the target answered only through
 * other members, "-" on the diagonal and "?" when the observer's row does
 * not mention the target (it joined after the row was made). A stale row
 * is labelled with its age: "lb4 (stale 45s)".
 * Names are printed with control characters replaced.
 */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl_client.h"

const char cli_reach_usage[] =
	"  pmgtmctl reachability [--json] [-s SOCKET]\n"
	"        the reachability matrix: rows = observers, columns = "
	"targets, each\n"
	"        cell the RTT, UNREACH, (i) when reached only through "
	"others;\n"
	"        then the split views; --json: one line of JSON\n";

#define CELL_MAX 160 /* a name (63 bytes) and a note, with room to spare */

static bool
is_str(const msgpack_object *o)
{
	return o && o->type == MSGPACK_OBJECT_STR;
}

static bool
truthy(const msgpack_object *o)
{
	return o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

static bool
same_str(const msgpack_object *a, const msgpack_object *b)
{
	/* An empty string may have a NULL pointer: no memcmp then. */
	return a->via.str.size == b->via.str.size &&
	       (!a->via.str.size ||
		!memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size));
}

/* A string from the daemon into @buf at @off, control characters
 * replaced; returns the new offset (the text is cut at @cap). */
static size_t
put_name(char *buf, size_t off, size_t cap, const msgpack_object *o)
{
	if (!is_str(o))
		return off + (size_t)snprintf(buf + off, cap - off, "?");
	return cli_safe_append(buf, off, cap, o->via.str.ptr, o->via.str.size);
}

static const msgpack_object *
array(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = ctl_map_get(map, key);

	return v && v->type == MSGPACK_OBJECT_ARRAY ? v : NULL;
}

static int
cmp_name(const void *a, const void *b)
{
	const msgpack_object *x = *(const msgpack_object *const *)a;
	const msgpack_object *y = *(const msgpack_object *const *)b;
	uint32_t n = x->via.str.size < y->via.str.size ? x->via.str.size
						       : y->via.str.size;
	int c = n ? memcmp(x->via.str.ptr, y->via.str.ptr, n) : 0;

	if (c)
		return c;
	return x->via.str.size < y->via.str.size   ? -1
	       : x->via.str.size > y->via.str.size ? 1
						   : 0;
}

/* Observers by name (rows holds only those with a string name). */
static int
cmp_row(const void *a, const void *b)
{
	const msgpack_object *x =
		ctl_map_get(*(const msgpack_object *const *)a, "name");
	const msgpack_object *y =
		ctl_map_get(*(const msgpack_object *const *)b, "name");

	return cmp_name(&x, &y);
}

/* Adds @name to the set @names (n of them) unless there already. */
static void
add_name(const msgpack_object **names, size_t *n, const msgpack_object *name)
{
	if (!is_str(name))
		return;
	for (size_t i = 0; i < *n; i++)
		if (same_str(names[i], name))
			return;
	names[(*n)++] = name;
}

/* The row label: the observer's name, and its age when stale. */
static void
row_label(const msgpack_object *obs, char *buf, size_t cap)
{
	const msgpack_object *age = ctl_map_get(obs, "age_s");
	size_t off = put_name(buf, 0, cap, ctl_map_get(obs, "name"));

	if (!truthy(ctl_map_get(obs, "stale")))
		return;
	if (cli_is_number(age))
		snprintf(buf + off, cap - off, " (stale %.0fs)",
			 cli_number(age));
	else
		snprintf(buf + off, cap - off, " (stale)");
}

/* What observer @obs says of @target. */
static void
cell_text(const msgpack_object *obs, const msgpack_object *target, char *buf,
	  size_t cap)
{
	const msgpack_object *peers = array(obs, "peers");
	const msgpack_object *name = ctl_map_get(obs, "name");
	const msgpack_object *p = NULL;

	if (is_str(name) && same_str(name, target)) {
		snprintf(buf, cap, "-");
		return;
	}
	for (uint32_t i = 0; peers && i < peers->via.array.size; i++) {
		const msgpack_object *n =
			ctl_map_get(&peers->via.array.ptr[i], "name");
		if (is_str(n) && same_str(n, target)) {
			p = &peers->via.array.ptr[i];
			break;
		}
	}
	if (!p) {
		snprintf(buf, cap, "?");
		return;
	}
	const msgpack_object *rtt = ctl_map_get(p, "rtt_ms");
	bool indirect = ctl_str_eq(ctl_map_get(p, "path"), "indirect");
	const char *note = indirect ? "(i)" : "";

	if (!truthy(ctl_map_get(p, "reachable"))) {
		snprintf(buf, cap, "UNREACH%s", note);
	} else if (cli_is_number(rtt)) {
		double ms = cli_number(rtt);
		snprintf(buf, cap,
			 ms < 0.1   ? "%.2fms%s"
			 : ms < 100 ? "%.1fms%s"
				    : "%.0fms%s",
			 ms, note);
	} else {
		snprintf(buf, cap, "ok%s", note);
	}
}

/* "a", "a and b", "a, b and c". */
static void
put_list(const msgpack_object *list)
{
	char buf[CELL_MAX];
	uint32_t n = list ? list->via.array.size : 0;

	for (uint32_t i = 0; i < n; i++) {
		put_name(buf, 0, sizeof(buf), &list->via.array.ptr[i]);
		fputs(i == 0 ? "" : i + 1 == n ? " and " : ", ", stdout);
		fputs(buf, stdout);
	}
	if (!n)
		fputs("nobody", stdout);
}

static void
print_splits(const msgpack_object *data)
{
	const msgpack_object *splits = array(data, "split_views");
	char buf[CELL_MAX];

	if (!splits || !splits->via.array.size) {
		puts("no split views");
		return;
	}
	for (uint32_t i = 0; i < splits->via.array.size; i++) {
		const msgpack_object *s = &splits->via.array.ptr[i];
		put_name(buf, 0, sizeof(buf), ctl_map_get(s, "target"));
		printf("split view: %s reachable from ", buf);
		put_list(array(s, "reachable_from"));
		fputs(", not from ", stdout);
		put_list(array(s, "unreachable_from"));
		putchar('\n');
	}
}

static int
print_matrix(const msgpack_object *data)
{
	const msgpack_object *obs = array(data, "observers");
	const msgpack_object **rows, **cols;
	size_t n_rows = 0, n_cols = 0, n_peers = 0;
	char buf[CELL_MAX];

	if (!obs) {
		cli_err("reachability: the daemon sent no matrix");
		return CTL_ERROR;
	}
	if (!obs->via.array.size) {
		puts("no observers (standalone node)");
		print_splits(data);
		return CTL_OK;
	}
	for (uint32_t r = 0; r < obs->via.array.size; r++) {
		const msgpack_object *p =
			array(&obs->via.array.ptr[r], "peers");
		n_peers += p ? p->via.array.size : 0;
	}
	rows = calloc(obs->via.array.size, sizeof(*rows));
	cols = calloc(obs->via.array.size + n_peers, sizeof(*cols));
	size_t *width =
		calloc(obs->via.array.size + n_peers + 1, sizeof(*width));
	if (!rows || !cols || !width) {
		free(rows);
		free(cols);
		free(width);
		cli_err("reachability: out of memory");
		return CTL_ERROR;
	}
	/* Rows and columns by name, so the diagonal is the diagonal. */
	for (uint32_t r = 0; r < obs->via.array.size; r++) {
		const msgpack_object *o = &obs->via.array.ptr[r];
		const msgpack_object *p = array(o, "peers");
		if (!is_str(ctl_map_get(o, "name")))
			continue;
		rows[n_rows++] = o;
		add_name(cols, &n_cols, ctl_map_get(o, "name"));
		for (uint32_t i = 0; p && i < p->via.array.size; i++)
			add_name(cols, &n_cols,
				 ctl_map_get(&p->via.array.ptr[i], "name"));
	}
	qsort(cols, n_cols, sizeof(*cols), cmp_name);
	qsort(rows, n_rows, sizeof(*rows), cmp_row);

	/* Widths: column 0 holds the row labels. */
	width[0] = cli_text_width("OBSERVER");
	for (size_t c = 0; c < n_cols; c++) {
		put_name(buf, 0, sizeof(buf), cols[c]);
		width[c + 1] = cli_text_width(buf);
	}
	for (size_t r = 0; r < n_rows; r++) {
		row_label(rows[r], buf, sizeof(buf));
		if (cli_text_width(buf) > width[0])
			width[0] = cli_text_width(buf);
		for (size_t c = 0; c < n_cols; c++) {
			cell_text(rows[r], cols[c], buf, sizeof(buf));
			if (cli_text_width(buf) > width[c + 1])
				width[c + 1] = cli_text_width(buf);
		}
	}

	cli_put_cell("OBSERVER", width[0], n_cols == 0);
	for (size_t c = 0; c < n_cols; c++) {
		put_name(buf, 0, sizeof(buf), cols[c]);
		cli_put_cell(buf, width[c + 1], c + 1 == n_cols);
	}
	for (size_t r = 0; r < n_rows; r++) {
		row_label(rows[r], buf, sizeof(buf));
		cli_put_cell(buf, width[0], n_cols == 0);
		for (size_t c = 0; c < n_cols; c++) {
			cell_text(rows[r], cols[c], buf, sizeof(buf));
			cli_put_cell(buf, width[c + 1], c + 1 == n_cols);
		}
	}
	putchar('\n');
	print_splits(data);
	free(rows);
	free(cols);
	free(width);
	return CTL_OK;
}

int
cli_reach_main(int argc, char **argv)
{
	return cli_listing(argc, argv, cli_reach_usage, print_matrix);
}
