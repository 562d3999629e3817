#include "node/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum node_log_level min_level = NODE_LOG_INFO;
static enum node_log_format fmt = NODE_LOG_LOGFMT;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
node_log_setup(enum node_log_level level, enum node_log_format format)
{
	min_level = level;
	fmt = format;
}

/* logfmt: quote when the value has spaces, quotes or '='; JSON: always. */
static void
put_value(FILE *f, const char *v)
{
	int quote = fmt == NODE_LOG_JSON || *v == '\0' ||
		    strpbrk(v, " \"=\\\t\n") != NULL;

	if (quote)
		fputc('"', f);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	if (quote)
		fputc('"', f);
}

static void
put_field(FILE *f, int first, const char *k, const char *v)
{
	if (fmt == NODE_LOG_JSON) {
		fprintf(f, "%s\"%s\":", first ? "" : ",", k);
		put_value(f, v);
	} else {
		fprintf(f, "%s%s=", first ? "" : " ", k);
		put_value(f, v);
	}
}

void
node_log(enum node_log_level level, const char *msg, ...)
{
	char ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);

	/* One locked write per line, so lines never interleave. */
	flockfile(stderr);
	if (fmt == NODE_LOG_JSON)
		fputc('{', stderr);
	put_field(stderr, 1, "ts", ts);
	put_field(stderr, 0, "level", level_names[level]);
	put_field(stderr, 0, "msg", msg);
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		const char *v = va_arg(ap, const char *);
		put_field(stderr, 0, k, v ? v : "");
	}
	va_end(ap);
	if (fmt == NODE_LOG_JSON)
		fputc('}', stderr);
	fputc('\n', stderr);
	funlockfile(stderr);
	fflush(stderr);
}
