/*
 * Integers, durations and times read by hand rather than with strtoull()
 * or strptime(), which would take blanks, signs and "0x" (and the local
 * time zone); times written with gmtime_r().
 */
#include "common/parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
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

/* Leading digits of @text as a number up to UINT32_MAX; *@unit points at
 * what follows them. Returns 0 or -EINVAL. */
static int
number_then_unit(const char *text, uint64_t *v, const char **unit)
{
	*v = 0;
	if (!text || !is_digit(*text))
		return -EINVAL;
	for (; is_digit(*text); text++) {
		*v = *v * 10 + (uint64_t)(*text - '0');
		if (*v > UINT32_MAX)
			return -EINVAL;
	}
	*unit = text;
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
	const char *unit;
	uint64_t v;

	if (!ms)
		return -EINVAL;
	*ms = 0;
	if (number_then_unit(text, &v, &unit))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit))
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
	const char *unit;
	uint64_t v;

	if (!s)
		return -EINVAL;
	*s = 0;
	if (number_then_unit(text, &v, &unit) || v == 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) == 0) {
			*s = v * units[i].s; /* < 2^32 * 2^25: no wrap */
			return 0;
		}
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

/* Exactly @n digits at *@p as a number, *@p moved past them; -1 when
 * they are not all digits. */
static int64_t
fixed_digits(const char **p, int n)
{
	int64_t v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!is_digit(**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

/* Days from 1970-01-01 to @y-@m-@d of the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int
month_days(int64_t y, int64_t m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* "Z", "+HH:MM" or "-HH:MM" as seconds east of UTC; -EINVAL otherwise. */
static int
zone_parse(const char *p, int64_t *east)
{
	int64_t h, m;
	int sign;

	if (!strcmp(p, "Z")) {
		*east = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -EINVAL;
	sign = *p++ == '-' ? -1 : 1;
	h = fixed_digits(&p, 2);
	if (h < 0 || h > 23 || *p++ != ':')
		return -EINVAL;
	m = fixed_digits(&p, 2);
	if (m < 0 || m > 59 || *p)
		return -EINVAL;
	*east = sign * (h * 3600 + m * 60);
	return 0;
}

int
cmn_time_parse(const char *text, uint64_t *out)
{
	int64_t y, mo, d, h, mi, sec, east, t;
	const char *p = text;

	if (!out)
		return -EINVAL;
	*out = 0;
	if (!text)
		return -EINVAL;
	if (!strchr(text, '-') || text[0] == '-')
		return cmn_u64_parse(text, INT64_MAX, out);
	y = fixed_digits(&p, 4);
	if (y < 1970 || *p++ != '-')
		return -EINVAL;
	mo = fixed_digits(&p, 2);
	if (mo < 1 || mo > 12 || *p++ != '-')
		return -EINVAL;
	d = fixed_digits(&p, 2);
	if (d < 1 || d > month_days(y, mo) || *p++ != 'T')
		return -EINVAL;
	h = fixed_digits(&p, 2);
	if (h < 0 || h > 23 || *p++ != ':')
		return -EINVAL;
	mi = fixed_digits(&p, 2);
	if (mi < 0 || mi > 59 || *p++ != ':')
		return -EINVAL;
	sec = fixed_digits(&p, 2);
	/* no leap seconds: a unix time has none to give */
	if (sec < 0 || sec > 59 || zone_parse(p, &east))
		return -EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - east;
	if (t < 0)
		return -EINVAL;
	*out = (uint64_t)t;
	return 0;
}
