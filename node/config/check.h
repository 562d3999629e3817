/*
 * What `pmgtmd --check-config` checks once the file has loaded, and what
 * pmgtmd checks again before it starts, so that a start-up error always
 * names its file:
 *
 * - every key the schema does not know, each with the closest known key
 *   at that level ("did you mean 'key_file'?");
 * - with a cluster section, the files the config names, read as the
 *   daemon reads them: node.key_file, node.cert_file (against the key,
 *   node.name, cluster.name, the CA keys of cluster.ca_file and the
 *   clock), cluster.ca_file, every cluster.encrypt_keys[i], and
 *   node.state_dir (which pmgtmd creates when only its parent exists).
 *
 * Every finding is one line "FILE:LINE:COL: KEY: message", LINE:COL being
 * where the config names the value (the key itself for an unknown key),
 * and all of them are reported, not the first.
 */
#ifndef PMGTM_NODE_CONFIG_CHECK_H
#define PMGTM_NODE_CONFIG_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "node/config/config.h"

/*
 * Checks @cfg, loaded from @path (by node_config_load_flags() with
 * NODE_CONFIG_SKIP_UNKNOWN: this reports the unknown keys), at the current
 * time. @cfg may be NULL when the file did not load: then only the
 * unknown keys are looked for (a file that does not parse gets nothing:
 * the loader's message says why). Writes a line per finding to @out,
 * notes ("KEY: note: ...") included, and returns the number of errors,
 * notes not counted.
 */
int node_config_check(const struct node_config *cfg, const char *path,
		      FILE *out);

/* node_config_check() with the clock at @now (unix seconds). */
int node_config_check_at(const struct node_config *cfg, const char *path,
			 uint64_t now, FILE *out);

/*
 * Creates node.state_dir with mode 0700 when it does not exist yet (the
 * parent must), as node_config_check() announced. 0, or a negative errno
 * with "state_dir DIR: ..." in @err.
 */
__attribute__((warn_unused_result)) int
node_state_dir_make(const struct node_config *cfg, char *err, size_t errlen);

#endif
