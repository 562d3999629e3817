/*
 * The control protocol codec (common/ctl_proto.c): round trips, the frame
 * reader, a table of malformed bodies.
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

#include "common/ctl_proto.h"

/* Hand-made bytes: each case spells out its msgpack. */
struct bb {
	uint8_t b[256];
	size_t n;
};

static void
put(struct bb *b, const char *bytes, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, bytes, n);
	b->n += n;
}

#define PUT(b, lit) put((b), (lit), sizeof(lit) - 1)

/* fixstr */
static void
put_s(struct bb *b, const char *s)
{
	uint8_t h = (uint8_t)(0xa0 | strlen(s));

	put(b, (const char *)&h, 1);
	put(b, s, strlen(s));
}

static void
test_request_round_trip(void **state)
{
	struct ctl_buf args, out;
	struct ctl_request req;
	msgpack_packer pk;

	ctl_buf_init(&args, 1024);
	ctl_packer_init(&pk, &args);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "reason", 6);
	msgpack_pack_str_with_body(&pk, "kernel \"upgrade\"", 16);
	msgpack_pack_str_with_body(&pk, "ttl", 3);
	msgpack_pack_uint32(&pk, 3600);
	assert_int_equal(args.err, 0);

	ctl_buf_init(&out, CTL_HDR_LEN + CTL_FRAME_MAX);
	assert_int_equal(ctl_request_encode(&out, "drain", args.data, args.len),
			 0);
	size_t body = out.len - CTL_HDR_LEN;
	assert_int_equal(out.data[0], 0);
	assert_int_equal(out.data[1], 0);
	assert_int_equal(out.data[2], body >> 8);
	assert_int_equal(out.data[3], body & 0xff);
	assert_int_equal(
		ctl_request_decode(out.data + CTL_HDR_LEN, body, &req, NULL),
		0);
	assert_string_equal(req.cmd, "drain");
	assert_int_equal(req.args->type, MSGPACK_OBJECT_MAP);
	assert_true(ctl_str_eq(ctl_map_get(req.args, "reason"),
			       "kernel \"upgrade\""));
	assert_int_equal(ctl_map_get(req.args, "ttl")->via.u64, 3600);
	assert_null(ctl_map_get(req.args, "force"));
	ctl_request_fini(&req);
	ctl_request_fini(&req); /* twice is harmless */

	/* No args: an empty map; two frames in one buffer. */
	size_t first = out.len;
	assert_int_equal(ctl_request_encode(&out, "members", NULL, 0), 0);
	assert_int_equal(ctl_request_decode(out.data + first + CTL_HDR_LEN,
					    out.len - first - CTL_HDR_LEN, &req,
					    NULL),
			 0);
	assert_string_equal(req.cmd, "members");
	assert_int_equal(req.args->via.map.size, 0);
	ctl_request_fini(&req);

	/* Bad names and args that are not a map are the caller's bug. */
	assert_int_equal(ctl_request_encode(&out, "", NULL, 0), -EINVAL);
	assert_int_equal(ctl_request_encode(&out, "Members", NULL, 0), -EINVAL);
	assert_int_equal(ctl_request_encode(&out, "a b", NULL, 0), -EINVAL);
	assert_int_equal(ctl_request_encode(&out,
					    "abcdefghijklmnopqrstuvwxyz012345",
					    NULL, 0),
			 -EINVAL);
	assert_int_equal(
		ctl_request_encode(&out, "x", (const uint8_t *)"\x90", 1),
		-EINVAL);
	ctl_buf_fini(&args);
	ctl_buf_fini(&out);
}

