/*
 * Values as operators write and read them, the same in pmgtm.yaml, on
 * pmgtmctl's command line and in what pmgtmd answers: plain integers,
 * durations and RFC 3339 times. Pure functions of their text.
 */
#ifndef PMGTM_COMMON_PARSE_H
#define PMGTM_COMMON_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Plain decimal digits, no sign, blank, prefix or exponent ("0x10", "+1"
 * and "1e3" are mistakes), at most @max. Returns 0, or -EINVAL with @out
 * untouched. */
__attribute__((warn_unused_result)) int
cmn_u64_parse(const char *s, uint64_t max, uint64_t *out);

/* "500ms", "30s", "2m", "2h", "1d" as milliseconds, at most UINT32_MAX.
 * Returns 0, or -EINVAL with *ms zeroed. */
__attribute__((warn_unused_result)) int cmn_duration_parse(const char *text,
							   uint32_t *ms);

/* "30s", "12h", "90d", "2w" (also "1y" = 365d) as seconds: a lifetime
 * too long for cmn_duration_parse(). Returns 0, or -EINVAL (zero, no
 * unit, or past 2^32 days) with *s zeroed. */
__attribute__((warn_unused_result)) int cmn_lifetime_parse(const char *text,
							   uint64_t *s);

/* Room for any cmn_time_format() output, NUL included. */
#define CMN_TIME_MAX 32

/* Unix seconds as RFC 3339 UTC ("2026-11-27T11:00:00Z") in @buf, or
 * "@SECONDS" when out of the calendar's range. Returns @buf. */
const char *cmn_time_format(uint64_t t, char *buf, size_t cap);

/* A time as an operator gives it: unix seconds ("1795777200") or RFC 3339
 * with seconds and a zone ("2026-11-27T11:00:00Z", "...T12:00:00+01:00";
 * no fractions, years from 1970). Returns 0, or -EINVAL (an impossible
 * date such as February 30th, or a time before 1970) with *@out zeroed.
 */
__attribute__((warn_unused_result)) int cmn_time_parse(const char *text,
						       uint64_t *out);

#endif
