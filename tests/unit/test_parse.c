/*
 * The values pmgtm.yaml, pmgtmctl and pmgtmd's answers share: integers,
 * durations and RFC 3339 times, each from a table of good and malformed
 * input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/parse.h"

#include <errno.h>
#include <string.h>

#define N(t) (sizeof(t) / sizeof((t)[0]))

static void
test_u64(void **state)
{
	static const struct {
		const char *text;
		uint64_t max;
		int rc;
		uint64_t v;
	} t[] = {
		{ "0", 10, 0, 0 },
		{ "10", 10, 0, 10 },
		{ "007", 10, 0, 7 },
		{ "11", 10, -EINVAL, 0 },
		{ "65535", 65535, 0, 65535 },
		{ "65536", 65535, -EINVAL, 0 },
		{ "9223372036854775807", INT64_MAX, 0, INT64_MAX },
		{ "9223372036854775808", INT64_MAX, -EINVAL, 0 },
		/* 2 * 10^19 wraps to 1553255926290448384 in 64 bits */
		{ "20000000000000000000", INT64_MAX, -EINVAL, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		/* 2^64 wraps to 0 */
		{ "18446744073709551616", UINT64_MAX, -EINVAL, 0 },
		{ "99999999999999999999999", UINT64_MAX, -EINVAL, 0 },
		{ "", 10, -EINVAL, 0 },
		{ "+1", 10, -EINVAL, 0 },
		{ "-1", 10, -EINVAL, 0 },
		{ " 1", 10, -EINVAL, 0 },
		{ "1 ", 10, -EINVAL, 0 },
		{ "0x10", 100, -EINVAL, 0 },
		{ "1e3", 10000, -EINVAL, 0 },
		{ "1.0", 10, -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint64_t v = 12345;

		print_message("%s (max %ju)\n", t[i].text, (uintmax_t)t[i].max);
		assert_int_equal(cmn_u64_parse(t[i].text, t[i].max, &v),
				 t[i].rc);
		assert_true(v == (t[i].rc ? 12345 : t[i].v));
	}
}

static void
test_duration(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint32_t ms;
	} t[] = {
		{ "500ms", 0, 500 },
		{ "30s", 0, 30000 },
		{ "2m", 0, 120000 },
		{ "2h", 0, 7200000 },
		{ "1d", 0, 86400000 },
		{ "0s", 0, 0 },
		{ "007s", 0, 7000 },
		{ "4294967295ms", 0, 4294967295u },
		{ "49d", 0, 4233600000u },
		{ "4294967296ms", -EINVAL, 0 },
		{ "4294968s", -EINVAL, 0 },
		{ "50d", -EINVAL, 0 },
		{ "99999999999999999999999s", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "10", -EINVAL, 0 },
		{ "10 s", -EINVAL, 0 },
		{ " 10s", -EINVAL, 0 },
		{ "10sec", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "1.5s", -EINVAL, 0 },
		{ "10S", -EINVAL, 0 },
		{ "1us", -EINVAL, 0 },
	};
	uint32_t ms;

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		ms = 12345;
		print_message("%s\n", t[i].text);
		assert_int_equal(cmn_duration_parse(t[i].text, &ms), t[i].rc);
		assert_int_equal(ms, t[i].ms);
	}
	assert_int_equal(cmn_duration_parse(NULL, &ms), -EINVAL);
	assert_int_equal(cmn_duration_parse("1s", NULL), -EINVAL);
}

static void
test_lifetime(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t s;
	} t[] = {
		{ "30s", 0, 30 },
		{ "2m", 0, 120 },
		{ "12h", 0, 43200 },
		{ "90d", 0, 7776000 },
		{ "2w", 0, 1209600 },
		{ "1y", 0, 31536000 },
		{ "1096d", 0, 94694400 },
		{ "007d", 0, 604800 },
		/* past what cmn_duration_parse() holds */
		{ "50d", 0, 4320000 },
		{ "4294967295s", 0, 4294967295u },
		{ "4294967295y", 0, UINT64_C(4294967295) * 31536000 },
		{ "4294967296s", -EINVAL, 0 },
		{ "99999999999999999999999d", -EINVAL, 0 },
		{ "0s", -EINVAL, 0 },
		{ "0d", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "d", -EINVAL, 0 },
		{ "90", -EINVAL, 0 },
		{ "90 d", -EINVAL, 0 },
		{ " 90d", -EINVAL, 0 },
		{ "90d ", -EINVAL, 0 },
		{ "90days", -EINVAL, 0 },
		{ "90D", -EINVAL, 0 },
		{ "500ms", -EINVAL, 0 },
		{ "-1d", -EINVAL, 0 },
		{ "+1d", -EINVAL, 0 },
		{ "1.5d", -EINVAL, 0 },
		{ "1d12h", -EINVAL, 0 },
		{ "0x10s", -EINVAL, 0 },
	};
	uint64_t s;

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		s = 12345;
		print_message("%s\n", t[i].text);
		assert_int_equal(cmn_lifetime_parse(t[i].text, &s), t[i].rc);
		assert_int_equal(s, t[i].s);
	}
	assert_int_equal(cmn_lifetime_parse(NULL, &s), -EINVAL);
	assert_int_equal(s, 0);
	assert_int_equal(cmn_lifetime_parse("1d", NULL), -EINVAL);
}

