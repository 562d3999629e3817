/*
 * Integers and durations read by hand rather than with strtoull(), which
 * would take blanks, signs and "0x"; times written with gmtime_r().
 */
#include "common/parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
cmn_u64_parse(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');

		/* v * 10 + d > max, asked without wrapping past 2^64 */
		if (d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

int
cmn_duration_parse(const char *text, uint32_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 },
		      { "s", 1000 },
		      { "m", 60000 },
		      { "h", 3600000 },
		      { "d", 86400000 } };
	uint64_t v = 0;
	size_t i;

	if (!ms)
		return -EINVAL;
	*ms = 0;
	if (!text || !is_digit(*text))
		return -EINVAL;
	for (; is_digit(*text); text++) {
		v = v * 10 + (uint64_t)(*text - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(text, units[i].unit))
			continue;
		/* v <= 2^32 and unit < 2^27: the product cannot wrap. */
		if (v * units[i].ms > UINT32_MAX)
			return -EINVAL;
		*ms = (uint32_t)(v * units[i].ms);
		return 0;
	}
	return -EINVAL;
}

int
cmn_lifetime_parse(const char *text, uint64_t *s)
{
	static const struct {
		const char *unit;
		uint64_t s;
	} units[] = {
		{ "s", 1 },	{ "m", 60 },	    { "h", 3600 },
		{ "d", 86400 }, { "w", 7 * 86400 }, { "y", 365 * 86400 }
	};
	uint64_t v = 0;

	if (!s)
		return -EINVAL;
	*s = 0;
	if (!text || !is_digit(*text))
		return -EINVAL;
	for (; is_digit(*text); text++) {
		v = v * 10 + (uint64_t)(*text - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(text, units[i].unit))
			continue;
		if (v == 0)
			return -EINVAL;
		*s = v * units[i].s; /* < 2^32 * 2^25: no wrap */
		return 0;
	}
	return -EINVAL;
}

const char *
cmn_time_format(uint64_t unix_s, char *buf, size_t cap)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	/* A time_t cast back compares equal even when it went negative. */
	if (unix_s > (uint64_t)INT64_MAX || (uint64_t)t != unix_s ||
	    !gmtime_r(&t, &tm) ||
	    !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "@%" PRIu64, unix_s);
	return buf;
}
