#include "cli/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0; /* continuation byte, overlong lead, or past U+10FFFF
			   */
	/* The second byte's range rules out overlongs, surrogates and code
	 * points past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void
cli_json_string(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	fputc('"', f);
	while (i < n) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t len = utf8_len(s + i, n - i);
			if (!len) {
				fputs("\\ufffd", f);
				i++;
			} else if (len == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
				   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
				/* Line and paragraph separators end a line
				 * in JavaScript. */
				fprintf(f, "\\u%04x",
					0x2000 | (s[i + 2] - 0x80));
				i += 3;
			} else {
				fwrite(s + i, 1, len, f);
				i += len;
			}
			continue;
		}
		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
		i++;
	}
	fputc('"', f);
}

/* The shortest "%.Ng" that reads back as the same value; float32 values
 * (widened to double by msgpack-c) need only float precision. */
static void
put_float(FILE *f, double d, bool single)
{
	char buf[40];

	if (!isfinite(d)) {
		fputs("null", f);
		return;
	}
	for (int prec = single ? 6 : 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		double back = strtod(buf, NULL);
		if (single ? (float)back == (float)d : back == d)
			break;
	}
	fputs(buf, f);
}

static void
put_hex(FILE *f, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		fputc(hex[c >> 4], f);
		fputc(hex[c & 15], f);
	}
	fputc('"', f);
}

struct jw {
	FILE *f;
	bool pretty;
};

static void put_value(struct jw *w, const msgpack_object *o, int depth);

static void
newline(struct jw *w, int depth)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < depth; i++)
		fputs("  ", w->f);
}

/* JSON keys are strings: a scalar is printed compact, and that text
 * becomes the key; a map or an array becomes "(map)" or "(array)" (its
 * text escaped again at every level of keys nested in keys would double
 * with each). */
static void
put_key(struct jw *w, const msgpack_object *k, int depth)
{
	char *text = NULL;
	size_t len = 0;

	if (k->type == MSGPACK_OBJECT_STR) {
		cli_json_string(w->f, k->via.str.ptr, k->via.str.size);
		return;
	}
	if (k->type == MSGPACK_OBJECT_MAP || k->type == MSGPACK_OBJECT_ARRAY) {
		fputs(k->type == MSGPACK_OBJECT_MAP ? "\"(map)\""
						    : "\"(array)\"",
		      w->f);
		return;
	}
	FILE *m = open_memstream(&text, &len);
	if (!m) {
		fputs("\"\"", w->f);
		return;
	}
	struct jw kw = { m, false };
	put_value(&kw, k, depth);
	if (fclose(m) == 0)
		cli_json_string(w->f, text, len);
	else
		fputs("\"\"", w->f);
	free(text);
}

static void
put_value(struct jw *w, const msgpack_object *o, int depth)
{
	FILE *f = w->f;

	if (depth >= CLI_JSON_DEPTH_MAX) {
		fputs("null", f);
		return;
	}
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", f);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%" PRIu64, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%" PRId64, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		put_float(f, o->via.f64, o->type == MSGPACK_OBJECT_FLOAT32);
		break;
	case MSGPACK_OBJECT_STR:
		cli_json_string(f, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		put_hex(f, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_EXT:
		put_hex(f, o->via.ext.ptr, o->via.ext.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		fputc('[', f);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i)
				fputc(',', f);
			newline(w, depth + 1);
			put_value(w, &o->via.array.ptr[i], depth + 1);
		}
		if (o->via.array.size)
			newline(w, depth);
		fputc(']', f);
		break;
	case MSGPACK_OBJECT_MAP:
		fputc('{', f);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			if (i)
				fputc(',', f);
			newline(w, depth + 1);
			put_key(w, &o->via.map.ptr[i].key, depth + 1);
			fputs(w->pretty ? ": " : ":", f);
			put_value(w, &o->via.map.ptr[i].val, depth + 1);
		}
		if (o->via.map.size)
			newline(w, depth);
		fputc('}', f);
		break;
	case MSGPACK_OBJECT_NIL:
	default:
		fputs("null", f);
		break;
	}
}

int
cli_json_print(FILE *f, const msgpack_object *o, bool pretty)
{
	struct jw w = { f, pretty };

	put_value(&w, o, 0);
	return ferror(f) ? -EIO : 0;
}
