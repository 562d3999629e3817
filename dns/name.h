/*
 * Domain names in wire form: a sequence of length-prefixed labels ending
 * with the root label, at most 255 bytes, labels at most 63 bytes.
 */
#ifndef PMGTM_DNS_NAME_H
#define PMGTM_DNS_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

#define DNS_NAME_MAX 255
#define DNS_LABEL_MAX 63

/*
 * Reads a name at the cursor, following compression pointers, and writes
 * its uncompressed wire form (case kept) to @out (DNS_NAME_MAX bytes).
 * A pointer must point strictly backwards from where it stands, so loops
 * and forward pointers are rejected; so are reserved label types, labels
 * over 63 and names over 255 bytes. Returns the name's length, or 0 with
 * rd->err set.
 */
size_t dns_name_read(struct dns_rd *rd, uint8_t *out);

/*
 * Reads a name that must not be compressed (the question), checks it as
 * above and returns its length, or 0 with rd->err set. The name stays in
 * the message at @*start; @labels receives up to 128 label offsets
 * relative to the name's start and @nlabels their count.
 */
size_t dns_name_read_flat(struct dns_rd *rd, size_t *start, uint8_t *labels,
			  size_t *nlabels);

/*
 * Converts presentation form ("api.Example.com", trailing dot optional)
 * into wire form in @out (DNS_NAME_MAX bytes), lowercased when @lower.
 * Returns the length, or a negative errno for an empty label, a label over
 * 63 bytes or a name over 255 bytes.
 */
__attribute__((warn_unused_result)) int
dns_name_from_text(const char *text, uint8_t *out, int lower);

/* Writes the presentation form of a wire name into @out (at least 1005
 * bytes); no escaping beyond '\DDD' for non-printable bytes. */
void dns_name_to_text(const uint8_t *name, char *out, size_t cap);

/* Lowercases ASCII letters of @n bytes from @in into @out. */
void dns_name_lower(const uint8_t *in, size_t n, uint8_t *out);

#endif