static void
test_response_round_trip(void **state)
{
	struct ctl_buf data, out;
	struct ctl_response r;
	msgpack_packer pk;

	ctl_buf_init(&data, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &data);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "members", 7);
	msgpack_pack_array(&pk, 0);

	ctl_buf_init(&out, CTL_HDR_LEN + CTL_FRAME_MAX);
	assert_int_equal(ctl_response_encode(&out, CTL_OK, "ignored", data.data,
					     data.len),
			 0);
	assert_int_equal(ctl_response_decode(out.data + CTL_HDR_LEN,
					     out.len - CTL_HDR_LEN, &r, NULL),
			 0);
	assert_true(r.ok);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.error, "");
	assert_int_equal(ctl_map_get(r.data, "members")->type,
			 MSGPACK_OBJECT_ARRAY);
	ctl_response_fini(&r);

	out.len = 0;
	assert_int_equal(ctl_response_encode(&out, CTL_REFUSED,
					     "no member 'lb9'", NULL, 0),
			 0);
	assert_int_equal(ctl_response_decode(out.data + CTL_HDR_LEN,
					     out.len - CTL_HDR_LEN, &r, NULL),
			 0);
	assert_false(r.ok);
	assert_int_equal(r.code, CTL_REFUSED);
	assert_string_equal(r.error, "no member 'lb9'");
	assert_int_equal(r.data->type, MSGPACK_OBJECT_NIL);
	ctl_response_fini(&r);

	/* An error without a message still has one. */
	out.len = 0;
	assert_int_equal(ctl_response_encode(&out, CTL_ERROR, NULL, NULL, 0),
			 0);
	assert_int_equal(ctl_response_decode(out.data + CTL_HDR_LEN,
					     out.len - CTL_HDR_LEN, &r, NULL),
			 0);
	assert_string_equal(r.error, "failed");
	ctl_response_fini(&r);

	/* Data over CTL_FRAME_MAX: refused, and the buffer is unchanged. */
	struct ctl_buf big;
	ctl_buf_init(&big, 2 * CTL_FRAME_MAX);
	ctl_packer_init(&pk, &big);
	char *s = calloc(1, CTL_FRAME_MAX);
	assert_non_null(s);
	msgpack_pack_str_with_body(&pk, s, CTL_FRAME_MAX);
	out.len = 0;
	assert_int_equal(
		ctl_response_encode(&out, CTL_OK, NULL, big.data, big.len),
		-EMSGSIZE);
	assert_int_equal(out.len, 0);
	free(s);
	ctl_buf_fini(&big);

	/* The buffer's own limit sticks. */
	struct ctl_buf small;
	ctl_buf_init(&small, 8);
	assert_int_equal(ctl_buf_put(&small, "12345678", 8), 0);
	assert_int_equal(ctl_buf_put(&small, "9", 1), -EMSGSIZE);
	assert_int_equal(ctl_buf_put(&small, "", 0), -EMSGSIZE);
	ctl_buf_fini(&small);
	ctl_buf_fini(&data);
	ctl_buf_fini(&out);
}

struct bad_case {
	const char *name;
	const char *bytes;
	size_t len;
};

#define BAD(name, lit)                                                         \
	{                                                                      \
		name, lit, sizeof(lit) - 1                                     \
	}

static const struct bad_case bad_requests[] = {
	BAD("empty", ""),
	BAD("never-used byte", "\xc1"),
	BAD("not a map", "\x91\xc0"),
	BAD("a string", "\xa3"
			"abc"),
	BAD("array32 of 2^28", "\xdd\x10\x00\x00\x00"),
	BAD("map32 of 2^32-1", "\xdf\xff\xff\xff\xff"),
	BAD("map16 of 65535", "\xde\xff\xff\xa0\xc0"),
	BAD("huge array inside", "\x82\xa3"
				 "cmd\xa1x\xa4"
				 "args\xdc\xff\xff"),
	BAD("str32 past the end", "\x81\xa3"
				  "cmd\xdb\xff\xff\xff\xff"
				  "ab"),
	BAD("missing cmd", "\x80"),
	BAD("cmd not a string", "\x81\xa3"
				"cmd\x01"),
	BAD("cmd as bin", "\x81\xa3"
			  "cmd\xc4\x01x"),
	BAD("cmd empty", "\x81\xa3"
			 "cmd\xa0"),
	BAD("cmd upper case", "\x81\xa3"
			      "cmd\xa1X"),
	BAD("cmd with NUL", "\x81\xa3"
			    "cmd\xa3m\x00m"),
	BAD("cmd with space", "\x81\xa3"
			      "cmd\xa3m m"),
	BAD("cmd too long", "\x81\xa3"
			    "cmd\xd9\x20"
			    "abcdefghijklmnopqrstuvwxyz012345"),
	BAD("args an array", "\x82\xa3"
			     "cmd\xa1x\xa4"
			     "args\x90"),
	BAD("args nil", "\x82\xa3"
			"cmd\xa1x\xa4"
			"args\xc0"),
	BAD("integer key", "\x82\xa3"
			   "cmd\xa1x\x01\xc0"),
	BAD("two cmds", "\x82\xa3"
			"cmd\xa1x\xa3"
			"cmd\xa1y"),
	BAD("truncated", "\x82\xa3"
			 "cmd\xa1x\xa4"
			 "args\x81\xa1k"),
	BAD("trailing byte", "\x81\xa3"
			     "cmd\xa1x\xc0"),
	BAD("two objects", "\x81\xa3"
			   "cmd\xa1x\x81\xa3"
			   "cmd\xa1x"),
	BAD("truncated uint64", "\x81\xa3"
				"cmd\xcf\x00\x00"),
};

