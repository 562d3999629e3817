/*
 * Node certificates: a small MessagePack codec for the one fixed layout
 * described in cert.h, and Ed25519 signing and checking with libsodium.
 *
 * The codec is written out by hand rather than with msgpack_unpack_next():
 * msgpack-c allocates room for every element an array or map header
 * announces before reading any of them, so five bytes (dd ff ff ff ff)
 * would ask for 137 GB. A certificate has one fixed shape, so a
 * bounded cursor reading exactly that shape needs no allocation at all.
 */
#include "gossip/cert.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "gossip/error.h"

/* Read cursor: the first error sticks, later reads return zeroes. */
struct rd {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int err;
};

/* Write cursor over caller storage: the first overflow sticks. */
struct wr {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int err;
};

static const uint8_t *
rd_bytes(struct rd *rd, uint64_t n)
{
	const uint8_t *p;

	if (rd->err)
		return NULL;
	if (rd->len - rd->pos < n) {
		rd->err = -EBADMSG;
		return NULL;
	}
	p = rd->buf + rd->pos;
	rd->pos += n;
	return p;
}

/* Big-endian unsigned integer of @n bytes (1, 2, 4 or 8). */
static uint64_t
rd_be(struct rd *rd, unsigned n)
{
	const uint8_t *p = rd_bytes(rd, n);
	uint64_t v = 0;
	unsigned i;

	if (!p)
		return 0;
	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void
rd_fail(struct rd *rd)
{
	if (!rd->err)
		rd->err = -EBADMSG;
}

/* A MessagePack integer that is not negative, in any of its encodings. */
static uint64_t
rd_uint(struct rd *rd)
{
	uint8_t tag = (uint8_t)rd_be(rd, 1);
	uint64_t v;

	if (rd->err)
		return 0;
	if (tag <= 0x7f)
		return tag;
	switch (tag) {
	case 0xcc: /* uint 8, 16, 32, 64 */
	case 0xcd:
	case 0xce:
	case 0xcf:
		return rd_be(rd, 1u << (tag - 0xcc));
	case 0xd0: /* int 8, 16, 32, 64: accepted when not negative */
	case 0xd1:
	case 0xd2:
	case 0xd3: {
		unsigned n = 1u << (tag - 0xd0);

		v = rd_be(rd, n);
		if (v >> (8 * n - 1) & 1) {
			rd_fail(rd);
			return 0;
		}
		return v;
	}
	}
	rd_fail(rd);
	return 0;
}

/* Length of a str (@str true) or bin header; the bytes follow. */
static uint64_t
rd_len(struct rd *rd, bool str)
{
	uint8_t tag = (uint8_t)rd_be(rd, 1);

	if (rd->err)
		return 0;
	if (str && tag >= 0xa0 && tag <= 0xbf)
		return tag & 0x1f;
	if (str && tag >= 0xd9 && tag <= 0xdb)
		return rd_be(rd, 1u << (tag - 0xd9));
	if (!str && tag >= 0xc4 && tag <= 0xc6)
		return rd_be(rd, 1u << (tag - 0xc4));
	rd_fail(rd);
	return 0;
}

static uint64_t
rd_array(struct rd *rd)
{
	uint8_t tag = (uint8_t)rd_be(rd, 1);

	if (rd->err)
		return 0;
	if (tag >= 0x90 && tag <= 0x9f)
		return tag & 0x0f;
	if (tag == 0xdc || tag == 0xdd)
		return rd_be(rd, tag == 0xdc ? 2 : 4);
	rd_fail(rd);
	return 0;
}

/* A bin of exactly @n bytes, copied to @out. */
static void
rd_bin_exact(struct rd *rd, uint8_t *out, size_t n)
{
	uint64_t len = rd_len(rd, false);
	const uint8_t *p;

	if (!rd->err && len != n)
		rd_fail(rd);
	p = rd_bytes(rd, n);
	if (p)
		memcpy(out, p, n);
}

static void
wr_bytes(struct wr *wr, const void *p, size_t n)
{
	if (wr->err)
		return;
	if (wr->cap - wr->pos < n) {
		wr->err = -ENOSPC;
		return;
	}
	if (n)
		memcpy(wr->buf + wr->pos, p, n);
	wr->pos += n;
}

static void
wr_u8(struct wr *wr, uint8_t v)
{
	wr_bytes(wr, &v, 1);
}

/* Tag, then @v big-endian in @n bytes. */
static void
wr_tagged(struct wr *wr, uint8_t tag, uint64_t v, unsigned n)
{
	uint8_t b[9];
	unsigned i;

	b[0] = tag;
	for (i = 0; i < n; i++)
		b[n - i] = (uint8_t)(v >> (8 * i));
	wr_bytes(wr, b, n + 1);
}

/* The shortest encoding of an unsigned integer. */
static void
wr_uint(struct wr *wr, uint64_t v)
{
	if (v <= 0x7f)
		wr_u8(wr, (uint8_t)v);
	else if (v <= UINT8_MAX)
		wr_tagged(wr, 0xcc, v, 1);
	else if (v <= UINT16_MAX)
		wr_tagged(wr, 0xcd, v, 2);
	else if (v <= UINT32_MAX)
		wr_tagged(wr, 0xce, v, 4);
	else
		wr_tagged(wr, 0xcf, v, 8);
}

/* fixstr or str 8: enough for names (at most 63 bytes). */
static void
wr_str(struct wr *wr, const char *s, size_t n)
{
	if (n < 32)
		wr_u8(wr, (uint8_t)(0xa0 | n));
	else
		wr_tagged(wr, 0xd9, n, 1);
	wr_bytes(wr, s, n);
}

/* bin 8: enough for keys and signatures. */
static void
wr_bin(struct wr *wr, const uint8_t *p, size_t n)
{
	wr_tagged(wr, 0xc4, n, 1);
	wr_bytes(wr, p, n);
}

static bool
name_valid(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > GSP_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-'))
			return false;
	}
	return true;
}

