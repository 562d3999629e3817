#include "node/obs/expo.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
};

struct node_expo {
	struct buf out;
	int err;
	char errmsg[256];

	/* The open family. */
	bool open;
	enum node_expo_type type;
	char name[NODE_EXPO_NAME_MAX];
	bool has_names;
	struct buf names; /* its first sample's label names, "a,b," */

	/* Its series so far, as rendered label sets ("{a=\"x\"}" or ""),
	 * each ended by a NUL, found through an open-addressing table of
	 * offsets + 1 (0: empty slot). */
	struct buf keys;
	size_t *slots;
	size_t n_slots, n_keys;

	struct buf used; /* every metric name written, each ended by a NUL */
	struct buf key;	 /* scratch: the sample being written */
};

static int failf(struct node_expo *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
failf(struct node_expo *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e->err)
		return e->err;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->errmsg, sizeof(e->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

/* Appends @n bytes (and keeps a NUL after them); the error sticks. */
static void
put(struct node_expo *e, struct buf *b, const char *s, size_t n)
{
	if (e->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			failf(e, -ENOMEM, "out of memory");
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
puts_(struct node_expo *e, struct buf *b, const char *s)
{
	put(e, b, s, strlen(s));
}

struct node_expo *
node_expo_new(void)
{
	return calloc(1, sizeof(struct node_expo));
}

void
node_expo_free(struct node_expo *e)
{
	if (!e)
		return;
	free(e->out.p);
	free(e->names.p);
	free(e->keys.p);
	free(e->slots);
	free(e->used.p);
	free(e->key.p);
	free(e);
}

/* ---- names and values ---- */

static bool
valid_name(const char *s, bool colon)
{
	size_t n = strlen(s);

	if (n == 0 || n >= NODE_EXPO_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '_' || (colon && c == ':') ||
			  (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Prometheus rejects a whole scrape over one invalid UTF-8 string. */
static bool
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p++;
		int more;
		unsigned min;
		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0) {
			more = 1;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			more = 2;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			more = 3;
			min = 0x10000;
			c &= 0x07;
		} else {
			return false;
		}
		while (more--) {
			if ((*p & 0xc0) != 0x80)
				return false; /* also stops at the NUL */
			c = (c << 6) | (*p++ & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
	}
	return true;
}

/* Label values escape backslash, double quote and newline; HELP text
 * only backslash and newline (format 0.0.4). */
static void
put_escaped(struct node_expo *e, struct buf *b, const char *s, bool quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;
		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		if (!rep)
			continue;
		put(e, b, run, (size_t)(s - run));
		puts_(e, b, rep);
		run = s + 1;
	}
	put(e, b, run, (size_t)(s - run));
}

/* The shortest text that reads back as @v, or NaN / +Inf / -Inf. */
static void
fmt_double(char *out, size_t cap, double v)
{
	if (isnan(v)) {
		snprintf(out, cap, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, cap, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, cap, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* ---- families ---- */

static bool
name_used(const struct node_expo *e, const char *name)
{
	for (size_t off = 0; off < e->used.len;
	     off += strlen(e->used.p + off) + 1)
		if (strcmp(e->used.p + off, name) == 0)
			return true;
	return false;
}

/* Reserves @name followed by @suffix; -EEXIST when taken. */
static int
reserve(struct node_expo *e, const char *name, const char *suffix)
{
	char full[NODE_EXPO_NAME_MAX + 16];

	snprintf(full, sizeof(full), "%s%s", name, suffix);
	if (name_used(e, full))
		return failf(e, -EEXIST, "metric name %s written twice", full);
	put(e, &e->used, full, strlen(full) + 1);
	return e->err;
}

static const char *const type_names[] = { "counter", "gauge", "histogram" };

int
node_expo_family(struct node_expo *e, const char *name,
		 enum node_expo_type type, const char *help)
{
	if (e->err)
		return e->err;
	if ((unsigned)type > NODE_EXPO_HISTOGRAM || !name ||
	    !valid_name(name, true))
		return failf(e, -EINVAL, "bad metric name or type");
	if (!help || !help[0] || !valid_utf8(help))
		return failf(e, -EINVAL, "%s: help text empty or not UTF-8",
			     name);
	/* promtool's lint rules: the type shows in the name. */
	if ((type == NODE_EXPO_COUNTER) != ends_with(name, "_total"))
		return failf(e, -EINVAL,
			     "%s: counters and only counters end in _total",
			     name);
	if (type != NODE_EXPO_HISTOGRAM &&
	    (ends_with(name, "_bucket") || ends_with(name, "_sum") ||
	     ends_with(name, "_count")))
		return failf(e, -EINVAL, "%s: a histogram suffix", name);
	if (type == NODE_EXPO_HISTOGRAM) {
		if (strlen(name) + 7 >= NODE_EXPO_NAME_MAX)
			return failf(e, -EINVAL, "%s: name too long", name);
		reserve(e, name, "_bucket");
		reserve(e, name, "_sum");
		reserve(e, name, "_count");
	}
	reserve(e, name, "");
	if (e->err)
		return e->err;

	e->open = true;
	e->type = type;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->has_names = false;
	e->names.len = 0;
	e->keys.len = 0;
	e->n_keys = 0;
	if (e->slots)
		memset(e->slots, 0, e->n_slots * sizeof(*e->slots));

	puts_(e, &e->out, "# HELP ");
	puts_(e, &e->out, name);
	puts_(e, &e->out, " ");
	put_escaped(e, &e->out, help, false);
	puts_(e, &e->out, "\n# TYPE ");
	puts_(e, &e->out, name);
	puts_(e, &e->out, " ");
	puts_(e, &e->out, type_names[type]);
	puts_(e, &e->out, "\n");
	return e->err;
}

/* ---- series ---- */

static uint64_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Finds the slot of @key, or the empty slot where it would go. */
static size_t *
slot_of(const struct node_expo *e, const char *key)
{
	size_t mask = e->n_slots - 1;

	for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
		size_t *s = &e->slots[i];
		if (*s == 0 || strcmp(e->keys.p + *s - 1, key) == 0)
			return s;
	}
}

static int
grow_slots(struct node_expo *e)
{
	size_t n = e->n_slots ? e->n_slots * 2 : 64;
	size_t *old = e->slots, n_old = e->n_slots;

	e->slots = calloc(n, sizeof(*e->slots));
	if (!e->slots) {
		e->slots = old;
		return failf(e, -ENOMEM, "out of memory");
	}
	e->n_slots = n;
	for (size_t i = 0; i < n_old; i++)
		if (old[i])
			*slot_of(e, e->keys.p + old[i] - 1) = old[i];
	free(old);
	return 0;
}

/* Remembers @key for the open family; -EEXIST when seen already. */
static int
add_series(struct node_expo *e, const char *key)
{
	if ((e->n_keys + 1) * 2 > e->n_slots && grow_slots(e))
		return e->err;
	size_t *s = slot_of(e, key);
	if (*s)
		return failf(e, -EEXIST, "duplicate series %s%s", e->name, key);
	size_t off = e->keys.len;
	put(e, &e->keys, key, strlen(key) + 1);
	if (e->err)
		return e->err;
	*s = off + 1;
	e->n_keys++;
	return 0;
}

/* Checks one label of a sample; -EINVAL with a message when bad. */
static int
check_label(struct node_expo *e, const struct node_expo_label *labels, size_t i)
{
	const char *ln = labels[i].name, *lv = labels[i].value;

	if (!ln || !valid_name(ln, false) || strncmp(ln, "__", 2) == 0 ||
	    strcmp(ln, "le") == 0)
		return failf(e, -EINVAL, "%s: bad label name", e->name);
	for (size_t k = 0; k < i; k++)
		if (strcmp(labels[k].name, ln) == 0)
			return failf(e, -EINVAL, "%s: label %s given twice",
				     e->name, ln);
	if (!lv || !valid_utf8(lv))
		return failf(e, -EINVAL, "%s: label %s: no value or not UTF-8",
			     e->name, ln);
	return 0;
}

/* Checks the labels of one sample, renders them into e->key and
 * remembers the series. */
static int
render_labels(struct node_expo *e, const struct node_expo_label *labels,
	      size_t n)
{
	struct buf names = { 0 };

	if (e->err)
		return e->err;
	if (!e->open)
		return failf(e, -EINVAL, "a sample outside any family");
	if (n > NODE_EXPO_LABELS_MAX || (n && !labels))
		return failf(e, -EINVAL, "%s: too many labels", e->name);
	e->key.len = 0;
	put(e, &e->key, n ? "{" : "", n ? 1 : 0); /* "" still gets a NUL */
	put(e, &names, "", 0);
	for (size_t i = 0; i < n && !check_label(e, labels, i); i++) {
		puts_(e, &names, labels[i].name);
		puts_(e, &names, ",");
		puts_(e, &e->key, i ? "," : "");
		puts_(e, &e->key, labels[i].name);
		puts_(e, &e->key, "=\"");
		put_escaped(e, &e->key, labels[i].value, true);
		puts_(e, &e->key, "\"");
	}
	if (n)
		puts_(e, &e->key, "}");
	if (!e->err && !e->has_names) {
		e->names.len = 0;
		put(e, &e->names, names.p, names.len);
		e->has_names = true;
	} else if (!e->err && strcmp(e->names.p, names.p) != 0) {
		failf(e, -EINVAL, "%s: labels (%s) differ from (%s)", e->name,
		      names.p, e->names.p);
	}
	free(names.p);
	if (!e->err)
		add_series(e, e->key.p);
	return e->err;
}

static int
sample(struct node_expo *e, const struct node_expo_label *labels, size_t n,
       const char *value)
{
	if (!e->err && e->open && e->type == NODE_EXPO_HISTOGRAM)
		return failf(e, -EINVAL, "%s: a plain sample in a histogram",
			     e->name);
	if (render_labels(e, labels, n))
		return e->err;
	puts_(e, &e->out, e->name);
	puts_(e, &e->out, e->key.p);
	puts_(e, &e->out, " ");
	puts_(e, &e->out, value);
	puts_(e, &e->out, "\n");
	return e->err;
}

int
node_expo_u64(struct node_expo *e, const struct node_expo_label *labels,
	      size_t n, uint64_t value)
{
	char v[32];

	snprintf(v, sizeof(v), "%" PRIu64, value);
	return sample(e, labels, n, v);
}

int
node_expo_double(struct node_expo *e, const struct node_expo_label *labels,
		 size_t n, double value)
{
	char v[40];

	if (!e->err && e->open && e->type == NODE_EXPO_COUNTER && value < 0)
		return failf(e, -EINVAL, "%s: a negative counter", e->name);
	fmt_double(v, sizeof(v), value);
	return sample(e, labels, n, v);
}

/* One line of a histogram: NAME SUFFIX {labels[,le="LE"]} VALUE. */
static void
hist_line(struct node_expo *e, const char *suffix, const char *le,
	  const char *value)
{
	size_t klen = strlen(e->key.p);

	puts_(e, &e->out, e->name);
	puts_(e, &e->out, suffix);
	if (le) {
		/* The rendered labels without their closing brace. */
		if (klen) {
			put(e, &e->out, e->key.p, klen - 1);
			puts_(e, &e->out, ",");
		} else {
			puts_(e, &e->out, "{");
		}
		puts_(e, &e->out, "le=\"");
		puts_(e, &e->out, le);
		puts_(e, &e->out, "\"}");
	} else {
		puts_(e, &e->out, e->key.p);
	}
	puts_(e, &e->out, " ");
	puts_(e, &e->out, value);
	puts_(e, &e->out, "\n");
}

int
node_expo_histogram(struct node_expo *e, const struct node_expo_label *labels,
		    size_t n, const double *bounds, const uint64_t *counts,
		    size_t n_bounds, double sum)
{
	char le[40], v[40];
	uint64_t total = 0;

	if (e->err)
		return e->err;
	if (!e->open || e->type != NODE_EXPO_HISTOGRAM)
		return failf(e, -EINVAL, "%s: not a histogram family",
			     e->open ? e->name : "(none)");
	if (n_bounds > NODE_EXPO_BUCKETS_MAX || !counts ||
	    (n_bounds && !bounds))
		return failf(e, -EINVAL, "%s: bad buckets", e->name);
	for (size_t i = 0; i < n_bounds; i++)
		if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
			return failf(e, -EINVAL,
				     "%s: bounds not finite and increasing",
				     e->name);
	if (render_labels(e, labels, n))
		return e->err;
	for (size_t i = 0; i < n_bounds; i++) {
		total += counts[i];
		fmt_double(le, sizeof(le), bounds[i]);
		snprintf(v, sizeof(v), "%" PRIu64, total);
		hist_line(e, "_bucket", le, v);
	}
	total += counts[n_bounds];
	snprintf(v, sizeof(v), "%" PRIu64, total);
	hist_line(e, "_bucket", "+Inf", v);
	fmt_double(le, sizeof(le), sum);
	hist_line(e, "_sum", NULL, le);
	hist_line(e, "_count", NULL, v);
	return e->err;
}

/* ---- results ---- */

void
node_expo_fail(struct node_expo *e, int err, const char *what)
{
	failf(e, err < 0 ? err : -EINVAL, "%s", what ? what : "failed");
}

int
node_expo_error(const struct node_expo *e)
{
	return e->err;
}

const char *
node_expo_errmsg(const struct node_expo *e)
{
	return e->err ? e->errmsg : "";
}

const char *
node_expo_data(const struct node_expo *e, size_t *len)
{
	*len = e->out.len;
	return e->out.p ? e->out.p : "";
}

char *
node_expo_take(struct node_expo *e, size_t *len)
{
	char *p = e->out.p ? e->out.p : strdup("");

	*len = e->out.p ? e->out.len : 0;
	e->out.p = NULL;
	e->out.len = e->out.cap = 0;
	return p;
}
