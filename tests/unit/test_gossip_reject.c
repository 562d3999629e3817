/*
 * A record gossip refuses comes back as GSP_EREJECTED with the reason,
 * never as a number that reads like an errno.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gossip/error.h"
#include "gossip/gossip.h"

#include "gspnet.h"

struct saved {
	uint8_t rec[GSP_REC_MAX];
	size_t len;
};

static void
save(void *ctx, const uint8_t *rec, size_t len)
{
	struct saved *s = ctx;

	assert_true(len <= sizeof(s->rec));
	memcpy(s->rec, rec, len);
	s->len = len;
}

/* Node 0 of a one-node network drains lb9; its signed intent. */
static void
issued(struct saved *s)
{
	struct gspnet_opts o = { .nodes = 1, .ca_seed = 7, .key_seed = 40 };
	struct gspnet *n = gspnet_new(&o);
	struct gsp *g = gspnet_gsp(n, 0);

	assert_true(gsp_drain(g, gspnet_now(n), "lb9", true, "root", "test",
			      0) > 0);
	s->len = 0;
	gsp_intents_export(g, save, s);
	assert_true(s->len > 0);
	gspnet_free(n);
}

/* Another network of the same CA, where the intent is news. */
static struct gspnet *
other(void)
{
	struct gspnet_opts o = { .nodes = 1, .ca_seed = 7, .key_seed = 80 };

	return gspnet_new(&o);
}

static void
import_reports_a_bad_signature(void **state)
{
	(void)state;
	struct saved s;
	struct gspnet *n = other();

	issued(&s);
	s.rec[s.len - 1] ^= 1; /* the signature's last byte */
	enum gsp_reject why = GSP_REJ__COUNT;
	int rc = gsp_intent_import(gspnet_gsp(n, 0), gspnet_now(n), s.rec,
				   s.len, &why);
	assert_int_equal(rc, GSP_EREJECTED);
	assert_int_equal(why, GSP_REJ_SIGNATURE);
	gspnet_free(n);
}

static void
import_reports_what_it_cannot_read(void **state)
{
	(void)state;
	static const uint8_t junk[] = { 0x92, 0xc4, 0x01, 0x00 };
	struct gspnet *n = other();
	enum gsp_reject why = GSP_REJ__COUNT;

	assert_int_equal(gsp_intent_import(gspnet_gsp(n, 0), gspnet_now(n),
					   junk, sizeof(junk), &why),
			 GSP_EREJECTED);
	assert_int_equal(why, GSP_REJ_DECODE);
	gspnet_free(n);
}

/* Applied once, then not newer: neither is a failure. */
static void
import_applies_then_ignores_a_good_intent(void **state)
{
	(void)state;
	struct saved s;
	struct gspnet *n = other();
	struct gsp *g = gspnet_gsp(n, 0);

	issued(&s);
	assert_int_equal(
		gsp_intent_import(g, gspnet_now(n), s.rec, s.len, NULL), 1);
	assert_int_equal(
		gsp_intent_import(g, gspnet_now(n), s.rec, s.len, NULL), 0);
	assert_true(gsp_drained(g, gspnet_now(n), "lb9"));
	gspnet_free(n);
}

static void
strerror_names_the_refusal(void **state)
{
	(void)state;
	assert_string_equal(gsp_strerror(GSP_EREJECTED), "record refused");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(import_reports_a_bad_signature),
		cmocka_unit_test(import_reports_what_it_cannot_read),
		cmocka_unit_test(import_applies_then_ignores_a_good_intent),
		cmocka_unit_test(strerror_names_the_refusal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