bool
gsp_name_valid(const char *name)
{
	return name && name_valid(name, strnlen(name, GSP_NAME_MAX + 1));
}

/* The first seven elements, as an array of 7 or (@with_sig) the whole
 * certificate as an array of 8. The names must have been checked. */
static void
wr_cert(struct wr *wr, const struct gsp_cert *c, bool with_sig)
{
	wr_u8(wr, with_sig ? 0x98 : 0x97);
	wr_uint(wr, GSP_CERT_VERSION);
	wr_str(wr, c->cluster, strlen(c->cluster));
	wr_str(wr, c->name, strlen(c->name));
	wr_bin(wr, c->pk, GSP_PK_LEN);
	wr_uint(wr, c->not_before);
	wr_uint(wr, c->not_after);
	wr_bin(wr, c->ca_id, GSP_KEY_ID_LEN);
	if (with_sig)
		wr_bin(wr, c->sig, GSP_SIG_LEN);
}

static bool
names_valid(const struct gsp_cert *c)
{
	return gsp_name_valid(c->cluster) && gsp_name_valid(c->name);
}

void
gsp_key_id(const uint8_t pk[GSP_PK_LEN], uint8_t id[GSP_KEY_ID_LEN])
{
	crypto_generichash(id, GSP_KEY_ID_LEN, pk, GSP_PK_LEN, NULL, 0);
}

void
gsp_key_id_text(const uint8_t pk[GSP_PK_LEN], char out[GSP_KEY_ID_TEXT])
{
	uint8_t id[GSP_KEY_ID_LEN];

	gsp_key_id(pk, id);
	sodium_bin2hex(out, GSP_KEY_ID_TEXT, id, sizeof(id));
}

int
gsp_cert_encode(const struct gsp_cert *c, uint8_t *out, size_t cap, size_t *len)
{
	struct wr wr = { .buf = out, .cap = cap };

	*len = 0;
	if (!names_valid(c))
		return -EINVAL;
	wr_cert(&wr, c, true);
	if (wr.err)
		return wr.err;
	*len = wr.pos;
	return 0;
}

/* A str holding a name, copied to @out (GSP_NAME_MAX + 1 bytes). */
static void
rd_name(struct rd *rd, char *out)
{
	uint64_t n = rd_len(rd, true);
	const uint8_t *p = rd_bytes(rd, n);

	if (p && !name_valid((const char *)p, n))
		rd_fail(rd);
	if (!rd->err)
		memcpy(out, p, n);
}