static void
test_time(void **state)
{
	static const struct {
		uint64_t t;
		const char *text;
	} t[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1795777200, "2026-11-27T11:00:00Z" },
		{ 253402300799, "9999-12-31T23:59:59Z" },
		/* Past what time_t holds: never a date before 1970. */
		{ (uint64_t)INT64_MAX + 1, "@9223372036854775808" },
		{ UINT64_MAX, "@18446744073709551615" },
	};
	char buf[CMN_TIME_MAX];

	(void)state;
	for (size_t i = 0; i < N(t); i++)
		assert_string_equal(cmn_time_format(t[i].t, buf, sizeof(buf)),
				    t[i].text);
	/* Years gmtime() cannot give fall back to seconds too. */
	assert_string_equal(cmn_time_format(INT64_MAX, buf, sizeof(buf)),
			    "@9223372036854775807");
	/* A short buffer gets as much as fits, NUL-terminated. */
	char small[8];
	assert_string_equal(cmn_time_format(0, small, sizeof(small)), "@0");
}

static void
test_time_parse(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t t;
	} t[] = {
		{ "0", 0, 0 },
		{ "1795777200", 0, 1795777200 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "2026-11-27T11:00:00Z", 0, 1795777200 },
		{ "2026-11-27T12:00:00+01:00", 0, 1795777200 },
		{ "2026-11-27T05:30:00-05:30", 0, 1795777200 },
		{ "2024-02-29T00:00:00Z", 0, 1709164800 },
		{ "2000-02-29T23:59:59Z", 0, 951868799 },
		{ "2100-03-01T00:00:00Z", 0, 4107542400 },
		{ "9999-12-31T23:59:59Z", 0, 253402300799 },
		{ "1970-01-01T01:00:00+01:00", 0, 0 },
		{ "9223372036854775808", -EINVAL, 0 },
		{ "1970-01-01T00:00:00+00:01", -EINVAL, 0 },
		{ "1969-12-31T23:59:59Z", -EINVAL, 0 },
		{ "2023-02-29T00:00:00Z", -EINVAL, 0 },
		{ "2100-02-29T00:00:00Z", -EINVAL, 0 },
		{ "2026-04-31T00:00:00Z", -EINVAL, 0 },
		{ "2026-13-01T00:00:00Z", -EINVAL, 0 },
		{ "2026-00-01T00:00:00Z", -EINVAL, 0 },
		{ "2026-01-00T00:00:00Z", -EINVAL, 0 },
		{ "2026-01-01T24:00:00Z", -EINVAL, 0 },
		{ "2026-01-01T00:60:00Z", -EINVAL, 0 },
		{ "2026-01-01T00:00:60Z", -EINVAL, 0 },
		{ "2026-01-01T00:00:00", -EINVAL, 0 },
		{ "2026-01-01T00:00:00z", -EINVAL, 0 },
		{ "2026-01-01 00:00:00Z", -EINVAL, 0 },
		{ "2026-01-01T00:00:00.5Z", -EINVAL, 0 },
		{ "2026-01-01T00:00Z", -EINVAL, 0 },
		{ "2026-01-01", -EINVAL, 0 },
		{ "2026-1-01T00:00:00Z", -EINVAL, 0 },
		{ "2026-01-01T00:00:00+0100", -EINVAL, 0 },
		{ "2026-01-01T00:00:00+24:00", -EINVAL, 0 },
		{ "2026-01-01T00:00:00Z ", -EINVAL, 0 },
		{ " 2026-01-01T00:00:00Z", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ "1e9", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "now", -EINVAL, 0 },
	};
	uint64_t v;
	char buf[CMN_TIME_MAX];

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		v = 12345;
		print_message("%s\n", t[i].text);
		assert_int_equal(cmn_time_parse(t[i].text, &v), t[i].rc);
		assert_int_equal(v, t[i].t);
	}
	assert_int_equal(cmn_time_parse(NULL, &v), -EINVAL);
	assert_int_equal(cmn_time_parse("0", NULL), -EINVAL);
	/* what cmn_time_format() writes reads back, every day of 2024 */
	for (uint64_t day = 19723; day < 19723 + 366; day++) {
		uint64_t at = day * 86400 + 3723;
		assert_int_equal(
			cmn_time_parse(cmn_time_format(at, buf, sizeof(buf)),
				       &v),
			0);
		assert_int_equal(v, at);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_time_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
