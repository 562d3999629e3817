/*
 * Native journal entries for node_log. systemd connects a service's stderr
 * to journald's stream socket and says so in JOURNAL_STREAM ("DEV:INO" of
 * that socket, decimal); when it matches stderr, each event goes to the
 * journal as one entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=pmgtmd and
 * one field per key (peer=lb2 -> PEER=lb2).
 *
 * Without libsystemd at build time node_journal_detect() is always false
 * and node_journal_send() fails, so every event goes to stderr.
 */
#ifndef PMGTM_NODE_LOG_JOURNAL_H
#define PMGTM_NODE_LOG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* journald's limit on a field name. */
#define NODE_JOURNAL_NAME_MAX 64
/* Key/value pairs past this many are left out of an entry. */
#define NODE_JOURNAL_MAX_FIELDS 40

/*
 * Maps a log key to a journal field name in out (NUL-terminated): letters
 * upper-cased, anything but [A-Z0-9_] turned into '_', at most
 * NODE_JOURNAL_NAME_MAX bytes. A name that would not start with a letter
 * or that journald or its clients give a meaning (MESSAGE, PRIORITY,
 * ERRNO, SYSLOG_*, CODE_*, ...) gets the prefix PMGTM_. Returns the
 * length.
 */
size_t node_journal_field_name(const char *key,
			       char out[NODE_JOURNAL_NAME_MAX + 1]);

/* True if env, a JOURNAL_STREAM value, names the socket dev:ino. */
bool node_journal_stream_match(const char *env, dev_t dev, ino_t ino);

/* Where journald takes native entries. */
#define NODE_JOURNAL_SOCKET "/run/systemd/journal/socket"

/* True if stderr is the stream JOURNAL_STREAM names, journald's native
 * socket is there and pmgtmd was built with libsystemd. */
bool node_journal_detect(void);

/*
 * Sends one entry: MESSAGE=message, PRIORITY=priority (syslog, 0-7),
 * SYSLOG_IDENTIFIER=pmgtmd and the n pairs in kv (key, value, key,
 * value...; values are sent as they are). Uses the stack only: values
 * that do not fit in its buffer are cut, pairs past
 * NODE_JOURNAL_MAX_FIELDS are left out. Returns 0 or a negative errno
 * (-ENOSYS without libsystemd); on failure nothing was logged.
 */
int node_journal_send(int priority, const char *message, const char *const *kv,
		      size_t n);

#endif
