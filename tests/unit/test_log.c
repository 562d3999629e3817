/*
 * node/log/log.c and node/log/journal.c: journal field names from log keys,
 * the JOURNAL_STREAM check, and the lines node_log writes when stderr is
 * not the journal (stderr is swapped for a temporary file).
 *
 * Nothing here sends to a journal: with a matching JOURNAL_STREAM the
 * entries would land in the host's journal, if it has one. The native
 * path is tests/integration/test_journal.py, against a real journald.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/log/log.h"
#include "node/log/journal.h"

/* ---- field names ----------------------------------------------------- */

static const struct {
	const char *key, *name;
} names[] = {
	{ "peer", "PEER" },
	{ "zone", "ZONE" },
	{ "addr", "ADDR" },
	{ "rtt_ms", "RTT_MS" },
	{ "Reachable-From", "REACHABLE_FROM" },
	{ "a.b c=d", "A_B_C_D" },
	{ "x9", "X9" },
	{ "messages", "MESSAGES" },
	{ "unit_name", "UNIT_NAME" },
	/* Names journald or its readers give a meaning. */
	{ "message", "PMGTM_MESSAGE" },
	{ "MESSAGE", "PMGTM_MESSAGE" },
	{ "message_id", "PMGTM_MESSAGE_ID" },
	{ "priority", "PMGTM_PRIORITY" },
	{ "syslog_identifier", "PMGTM_SYSLOG_IDENTIFIER" },
	{ "syslog-pid", "PMGTM_SYSLOG_PID" },
	{ "code_file", "PMGTM_CODE_FILE" },
	{ "code_line", "PMGTM_CODE_LINE" },
	{ "errno", "PMGTM_ERRNO" },
	{ "tid", "PMGTM_TID" },
	{ "unit", "PMGTM_UNIT" },
	{ "invocation_id", "PMGTM_INVOCATION_ID" },
	{ "object_pid", "PMGTM_OBJECT_PID" },
	{ "coredump_exe", "PMGTM_COREDUMP_EXE" },
	{ "documentation", "PMGTM_DOCUMENTATION" },
	/* Not starting with a letter: trusted fields, digits, nothing. */
	{ "_pid", "PMGTM__PID" },
	{ "__cursor", "PMGTM___CURSOR" },
	{ "-x", "PMGTM__X" },
	{ "1x", "PMGTM_1X" },
	{ "", "PMGTM_" },
	{ "\xc3\xbc"
	  "ber",
	  "PMGTM___BER" },
	/* 64 bytes at most, prefix included. */
	{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmno"
	  "p",
	  "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKL" },
	{ "_bcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmno"
	  "p",
	  "PMGTM__BCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF" },
};

/* journald's own rule (journal_field_valid, not protected): [A-Z0-9_],
 * not starting with a digit or '_', 1 to 64 bytes. */
static bool
journald_accepts(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '_' ||
	    (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') && name[i] != '_')
			return false;
	return true;
}

static void
test_field_names(void **state)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char out[NODE_JOURNAL_NAME_MAX + 1];
		size_t n = node_journal_field_name(names[i].key, out);
		print_message("%-20.20s -> %s\n", names[i].key, out);
		assert_string_equal(out, names[i].name);
		assert_int_equal(n, strlen(names[i].name));
		assert_true(journald_accepts(out));
	}
}

/* Every byte value, alone and after a letter, maps to a name journald
 * takes. */
static void
test_field_names_every_byte(void **state)
{
	for (int c = 1; c < 256; c++) {
		char key[3] = { (char)c, '\0', '\0' };
		char out[NODE_JOURNAL_NAME_MAX + 1];
		node_journal_field_name(key, out);
		assert_true(journald_accepts(out));
		key[0] = 'k';
		key[1] = (char)c;
		node_journal_field_name(key, out);
		assert_true(journald_accepts(out));
		assert_int_equal(out[0], 'K');
	}
}

/* ---- JOURNAL_STREAM -------------------------------------------------- */

static void
test_stream_match(void **state)
{
	assert_true(node_journal_stream_match("9:703989", 9, 703989));
	assert_true(node_journal_stream_match("0:1", 0, 1));
	assert_true(node_journal_stream_match(
		"18446744073709551615:7", (dev_t)18446744073709551615ULL, 7));
	assert_false(node_journal_stream_match("9:703989", 9, 703988));
	assert_false(node_journal_stream_match("9:703989", 8, 703989));
	assert_false(node_journal_stream_match(NULL, 9, 1));
	assert_false(node_journal_stream_match("", 0, 0));
	assert_false(node_journal_stream_match("9", 9, 0));
	assert_false(node_journal_stream_match("9:", 9, 0));
	assert_false(node_journal_stream_match(":1", 0, 1));
	assert_false(node_journal_stream_match("9:1x", 9, 1));
	assert_false(node_journal_stream_match("9:1 ", 9, 1));
	assert_false(node_journal_stream_match(" 9:1", 9, 1));
	assert_false(node_journal_stream_match("-9:1", (dev_t)-9, 1));
	assert_false(node_journal_stream_match("9:+1", 9, 1));
	assert_false(node_journal_stream_match("9;1", 9, 1));
	assert_false(node_journal_stream_match("0x9:1", 9, 1));
	assert_false(
		node_journal_stream_match("99999999999999999999999:1", 0, 1));
}

/* ---- lines on stderr ------------------------------------------------- */

struct capture {
	FILE *f;
	int saved;
};

static void
capture_start(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fileno(c->f), STDERR_FILENO), STDERR_FILENO);
}

