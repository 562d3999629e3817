/*
 * The msgpack helpers pmgtmd and pmgtmctl share: what each packer writes,
 * read back with msgpack-c, and the bounded unpack on tables of good and
 * hostile bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/ctl_proto.h"
#include "common/mpack.h"

#include <errno.h>
#include <string.h>

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* Packs one object with @fn and unpacks it into @up. */
struct packed {
	struct ctl_buf b;
	msgpack_packer pk;
	msgpack_unpacked up;
};

static void
packed_begin(struct packed *p)
{
	ctl_buf_init(&p->b, 1024);
	ctl_packer_init(&p->pk, &p->b);
}

static const msgpack_object *
packed_end(struct packed *p)
{
	size_t off = 0;

	assert_int_equal(p->b.err, 0);
	msgpack_unpacked_init(&p->up);
	assert_int_equal(msgpack_unpack_next(&p->up, (const char *)p->b.data,
					     p->b.len, &off),
			 MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, p->b.len); /* exactly one object */
	return &p->up.data;
}

static void
packed_fini(struct packed *p)
{
	msgpack_unpacked_destroy(&p->up);
	ctl_buf_fini(&p->b);
}

static void
assert_str(const msgpack_object *o, const char *s)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_STR);
	assert_int_equal(o->via.str.size, strlen(s));
	assert_memory_equal(o->via.str.ptr, s, strlen(s));
}

static void
test_str_bool(void **state)
{
	struct packed p;
	const msgpack_object *o;

	(void)state;
	packed_begin(&p);
	msgpack_pack_array(&p.pk, 4);
	cmn_pack_str(&p.pk, "lb1");
	cmn_pack_str(&p.pk, "");
	cmn_pack_bool(&p.pk, true);
	cmn_pack_bool(&p.pk, false);
	o = packed_end(&p);
	assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(o->via.array.size, 4);
	assert_str(&o->via.array.ptr[0], "lb1");
	assert_str(&o->via.array.ptr[1], "");
	assert_int_equal(o->via.array.ptr[2].type, MSGPACK_OBJECT_BOOLEAN);
	assert_true(o->via.array.ptr[2].via.boolean);
	assert_int_equal(o->via.array.ptr[3].type, MSGPACK_OBJECT_BOOLEAN);
	assert_false(o->via.array.ptr[3].via.boolean);
	packed_fini(&p);
}

/* Unset (NULL, as an optional config string) and empty both mean none. */
static void
test_str_or_nil(void **state)
{
	struct packed p;
	const msgpack_object *o;

	(void)state;
	packed_begin(&p);
	msgpack_pack_array(&p.pk, 3);
	cmn_pack_str_or_nil(&p.pk, NULL);
	cmn_pack_str_or_nil(&p.pk, "");
	cmn_pack_str_or_nil(&p.pk, "maintenance");
	o = packed_end(&p);
	assert_int_equal(o->via.array.size, 3);
	assert_int_equal(o->via.array.ptr[0].type, MSGPACK_OBJECT_NIL);
	assert_int_equal(o->via.array.ptr[1].type, MSGPACK_OBJECT_NIL);
	assert_str(&o->via.array.ptr[2], "maintenance");
	packed_fini(&p);
}

static void
test_time(void **state)
{
	static const struct {
		uint64_t t;
		const char *text; /* NULL: nil */
	} t[] = {
		{ 0, NULL },
		{ 1, "1970-01-01T00:00:01Z" },
		{ 1795777200, "2026-11-27T11:00:00Z" },
		/* A time from a peer past what time_t holds: not 1969. */
		{ UINT64_MAX, "@18446744073709551615" },
		{ (uint64_t)INT64_MAX + 1, "@9223372036854775808" },
	};

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct packed p;
		const msgpack_object *o;

		packed_begin(&p);
		cmn_pack_time(&p.pk, t[i].t);
		o = packed_end(&p);
		if (t[i].text)
			assert_str(o, t[i].text);
		else
			assert_int_equal(o->type, MSGPACK_OBJECT_NIL);
		packed_fini(&p);
	}
}

static void
test_unpack_one(void **state)
{
	static const struct {
		const char *name;
		const char *bytes;
		size_t len, max;
		int rc;
	} t[] = {
		{ "a map", "\x81\xa1k\xc0", 4, SIZE_MAX, 0 },
		{ "nil", "\xc0", 1, SIZE_MAX, 0 },
		{ "three objects, limit three", "\x92\x01\x02", 3, 3, 0 },
		{ "empty", "", 0, SIZE_MAX, -EBADMSG },
		{ "two objects", "\xc0\xc0", 2, SIZE_MAX, -EBADMSG },
		{ "cut short", "\x92\x01", 2, SIZE_MAX, -EBADMSG },
		{ "array announcing more than the bytes", "\x93\x01\x02", 3,
		  SIZE_MAX, -EBADMSG },
		/* 2^32-1 elements announced: refused before any reservation */
		{ "array32 bomb", "\xdd\xff\xff\xff\xff\x01", 6, SIZE_MAX,
		  -EBADMSG },
		{ "map32 bomb", "\xdf\xff\xff\xff\xff\x01\x01", 7, SIZE_MAX,
		  -EBADMSG },
		{ "three objects, limit two", "\x92\x01\x02", 3, 2, -EBADMSG },
		{ "reserved type byte", "\xc1", 1, SIZE_MAX, -EBADMSG },
	};

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		msgpack_unpacked up;
		const char *why = NULL;
		int rc;

		print_message("%s\n", t[i].name);
		rc = cmn_unpack_one(&up, (const uint8_t *)t[i].bytes, t[i].len,
				    t[i].max, &why);
		assert_int_equal(rc, t[i].rc);
		if (rc) {
			assert_non_null(why);
			continue;
		}
		assert_null(why);
		msgpack_unpacked_destroy(&up);
	}
	/* @why may be NULL. */
	msgpack_unpacked up;
	assert_int_equal(cmn_unpack_one(&up, (const uint8_t *)"\xc0\xc0", 2,
					SIZE_MAX, NULL),
			 -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_bool),
		cmocka_unit_test(test_str_or_nil),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_unpack_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
