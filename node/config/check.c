/*
 * node_config_check(): the unknown keys of the file and the files it
 * names, every problem reported at the place the config names it.
 *
 * Positions come from a pass of libyaml's event API over the file that
 * maps each value's key path ("cluster.encrypt_keys[1]") to its line and
 * column, and that meets every unknown key on the way, so all of them are
 * reported (the loader stops at the first).
 */
#include "node/config/check.h"
#include "node/config/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <yaml.h>

#include "common/keyfile.h"
#include "common/parse.h"
#include "gossip/cert.h"
#include "gossip/error.h"
#include "gossip/seal.h"

#define PATH_LEN 128
#define MAX_DEPTH 16
/* Larger than any key file or certificate: enough to tell its kind. */
#define SNIFF_MAX 4096

struct pos {
	char path[PATH_LEN];
	size_t line, col;
};

struct check {
	const char *file;
	FILE *out;
	uint64_t now;
	struct pos *pos;
	size_t n_pos, cap_pos;
	int errors;
};

static void report_at(struct check *ck, size_t line, size_t col,
		      const char *key, bool note, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void
vreport_at(struct check *ck, size_t line, size_t col, const char *key,
	   bool note, const char *fmt, va_list ap)
{
	fprintf(ck->out, "%s:%zu:%zu: %s: %s", ck->file, line, col, key,
		note ? "note: " : "");
	vfprintf(ck->out, fmt, ap);
	fputc('\n', ck->out);
	if (!note)
		ck->errors++;
}

static void
report_at(struct check *ck, size_t line, size_t col, const char *key, bool note,
	  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_at(ck, line, col, key, note, fmt, ap);
	va_end(ap);
}

/* Where the value at @key sits; for a key that is not written (a
 * default), its nearest written ancestor, else the top of the file. */
static void
locate(const struct check *ck, const char *key, size_t *line, size_t *col)
{
	char p[PATH_LEN], *cut;
	size_t i;

	snprintf(p, sizeof(p), "%s", key);
	for (;;) {
		for (i = 0; i < ck->n_pos; i++)
			if (!strcmp(ck->pos[i].path, p)) {
				*line = ck->pos[i].line;
				*col = ck->pos[i].col;
				return;
			}
		cut = strrchr(p, '.');
		if (strrchr(p, '[') > cut)
			cut = strrchr(p, '[');
		if (!cut)
			break;
		*cut = '\0';
	}
	*line = 1;
	*col = 1;
}

static void report(struct check *ck, const char *key, bool note,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
report(struct check *ck, const char *key, bool note, const char *fmt, ...)
{
	size_t line, col;
	va_list ap;

	locate(ck, key, &line, &col);
	va_start(ap, fmt);
	vreport_at(ck, line, col, key, note, fmt, ap);
	va_end(ap);
}

/* ---- the key map ---------------------------------------------------- */

/* One open mapping or sequence; @s is NULL below an unknown key. */
struct frame {
	const cyaml_schema_value_t *s;
	char path[PATH_LEN];
	bool map, want_key;
	size_t idx;
	char next[PATH_LEN]; /* a mapping: the path of the value to come */
	const cyaml_schema_value_t *next_s;
};

static void
add_pos(struct check *ck, const char *path, const yaml_mark_t *m)
{
	struct pos *np;

	if (ck->n_pos == ck->cap_pos) {
		size_t cap = ck->cap_pos ? 2 * ck->cap_pos : 64;

		if (!(np = realloc(ck->pos, cap * sizeof(*np))))
			return; /* positions fall back to an ancestor */
		ck->pos = np;
		ck->cap_pos = cap;
	}
	np = &ck->pos[ck->n_pos++];
	snprintf(np->path, sizeof(np->path), "%s", path);
	np->line = m->line + 1;
	np->col = m->column + 1;
}

/* A key as echoed: printable ASCII, at most 40 characters. */
static void
shown(char *out, size_t cap, const unsigned char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && i < 40 && o + 1 < cap; i++)
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	out[o] = '\0';
}

static void path_set(char *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A key path, cut at PATH_LEN: deeper than any real config. */
static void
path_set(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, PATH_LEN, fmt, ap);
	va_end(ap);
}

static void
on_key(struct check *ck, struct frame *f, const yaml_event_t *ev)
{
	const cyaml_schema_field_t *fl;
	const char *near;
	char key[48];
	size_t len, i;

	f->want_key = false;
	f->next_s = NULL;
	if (ev->type != YAML_SCALAR_EVENT) {
		snprintf(f->next, sizeof(f->next), "%s", f->path);
		return; /* a complex key: the loader refuses it */
	}
	len = ev->data.scalar.length;
	shown(key, sizeof(key), ev->data.scalar.value, len);
	path_set(f->next, "%s%s%s", f->path, *f->path ? "." : "", key);
	if (!f->s)
		return;
	fl = f->s->mapping.fields;
	for (i = 0; fl[i].key; i++)
		if (strlen(fl[i].key) == len &&
		    !memcmp(fl[i].key, ev->data.scalar.value, len))
			break;
	if (fl[i].key) {
		f->next_s = &fl[i].value;
		return;
	}
	near = node_config_suggest((const char *)ev->data.scalar.value, len,
				   fl);
	report_at(ck, ev->start_mark.line + 1, ev->start_mark.column + 1,
		  f->next, false, "unknown key%s%s%s",
		  near ? "; did you mean '" : "", near ? near : "",
		  near ? "'?" : "");
}

/* A value starts (scalar, mapping or sequence): its path and schema. */
static void
on_value(struct check *ck, struct frame *stack, size_t depth,
	 const yaml_event_t *ev, char *path, const cyaml_schema_value_t **s)
{
	struct frame *f = depth ? &stack[depth - 1] : NULL;

	if (!f) {
		path[0] = '\0';
		*s = &node_raw_config_schema;
	} else if (f->map) {
		snprintf(path, PATH_LEN, "%s", f->next);
		*s = f->next_s;
		f->want_key = true;
	} else {
		path_set(path, "%s[%zu]", f->path, f->idx++);
		*s = f->s ? f->s->sequence.entry : NULL;
	}
	add_pos(ck, path, &ev->start_mark);
}

static void
push(struct frame *stack, size_t depth, const yaml_event_t *ev,
     const char *path, const cyaml_schema_value_t *s)
{
	struct frame *f = &stack[depth];
	bool map = ev->type == YAML_MAPPING_START_EVENT;

	memset(f, 0, sizeof(*f));
	f->map = map;
	f->want_key = map;
	if (s && s->type == (map ? CYAML_MAPPING : CYAML_SEQUENCE))
		f->s = s;
	snprintf(f->path, sizeof(f->path), "%s", path);
}

/* Returns false at the end of the stream, or nested too deep for the
 * loader anyway. A YAML error ends the scan in scan(): the loader reports
 * it. */
static bool
scan_event(struct check *ck, const yaml_event_t *ev, struct frame *stack,
	   size_t *depth)
{
	const cyaml_schema_value_t *s;
	char path[PATH_LEN];
	struct frame *top = *depth ? &stack[*depth - 1] : NULL;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (top && top->map && top->want_key) {
			on_key(ck, top, ev);
			s = NULL;
			snprintf(path, sizeof(path), "%s", top->next);
		} else {
			on_value(ck, stack, *depth, ev, path, &s);
		}
		if (ev->type == YAML_SEQUENCE_START_EVENT ||
		    ev->type == YAML_MAPPING_START_EVENT) {
			if (*depth == MAX_DEPTH)
				return false;
			push(stack, (*depth)++, ev, path, s);
		}
		return true;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (*depth)
			(*depth)--;
		return true;
	case YAML_STREAM_END_EVENT:
		return false;
	default:
		return true;
	}
}

