/*
 * Bounded cursors over DNS wire data. Every read or write checks its bounds;
 * the first failure sticks in ->err and later calls do nothing, so a decoder
 * reads field after field and checks once at the end.
 */
#ifndef PMGTM_DNS_WIRE_H
#define PMGTM_DNS_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Read cursor. ->buf is the whole message, so compression pointers can be
 * followed; ->pos moves forward only through the functions below. */
struct dns_rd {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int err; /* 0, or -EBADMSG once a read ran past the end */
};

/* Write cursor over caller-owned storage of ->cap bytes. */
struct dns_wr {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int err; /* 0, or -ENOSPC once a write did not fit */
};

static inline void
dns_rd_init(struct dns_rd *rd, const uint8_t *buf, size_t len)
{
	rd->buf = buf;
	rd->len = len;
	rd->pos = 0;
	rd->err = 0;
}

static inline size_t
dns_rd_left(const struct dns_rd *rd)
{
	return rd->err ? 0 : rd->len - rd->pos;
}

static inline int
dns_rd_need(struct dns_rd *rd, size_t n)
{
	if (rd->err)
		return 0;
	if (rd->len - rd->pos < n) {
		rd->err = -EBADMSG;
		return 0;
	}
	return 1;
}

static inline uint8_t
dns_rd_u8(struct dns_rd *rd)
{
	if (!dns_rd_need(rd, 1))
		return 0;
	return rd->buf[rd->pos++];
}

static inline uint16_t
dns_rd_u16(struct dns_rd *rd)
{
	if (!dns_rd_need(rd, 2))
		return 0;
	uint16_t v = (uint16_t)(rd->buf[rd->pos] << 8 | rd->buf[rd->pos + 1]);
	rd->pos += 2;
	return v;
}

static inline uint32_t
dns_rd_u32(struct dns_rd *rd)
{
	uint32_t hi = dns_rd_u16(rd);
	return hi << 16 | dns_rd_u16(rd);
}

/* Returns a pointer to the next @n bytes and moves past them; NULL on
 * error. The pointer is valid as long as the message buffer. */
static inline const uint8_t *
dns_rd_bytes(struct dns_rd *rd, size_t n)
{
	if (!dns_rd_need(rd, n))
		return NULL;
	const uint8_t *p = rd->buf + rd->pos;
	rd->pos += n;
	return p;
}

/* Marks the message malformed (a semantic error found by the caller). */
static inline void
dns_rd_fail(struct dns_rd *rd)
{
	if (!rd->err)
		rd->err = -EBADMSG;
}

static inline void
dns_wr_init(struct dns_wr *wr, uint8_t *buf, size_t cap)
{
	wr->buf = buf;
	wr->cap = cap;
	wr->pos = 0;
	wr->err = 0;
}

static inline int
dns_wr_need(struct dns_wr *wr, size_t n)
{
	if (wr->err)
		return 0;
	if (wr->cap - wr->pos < n) {
		wr->err = -ENOSPC;
		return 0;
	}
	return 1;
}

static inline void
dns_wr_u8(struct dns_wr *wr, uint8_t v)
{
	if (dns_wr_need(wr, 1))
		wr->buf[wr->pos++] = v;
}

static inline void
dns_wr_u16(struct dns_wr *wr, uint16_t v)
{
	if (!dns_wr_need(wr, 2))
		return;
	wr->buf[wr->pos] = (uint8_t)(v >> 8);
	wr->buf[wr->pos + 1] = (uint8_t)v;
	wr->pos += 2;
}

static inline void
dns_wr_u32(struct dns_wr *wr, uint32_t v)
{
	dns_wr_u16(wr, (uint16_t)(v >> 16));
	dns_wr_u16(wr, (uint16_t)v);
}

static inline void
dns_wr_bytes(struct dns_wr *wr, const void *p, size_t n)
{
	if (!dns_wr_need(wr, n))
		return;
	memcpy(wr->buf + wr->pos, p, n);
	wr->pos += n;
}

/* Overwrites two bytes already written at @at (counts, lengths). */
static inline void
dns_wr_u16_at(struct dns_wr *wr, size_t at, uint16_t v)
{
	if (wr->err || at + 2 > wr->pos)
		return;
	wr->buf[at] = (uint8_t)(v >> 8);
	wr->buf[at + 1] = (uint8_t)v;
}

/* Moves the cursor back to @pos (dropping what followed) and clears the
 * error: used to undo a record that did not fit. */
static inline void
dns_wr_rewind(struct dns_wr *wr, size_t pos)
{
	wr->pos = pos;
	wr->err = 0;
}

#endif
