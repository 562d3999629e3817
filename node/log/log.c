#include "node/log/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "node/log/journal.h"

/* Pairs past this many are dropped and counted in fields_dropped=. */
#define MAX_FIELDS 32

static enum node_log_level min_level = NODE_LOG_INFO;
static enum node_log_format fmt = NODE_LOG_LOGFMT;
static bool to_journal;

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static const int level_priorities[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING,
					LOG_ERR };

void
node_log_setup(enum node_log_level level, enum node_log_format format)
{
	min_level = level;
	fmt = format;
	to_journal = node_journal_detect();
}

/* Where a line goes: a stdio stream (stderr, locked by the caller) or a
 * bounded buffer that cuts what does not fit (the journal's MESSAGE). */
struct sink {
	FILE *f;
	char *buf;
	size_t len, cap;
};

static void
put(struct sink *s, const char *p, size_t n)
{
	if (s->f) {
		fwrite(p, 1, n, s->f);
		return;
	}
	if (n > s->cap - 1 - s->len)
		n = s->cap - 1 - s->len;
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static void
put_str(struct sink *s, const char *str)
{
	put(s, str, strlen(str));
}

/* logfmt: quote when the value has spaces, quotes or '='; JSON: always. */
static void
put_value(struct sink *s, const char *v)
{
	bool quote = fmt == NODE_LOG_JSON || *v == '\0' ||
		     strpbrk(v, " \"=\\\t\n") != NULL;

	if (quote)
		put(s, "\"", 1);
	while (*v) {
		size_t n = 0;
		while ((unsigned char)v[n] >= 0x20 && v[n] != '"' &&
		       v[n] != '\\')
			n++;
		put(s, v, n);
		v += n;
		if (!*v)
			break;
		unsigned char c = (unsigned char)*v++;
		char esc[8];
		if (c == '"' || c == '\\') {
			put(s, "\\", 1);
			put(s, v - 1, 1);
		} else if (c == '\n') {
			put(s, "\\n", 2);
		} else {
			put(s, esc,
			    (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c));
		}
	}
	if (quote)
		put(s, "\"", 1);
}

static void
put_field(struct sink *s, bool first, const char *k, const char *v)
{
	if (!first)
		put_str(s, fmt == NODE_LOG_JSON ? "," : " ");
	if (fmt == NODE_LOG_JSON) {
		put(s, "\"", 1);
		put_str(s, k);
		put_str(s, "\":");
	} else {
		put_str(s, k);
		put(s, "=", 1);
	}
	put_value(s, v);
}

/* The line without its end; without ts when ts is NULL (the journal
 * stamps each entry itself). */
static void
put_line(struct sink *s, const char *ts, enum node_log_level level,
	 const char *msg, const char *const *kv, size_t n)
{
	if (fmt == NODE_LOG_JSON)
		put(s, "{", 1);
	if (ts)
		put_field(s, true, "ts", ts);
	put_field(s, !ts, "level", level_names[level]);
	put_field(s, false, "msg", msg);
	for (size_t i = 0; i < n; i++)
		put_field(s, false, kv[2 * i], kv[2 * i + 1]);
	if (fmt == NODE_LOG_JSON)
		put(s, "}", 1);
}

static void
write_stderr(enum node_log_level level, const char *msg, const char *const *kv,
	     size_t n)
{
	struct sink s = { .f = stderr };
	char ts[40];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t len = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + len, sizeof(ts) - len, ".%03ldZ", now.tv_nsec / 1000000);

	/* One locked write per line, so lines never interleave. */
	flockfile(stderr);
	put_line(&s, ts, level, msg, kv, n);
	fputc('\n', stderr);
	funlockfile(stderr);
	fflush(stderr);
}

/* MESSAGE is the stderr line without ts, so `journalctl -o cat` reads as
 * before; the journal's own fields carry the rest. */
static int
send_journal(enum node_log_level level, const char *msg, const char *const *kv,
	     size_t n)
{
	char line[4096];
	struct sink s = { .buf = line, .cap = sizeof(line) };

	line[0] = '\0';
	put_line(&s, NULL, level, msg, kv, n);
	return node_journal_send(level_priorities[level], line, kv, n);
}

void
node_log(enum node_log_level level, const char *msg, ...)
{
	const char *kv[2 * (MAX_FIELDS + 1)];
	char dropped_text[24];
	size_t n = 0, dropped = 0;
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		const char *v = va_arg(ap, const char *);
		if (n == MAX_FIELDS) {
			dropped++;
			continue;
		}
		kv[2 * n] = k;
		kv[2 * n + 1] = v ? v : "";
		n++;
	}
	va_end(ap);
	if (dropped) {
		snprintf(dropped_text, sizeof(dropped_text), "%zu", dropped);
		kv[2 * n] = "fields_dropped";
		kv[2 * n + 1] = dropped_text;
		n++;
	}
	if (to_journal && send_journal(level, msg, kv, n) == 0)
		return;
	write_stderr(level, msg, kv, n);
}
