/*
 * The cursors and name codec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dns/name.h"
#include "dns/wire.h"

static void
test_read_error_sticks(void **state)
{
	static const uint8_t b[] = { 1, 2, 3 };
	struct dns_rd rd;

	dns_rd_init(&rd, b, sizeof(b));
	assert_int_equal(dns_rd_u16(&rd), 0x0102);
	assert_int_equal(dns_rd_u16(&rd), 0); /* one byte left */
	assert_int_equal(rd.err, -EBADMSG);
	assert_int_equal(dns_rd_u8(&rd), 0); /* stays failed */
	assert_int_equal(dns_rd_left(&rd), 0);
	assert_null(dns_rd_bytes(&rd, 0));
}

static void
test_write_error_sticks(void **state)
{
	uint8_t b[5];
	struct dns_wr wr;

	dns_wr_init(&wr, b, sizeof(b));
	dns_wr_u32(&wr, 0xdeadbeef);
	assert_int_equal(wr.err, 0);
	dns_wr_u16(&wr, 1);
	assert_int_equal(wr.err, -ENOSPC);
	dns_wr_u8(&wr, 1);
	assert_int_equal(wr.pos, 4);
	dns_wr_rewind(&wr, 2);
	assert_int_equal(wr.err, 0);
	dns_wr_u16(&wr, 0x0102);
	dns_wr_u16_at(&wr, 0, 0xabcd);
	assert_memory_equal(b, "\xab\xcd\x01\x02", 4);
}

static void
test_name_from_text(void **state)
{
	uint8_t w[DNS_NAME_MAX];
	char big[300];

	assert_int_equal(dns_name_from_text("Api.Example.COM.", w, 1), 17);
	assert_memory_equal(w, "\3api\7example\3com", 17);
	assert_int_equal(dns_name_from_text("a.B", w, 0), 5);
	assert_memory_equal(w, "\1a\1B", 5);
	assert_int_equal(dns_name_from_text(".", w, 1), 1);
	assert_true(dns_name_from_text("a..b", w, 1) < 0);
	assert_true(dns_name_from_text("", w, 1) < 0 ||
		    dns_name_from_text("", w, 1) == 1);
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_true(dns_name_from_text(big, w, 1) < 0); /* label of 64 */
	for (int i = 0; i < 150; i++) {
		big[2 * i] = 'a';
		big[2 * i + 1] = '.';
	}
	big[299] = '\0';
	assert_true(dns_name_from_text(big, w, 1) < 0); /* over 255 */

	char text[1100];
	dns_name_to_text((const uint8_t *)"\3a.b\1\x01\0", text, sizeof(text));
	assert_string_equal(text, "a\\046b.\\001.");
}

static void
test_name_read_pointers(void **state)
{
	/* 0: "\3abc\0"; 5: "\1x" + pointer to 0; 9: pointer to 5. */
	static const uint8_t m[] = { 3,	   'a', 'b',  'c', 0,	 1, 'x',
				     0xc0, 0,	0xc0, 5,   0xc0, 11 };
	uint8_t out[DNS_NAME_MAX];
	struct dns_rd rd;

	dns_rd_init(&rd, m, sizeof(m));
	rd.pos = 9;
	assert_int_equal(dns_name_read(&rd, out), 7);
	assert_memory_equal(out, "\1x\3abc", 7);
	assert_int_equal(rd.pos, 11); /* resumes after the first pointer */

	dns_rd_init(&rd, m, sizeof(m));
	rd.pos = 11; /* points to itself */
	assert_int_equal(dns_name_read(&rd, out), 0);
	assert_int_equal(rd.err, -EBADMSG);

	static const uint8_t fwd[] = { 0xc0, 2, 0 };
	dns_rd_init(&rd, fwd, sizeof(fwd));
	assert_int_equal(dns_name_read(&rd, out), 0);
	assert_int_equal(rd.err, -EBADMSG);

	static const uint8_t cut[] = { 0xc0 };
	dns_rd_init(&rd, cut, sizeof(cut));
	assert_int_equal(dns_name_read(&rd, out), 0);
}

static void
test_name_read_flat(void **state)
{
	static const uint8_t m[] = { 3, 'a', 'p', 'i', 2, 'e', 'x', 0, 9 };
	uint8_t labels[DNS_NAME_MAX];
	size_t start, n;
	struct dns_rd rd;

	dns_rd_init(&rd, m, sizeof(m));
	assert_int_equal(dns_name_read_flat(&rd, &start, labels, &n), 8);
	assert_int_equal(n, 3);
	assert_int_equal(labels[0], 0);
	assert_int_equal(labels[1], 4);
	assert_int_equal(labels[2], 7);
	assert_int_equal(rd.pos, 8);

	static const uint8_t ptr[] = { 1, 'a', 0xc0, 0 };
	dns_rd_init(&rd, ptr, sizeof(ptr));
	assert_int_equal(dns_name_read_flat(&rd, &start, labels, &n), 0);
	assert_int_equal(rd.err, -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_error_sticks),
		cmocka_unit_test(test_write_error_sticks),
		cmocka_unit_test(test_name_from_text),
		cmocka_unit_test(test_name_read_pointers),
		cmocka_unit_test(test_name_read_flat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
