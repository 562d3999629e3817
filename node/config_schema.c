/*
 * libcyaml schema of the config file, and the libyaml pass that checks a
 * document against it with positions (see config_schema.h for why).
 */
#include "node/config_schema.h"

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

/* Long enough for any path or command line; short enough to bound input. */
#define STR_MAX 4096

#define STR(key, flags, type, member)                                          \
	CYAML_FIELD_STRING_PTR(key, (flags) | CYAML_FLAG_OPTIONAL, type,       \
			       member, 1, STR_MAX)
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
	STR("ns_name", 0, struct node_raw_node, ns_name),
	/* Required only with a cluster section; config.c checks that. */
	STR("state_dir", 0, struct node_raw_node, state_dir),
	STR("key_file", 0, struct node_raw_node, key_file),
	STR("cert_file", 0, struct node_raw_node, cert_file),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t soa_fields[] = {
	STR("rname", 0, struct node_raw_soa, rname),
	STR("serial", 0, struct node_raw_soa, serial),
	STR("refresh", 0, struct node_raw_soa, refresh),
	STR("retry", 0, struct node_raw_soa, retry),
	STR("expire", 0, struct node_raw_soa, expire),
	STR("minimum", 0, struct node_raw_soa, minimum),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t zone_fields[] = {
	REQ_STR("name", struct node_raw_zone, name),
	STR("ttl", 0, struct node_raw_zone, ttl),
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
	STR("drain_mode", 0, struct node_raw_dns, drain_mode),
	CYAML_FIELD_SEQUENCE_COUNT("zones", CYAML_FLAG_POINTER,
				   struct node_raw_dns, zones, n_zones,
				   &zone_entry, 1, 1024),
	STR("tcp_idle_timeout", 0, struct node_raw_dns, tcp_idle_timeout),
	STR("tcp_max_connections", 0, struct node_raw_dns, tcp_max_connections),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cluster_fields[] = {
	REQ_STR("name", struct node_raw_cluster, name),
	REQ_STR("listen", struct node_raw_cluster, listen),
	STR_SEQ("seeds", CYAML_FLAG_OPTIONAL, struct node_raw_cluster, seeds, 0,
		64),
	REQ_STR("ca_file", struct node_raw_cluster, ca_file),
	STR("profile", 0, struct node_raw_cluster, profile),
	STR_SEQ("encrypt_keys", CYAML_FLAG_OPTIONAL, struct node_raw_cluster,
		encrypt_keys, 0, 8),
	STR("min_active", 0, struct node_raw_cluster, min_active),
	STR("startup_sync_timeout", 0, struct node_raw_cluster,
	    startup_sync_timeout),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t control_fields[] = {
	STR("socket", 0, struct node_raw_control, socket),
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
	STR("interval", 0, struct node_raw_check, interval),
	STR("timeout", 0, struct node_raw_check, timeout),
	STR("rise", 0, struct node_raw_check, rise),
	STR("fall", 0, struct node_raw_check, fall),
	STR("expect_status", 0, struct node_raw_check, expect_status),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t check_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct node_raw_check,
			    check_fields),
};

static const cyaml_schema_field_t log_fields[] = {
	STR("level", 0, struct node_raw_log, level),
	STR("format", 0, struct node_raw_log, format),
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
	/* One flag per document node: a node reached twice came through an
	 * alias, which we refuse because expanding aliases is how a small
	 * file turns into a huge one. */
	uint8_t *seen;
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

static const yaml_node_t *
visit(struct walk *w, int index, const yaml_node_t *parent)
{
	yaml_node_t *n = yaml_document_get_node(&w->d->doc, index);

	if (!n) {
		fail(w, &parent->start_mark, "malformed YAML document");
		return NULL;
	}
	if (w->seen[index - 1]) {
		fail(w, &n->start_mark,
		     "YAML anchors and aliases are not supported");
		return NULL;
	}
	w->seen[index - 1] = 1;
	return n;
}

static int check_value(struct walk *w, const yaml_node_t *n,
		       const cyaml_schema_value_t *s, const char *path);

static int
check_mapping(struct walk *w, const yaml_node_t *n,
	      const cyaml_schema_value_t *s, const char *path)
{
	const cyaml_schema_field_t *fields = s->mapping.fields;
	const char *where = *path ? path : "the top level";
	uint64_t have = 0;
	yaml_node_pair_t *p;
	char sub[128], buf[48];
	size_t i;

	if (n->type != YAML_MAPPING_NODE)
		return *path ? fail(w, &n->start_mark,
				    "'%s' must be a mapping, found %s", path,
				    kind(n))
			     : fail(w, &n->start_mark,
				    "the top level must be a mapping, found %s",
				    kind(n));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = visit(w, p->key, n), *v;
		const char *key;
		int rc;

		if (!k)
			return -EINVAL;
		if (k->type != YAML_SCALAR_NODE)
			return fail(w, &k->start_mark,
				    "keys in %s%s%s must be scalars",
				    *path ? "'" : "", where, *path ? "'" : "");
		key = (const char *)k->data.scalar.value;
		for (i = 0; fields[i].key; i++)
			if (strlen(fields[i].key) == k->data.scalar.length &&
			    !strcmp(fields[i].key, key))
				break;
		if (!fields[i].key)
			return *path ? fail(w, &k->start_mark,
					    "unknown key '%s' in '%s'",
					    shown(buf, sizeof(buf), k), path)
				     : fail(w, &k->start_mark,
					    "unknown top-level key '%s'",
					    shown(buf, sizeof(buf), k));
		if (have & (UINT64_C(1) << i))
			return fail(w, &k->start_mark,
				    "duplicate key '%s' in %s%s%s",
				    fields[i].key, *path ? "'" : "", where,
				    *path ? "'" : "");
		have |= UINT64_C(1) << i;
		v = visit(w, p->value, k);
		if (!v)
			return -EINVAL;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
			 fields[i].key);
		rc = check_value(w, v, &fields[i].value, sub);
		if (rc)
			return rc;
	}
	for (i = 0; fields[i].key; i++) {
		if ((fields[i].value.flags & CYAML_FLAG_OPTIONAL) ||
		    (have & (UINT64_C(1) << i)))
			continue;
		return *path ? fail(w, &n->start_mark,
				    "missing required key '%s' in '%s'",
				    fields[i].key, path)
			     : fail(w, &n->start_mark,
				    "missing required top-level key '%s'",
				    fields[i].key);
	}
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
		if (w->err && w->errlen)
			snprintf(w->err, w->errlen, "%s: out of memory",
				 w->d->file);
		return -ENOMEM;
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

/* A second document would be ignored by libcyaml; refuse it instead. */
static int
check_single(struct walk *w, yaml_parser_t *p, const uint8_t *data, size_t len)
{
	yaml_document_t next;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(p, &next))
		return parse_fail(w, p, data, len);
	root = yaml_document_get_root_node(&next);
	if (root)
		rc = fail(w, &root->start_mark,
			  "only one YAML document is allowed");
	yaml_document_delete(&next);
	return rc;
}

int
node_config_doc_load(struct node_config_doc *doc, const char *file, char *err,
		     size_t errlen)
{
	struct walk w = { .d = doc, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_node_t *root;
	yaml_mark_t start = { 0 };
	const uint8_t *data;
	size_t len;
	int rc;

	memset(doc, 0, sizeof(*doc));
	doc->file = file;
	rc = read_file(file, &doc->data, &doc->len, err, errlen);
	if (rc)
		return rc;
	data = doc->data;
	len = doc->len;
	if (!yaml_parser_initialize(&parser)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", file);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, data, len);
	if (!yaml_parser_load(&parser, &doc->doc)) {
		rc = parse_fail(&w, &parser, data, len);
		goto out;
	}
	doc->loaded = 1;
	root = yaml_document_get_root_node(&doc->doc);
	if (!root) {
		rc = fail(&w, &start, "the configuration is empty");
		goto out;
	}
	rc = check_single(&w, &parser, data, len);
	if (rc)
		goto out;
	w.seen = calloc((size_t)(doc->doc.nodes.top - doc->doc.nodes.start), 1);
	if (!w.seen) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", file);
		rc = -ENOMEM;
		goto out;
	}
	w.seen[0] = 1; /* the root; yaml_document_get_root_node is node 1 */
	rc = check_value(&w, root, &node_raw_config_schema, "");
out:
	free(w.seen);
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
