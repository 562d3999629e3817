/*
 * Config loading: read the file, check its shape with positions
 * (config_schema.c), map it with libcyaml onto raw string structs, then
 * convert and validate each value here, pointing errors at its scalar.
 */
#include "node/config/config.h"
#include "node/config/schema.h"
#include "common/parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define DNS_PORT 53
#define GOSSIP_PORT 7946
#define METRICS_PORT 9153
#define TTL_MAX 2147483647u /* RFC 2181 §8 */
#define PATH_LEN 128

/*
 * The first error sticks: later conversions still run (so each step need
 * not check the last) but neither overwrite the message nor the code.
 */
struct load {
	struct node_config_doc doc;
	const char *file;
	char *err;
	size_t errlen;
	int rc;
};

/* Enum names, indexed by the enum value; NULL-terminated. */
static const char *const drain_modes[] = {
	[NODE_DRAIN_REDIRECT] = "redirect",
	[NODE_DRAIN_REFUSE] = "refuse",
	[NODE_DRAIN_SILENT] = "silent",
	NULL,
};
static const char *const profiles[] = {
	[NODE_PROFILE_LAN] = "lan",
	[NODE_PROFILE_WAN] = "wan",
	NULL,
};
static const char *const check_types[] = {
	[NODE_CHECK_TCP] = "tcp",
	[NODE_CHECK_HTTP] = "http",
	[NODE_CHECK_EXEC] = "exec",
	NULL,
};
static const char *const log_levels[] = {
	[NODE_LOG_DEBUG] = "debug",
	[NODE_LOG_INFO] = "info",
	[NODE_LOG_WARN] = "warn",
	[NODE_LOG_ERROR] = "error",
	NULL,
};
static const char *const log_formats[] = {
	[NODE_LOG_LOGFMT] = "logfmt",
	[NODE_LOG_JSON] = "json",
	NULL,
};

