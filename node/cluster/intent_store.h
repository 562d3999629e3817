/*
 * The drain intents and the revocations on disk: state_dir/intents,
 * written whole and atomically (temp file, fsync, rename, fsync of the
 * directory) every time an intent wins, a better copy of one arrives or a
 * revocation is learnt, read back at start-up before the node joins.
 *
 *   file = "PI" | 0x01 | msgpack array of bin (each a signed record, as
 *          gossiped: revocations first, then intents and endorsed
 *          intents; verified again when loaded, each certificate at the
 *          time it signed)
 */
#ifndef PMGTM_NODE_CLUSTER_INTENT_STORE_H
#define PMGTM_NODE_CLUSTER_INTENT_STORE_H

#include <stddef.h>

#include "gossip/gossip.h"

/* Loads @dir/intents into @g. Returns the number of intents loaded (0 when
 * there is no file). A file that cannot be read as intents is moved aside
 * to intents.corrupt-<unix time>, reported in @err (non-empty), and 0 is
 * returned: the node rebuilds its intents from its peers. */
int node_intents_load(const char *dir, struct gsp *g, struct gsp_now now,
		      char *err, size_t errlen);

/* Writes every revocation and intent @g holds to @dir/intents. 0 or a
 * negative errno. */
__attribute__((warn_unused_result)) int node_intents_save(const char *dir,
							  const struct gsp *g,
							  char *err,
							  size_t errlen);

#endif