static const struct bad_case bad_responses[] = {
	BAD("empty", ""),
	BAD("not a map", "\xc3"),
	BAD("map32 of 2^32-1", "\xdf\xff\xff\xff\xff"),
	BAD("missing ok", "\x81\xa4"
			  "code\x00"),
	BAD("missing code", "\x81\xa2ok\xc3"),
	BAD("ok not a bool", "\x82\xa2ok\x01\xa4"
			     "code\x00"),
	BAD("code negative", "\x82\xa2ok\xc2\xa4"
			     "code\xff"),
	BAD("code a string", "\x82\xa2ok\xc3\xa4"
			     "code\xa1"
			     "0"),
	BAD("code too big", "\x83\xa2ok\xc2\xa4"
			    "code\xcd\x01\x00\xa5"
			    "error\xa1x"),
	BAD("ok but code 1", "\x83\xa2ok\xc3\xa4"
			     "code\x01\xa5"
			     "error\xa1x"),
	BAD("not ok but code 0", "\x83\xa2ok\xc2\xa4"
				 "code\x00\xa5"
				 "error\xa1x"),
	BAD("error missing", "\x82\xa2ok\xc2\xa4"
			     "code\x01"),
	BAD("error not a string", "\x83\xa2ok\xc2\xa4"
				  "code\x01\xa5"
				  "error\x90"),
	BAD("error with NUL", "\x83\xa2ok\xc2\xa4"
			      "code\x01\xa5"
			      "error\xa2x\x00"),
	BAD("two datas", "\x84\xa2ok\xc3\xa4"
			 "code\x00\xa4"
			 "data\xc0\xa4"
			 "data\xc0"),
	BAD("deep nesting",
	    "\x83\xa2ok\xc3\xa4"
	    "code\x00\xa4"
	    "data"
	    "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91"
	    "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91"
	    "\x91\x91\x91\x91\x91\x91\x91\x91\xc0"),
	BAD("trailing", "\x82\xa2ok\xc3\xa4"
			"code\x00\x00"),
};

static void
test_malformed(void **state)
{
	struct ctl_request req;
	struct ctl_response r;
	const char *why;

	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(*bad_requests);
	     i++) {
		const struct bad_case *c = &bad_requests[i];
		why = NULL;
		memset(&req, 0xa5, sizeof(req));
		if (ctl_request_decode((const uint8_t *)c->bytes, c->len, &req,
				       &why) != -EBADMSG)
			fail_msg("request '%s' accepted", c->name);
		assert_non_null(why);
		/* Cleared on failure; fini is harmless. */
		assert_false(req.live);
		assert_null(req.args);
		ctl_request_fini(&req);
	}
	for (size_t i = 0; i < sizeof(bad_responses) / sizeof(*bad_responses);
	     i++) {
		const struct bad_case *c = &bad_responses[i];
		why = NULL;
		if (ctl_response_decode((const uint8_t *)c->bytes, c->len, &r,
					&why) != -EBADMSG)
			fail_msg("response '%s' accepted", c->name);
		assert_non_null(why);
		assert_null(r.data);
	}

	/* Every strict prefix of a good request is refused. */
	struct bb b = { .n = 0 };
	PUT(&b, "\x82");
	put_s(&b, "cmd");
	put_s(&b, "drain");
	put_s(&b, "args");
	PUT(&b, "\x81");
	put_s(&b, "target");
	put_s(&b, "lb2");
	assert_int_equal(ctl_request_decode(b.b, b.n, &req, NULL), 0);
	assert_true(ctl_str_eq(ctl_map_get(req.args, "target"), "lb2"));
	ctl_request_fini(&req);
	for (size_t n = 0; n < b.n; n++)
		assert_int_equal(ctl_request_decode(b.b, n, &req, NULL),
				 -EBADMSG);

	/* Unknown keys are let through, for newer peers. */
	b.n = 0;
	PUT(&b, "\x83");
	put_s(&b, "future");
	PUT(&b, "\x92\x01\x02");
	put_s(&b, "cmd");
	put_s(&b, "status");
	put_s(&b, "future");
	PUT(&b, "\xc0");
	assert_int_equal(ctl_request_decode(b.b, b.n, &req, NULL), 0);
	assert_string_equal(req.cmd, "status");
	ctl_request_fini(&req);

	/* A long error is cut, not refused. */
	uint8_t *big = malloc(2000);
	assert_non_null(big);
	memcpy(big,
	       "\x83\xa2ok\xc2\xa4"
	       "code\x01\xa5"
	       "error\xda\x07\x00",
	       20);
	memset(big + 20, 'e', 1792);
	assert_int_equal(ctl_response_decode(big, 20 + 1792, &r, NULL), 0);
	assert_int_equal(strlen(r.error), CTL_ERROR_MAX - 1);
	ctl_response_fini(&r);
	free(big);
}

