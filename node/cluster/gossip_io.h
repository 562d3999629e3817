/*
 * Direct access to the state machine for auto-drain, which issues its
 * intents with gsp_drain() itself; everything else uses
 * node/cluster/cluster.h. Goes once auto-drain issues through
 * node_gossip_drain().
 */
#ifndef PMGTM_NODE_CLUSTER_GOSSIP_IO_H
#define PMGTM_NODE_CLUSTER_GOSSIP_IO_H

#include "node/cluster/cluster.h"

/* The state machine, writable; call node_gossip_kick() after changing it. */
struct gsp *node_gossip_state_mut(struct node_gossip *ng);

/* Reports what the change queued as node_gossip_drain() does (applied,
 * saved, the daemon told: never nested in its callback) and sends it on
 * the next loop turn. */
void node_gossip_kick(struct node_gossip *ng);

#endif
