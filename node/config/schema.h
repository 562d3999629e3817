/*
 * Internals of the config module (config.c, config_schema.c,
 * config_value.c), for those files and the tests only.
 *
 * The YAML shape of the pmgtmd config, in two halves:
 *
 * - a libcyaml schema that maps the document onto "raw" structs in which
 *   every leaf is still the string as written, so that config.c converts
 *   and validates values itself and can say where a bad one sits;
 * - a libyaml pass over the same text that checks keys, node types,
 *   required keys and counts against that schema and reports the
 *   line:column of the offending node, which libcyaml 1.3 cannot do (its
 *   backtrace gives the enclosing mapping, not the key or value).
 */
#ifndef PMGTM_NODE_CONFIG_SCHEMA_H
#define PMGTM_NODE_CONFIG_SCHEMA_H

#include <cyaml/cyaml.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

struct node_raw_node {
	char *name;
	char **addresses;
	unsigned n_addresses;
	char *ns_name;
	char *state_dir;
	char *key_file;
	char *cert_file;
};

struct node_raw_soa {
	char *rname;
	char *serial, *refresh, *retry, *expire, *minimum;
};

struct node_raw_zone {
	char *name;
	char *ttl;
	char **ns;
	unsigned n_ns;
	struct node_raw_soa *soa;
};

struct node_raw_dns {
	char **listen;
	unsigned n_listen;
	char *drain_mode;
	struct node_raw_zone *zones;
	unsigned n_zones;
	char *tcp_idle_timeout;
	char *tcp_max_connections;
};

struct node_raw_cluster {
	char *name;
	char *listen;
	char **seeds;
	unsigned n_seeds;
	char *ca_file;
	char *profile;
	char **encrypt_keys;
	unsigned n_encrypt_keys;
	char *min_active;
	char *startup_sync_timeout;
};

struct node_raw_control {
	char *socket;
	char *admin_group;
};

struct node_raw_metrics {
	char *listen;
};

struct node_raw_check {
	char *name, *type, *target;
	char *interval, *timeout, *rise, *fall, *expect_status;
};

struct node_raw_log {
	char *level, *format;
};

/* Absent sections stay NULL, which is how config.c tells them apart. */
struct node_raw_config {
	struct node_raw_node *node;
	struct node_raw_dns *dns;
	struct node_raw_cluster *cluster;
	struct node_raw_control *control;
	struct node_raw_metrics *metrics;
	struct node_raw_check *health_checks;
	unsigned n_health_checks;
	struct node_raw_log *log;
};

/* Top-level schema for cyaml_load_data(); yields a struct node_raw_config. */
extern const cyaml_schema_value_t node_raw_config_schema;

/* The parsed document of one config file, kept for error positions. */
struct node_config_doc {
	const char *file; /* borrowed, for messages */
	uint8_t *data;	  /* the file's bytes, for libcyaml */
	size_t len;
	yaml_document_t doc;
	int loaded;
	int skip_unknown; /* pass over keys the schema lacks */
};

/*
 * Read @file (at most 1 MiB), parse it with libyaml and check it
 * against node_raw_config_schema: YAML syntax, a single document, mapping
 * at the top, known and non-duplicate keys, node kinds, required keys,
 * sequence lengths, string lengths, no aliases. On failure returns a
 * negative errno and writes "FILE:LINE:COL: message" (or "FILE: message"
 * when the file cannot be read) to @err. With @skip_unknown, keys the
 * schema does not know are passed over instead (whoever asks for that
 * reports them: node/config/check.c). Release @doc with
 * node_config_doc_fini() in every case.
 */
__attribute__((warn_unused_result)) int
node_config_doc_load(struct node_config_doc *doc, const char *file,
		     int skip_unknown, char *err, size_t errlen);

/* The key of @fields closest to @word (@len bytes) when it looks like a
 * typo of it (a few letters changed, added or dropped), else NULL. */
const char *node_config_suggest(const char *word, size_t len,
				const cyaml_schema_field_t *fields);

void node_config_doc_fini(struct node_config_doc *doc);

/*
 * Position (1-based) of the node at @path, e.g. "dns.zones[1].soa.serial";
 * when that node is absent, the position of its nearest present ancestor,
 * so a default-derived error still points somewhere useful.
 */
void node_config_doc_locate(const struct node_config_doc *doc, const char *path,
			    size_t *line, size_t *col);

/* Longest DNS name in presentation form, without the trailing dot. */
#define NODE_DNAME_MAX 253

/*
 * Copy @text to @out lower-cased and without a trailing dot, checking it is
 * a DNS name: labels of 1-63 letters, digits, '-' or '_', at most
 * NODE_DNAME_MAX characters. 0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int
node_config_dname_norm(const char *text, char out[NODE_DNAME_MAX + 1]);

#endif
