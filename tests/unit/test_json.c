/*
 * pmgtmctl's msgpack to JSON printer (cli/json.c, compiled in here:
 * pmgtmctl is a program, not a library the tests could link): string
 * escaping, bytes that are not UTF-8, numbers, nesting, pretty output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"

#include "cli/json.c"

/* Prints the packed object in @b as JSON into a fresh string. */
static char *
json_of(const struct ctl_buf *b, bool pretty)
{
	msgpack_unpacked up;
	size_t off = 0, len = 0;
	char *s = NULL;
	FILE *f = open_memstream(&s, &len);

	assert_non_null(f);
	assert_int_equal(b->err, 0);
	msgpack_unpacked_init(&up);
	assert_int_equal(
		msgpack_unpack_next(&up, (const char *)b->data, b->len, &off),
		MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(cli_json_print(f, &up.data, pretty), 0);
	assert_int_equal(fclose(f), 0);
	msgpack_unpacked_destroy(&up);
	return s;
}

static void
check_str(const char *in, size_t n, const char *want)
{
	struct ctl_buf b;
	msgpack_packer pk;

	ctl_buf_init(&b, 4096);
	ctl_packer_init(&pk, &b);
	msgpack_pack_str_with_body(&pk, in, n);
	char *got = json_of(&b, false);
	assert_string_equal(got, want);
	free(got);
	ctl_buf_fini(&b);
}

#define CHECK_STR(lit, want) check_str((lit), sizeof(lit) - 1, (want))

static void
test_json_strings(void **state)
{
	CHECK_STR("plain", "\"plain\"");
	CHECK_STR("", "\"\"");
	CHECK_STR("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	CHECK_STR("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	CHECK_STR("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	CHECK_STR("nul\0in", "\"nul\\u0000in\"");
	/* Valid UTF-8 stays as it is: é, €, U+10FFFF, an emoji. */
	CHECK_STR("\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80",
		  "\"\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80\"");
	/* U+2028 and U+2029 are escaped for JavaScript. */
	CHECK_STR("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
	/* Each byte that is not valid UTF-8 becomes U+FFFD. */
	CHECK_STR("\xff", "\"\\ufffd\"");
	CHECK_STR("a\x80z", "\"a\\ufffdz\"");
	CHECK_STR("\xc0\x80", "\"\\ufffd\\ufffd\""); /* overlong NUL */
	CHECK_STR("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""); /* overlong */
	CHECK_STR("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	CHECK_STR("\xf4\x90\x80\x80",
		  "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	CHECK_STR("\xf5\x80", "\"\\ufffd\\ufffd\"");
	CHECK_STR("\xe2\x82", "\"\\ufffd\\ufffd\"");   /* truncated */
	CHECK_STR("\xe2\x82x", "\"\\ufffd\\ufffdx\""); /* cut short */
	CHECK_STR("\xc3\xa9\xc3", "\"\xc3\xa9\\ufffd\"");
}

static void
test_json_values(void **state)
{
	struct ctl_buf b;
	msgpack_packer pk;
	char *got;

	ctl_buf_init(&b, 4096);
	ctl_packer_init(&pk, &b);
	msgpack_pack_array(&pk, 16);
	msgpack_pack_nil(&pk);
	msgpack_pack_true(&pk);
	msgpack_pack_false(&pk);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	msgpack_pack_int64(&pk, INT64_MIN);
	msgpack_pack_int(&pk, -1);
	msgpack_pack_double(&pk, 0.4);
	msgpack_pack_double(&pk, 1.0);
	msgpack_pack_double(&pk, 0.1 + 0.2);
	msgpack_pack_double(&pk, -0.0);
	msgpack_pack_double(&pk, 1e300);
	msgpack_pack_double(&pk, NAN);
	msgpack_pack_double(&pk, -INFINITY);
	msgpack_pack_float(&pk, 0.1f);
	msgpack_pack_bin_with_body(&pk, "\x00\xff\x10", 3);
	msgpack_pack_ext_with_body(&pk, "\xab", 1, 5);
	got = json_of(&b, false);
	assert_string_equal(got, "[null,true,false,18446744073709551615,"
				 "-9223372036854775808,-1,0.4,1,"
				 "0.30000000000000004,-0,1e+300,null,null,0.1,"
				 "\"00ff10\",\"ab\"]");
	free(got);

	/* Nested containers, empty ones, keys that are not strings. */
	b.len = 0;
	msgpack_pack_map(&pk, 5);
	msgpack_pack_str_with_body(&pk, "a", 1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "b\"", 2);
	msgpack_pack_nil(&pk);
	msgpack_pack_str_with_body(&pk, "c", 1);
	msgpack_pack_map(&pk, 0);
	msgpack_pack_int(&pk, 7);
	msgpack_pack_array(&pk, 0);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_str_with_body(&pk, "x", 1);
	msgpack_pack_true(&pk);
	msgpack_pack_nil(&pk);
	msgpack_pack_double(&pk, 2.5);
	got = json_of(&b, false);
	assert_string_equal(got, "{\"a\":[1,{\"b\\\"\":null}],\"c\":{},"
				 "\"7\":[],\"(array)\":true,"
				 "\"null\":2.5}");
	free(got);
	got = json_of(&b, true);
	assert_string_equal(got, "{\n"
				 "  \"a\": [\n"
				 "    1,\n"
				 "    {\n"
				 "      \"b\\\"\": null\n"
				 "    }\n"
				 "  ],\n"
				 "  \"c\": {},\n"
				 "  \"7\": [],\n"
				 "  \"(array)\": true,\n"
				 "  \"null\": 2.5\n"
				 "}");
	free(got);

	/* Past CLI_JSON_DEPTH_MAX (only reachable with a hand-made object). */
	msgpack_object o[CLI_JSON_DEPTH_MAX + 2];
	for (int i = 0; i < CLI_JSON_DEPTH_MAX + 1; i++) {
		o[i].type = MSGPACK_OBJECT_ARRAY;
		o[i].via.array.size = 1;
		o[i].via.array.ptr = &o[i + 1];
	}
	o[CLI_JSON_DEPTH_MAX + 1].type = MSGPACK_OBJECT_BOOLEAN;
	o[CLI_JSON_DEPTH_MAX + 1].via.boolean = true;
	size_t len = 0;
	char *s = NULL;
	FILE *f = open_memstream(&s, &len);
	assert_int_equal(cli_json_print(f, o, false), 0);
	fclose(f);
	assert_int_equal(len, 2 * CLI_JSON_DEPTH_MAX + 4);
	assert_non_null(strstr(s, "[null]"));
	free(s);
	ctl_buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_json_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
