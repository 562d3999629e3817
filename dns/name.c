#include "dns/name.h"

#include <stdio.h>

/* Label length byte: the top two bits say its type; 00 is a plain label,
 * 11 a compression pointer, 01 and 10 are reserved (RFC 6891 §5). */
#define LABEL_PTR 0xc0

size_t
dns_name_read(struct dns_rd *rd, uint8_t *out)
{
	size_t pos = rd->pos; /* where we read now */
	size_t resume = 0;    /* where the caller continues after a jump */
	size_t len = 0;
	int jumped = 0;

	if (rd->err)
		return 0;
	for (;;) {
		if (pos >= rd->len)
			goto bad;
		uint8_t c = rd->buf[pos];
		if ((c & LABEL_PTR) == LABEL_PTR) {
			if (pos + 1 >= rd->len)
				goto bad;
			size_t to = (size_t)(c & 0x3f) << 8 | rd->buf[pos + 1];
			/* Strictly backwards: no loops, no forward jumps. */
			if (to >= pos)
				goto bad;
			if (!jumped) {
				resume = pos + 2;
				jumped = 1;
			}
			pos = to;
			continue;
		}
		if (c & LABEL_PTR)
			goto bad;
		if (len + 1 + c > DNS_NAME_MAX || pos + 1 + c > rd->len)
			goto bad;
		memcpy(out + len, rd->buf + pos, 1 + (size_t)c);
		len += 1 + (size_t)c;
		pos += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	rd->pos = jumped ? resume : pos;
	return len;
bad:
	dns_rd_fail(rd);
	return 0;
}

size_t
dns_name_read_flat(struct dns_rd *rd, size_t *start, uint8_t *labels,
		   size_t *nlabels)
{
	size_t pos = rd->pos;
	size_t len = 0, n = 0;

	if (rd->err)
		return 0;
	*start = pos;
	for (;;) {
		if (pos >= rd->len)
			goto bad;
		uint8_t c = rd->buf[pos];
		if (c > DNS_LABEL_MAX) /* pointer or reserved type */
			goto bad;
		if (len + 1 + c > DNS_NAME_MAX || pos + 1 + c > rd->len)
			goto bad;
		labels[n++] = (uint8_t)len;
		len += 1 + (size_t)c;
		pos += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	*nlabels = n;
	rd->pos = pos;
	return len;
bad:
	dns_rd_fail(rd);
	*nlabels = 0;
	return 0;
}

int
dns_name_from_text(const char *text, uint8_t *out, int lower)
{
	size_t len = 0;
	const char *p = text;

	if (p[0] == '.' && p[1] == '\0') {
		out[0] = 0;
		return 1;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > DNS_LABEL_MAX)
			return -EINVAL;
		if (len + 1 + l + 1 > DNS_NAME_MAX)
			return -EINVAL;
		out[len++] = (uint8_t)l;
		memcpy(out + len, p, l);
		if (lower)
			dns_name_lower(out + len, l, out + len);
		len += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[len++] = 0;
	return (int)len;
}

void
dns_name_to_text(const uint8_t *name, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return;
	if (name[0] == 0) {
		snprintf(out, cap, ".");
		return;
	}
	while (*name) {
		uint8_t l = *name++;
		for (uint8_t i = 0; i < l; i++, name++) {
			uint8_t ch = *name;
			int w;
			if (ch > 0x20 && ch < 0x7f && ch != '.' && ch != '\\')
				w = snprintf(out + o, cap - o, "%c", ch);
			else
				w = snprintf(out + o, cap - o, "\\%03u", ch);
			if (w < 0 || (size_t)w >= cap - o)
				return;
			o += (size_t)w;
		}
		if (o + 1 >= cap)
			return;
		out[o++] = '.';
		out[o] = '\0';
	}
}

void
dns_name_lower(const uint8_t *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
	}
}
