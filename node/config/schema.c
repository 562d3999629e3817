/*
 * libcyaml schema of the config file, and the libyaml pass that checks a
 * document against it with positions (see config_schema.h for why).
 */
#include "node/config/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A config is a page of text; refusing big files bounds work and memory. */
#define CONFIG_MAX_BYTES (1024 * 1024)
#define MAX_DEPTH 16

/* Long enough for any path or command line; short enough to bound input. */
#define STR_MAX 4096

#define STR(key, type, member)                                                 \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_OPTIONAL, type, member, 1,      \
			       STR_MAX)
#define REQ_STR(key, type, member)                                             \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER, type, member, 1,       \
			       STR_MAX)
#define STR_SEQ(key, flags, type, member, min, max)                            \
	CYAML_FIELD_SEQUENCE_COUNT(key, (flags) | CYAML_FLAG_POINTER, type,    \
				   member, n_##member, &str_entry, min, max)

static const cyaml_schema_value_t str_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, STR_MAX),
};

static const cyaml_schema_field_t node_fields[] = {
	REQ_STR("name", struct node_raw_node, name),
	STR_SEQ("addresses", CYAML_FLAG_DEFAULT, struct node_raw_node,
		addresses, 1, 16),
	STR("ns_name", struct node_raw_node, ns_name),
	/* Required only with a cluster section; config.c checks that. */
	STR("state_dir", struct node_raw_node, state_dir),
	STR("key_file", struct node_raw_node, key_file),
	STR("cert_file", struct node_raw_node, cert_file),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t soa_fields[] = {
	STR("rname", struct node_raw_soa, rname),
	STR("serial", struct node_raw_soa, serial),
	STR("refresh", struct node_raw_soa, refresh),
	STR("retry", struct node_raw_soa, retry),
	STR("expire", struct node_raw_soa, expire),
	STR("minimum", struct node_raw_soa, minimum),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t zone_fields[] = {
	REQ_STR("name", struct node_raw_zone, name),
	STR("ttl", struct node_raw_zone, ttl),
	STR_SEQ("ns", CYAML_FLAG_OPTIONAL, struct node_raw_zone, ns, 0, 16),
	CYAML_FIELD_MAPPING_PTR("soa", CYAML_FLAG_OPTIONAL,
				struct node_raw_zone, soa, soa_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t zone_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct node_raw_zone,
			    zone_fields),
};

static const cyaml_schema_field_t dns_fields[] = {
	STR_SEQ("listen", CYAML_FLAG_DEFAULT, struct node_raw_dns, listen, 1,
		16),
	STR("drain_mode", struct node_raw_dns, drain_mode),
	CYAML_FIELD_SEQUENCE_COUNT("zones", CYAML_FLAG_POINTER,
				   struct node_raw_dns, zones, n_zones,
				   &zone_entry, 1, 1024),
	STR("tcp_idle_timeout", struct node_raw_dns, tcp_idle_timeout),
	STR("tcp_max_connections", struct node_raw_dns, tcp_max_connections),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cluster_fields[] = {
	REQ_STR("name", struct node_raw_cluster, name),
	REQ_STR("listen", struct node_raw_cluster, listen),
	STR_SEQ("seeds", CYAML_FLAG_OPTIONAL, struct node_raw_cluster, seeds, 0,
		64),
	REQ_STR("ca_file", struct node_raw_cluster, ca_file),
	STR("profile", struct node_raw_cluster, profile),
	STR_SEQ("encrypt_keys", CYAML_FLAG_OPTIONAL, struct node_raw_cluster,
		encrypt_keys, 0, 8),
	STR("min_active", struct node_raw_cluster, min_active),
	STR("startup_sync_timeout", struct node_raw_cluster,
	    startup_sync_timeout),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t control_fields[] = {
	STR("socket", struct node_raw_control, socket),
	STR("admin_group", struct node_raw_control, admin_group),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t metrics_fields[] = {
	REQ_STR("listen", struct node_raw_metrics, listen),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t check_fields[] = {
	REQ_STR("name", struct node_raw_check, name),
	REQ_STR("type", struct node_raw_check, type),
	REQ_STR("target", struct node_raw_check, target),
	STR("interval", struct node_raw_check, interval),
	STR("timeout", struct node_raw_check, timeout),
	STR("rise", struct node_raw_check, rise),
	STR("fall", struct node_raw_check, fall),
	STR("expect_status", struct node_raw_check, expect_status),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t check_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct node_raw_check,
			    check_fields),
};

static const cyaml_schema_field_t log_fields[] = {
	STR("level", struct node_raw_log, level),
	STR("format", struct node_raw_log, format),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t top_fields[] = {
	CYAML_FIELD_MAPPING_PTR("node", CYAML_FLAG_DEFAULT,
				struct node_raw_config, node, node_fields),
	CYAML_FIELD_MAPPING_PTR("dns", CYAML_FLAG_DEFAULT,
				struct node_raw_config, dns, dns_fields),
	CYAML_FIELD_MAPPING_PTR("cluster", CYAML_FLAG_OPTIONAL,
				struct node_raw_config, cluster,
				cluster_fields),
	CYAML_FIELD_MAPPING_PTR("control", CYAML_FLAG_OPTIONAL,
				struct node_raw_config, control,
				control_fields),
	CYAML_FIELD_MAPPING_PTR("metrics", CYAML_FLAG_OPTIONAL,
				struct node_raw_config, metrics,
				metrics_fields),
	CYAML_FIELD_SEQUENCE_COUNT("health_checks",
				   CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				   struct node_raw_config, health_checks,
				   n_health_checks, &check_entry, 0, 32),
	CYAML_FIELD_MAPPING_PTR("log", CYAML_FLAG_OPTIONAL,
				struct node_raw_config, log, log_fields),
	CYAML_FIELD_END,
};

const cyaml_schema_value_t node_raw_config_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct node_raw_config,
			    top_fields),
};

/* ---- the positioned check ------------------------------------------- */

struct walk {
	struct node_config_doc *d;
	char *err;
	size_t errlen;
};

static int fail(struct walk *w, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct walk *w, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!w->err || !w->errlen)
		return -EINVAL;
	n = snprintf(w->err, w->errlen, "%s:%zu:%zu: ", w->d->file, m->line + 1,
		     m->column + 1);
	if (n >= 0 && (size_t)n < w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int
nomem(struct walk *w)
{
	if (w->err && w->errlen)
		snprintf(w->err, w->errlen, "%s: out of memory", w->d->file);
	return -ENOMEM;
}

/* Input text echoed in a message: short, one line, printable ASCII. */
static const char *
shown(char *buf, size_t size, const yaml_node_t *n)
{
	size_t len = n->data.scalar.length, i, o = 0;

	for (i = 0; i < len && o + 4 < size; i++) {
		unsigned char c = n->data.scalar.value[i];

		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *
kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* Levenshtein distance between @a (@alen bytes) and @b, capped at 255:
 * only small distances matter for a suggestion. */
static size_t
distance(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), row[64], i, j, diag, up;

	if (alen >= 64 || blen >= 64)
		return 255;
	for (j = 0; j <= blen; j++)
		row[j] = j;
	for (i = 1; i <= alen; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= blen; j++) {
			up = row[j];
			row[j] = a[i - 1] == b[j - 1] ? diag : diag + 1;
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[blen];
}

const char *
node_config_suggest(const char *word, size_t len,
		    const cyaml_schema_field_t *fields)
{
	const char *best = NULL;
	size_t d, best_d = 4, i, longer;

	for (i = 0; fields[i].key; i++) {
		d = distance(word, len, fields[i].key);
		longer = strlen(fields[i].key) > len ? strlen(fields[i].key)
						     : len;
		/* Half the letters changed is another word, not a typo. */
		if (d < best_d && 2 * d < longer) {
			best = fields[i].key;
			best_d = d;
		}
	}
	return best;
}

static int
unknown_key(struct walk *w, const yaml_node_t *k, const cyaml_schema_field_t *f,
	    const char *in)
{
	const char *near = node_config_suggest(
		(const char *)k->data.scalar.value, k->data.scalar.length, f);
	char buf[48];

	if (near)
		return fail(w, &k->start_mark,
			    "unknown key '%s' %s; did you mean '%s'?",
			    shown(buf, sizeof(buf), k), in, near);
	return fail(w, &k->start_mark, "unknown key '%s' %s",
		    shown(buf, sizeof(buf), k), in);
}

static const yaml_node_t *
visit(struct walk *w, int index, const yaml_node_t *parent)
{
	yaml_node_t *n = yaml_document_get_node(&w->d->doc, index);

	if (!n)
		fail(w, &parent->start_mark, "malformed YAML document");
	return n;
}

static int check_value(struct walk *w, const yaml_node_t *n,
		       const cyaml_schema_value_t *s, const char *path);

static int
check_mapping(struct walk *w, const yaml_node_t *n,
	      const cyaml_schema_value_t *s, const char *path)
{
	const cyaml_schema_field_t *f = s->mapping.fields;
	char sub[128], name[136], in[144];
	yaml_node_pair_t *p;
	uint64_t have = 0; /* one bit per field; no mapping has 64 */
	size_t i;
	int rc;

	snprintf(name, sizeof(name), *path ? "'%s'" : "the top level", path);
	snprintf(in, sizeof(in), "%s %s", *path ? "in" : "at", name);
	if (n->type != YAML_MAPPING_NODE)
		return fail(w, &n->start_mark, "%s must be a mapping, found %s",
			    name, kind(n));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = visit(w, p->key, n), *v;

		if (!k)
			return -EINVAL;
		if (k->type != YAML_SCALAR_NODE)
			return fail(w, &k->start_mark,
				    "keys must be scalars %s", in);
		for (i = 0; f[i].key; i++)
			if (strlen(f[i].key) == k->data.scalar.length &&
			    !strcmp(f[i].key,
				    (const char *)k->data.scalar.value))
				break;
		if (!f[i].key && w->d->skip_unknown)
			continue;
		if (!f[i].key)
			return unknown_key(w, k, f, in);
		if (have & (UINT64_C(1) << i))
			return fail(w, &k->start_mark, "duplicate key '%s' %s",
				    f[i].key, in);
		have |= UINT64_C(1) << i;
		if (!(v = visit(w, p->value, k)))
			return -EINVAL;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
			 f[i].key);
		rc = check_value(w, v, &f[i].value, sub);
		if (rc)
			return rc;
	}
	for (i = 0; f[i].key; i++)
		if (!(f[i].value.flags & CYAML_FLAG_OPTIONAL) &&
		    !(have & (UINT64_C(1) << i)))
			return fail(w, &n->start_mark,
				    "missing required key '%s' %s", f[i].key,
				    in);
	return 0;
}

static int
check_sequence(struct walk *w, const yaml_node_t *n,
	       const cyaml_schema_value_t *s, const char *path)
{
	yaml_node_item_t *it;
	size_t count;
	char sub[128];
	int rc;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(w, &n->start_mark,
			    "'%s' must be a sequence, found %s", path, kind(n));
	count = (size_t)(n->data.sequence.items.top -
			 n->data.sequence.items.start);
	if (count < s->sequence.min)
		return fail(w, &n->start_mark, "'%s' needs at least %u entr%s",
			    path, s->sequence.min,
			    s->sequence.min == 1 ? "y" : "ies");
	if (count > s->sequence.max)
		return fail(w, &n->start_mark,
			    "'%s' has %zu entries, at most %u are allowed",
			    path, count, s->sequence.max);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const yaml_node_t *v = visit(w, *it, n);

		if (!v)
			return -EINVAL;
		snprintf(sub, sizeof(sub), "%s[%zu]", path,
			 (size_t)(it - n->data.sequence.items.start));
		rc = check_value(w, v, s->sequence.entry, sub);
		if (rc)
			return rc;
	}
	return 0;
}

/* A plain scalar that YAML reads as null: "key:" with nothing after it. */
static bool
is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (n->data.scalar.length == strlen(nulls[i]) &&
		    !memcmp(n->data.scalar.value, nulls[i],
			    n->data.scalar.length))
			return true;
	return false;
}

static int
check_string(struct walk *w, const yaml_node_t *n,
	     const cyaml_schema_value_t *s, const char *path)
{
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return fail(w, &n->start_mark,
			    "'%s' must be a scalar, found %s", path, kind(n));
	len = n->data.scalar.length;
	if (is_null(n))
		return fail(w, &n->start_mark, "'%s' has no value", path);
	if (len < s->string.min)
		return fail(w, &n->start_mark, "'%s' is empty", path);
	if (len > s->string.max)
		return fail(w, &n->start_mark,
			    "'%s' is too long (%zu bytes, at most %u)", path,
			    len, s->string.max);
	/* "\0" in a double-quoted scalar would silently cut the C string. */
	if (memchr(n->data.scalar.value, '\0', len))
		return fail(w, &n->start_mark, "'%s' contains a NUL character",
			    path);
	return 0;
}

static int
check_value(struct walk *w, const yaml_node_t *n, const cyaml_schema_value_t *s,
	    const char *path)
{
	switch (s->type) {
	case CYAML_MAPPING:
		return check_mapping(w, n, s, path);
	case CYAML_SEQUENCE:
		return check_sequence(w, n, s, path);
	case CYAML_STRING:
		return check_string(w, n, s, path);
	default:
		return fail(w, &n->start_mark, "internal: schema type %d",
			    (int)s->type);
	}
}

/* libyaml reader errors carry a byte offset rather than a mark. */
static yaml_mark_t
offset_mark(const uint8_t *data, size_t len, size_t offset)
{
	yaml_mark_t m = { 0 };
	size_t i;

	for (i = 0; i < offset && i < len; i++) {
		if (data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	m.index = i;
	return m;
}

static int
parse_fail(struct walk *w, const yaml_parser_t *p, const uint8_t *data,
	   size_t len)
{
	yaml_mark_t m;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return nomem(w);
	case YAML_READER_ERROR:
		m = offset_mark(data, len, p->problem_offset);
		return fail(w, &m, "%s", p->problem ? p->problem : "bad input");
	default:
		if (p->context)
			return fail(w, &p->problem_mark, "%s (%s at %zu:%zu)",
				    p->problem ? p->problem : "syntax error",
				    p->context, p->context_mark.line + 1,
				    p->context_mark.column + 1);
		return fail(w, &p->problem_mark, "%s",
			    p->problem ? p->problem : "syntax error");
	}
}

static int
read_file(const char *file, uint8_t **data, size_t *len, char *err,
	  size_t errlen)
{
	size_t cap = 0, n = 0;
	uint8_t *buf = NULL, *nb;
	struct stat st;
	ssize_t r;
	int fd, rc = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		rc = -errno;
	else if (S_ISDIR(st.st_mode))
		rc = -EISDIR;
	while (!rc) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (!(nb = realloc(buf, cap))) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r == 0)
			break;
		if (r < 0)
			rc = errno == EINTR ? 0 : -errno;
		else if ((n += (size_t)r) > CONFIG_MAX_BYTES)
			rc = -EFBIG;
	}
	if (fd >= 0)
		close(fd);
	if (rc) {
		free(buf);
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", file,
				 rc == -EFBIG ? "larger than 1 MiB"
					      : strerror(-rc));
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}

/*
 * A first pass over the event stream, before any tree is built:
 * - nesting is capped, because libyaml's scanner revisits every open flow
 *   level for each token, so "[[[[..." costs quadratic time (the deepest
 *   real config is 5 levels);
 * - aliases are refused where they are written, because expanding them is
 *   how a small file becomes a huge one;
 * - a second document, which libcyaml would silently ignore, is refused.
 */
static int
check_events(struct walk *w, const uint8_t *data, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0, rc = 0;
	bool end = false;

	if (!yaml_parser_initialize(&p))
		return nomem(w);
	yaml_parser_set_input_string(&p, data, len);
	while (!rc && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parse_fail(w, &p, data, len);
			break;
		}
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > MAX_DEPTH)
				rc = fail(w, &ev.start_mark,
					  "nested deeper than %d levels",
					  MAX_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_ALIAS_EVENT:
			rc = fail(w, &ev.start_mark,
				  "YAML aliases are not supported");
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++)
				rc = fail(w, &ev.start_mark,
					  "only one YAML document is allowed");
			break;
		case YAML_STREAM_END_EVENT:
			end = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

int
node_config_doc_load(struct node_config_doc *doc, const char *file,
		     int skip_unknown, char *err, size_t errlen)
{
	struct walk w = { .d = doc, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_node_t *root;
	yaml_mark_t start = { 0 };
	int rc;

	memset(doc, 0, sizeof(*doc));
	doc->file = file;
	doc->skip_unknown = skip_unknown;
	rc = read_file(file, &doc->data, &doc->len, err, errlen);
	if (rc)
		return rc;
	rc = check_events(&w, doc->data, doc->len);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&parser))
		return nomem(&w);
	yaml_parser_set_input_string(&parser, doc->data, doc->len);
	if (!yaml_parser_load(&parser, &doc->doc)) {
		rc = parse_fail(&w, &parser, doc->data, doc->len);
	} else {
		doc->loaded = 1;
		root = yaml_document_get_root_node(&doc->doc);
		rc = root ? check_value(&w, root, &node_raw_config_schema, "")
			  : fail(&w, &start, "the configuration is empty");
	}
	yaml_parser_delete(&parser);
	return rc;
}

void
node_config_doc_fini(struct node_config_doc *doc)
{
	if (doc->loaded)
		yaml_document_delete(&doc->doc);
	doc->loaded = 0;
	free(doc->data);
	doc->data = NULL;
}

static const yaml_node_t *
child(const yaml_document_t *d, const yaml_node_t *n, const char **pathp)
{
	yaml_document_t *doc = (yaml_document_t *)d;
	const char *path = *pathp;
	yaml_node_pair_t *p;
	unsigned long i;
	size_t len;
	char *end;

	if (*path == '[') {
		i = strtoul(path + 1, &end, 10);
		*pathp = *end == ']' ? end + 1 : end;
		if (n->type != YAML_SEQUENCE_NODE ||
		    i >= (size_t)(n->data.sequence.items.top -
				  n->data.sequence.items.start))
			return NULL;
		return yaml_document_get_node(doc,
					      n->data.sequence.items.start[i]);
	}
	len = strcspn(path, ".[");
	*pathp = path + len;
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == len &&
		    !memcmp(k->data.scalar.value, path, len))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

void
node_config_doc_locate(const struct node_config_doc *doc, const char *path,
		       size_t *line, size_t *col)
{
	const yaml_node_t *n = NULL, *c;

	if (doc->loaded)
		n = yaml_document_get_root_node((yaml_document_t *)&doc->doc);
	while (n && *path) {
		if (*path == '.')
			path++;
		c = child(&doc->doc, n, &path);
		if (!c)
			break;
		n = c;
	}
	*line = n ? n->start_mark.line + 1 : 1;
	*col = n ? n->start_mark.column + 1 : 1;
}
