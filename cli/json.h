/*
 * msgpack to JSON, for pmgtmctl --json: the "data" of a control response
 * printed as it came, so new fields reach scripts without CLI changes.
 *
 *   nil -> null, bool -> true/false, integers exactly, floats in the
 *   shortest form that reads back to the same value (NaN and infinities,
 *   which JSON lacks, -> null), str -> a JSON string, bin and ext -> a
 *   string of lowercase hex, arrays and maps as such (a key that is not a
 *   string becomes the string of its JSON text).
 *
 * Strings are made safe whatever the bytes: '"', '\\' and control
 * characters are escaped (\n, \t, ... or \u00XX, DEL too), U+2028 and
 * U+2029 as \u2028 / \u2029, and every byte that is not part of valid
 * UTF-8 (stray continuation bytes, overlong forms, surrogates, past
 * U+10FFFF, truncated sequences) as \ufffd, one per byte. The output is
 * valid UTF-8 with no raw control characters.
 */
#ifndef PMGTM_CLI_JSON_H
#define PMGTM_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <msgpack.h>

/* Nesting deeper than this prints null (msgpack-c stops at 32). */
#define CLI_JSON_DEPTH_MAX 64

/* Writes @o to @f: one line when !@pretty, else indented by two spaces.
 * No trailing newline. Returns 0, or -EIO when writing failed. */
int cli_json_print(FILE *f, const msgpack_object *o, bool pretty);

/* Writes the @n bytes at @s as a JSON string literal, quotes included. */
void cli_json_string(FILE *f, const char *s, size_t n);

#endif
