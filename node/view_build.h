/*
 * From configuration (and, later, cluster state) to a DNS view.
 */
#ifndef PMGTM_NODE_VIEW_BUILD_H
#define PMGTM_NODE_VIEW_BUILD_H

#include <stddef.h>

#include "node/config.h"

struct dns_view;

/* Builds the view of a standalone node serving @cfg. Returns 0 and sets
 * *out, or a negative errno with a reason in @err. */
__attribute__((warn_unused_result)) int
node_view_build(const struct node_config *cfg, struct dns_view **out, char *err,
		size_t errlen);

#endif