/* Restores stderr; returns what was written (free it). */
static char *
capture_end(struct capture *c)
{
	fflush(stderr);
	assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	close(c->saved);
	fseek(c->f, 0, SEEK_END);
	long n = ftell(c->f);
	rewind(c->f);
	char *text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, c->f), (size_t)n);
	fclose(c->f);
	return text;
}

/* "ts=2026-11-27T11:00:00.123Z " then rest, one line. */
static void
assert_line(const char *text, const char *rest)
{
	print_message("%s", text);
	assert_true(strncmp(text, "ts=", 3) == 0);
	assert_int_equal(strlen(text), 3 + 24 + 1 + strlen(rest) + 1);
	assert_int_equal(text[3 + 23], 'Z');
	assert_int_equal(text[3 + 24], ' ');
	assert_memory_equal(text + 28, rest, strlen(rest));
	assert_int_equal(text[28 + strlen(rest)], '\n');
}

static void
log_with_stream(const char *journal_stream, enum node_log_format fmt,
		const char *want)
{
	struct capture c;

	capture_start(&c);
	if (journal_stream)
		setenv("JOURNAL_STREAM", journal_stream, 1);
	else
		unsetenv("JOURNAL_STREAM");
	node_log_setup(NODE_LOG_INFO, fmt);
	node_log(NODE_LOG_WARN, "peer reachability changed", "peer", "lb2",
		 "detail", "a \"b\"\\\tc\n", "empty", "", "null", NULL, NULL);
	node_log(NODE_LOG_DEBUG, "not shown", NULL);
	char *text = capture_end(&c);
	unsetenv("JOURNAL_STREAM");
	assert_line(text, want);
	free(text);
}

static const char want_logfmt[] =
	"level=warn msg=\"peer reachability changed\" peer=lb2 "
	"detail=\"a \\\"b\\\"\\\\\\u0009c\\n\" empty=\"\" null=\"\"";

static void
test_stderr_without_journal_stream(void **state)
{
	log_with_stream(NULL, NODE_LOG_LOGFMT, want_logfmt);
}

/* A JOURNAL_STREAM inherited from a parent whose stderr went elsewhere. */
static void
test_stderr_other_journal_stream(void **state)
{
	struct stat st;
	char env[64];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino);
	log_with_stream(env, NODE_LOG_LOGFMT, want_logfmt);
	log_with_stream("1:1", NODE_LOG_LOGFMT, want_logfmt);
	log_with_stream("garbage", NODE_LOG_LOGFMT, want_logfmt);
}

static void
test_stderr_json(void **state)
{
	struct capture c;

	capture_start(&c);
	unsetenv("JOURNAL_STREAM");
	node_log_setup(NODE_LOG_DEBUG, NODE_LOG_JSON);
	node_log(NODE_LOG_DEBUG, "x", "k", "v\"", NULL);
	char *text = capture_end(&c);
	print_message("%s", text);
	assert_true(strncmp(text, "{\"ts\":\"", 7) == 0);
	const char *rest = strstr(text, "\",\"level\"");
	assert_non_null(rest);
	assert_string_equal(
		rest,
		"\",\"level\":\"debug\",\"msg\":\"x\",\"k\":\"v\\\"\"}\n");
	free(text);
}

/* Past 32 pairs the rest are counted, not written. */
static void
test_stderr_many_fields(void **state)
{
	struct capture c;
	char want[1024];
	size_t n = 0;

	capture_start(&c);
	unsetenv("JOURNAL_STREAM");
	node_log_setup(NODE_LOG_INFO, NODE_LOG_LOGFMT);
#define P(i) "k" #i, "v" #i
	node_log(NODE_LOG_INFO, "m", P(0), P(1), P(2), P(3), P(4), P(5), P(6),
		 P(7), P(8), P(9), P(10), P(11), P(12), P(13), P(14), P(15),
		 P(16), P(17), P(18), P(19), P(20), P(21), P(22), P(23), P(24),
		 P(25), P(26), P(27), P(28), P(29), P(30), P(31), P(32), P(33),
		 P(34), NULL);
#undef P
	char *text = capture_end(&c);
	n += (size_t)snprintf(want + n, sizeof(want) - n, "level=info msg=m");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, " k%d=v%d", i,
				      i);
	snprintf(want + n, sizeof(want) - n, " fields_dropped=3");
	assert_line(text, want);
	free(text);
}

/* Detection: the stream must be stderr's, journald's socket must be
 * there, and pmgtmd must have been built with libsystemd. */
static void
test_detect(void **state)
{
	struct capture c;
	struct stat st;
	char env[64];

	capture_start(&c);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	bool yes = node_journal_detect();
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	bool other = node_journal_detect();
	unsetenv("JOURNAL_STREAM");
	bool unset = node_journal_detect();
	free(capture_end(&c));

#ifdef PMGTM_HAVE_SYSTEMD
	assert_int_equal(yes, access(NODE_JOURNAL_SOCKET, F_OK) == 0);
#else
	assert_false(yes);
	assert_int_equal(node_journal_send(6, "m", NULL, 0), -ENOSYS);
#endif
	assert_false(other);
	assert_false(unset);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_field_names_every_byte),
		cmocka_unit_test(test_stream_match),
		cmocka_unit_test(test_stderr_without_journal_stream),
		cmocka_unit_test(test_stderr_other_journal_stream),
		cmocka_unit_test(test_stderr_json),
		cmocka_unit_test(test_stderr_many_fields),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