int
gsp_cert_decode(const uint8_t *buf, size_t len, struct gsp_cert *c)
{
	struct rd rd = { .buf = buf, .len = len };

	memset(c, 0, sizeof(*c));
	if (len > GSP_CERT_DECODE_MAX)
		return -EBADMSG;
	if (rd_array(&rd) != 8 || rd_uint(&rd) != GSP_CERT_VERSION)
		rd_fail(&rd);
	rd_name(&rd, c->cluster);
	rd_name(&rd, c->name);
	rd_bin_exact(&rd, c->pk, GSP_PK_LEN);
	c->not_before = rd_uint(&rd);
	c->not_after = rd_uint(&rd);
	rd_bin_exact(&rd, c->ca_id, GSP_KEY_ID_LEN);
	rd_bin_exact(&rd, c->sig, GSP_SIG_LEN);
	if (!rd.err && rd.pos != rd.len)
		rd_fail(&rd);
	if (rd.err) {
		memset(c, 0, sizeof(*c));
		return rd.err;
	}
	return 0;
}

/* "pmgtm-cert-v2" followed by the encoded first seven elements. */
static size_t
signed_message(const struct gsp_cert *c, uint8_t *out, size_t cap)
{
	struct wr wr = { .buf = out, .cap = cap };

	wr_bytes(&wr, GSP_CERT_CONTEXT, sizeof(GSP_CERT_CONTEXT) - 1);
	wr_cert(&wr, c, false);
	return wr.err ? 0 : wr.pos;
}

#define SIGNED_MAX (sizeof(GSP_CERT_CONTEXT) - 1 + GSP_CERT_MAX_LEN)

int
gsp_cert_sign(struct gsp_cert *c, const uint8_t ca_sk[GSP_SK_LEN])
{
	uint8_t msg[SIGNED_MAX];
	size_t n;

	memset(c->sig, 0, sizeof(c->sig));
	if (!names_valid(c))
		return -EINVAL;
	/* The public half ends the secret key. */
	gsp_key_id(ca_sk + GSP_SK_LEN - GSP_PK_LEN, c->ca_id);
	n = signed_message(c, msg, sizeof(msg));
	crypto_sign_detached(c->sig, NULL, msg, n, ca_sk);
	return 0;
}

int
gsp_cert_issue(struct gsp_cert *c, const char *cluster, const char *name,
	       const uint8_t pk[GSP_PK_LEN], uint64_t now, uint64_t life,
	       const uint8_t ca_sk[GSP_SK_LEN])
{
	memset(c, 0, sizeof(*c));
	if (!gsp_name_valid(cluster) || !gsp_name_valid(name) || life < 1 ||
	    life > GSP_CERT_VALID_MAX || now > UINT64_MAX - life)
		return -EINVAL;
	memcpy(c->cluster, cluster, strlen(cluster) + 1);
	memcpy(c->name, name, strlen(name) + 1);
	memcpy(c->pk, pk, GSP_PK_LEN);
	c->not_before = now > GSP_CERT_SKEW ? now - GSP_CERT_SKEW : 0;
	c->not_after = now + life;
	if (gsp_cert_sign(c, ca_sk)) {
		memset(c, 0, sizeof(*c));
		return -EINVAL;
	}
	return 0;
}

int
gsp_cert_verify(const struct gsp_cert *c, const struct gsp_trust *t,
		uint64_t now)
{
	uint8_t msg[SIGNED_MAX], id[GSP_KEY_ID_LEN];
	size_t n;
	bool ok = false;

	if (!names_valid(c))
		return GSP_ECERTSIG;
	n = signed_message(c, msg, sizeof(msg));
	for (size_t i = 0; n && !ok && i < t->n_ca && i < GSP_CA_MAX; i++) {
		gsp_key_id(t->ca_pk[i], id);
		ok = memcmp(id, c->ca_id, sizeof(id)) == 0 &&
		     crypto_sign_verify_detached(c->sig, msg, n, t->ca_pk[i]) ==
			     0;
	}
	if (!ok)
		return GSP_ECERTSIG;
	if (t->cluster[0] && strcmp(t->cluster, c->cluster) != 0)
		return GSP_ECERTCLUSTER;
	if (now < c->not_before || now > c->not_after)
		return GSP_ECERTEXPIRED;
	return 0;
}

void
gsp_trust_one(struct gsp_trust *t, const uint8_t ca_pk[GSP_PK_LEN],
	      const char *cluster)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->ca_pk[0], ca_pk, GSP_PK_LEN);
	t->n_ca = 1;
	if (cluster)
		snprintf(t->cluster, sizeof(t->cluster), "%s", cluster);
}