/* Feeds @n bytes through the reader in chunks of @chunk. */
static int
feed(struct ctl_reader *rd, const uint8_t *p, size_t n, size_t chunk,
     size_t *frames, size_t *announced)
{
	while (n) {
		uint8_t *dst;
		size_t want, k;
		ctl_reader_space(rd, &dst, &want);
		assert_true(want > 0);
		k = want < chunk ? want : chunk;
		k = k < n ? k : n;
		memcpy(dst, p, k);
		p += k;
		n -= k;
		int r = ctl_reader_advance(rd, k, announced);
		if (r < 0)
			return r;
		if (r == 1) {
			size_t len;
			uint8_t *body = ctl_reader_take(rd, &len);
			assert_int_equal(body[0], 0x82); /* {cmd, args} */
			free(body);
			(*frames)++;
		}
	}
	return 0;
}

static void
test_reader(void **state)
{
	struct ctl_buf out;
	struct ctl_reader rd;
	size_t frames, announced;

	ctl_buf_init(&out, 4096);
	assert_int_equal(ctl_request_encode(&out, "status", NULL, 0), 0);
	assert_int_equal(ctl_request_encode(&out, "members", NULL, 0), 0);
	for (size_t chunk = 1; chunk <= out.len; chunk++) {
		frames = 0;
		ctl_reader_init(&rd, 64);
		assert_int_equal(
			feed(&rd, out.data, out.len, chunk, &frames, NULL), 0);
		assert_int_equal(frames, 2);
		ctl_reader_fini(&rd);
	}

	/* Zero length, and one byte over the limit, with nothing taken. */
	ctl_reader_init(&rd, 64);
	assert_int_equal(
		feed(&rd, (const uint8_t *)"\0\0\0\0", 4, 4, &frames, NULL),
		-EBADMSG);
	ctl_reader_fini(&rd);
	ctl_reader_init(&rd, 64);
	assert_int_equal(feed(&rd, (const uint8_t *)"\0\0\0\x41", 4, 1, &frames,
			      &announced),
			 -EMSGSIZE);
	assert_int_equal(announced, 65);
	assert_null(rd.body);
	ctl_reader_fini(&rd);
	ctl_reader_init(&rd, SIZE_MAX); /* capped at CTL_FRAME_MAX */
	assert_int_equal(feed(&rd, (const uint8_t *)"\xff\xff\xff\xff", 4, 4,
			      &frames, &announced),
			 -EMSGSIZE);
	assert_int_equal(announced, 0xffffffffu);
	ctl_reader_fini(&rd);

	/* A half-read frame is freed by fini. */
	ctl_reader_init(&rd, 64);
	assert_int_equal(feed(&rd, out.data, 6, 6, &frames, NULL), 0);
	assert_non_null(rd.body);
	ctl_reader_fini(&rd);
	ctl_buf_fini(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_response_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
