/*
 * One line per event on stderr, logfmt or JSON lines:
 *   ts=2026-11-27T11:00:00.123Z level=info msg="listening" addr=127.0.0.1:53
 * Fields come as key, value string pairs ended by NULL.
 */
#ifndef PMGTM_NODE_LOG_H
#define PMGTM_NODE_LOG_H

#include "node/config.h"

void node_log_setup(enum node_log_level level, enum node_log_format format);

__attribute__((sentinel)) void node_log(enum node_log_level level,
					const char *msg, ...);

#endif