static void
scan(struct check *ck)
{
	struct frame stack[MAX_DEPTH];
	yaml_parser_t p;
	yaml_event_t ev;
	size_t depth = 0;
	bool more = true;
	FILE *f = fopen(ck->file, "rb");

	if (!f)
		return;
	if (!yaml_parser_initialize(&p)) {
		fclose(f);
		return;
	}
	yaml_parser_set_input_file(&p, f);
	while (more && yaml_parser_parse(&p, &ev)) {
		more = scan_event(ck, &ev, stack, &depth);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	fclose(f);
}

/* ---- the files ------------------------------------------------------ */

enum kind {
	K_NONE = -1,
	K_CA_SK,
	K_CA_PK,
	K_NODE_SK,
	K_CLUSTER,
	K_CERT,
};

static const struct {
	const char *header, *what, *belongs;
} kinds[] = {
	[K_CA_SK] = { GSP_CA_SK_HEADER, "a CA secret key", NULL },
	[K_CA_PK] = { GSP_CA_PK_HEADER, "a CA public key", "cluster.ca_file" },
	[K_NODE_SK] = { GSP_NODE_SK_HEADER, "a node secret key",
			"node.key_file" },
	[K_CLUSTER] = { NODE_CLUSTER_KEY_HEADER, "a cluster key",
			"cluster.encrypt_keys" },
	[K_CERT] = { NULL, "a node certificate", "node.cert_file" },
};

/* What @path holds, by its first line (a key file) or as a whole (a
 * certificate); K_NONE for anything else. */
static enum kind
sniff(const char *path)
{
	char buf[SNIFF_MAX];
	struct gsp_cert c;
	enum kind k = K_NONE;
	size_t hl, i;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return K_NONE;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return K_NONE;
	for (hl = 0; hl < (size_t)n && buf[hl] != '\n' && buf[hl] != '\r'; hl++)
		;
	for (i = 0; i < K_CERT; i++)
		if (strlen(kinds[i].header) == hl &&
		    !memcmp(buf, kinds[i].header, hl))
			k = (enum kind)i;
	if (k == K_NONE && !gsp_cert_decode((uint8_t *)buf, (size_t)n, &c))
		k = K_CERT;
	sodium_memzero(buf, sizeof(buf));
	return k;
}

/* False, with the error said, when @path is not a file of kind @want. */
static bool
kind_ok(struct check *ck, const char *key, const char *path, enum kind want)
{
	enum kind got = sniff(path);

	if (got == K_NONE || got == want)
		return true;
	if (got == K_CA_SK && want == K_CA_PK)
		report(ck, key, false,
		       "%s: this is the CA secret key; give ca.pub, keep "
		       "ca.key off the nodes",
		       path);
	else if (got == K_CA_SK)
		report(ck, key, false,
		       "%s: this is the CA secret key, not %s; keep it off "
		       "the nodes",
		       path, kinds[want].what);
	else
		report(ck, key, false,
		       "%s: this is %s (it belongs in %s), not %s", path,
		       kinds[got].what, kinds[got].belongs, kinds[want].what);
	return false;
}

/* False, with the error said, unless @path is a regular file. */
static bool
file_ok(struct check *ck, const char *key, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		report(ck, key, false, "%s: %s", path, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		report(ck, key, false, "%s: not a regular file%s", path,
		       S_ISDIR(st.st_mode) ? " (a directory)" : "");
		return false;
	}
	return true;
}

/* node.key_file; on success its public key in @pk. */
static bool
check_key(struct check *ck, const struct node_config *cfg,
	  uint8_t pk[GSP_PK_LEN])
{
	const char *path = cfg->node.key_file;
	uint8_t sk[GSP_SK_LEN];
	char err[512];

	if (!file_ok(ck, "node.key_file", path) ||
	    !kind_ok(ck, "node.key_file", path, K_NODE_SK))
		return false;
	if (node_key_load(path, sk, err, sizeof(err))) {
		report(ck, "node.key_file", false, "%s", err);
		return false;
	}
	memcpy(pk, sk + GSP_SK_LEN - GSP_PK_LEN, GSP_PK_LEN);
	sodium_memzero(sk, sizeof(sk));
	return true;
}

/* cluster.ca_file; returns the number of CA keys put in @t. */
static size_t
check_ca(struct check *ck, const struct node_config *cfg, struct gsp_trust *t)
{
	const char *path = cfg->cluster.ca_file;
	char err[512];

	memset(t, 0, sizeof(*t));
	if (!file_ok(ck, "cluster.ca_file", path) ||
	    !kind_ok(ck, "cluster.ca_file", path, K_CA_PK))
		return 0;
	if (node_ca_pubs_load(path, t->ca_pk, GSP_CA_MAX, &t->n_ca, err,
			      sizeof(err))) {
		report(ck, "cluster.ca_file", false, "%s", err);
		t->n_ca = 0;
	}
	return t->n_ca;
}

/* The signature alone: the cluster and the times are said apart. */
static void
check_cert_sig(struct check *ck, const struct node_config *cfg,
	       const struct gsp_cert *c, const struct gsp_trust *t)
{
	char ids[GSP_CA_MAX * (GSP_KEY_ID_TEXT + 2)] = "", id[GSP_KEY_ID_TEXT];
	struct gsp_trust any = *t;
	size_t i;

	any.cluster[0] = '\0';
	if (gsp_cert_verify(c, &any, c->not_before) != GSP_ECERTSIG)
		return;
	for (i = 0; i < t->n_ca; i++) {
		gsp_key_id_text(t->ca_pk[i], id);
		strcat(ids, i ? ", " : "");
		strcat(ids, id);
	}
	sodium_bin2hex(id, sizeof(id), c->ca_id, GSP_KEY_ID_LEN);
	report(ck, "node.cert_file", false,
	       "%s: not signed by any CA key of %s (cluster.ca_file): it "
	       "names CA key %s, the file holds %s",
	       cfg->node.cert_file, cfg->cluster.ca_file, id, ids);
}

static void
check_cert_times(struct check *ck, const struct node_config *cfg,
		 const struct gsp_cert *c)
{
	char when[CMN_TIME_MAX], now[CMN_TIME_MAX];

	cmn_time_format(ck->now, now, sizeof(now));
	if (ck->now < c->not_before)
		report(ck, "node.cert_file", false,
		       "%s: not valid before %s (it is %s)",
		       cfg->node.cert_file,
		       cmn_time_format(c->not_before, when, sizeof(when)), now);
	else if (ck->now > c->not_after)
		report(ck, "node.cert_file", false,
		       "%s: expired at %s (it is %s)", cfg->node.cert_file,
		       cmn_time_format(c->not_after, when, sizeof(when)), now);
}

/* node.cert_file against the key (@pk, NULL when it did not load), the
 * names in the config and the CA keys of @t (none when they did not
 * load). */
static void
check_cert(struct check *ck, const struct node_config *cfg, const uint8_t *pk,
	   const struct gsp_trust *t)
{
	const char *path = cfg->node.cert_file;
	struct gsp_cert c;
	char err[512];

	if (!file_ok(ck, "node.cert_file", path) ||
	    !kind_ok(ck, "node.cert_file", path, K_CERT))
		return;
	if (node_cert_load(path, &c, err, sizeof(err))) {
		report(ck, "node.cert_file", false, "%s", err);
		return;
	}
	if (pk && sodium_memcmp(pk, c.pk, GSP_PK_LEN))
		report(ck, "node.cert_file", false,
		       "%s: certifies another key than the one in %s "
		       "(node.key_file)",
		       path, cfg->node.key_file);
	if (strcmp(c.name, cfg->node.name))
		report(ck, "node.cert_file", false,
		       "%s: issued to node '%s', not '%s' (node.name)", path,
		       c.name, cfg->node.name);
	if (strcmp(c.cluster, cfg->cluster.name))
		report(ck, "node.cert_file", false,
		       "%s: issued for cluster '%s', not '%s' (cluster.name)",
		       path, c.cluster, cfg->cluster.name);
	if (t->n_ca)
		check_cert_sig(ck, cfg, &c, t);
	check_cert_times(ck, cfg, &c);
}

/* cluster.encrypt_keys[i]: secrets like node.key_file. */
static void
check_cluster_key(struct check *ck, const char *key, const char *path)
{
	uint8_t k[GSP_KEY_LEN];
	char err[512];

	if (!file_ok(ck, key, path) || !kind_ok(ck, key, path, K_CLUSTER))
		return;
	if (node_cluster_key_load(path, k, err, sizeof(err)))
		report(ck, key, false, "%s", err);
	sodium_memzero(k, sizeof(k));
}

static void
user_name(char *out, size_t cap)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw)
		snprintf(out, cap, "uid %u (%s)", (unsigned)geteuid(),
			 pw->pw_name);
	else
		snprintf(out, cap, "uid %u", (unsigned)geteuid());
}