static int fail(struct load *ld, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Errors name the scalar at @path ("dns.zones[0].ttl") by line:column. */
static int
fail(struct load *ld, const char *path, const char *fmt, ...)
{
	size_t line, col;
	va_list ap;
	int n;

	if (ld->rc)
		return ld->rc;
	ld->rc = -EINVAL;
	if (!ld->err || !ld->errlen)
		return ld->rc;
	node_config_doc_locate(&ld->doc, path, &line, &col);
	n = snprintf(ld->err, ld->errlen, "%s:%zu:%zu: ", ld->file, line, col);
	if (n >= 0 && (size_t)n < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return ld->rc;
}

static int
oom(struct load *ld)
{
	if (ld->rc)
		return ld->rc;
	if (ld->err && ld->errlen)
		snprintf(ld->err, ld->errlen, "%s: out of memory", ld->file);
	return ld->rc = -ENOMEM;
}

static const char *at(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *
at(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
	return buf;
}

/* User text echoed in an error: short, printable, on one line. */
static const char *
shown(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 4 < size; s++)
		buf[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int
dup_str(struct load *ld, const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return oom(ld);
	return ld->rc;
}

static int
conv_dname(struct load *ld, const char *path, const char *text, char **out)
{
	char name[NODE_DNAME_MAX + 1], b[72];

	if (node_config_dname_norm(text, name))
		return fail(ld, path,
			    "'%s' is not a valid DNS name: '%s' (labels of "
			    "1-63 letters, digits, '-' or '_', at most 253 "
			    "characters)",
			    path, shown(b, sizeof(b), text));
	return dup_str(ld, name, out);
}

/* A group that must exist now: a typo would otherwise leave the
 * operators it was meant for without drain rights, silently. */
static int
conv_group(struct load *ld, const char *path, const char *text, char **out,
	   gid_t *gid)
{
	char b[72];
	int r = node_group_lookup(text, gid);

	if (r == -ENOMEM)
		return oom(ld);
	if (r == -ENOENT)
		return fail(ld, path, "'%s': no group '%s' on this system",
			    path, shown(b, sizeof(b), text));
	if (r)
		return fail(ld, path, "'%s': cannot look up group '%s': %s",
			    path, shown(b, sizeof(b), text), strerror(-r));
	return dup_str(ld, text, out);
}

static int
conv_u32(struct load *ld, const char *path, const char *text, uint32_t min,
	 uint32_t max, uint32_t dflt, uint32_t *out)
{
	uint64_t v;

	*out = dflt;
	if (!text)
		return ld->rc;
	if (cmn_u64_parse(text, max, &v) || v < min)
		return fail(ld, path, "'%s' must be an integer from %u to %u",
			    path, min, max);
	*out = (uint32_t)v;
	return ld->rc;
}

/* Several optional integers under one mapping, e.g. a zone's soa. */
struct u32_field {
	const char *key, *text;
	uint32_t min, max, dflt, *out;
};

static void
conv_u32s(struct load *ld, const char *base, const struct u32_field *f,
	  size_t n)
{
	char p[PATH_LEN];
	size_t i;

	for (i = 0; i < n; i++)
		conv_u32(ld, at(p, "%s.%s", base, f[i].key), f[i].text,
			 f[i].min, f[i].max, f[i].dflt, f[i].out);
}

static int
conv_ms(struct load *ld, const char *path, const char *text, uint32_t min,
	uint32_t dflt, uint32_t *out)
{
	char b[72];

	*out = dflt;
	if (!text)
		return ld->rc;
	if (cmn_duration_parse(text, out))
		return fail(ld, path,
			    "'%s' is not a duration: '%s' (digits and a unit: "
			    "ms, s, m, h or d; at most 49d)",
			    path, shown(b, sizeof(b), text));
	if (*out < min)
		return fail(ld, path, "'%s' must be at least %ums", path, min);
	return ld->rc;
}

/* Returns the index of @text in @names, or @dflt when absent or bad. */
static int
conv_enum(struct load *ld, const char *path, const char *text,
	  const char *const *names, int dflt)
{
	char list[96] = "";
	int i;

	if (!text)
		return dflt;
	for (i = 0; names[i]; i++) {
		if (!strcmp(text, names[i]))
			return i;
		strcat(list, i ? ", " : "");
		strcat(list, names[i]);
	}
	fail(ld, path, "'%s' must be one of: %s", path, list);
	return dflt;
}

static int
conv_ip(struct load *ld, const char *path, const char *text,
	struct ip_addr *out)
{
	char b[72];

	if (node_ipaddr_parse(text, out))
		return fail(ld, path, "'%s' is not an IP address: '%s'", path,
			    shown(b, sizeof(b), text));
	return ld->rc;
}

/* Address @i of the node: one its peers accept announced, said once. */
static int
conv_node_addr(struct load *ld, const char *path, const char *text,
	       struct ip_addr *addrs, size_t i)
{
	char b[72];

	if (conv_ip(ld, path, text, &addrs[i]))
		return ld->rc;
	if (!ip_addr_usable(&addrs[i]))
		return fail(ld, path,
			    "'%s' cannot be a node's address: '%s' "
			    "(unspecified, broadcast or multicast)",
			    path, shown(b, sizeof(b), text));
	for (size_t k = 0; k < i; k++)
		if (!memcmp(&addrs[k], &addrs[i], sizeof(addrs[i])))
			return fail(ld, path, "'%s' repeats '%s'", path,
				    shown(b, sizeof(b), text));
	return ld->rc;
}

static int
conv_sockaddr(struct load *ld, const char *path, const char *text,
	      uint16_t dflt_port, struct node_sockaddr *out)
{
	char b[72];

	if (node_sockaddr_parse(text, dflt_port, out))
		return fail(ld, path,
			    "'%s' is not an address: '%s' (want IP, IP:PORT "
			    "or [IPv6]:PORT%s)",
			    path, shown(b, sizeof(b), text),
			    dflt_port ? "" : ", with a port");
	return ld->rc;
}

/* Allocates *out with @n entries; *n_out is set only once it exists, so
 * node_config_free() sees a consistent pair whatever fails. */
static void *
alloc_array(struct load *ld, size_t n, size_t size, size_t *n_out)
{
	void *p = n ? calloc(n, size) : NULL;

	if (n && !p)
		oom(ld);
	*n_out = p ? n : 0;
	return p;
}

static void
conv_sockaddrs(struct load *ld, const char *path, char **in, unsigned n,
	       uint16_t dflt_port, struct node_sockaddr **out, size_t *n_out)
{
	char p[PATH_LEN];
	size_t i;

	*out = alloc_array(ld, n, sizeof(**out), n_out);
	for (i = 0; i < *n_out; i++)
		conv_sockaddr(ld, at(p, "%s[%zu]", path, i), in[i], dflt_port,
			      &(*out)[i]);
}

/* Names of nodes, clusters and checks end up in logs and metric labels. */
static int
conv_label(struct load *ld, const char *path, const char *text, bool strict,
	   char **out)
{
	size_t i, len = strlen(text);

	for (i = 0; i < len; i++) {
		char c = text[i];

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    c == '-')
			continue;
		if (!strict && ((c >= 'A' && c <= 'Z') || c == '_' || c == '.'))
			continue;
		break;
	}
	if (i < len || len > 63)
		return fail(ld, path, "'%s' must be 1-63 characters of %s",
			    path,
			    strict ? "a-z, 0-9 and '-'"
				   : "letters, digits, '-', '_' and '.'");
	return dup_str(ld, text, out);
}

/* "lb2.api.example.com 192.0.2.2 2001:db8::2": a name, then glue. */
static void
conv_ns(struct load *ld, const char *path, const char *text, struct node_ns *ns)
{
	const char *s;
	char *copy, *save = NULL;
	size_t n = 0;

	for (s = text + strspn(text, " \t"); *s; s += strspn(s, " \t")) {
		s += strcspn(s, " \t");
		n++;
	}
	if (n == 0 || n > 17) {
		fail(ld, path,
		     n ? "'%s' has more than 16 addresses" : "'%s' has no name",
		     path);
		return;
	}
	if (!(copy = strdup(text))) {
		oom(ld);
		return;
	}
	conv_dname(ld, path, strtok_r(copy, " \t", &save), &ns->name);
	ns->addrs = alloc_array(ld, n - 1, sizeof(*ns->addrs), &ns->n_addrs);
	for (n = 0; n < ns->n_addrs; n++)
		conv_ip(ld, path, strtok_r(NULL, " \t", &save), &ns->addrs[n]);
	free(copy);
}

static void
conv_zone(struct load *ld, const char *base, const struct node_raw_zone *rz,
	  struct node_zone *z)
{
	static const struct node_raw_soa none;
	const struct node_raw_soa *rs = rz->soa ? rz->soa : &none;
	const struct u32_field soa[] = {
		{ "soa.serial", rs->serial, 0, UINT32_MAX, 1, &z->soa.serial },
		{ "soa.refresh", rs->refresh, 0, TTL_MAX, 1200,
		  &z->soa.refresh },
		{ "soa.retry", rs->retry, 0, TTL_MAX, 180, &z->soa.retry },
		{ "soa.expire", rs->expire, 0, TTL_MAX, 1209600,
		  &z->soa.expire },
		{ "soa.minimum", rs->minimum, 0, TTL_MAX, 30, &z->soa.minimum },
		{ "ttl", rz->ttl, 0, TTL_MAX, 30, &z->ttl },
	};
	char p[PATH_LEN];
	size_t i;

	conv_dname(ld, at(p, "%s.name", base), rz->name, &z->name);
	z->ns = alloc_array(ld, rz->n_ns, sizeof(*z->ns), &z->n_ns);
	for (i = 0; i < z->n_ns; i++)
		conv_ns(ld, at(p, "%s.ns[%zu]", base, i), rz->ns[i], &z->ns[i]);
	if (rs->rname) {
		conv_dname(ld, at(p, "%s.soa.rname", base), rs->rname,
			   &z->soa.rname);
	} else if (z->name && strlen(z->name) > NODE_DNAME_MAX - 11) {
		fail(ld, at(p, "%s.name", base),
		     "'hostmaster.%.20s...' is too long to be the default SOA "
		     "rname; set 'soa.rname'",
		     z->name);
	} else if (z->name) {
		if ((z->soa.rname = malloc(strlen(z->name) + 12)))
			sprintf(z->soa.rname, "hostmaster.%s", z->name);
		else
			oom(ld);
	}
	conv_u32s(ld, base, soa, sizeof(soa) / sizeof(soa[0]));
}

static void
conv_node(struct load *ld, const struct node_raw_node *rn,
	  struct node_config *cfg)
{
	static const char *const keys[] = { "state_dir", "key_file",
					    "cert_file" };
	const char *const vals[] = { rn->state_dir, rn->key_file,
				     rn->cert_file };
	char p[PATH_LEN];
	size_t i;

	conv_label(ld, "node.name", rn->name, true, &cfg->node.name);
	cfg->node.addrs =
		alloc_array(ld, rn->n_addresses, sizeof(*cfg->node.addrs),
			    &cfg->node.n_addrs);
	for (i = 0; i < cfg->node.n_addrs; i++)
		conv_node_addr(ld, at(p, "node.addresses[%zu]", i),
			       rn->addresses[i], cfg->node.addrs, i);
	if (rn->ns_name)
		conv_dname(ld, "node.ns_name", rn->ns_name, &cfg->node.ns_name);
	/* A standalone node has no identity, state or peers to keep. */
	for (i = 0; cfg->has_cluster && i < 3; i++)
		if (!vals[i])
			fail(ld, "node",
			     "missing required key '%s' in 'node' (needed "
			     "with a 'cluster' section)",
			     keys[i]);
	dup_str(ld, rn->state_dir, &cfg->node.state_dir);
	dup_str(ld, rn->key_file, &cfg->node.key_file);
	dup_str(ld, rn->cert_file, &cfg->node.cert_file);
}

static void
conv_dns(struct load *ld, const struct node_raw_dns *rd,
	 struct node_config *cfg)
{
	struct node_zone *z;
	char p[PATH_LEN];
	size_t i, j;

	conv_sockaddrs(ld, "dns.listen", rd->listen, rd->n_listen, DNS_PORT,
		       &cfg->dns.listen, &cfg->dns.n_listen);
	cfg->dns.drain_mode = conv_enum(ld, "dns.drain_mode", rd->drain_mode,
					drain_modes, NODE_DRAIN_REDIRECT);
	conv_ms(ld, "dns.tcp_idle_timeout", rd->tcp_idle_timeout, 1, 10000,
		&cfg->dns.tcp_idle_timeout_ms);
	conv_u32(ld, "dns.tcp_max_connections", rd->tcp_max_connections, 1,
		 1048576, 512, &cfg->dns.tcp_max_connections);
	z = cfg->dns.zones =
		alloc_array(ld, rd->n_zones, sizeof(*z), &cfg->dns.n_zones);
	for (i = 0; i < cfg->dns.n_zones; i++) {
		conv_zone(ld, at(p, "dns.zones[%zu]", i), &rd->zones[i], &z[i]);
		for (j = 0; j < i && z[i].name; j++)
			if (z[j].name && !strcmp(z[j].name, z[i].name))
				fail(ld, at(p, "dns.zones[%zu].name", i),
				     "zone '%s' is listed twice", z[i].name);
	}
}

static void
conv_cluster(struct load *ld, const struct node_raw_cluster *rc,
	     struct node_config *cfg)
{
	size_t i;

	conv_label(ld, "cluster.name", rc->name, false, &cfg->cluster.name);
	conv_sockaddr(ld, "cluster.listen", rc->listen, GOSSIP_PORT,
		      &cfg->cluster.listen);
	conv_sockaddrs(ld, "cluster.seeds", rc->seeds, rc->n_seeds, GOSSIP_PORT,
		       &cfg->cluster.seeds, &cfg->cluster.n_seeds);
	dup_str(ld, rc->ca_file, &cfg->cluster.ca_file);
	/* Clusters span regions: without a profile, WAN timings
	 * avoid false suspicion over long paths. */
	cfg->cluster.profile = conv_enum(ld, "cluster.profile", rc->profile,
					 profiles, NODE_PROFILE_WAN);
	conv_u32(ld, "cluster.min_active", rc->min_active, 0, UINT32_MAX, 1,
		 &cfg->cluster.min_active);
	conv_ms(ld, "cluster.startup_sync_timeout", rc->startup_sync_timeout, 0,
		5000, &cfg->cluster.startup_sync_timeout_ms);
	cfg->cluster.encrypt_keys =
		alloc_array(ld, rc->n_encrypt_keys, sizeof(char *),
			    &cfg->cluster.n_encrypt_keys);
	for (i = 0; i < cfg->cluster.n_encrypt_keys; i++)
		dup_str(ld, rc->encrypt_keys[i], &cfg->cluster.encrypt_keys[i]);
}

static void
conv_check(struct load *ld, const char *base, const struct node_raw_check *r,
	   struct node_health_check *c)
{
	const struct u32_field ints[] = {
		{ "rise", r->rise, 1, 1000, 2, &c->rise },
		{ "fall", r->fall, 1, 1000, 3, &c->fall },
		{ "expect_status", r->expect_status, 100, 599, 200,
		  &c->expect_status },
	};
	struct node_sockaddr sa;
	char p[PATH_LEN];

	conv_label(ld, at(p, "%s.name", base), r->name, false, &c->name);
	c->type = conv_enum(ld, at(p, "%s.type", base), r->type, check_types,
			    NODE_CHECK_TCP);
	dup_str(ld, r->target, &c->target);
	if (c->type == NODE_CHECK_TCP)
		conv_sockaddr(ld, at(p, "%s.target", base), r->target, 0, &sa);
	/* No TLS library is linked, so only plain http:// can be checked. */
	if (c->type == NODE_CHECK_HTTP &&
	    (strncmp(r->target, "http://", 7) || !r->target[7]))
		fail(ld, at(p, "%s.target", base),
		     "'%s.target' must be an http:// URL", base);
	conv_ms(ld, at(p, "%s.interval", base), r->interval, 1, 2000,
		&c->interval_ms);
	conv_ms(ld, at(p, "%s.timeout", base), r->timeout, 1, 1000,
		&c->timeout_ms);
	if (r->expect_status && c->type != NODE_CHECK_HTTP)
		fail(ld, at(p, "%s.expect_status", base),
		     "'expect_status' only applies to http checks");
	conv_u32s(ld, base, ints, sizeof(ints) / sizeof(ints[0]));
}

static int
convert(struct load *ld, const struct node_raw_config *raw,
	struct node_config *cfg)
{
	const char *sock = raw->control && raw->control->socket
				   ? raw->control->socket
				   : "/run/pmgtm/control.sock";
	const struct node_raw_log *log = raw->log;
	struct node_health_check *c;
	char p[PATH_LEN];
	size_t i, j;

	cfg->has_cluster = raw->cluster != NULL;
	cfg->has_metrics = raw->metrics != NULL;
	conv_node(ld, raw->node, cfg);
	conv_dns(ld, raw->dns, cfg);
	if (raw->cluster)
		conv_cluster(ld, raw->cluster, cfg);
	if (strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		fail(ld, "control.socket",
		     "'control.socket' is too long for a unix socket path (at "
		     "most %zu bytes)",
		     sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	dup_str(ld, sock, &cfg->control.socket);
	if (raw->control && raw->control->admin_group)
		conv_group(ld, "control.admin_group", raw->control->admin_group,
			   &cfg->control.admin_group, &cfg->control.admin_gid);
	if (raw->metrics)
		conv_sockaddr(ld, "metrics.listen", raw->metrics->listen,
			      METRICS_PORT, &cfg->metrics.listen);
	cfg->log.level = conv_enum(ld, "log.level", log ? log->level : NULL,
				   log_levels, NODE_LOG_INFO);
	cfg->log.format = conv_enum(ld, "log.format", log ? log->format : NULL,
				    log_formats, NODE_LOG_LOGFMT);
	c = cfg->checks = alloc_array(ld, raw->n_health_checks, sizeof(*c),
				      &cfg->n_checks);
	for (i = 0; i < cfg->n_checks; i++) {
		conv_check(ld, at(p, "health_checks[%zu]", i),
			   &raw->health_checks[i], &c[i]);
		for (j = 0; j < i && c[i].name; j++)
			if (c[j].name && !strcmp(c[j].name, c[i].name))
				fail(ld, at(p, "health_checks[%zu].name", i),
				     "health check '%s' is listed twice",
				     c[i].name);
	}
	return ld->rc;
}

/* libcyaml's first error, for the message if it ever disagrees with us. */
struct cyaml_log {
	char msg[128];
};

static void
cyaml_log_first(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct cyaml_log *l = ctx;

	if (level >= CYAML_LOG_ERROR && !l->msg[0]) {
		vsnprintf(l->msg, sizeof(l->msg), fmt, args);
		l->msg[strcspn(l->msg, "\n")] = '\0';
	}
}

int
node_config_load(const char *path, struct node_config **out, char *err,
		 size_t errlen)
{
	return node_config_load_flags(path, 0, out, err, errlen);
}

int
node_config_load_flags(const char *path, int flags, struct node_config **out,
		       char *err, size_t errlen)
{
	int skip = (flags & NODE_CONFIG_SKIP_UNKNOWN) != 0;
	struct load ld = { .file = path, .err = err, .errlen = errlen };
	struct cyaml_log log = { "" };
	const cyaml_config_t cy = {
		.log_fn = cyaml_log_first,
		.log_ctx = &log,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_NO_ALIAS |
			 (skip ? CYAML_CFG_IGNORE_UNKNOWN_KEYS : 0),
	};
	struct node_raw_config *raw = NULL;
	struct node_config *cfg = NULL;
	cyaml_err_t cerr;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out || !path)
		return -EINVAL;
	*out = NULL;
	rc = node_config_doc_load(&ld.doc, path, skip, err, errlen);
	if (rc)
		goto out;
	cerr = cyaml_load_data(ld.doc.data, ld.doc.len, &cy,
			       &node_raw_config_schema, (cyaml_data_t **)&raw,
			       NULL);
	if (cerr != CYAML_OK) {
		raw = NULL;
		if (cerr == CYAML_ERR_OOM)
			rc = oom(&ld);
		else
			rc = fail(&ld, "", "libcyaml: %s (%s)",
				  cyaml_strerror(cerr), log.msg);
		goto out;
	}
	if (!(cfg = calloc(1, sizeof(*cfg))) || !(cfg->path = strdup(path))) {
		rc = oom(&ld);
		goto out;
	}
	rc = convert(&ld, raw, cfg);
out:
	if (raw)
		cyaml_free(&cy, &node_raw_config_schema, raw, 0);
	node_config_doc_fini(&ld.doc);
	if (rc) {
		node_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

void
node_config_free(struct node_config *cfg)
{
	size_t i, j;

	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->node.name);
	free(cfg->node.addrs);
	free(cfg->node.ns_name);
	free(cfg->node.state_dir);
	free(cfg->node.key_file);
	free(cfg->node.cert_file);
	free(cfg->dns.listen);
	for (i = 0; i < cfg->dns.n_zones; i++) {
		struct node_zone *z = &cfg->dns.zones[i];

		for (j = 0; j < z->n_ns; j++) {
			free(z->ns[j].name);
			free(z->ns[j].addrs);
		}
		free(z->ns);
		free(z->name);
		free(z->soa.rname);
	}
	free(cfg->dns.zones);
	free(cfg->cluster.name);
	free(cfg->cluster.seeds);
	free(cfg->cluster.ca_file);
	for (i = 0; i < cfg->cluster.n_encrypt_keys; i++)
		free(cfg->cluster.encrypt_keys[i]);
	free(cfg->cluster.encrypt_keys);
	free(cfg->control.socket);
	free(cfg->control.admin_group);
	for (i = 0; i < cfg->n_checks; i++) {
		free(cfg->checks[i].name);
		free(cfg->checks[i].target);
	}
	free(cfg->checks);
	free(cfg);
}
