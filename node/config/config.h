/*
 * pmgtmd configuration: the YAML file (docs in README.md), parsed with libcyaml
 * into plain structs, then validated (addresses, durations, names).
 *
 * Durations are kept in milliseconds, addresses as parsed sockaddrs; every
 * string is owned by the config and freed by node_config_free().
 */
#ifndef PMGTM_NODE_CONFIG_CONFIG_H
#define PMGTM_NODE_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/ip.h"
#include "node/log/log.h"

enum node_drain_mode {
	NODE_DRAIN_REDIRECT = 0,
	NODE_DRAIN_REFUSE,
	NODE_DRAIN_SILENT,
};

enum node_profile {
	NODE_PROFILE_LAN = 0,
	NODE_PROFILE_WAN,
};

enum node_check_type {
	NODE_CHECK_TCP = 0,
	NODE_CHECK_HTTP,
	NODE_CHECK_EXEC,
};

/* One address with an optional port ("198.51.100.10:53", "[::1]:53"). */
struct node_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* as written, for logs */
};

/* One NS entry: a name, with static addresses when written
 * "lb2.api.example.com 192.0.2.2 2001:db8::2". */
struct node_ns {
	char *name;
	struct ip_addr *addrs;
	size_t n_addrs;
};

struct node_soa {
	char *rname;
	uint32_t serial, refresh, retry, expire, minimum;
};

struct node_zone {
	char *name;
	uint32_t ttl; /* default 30 */
	struct node_ns *ns;
	size_t n_ns; /* 0: default to the members' ns_name */
	struct node_soa soa;
};

struct node_health_check {
	char *name;
	enum node_check_type type;
	char *target; /* host:port, URL or command line */
	uint32_t interval_ms, timeout_ms;
	uint32_t rise, fall;
	uint32_t expect_status; /* http only, default 200 */
};

struct node_config {
	char *path; /* the file it came from */

	struct {
		char *name;
		struct ip_addr *addrs;
		size_t n_addrs;
		char *ns_name; /* NULL when unset */
		char *state_dir;
		char *key_file;
		char *cert_file;
	} node;

	struct {
		struct node_sockaddr *listen; /* default port 53 */
		size_t n_listen;
		enum node_drain_mode drain_mode;
		struct node_zone *zones;
		size_t n_zones;
		uint32_t tcp_idle_timeout_ms; /* default 10s */
		uint32_t tcp_max_connections; /* default 512 */
	} dns;

	bool has_cluster; /* false: standalone node, no gossip */
	struct {
		char *name;
		struct node_sockaddr listen; /* default port 7946 */
		struct node_sockaddr *seeds;
		size_t n_seeds;
		char *ca_file;
		enum node_profile profile;
		char **encrypt_keys;
		size_t n_encrypt_keys;
		uint32_t min_active;		  /* default 1 */
		uint32_t startup_sync_timeout_ms; /* default 5s */
	} cluster;

	struct {
		char *socket; /* default /run/pmgtm/control.sock */
		/* May drain and undrain besides root and the daemon's user
		 * (node/control/auth.h); NULL: no group. Resolved to
		 * admin_gid when the file is loaded. */
		char *admin_group;
		gid_t admin_gid;
	} control;

	bool has_metrics;
	struct {
		struct node_sockaddr listen;
	} metrics;

	struct node_health_check *checks;
	size_t n_checks;

	struct {
		enum node_log_level level;
		enum node_log_format format;
	} log;
};

/*
 * Load and validate the file at @path. On success returns 0 and *out owns a
 * config to release with node_config_free(). On failure returns a negative
 * value, *out is NULL, and @err holds one line such as
 * "pmgtm.yaml:12:5: unknown key 'foo' in 'dns'".
 */
__attribute__((warn_unused_result)) int
node_config_load(const char *path, struct node_config **out, char *err,
		 size_t errlen);

/* node_config_load() with @flags: NODE_CONFIG_SKIP_UNKNOWN passes over
 * keys it does not know instead of refusing the file, for a caller that
 * reports every one of them itself (node_config_check()). */
#define NODE_CONFIG_SKIP_UNKNOWN 1
__attribute__((warn_unused_result)) int
node_config_load_flags(const char *path, int flags, struct node_config **out,
		       char *err, size_t errlen);

void node_config_free(struct node_config *cfg);

/* The gid of group @name from the group database (files or NSS).
 * 0, -ENOENT when there is no such group, or another negative errno. */
__attribute__((warn_unused_result)) int node_group_lookup(const char *name,
							  gid_t *gid);

/* Parse an IPv4/IPv6 literal; 0 or -EINVAL. */
__attribute__((warn_unused_result)) int node_ipaddr_parse(const char *text,
							  struct ip_addr *out);

/* Parse "ip:port", "[ip6]:port", or a bare ip (then @default_port);
 * 0 or -EINVAL. */
__attribute__((warn_unused_result)) int
node_sockaddr_parse(const char *text, uint16_t default_port,
		    struct node_sockaddr *out);

#endif