/* node.state_dir when it does not exist: its parent must. */
static void
check_state_parent(struct check *ck, const char *dir)
{
	char parent[4096], who[96], *slash;
	struct stat st;

	snprintf(parent, sizeof(parent), "%s", dir);
	while ((slash = strrchr(parent, '/')) && slash > parent && !slash[1])
		*slash = '\0'; /* "dir/" is "dir" */
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else
		slash[slash == parent] = '\0';
	user_name(who, sizeof(who));
	if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode))
		report(ck, "node.state_dir", false,
		       "%s does not exist, nor does its parent directory %s",
		       dir, parent);
	else if (access(parent, W_OK | X_OK))
		report(ck, "node.state_dir", false,
		       "%s does not exist and %s cannot create it in %s", dir,
		       who, parent);
	else
		report(ck, "node.state_dir", true,
		       "%s does not exist; pmgtmd will create it (mode 0700) "
		       "when it starts",
		       dir);
}

static void
check_state_dir(struct check *ck, const char *dir)
{
	char who[96];
	struct stat st;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			check_state_parent(ck, dir);
		else
			report(ck, "node.state_dir", false, "%s: %s", dir,
			       strerror(errno));
		return;
	}
	user_name(who, sizeof(who));
	if (!S_ISDIR(st.st_mode))
		report(ck, "node.state_dir", false, "%s: not a directory", dir);
	else if (access(dir, W_OK | X_OK))
		report(ck, "node.state_dir", false, "%s: not writable by %s",
		       dir, who);
}

