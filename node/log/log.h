/*
 * One line per event on stderr, logfmt or JSON lines:
 *   ts=2026-11-27T11:00:00.123Z level=info msg="listening" addr=127.0.0.1:53
 * Fields come as key, value string pairs ended by NULL (at most 32; more
 * are dropped and counted in fields_dropped=).
 *
 * When stderr is the journal (JOURNAL_STREAM, see node/log/journal.h),
 * each event is a native journal entry instead: PRIORITY from the level,
 * one field per key (PEER=lb2) and the line without ts as MESSAGE; an
 * entry journald does not take goes to stderr as a line.
 */
#ifndef PMGTM_NODE_LOG_LOG_H
#define PMGTM_NODE_LOG_LOG_H

enum node_log_level {
	NODE_LOG_DEBUG = 0,
	NODE_LOG_INFO,
	NODE_LOG_WARN,
	NODE_LOG_ERROR,
};

enum node_log_format {
	NODE_LOG_LOGFMT = 0,
	NODE_LOG_JSON,
};

/* Sets level and format and looks again whether stderr is the journal;
 * called at start and on every reload. */
void node_log_setup(enum node_log_level level, enum node_log_format format);

__attribute__((sentinel)) void node_log(enum node_log_level level,
					const char *msg, ...);

#endif