static void
check_files(struct check *ck, const struct node_config *cfg)
{
	uint8_t pk[GSP_PK_LEN];
	struct gsp_trust t;
	char key[PATH_LEN];
	bool have_pk;
	size_t i;

	if (!cfg->has_cluster)
		return; /* a standalone node reads none of them */
	have_pk = check_key(ck, cfg, pk);
	check_ca(ck, cfg, &t);
	check_cert(ck, cfg, have_pk ? pk : NULL, &t);
	for (i = 0; i < cfg->cluster.n_encrypt_keys; i++) {
		snprintf(key, sizeof(key), "cluster.encrypt_keys[%zu]", i);
		check_cluster_key(ck, key, cfg->cluster.encrypt_keys[i]);
	}
	check_state_dir(ck, cfg->node.state_dir);
}

int
node_config_check_at(const struct node_config *cfg, const char *path,
		     uint64_t now, FILE *out)
{
	struct check ck = { .file = path, .out = out, .now = now };

	/* Idempotent; the certificate checks need it. */
	if (sodium_init() < 0) {
		fprintf(out, "%s: cannot initialise libsodium\n", path);
		return 1;
	}
	scan(&ck);
	if (cfg)
		check_files(&ck, cfg);
	free(ck.pos);
	fflush(out);
	return ck.errors;
}

int
node_config_check(const struct node_config *cfg, const char *path, FILE *out)
{
	return node_config_check_at(cfg, path, (uint64_t)time(NULL), out);
}

int
node_state_dir_make(const struct node_config *cfg, char *err, size_t errlen)
{
	int rc;

	if (!cfg->has_cluster || !cfg->node.state_dir)
		return 0;
	if (mkdir(cfg->node.state_dir, 0700) == 0 || errno == EEXIST)
		return 0;
	rc = -errno;
	snprintf(err, errlen, "state_dir %s: cannot create it: %s",
		 cfg->node.state_dir, strerror(-rc));
	return rc;
}
