#include "gossip/codec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gossip/cert.h"

#define CTX_REC "pmgtm-rec-v1"
#define CTX_MSG "pmgtm-msg-v1"

void
gsp_buf_init(struct gsp_buf *b, uint8_t *data, size_t cap)
{
	b->data = data;
	b->cap = cap;
	b->len = 0;
	b->err = 0;
}

static int
buf_write(void *data, const char *p, size_t n)
{
	struct gsp_buf *b = data;

	if (b->err || b->cap - b->len < n) {
		b->err = -ENOSPC;
		return -1;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void
gsp_packer_init(msgpack_packer *pk, struct gsp_buf *b)
{
	msgpack_packer_init(pk, b, buf_write);
}

/* The signed message is the context string followed by the bytes; the
 * one-shot Ed25519 API wants them contiguous (the streaming API would be
 * Ed25519ph, another algorithm), so they are joined in a heap copy. */
static uint8_t *
join(const char *context, const uint8_t *tbs, size_t tbs_len, size_t *len)
{
	size_t cl = strlen(context);
	uint8_t *m = malloc(cl + tbs_len + 1);

	if (!m)
		return NULL;
	memcpy(m, context, cl);
	memcpy(m + cl, tbs, tbs_len);
	*len = cl + tbs_len;
	return m;
}

int
gsp_sign_wrap(const char *context, const uint8_t *sk, const uint8_t *tbs,
	      size_t tbs_len, struct gsp_buf *out)
{
	uint8_t sig[GSP_SIGLEN];
	msgpack_packer pk;
	size_t n;
	uint8_t *m = join(context, tbs, tbs_len, &n);

	if (!m)
		return -ENOMEM;
	crypto_sign_detached(sig, NULL, m, n, sk);
	free(m);
	gsp_packer_init(&pk, out);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, tbs, tbs_len);
	msgpack_pack_bin_with_body(&pk, sig, sizeof(sig));
	return out->err;
}

int
gsp_sig_check(const char *context, const uint8_t *pk, const uint8_t *tbs,
	      size_t tbs_len, const uint8_t *sig)
{
	size_t n;
	uint8_t *m = join(context, tbs, tbs_len, &n);

	if (!m)
		return -ENOMEM;
	int ok = crypto_sign_verify_detached(sig, m, n, pk) == 0;
	free(m);
	return ok ? 0 : -EBADMSG;
}

/* Bytes of payload after a header byte: the length field's size, or a
 * fixed size. */
static int
scan_one(const uint8_t *buf, size_t len, size_t *pos, size_t *pending)
{
	size_t p = *pos, n = 0, lenbytes = 0, fixed = 0, items = 0;
	uint8_t b = buf[p++];

	if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b != 0xc1))
		fixed = 0;
	else if (b >= 0x80 && b <= 0x8f)
		items = 2 * (size_t)(b & 0x0f);
	else if (b >= 0x90 && b <= 0x9f)
		items = b & 0x0f;
	else if (b >= 0xa0 && b <= 0xbf)
		fixed = b & 0x1f;
	else {
		switch (b) {
		case 0xc4:
		case 0xd9:
			lenbytes = 1;
			break;
		case 0xc5:
		case 0xda:
			lenbytes = 2;
			break;
		case 0xc6:
		case 0xdb:
			lenbytes = 4;
			break;
		case 0xc7:
			lenbytes = 1;
			fixed = 1;
			break;
		case 0xc8:
			lenbytes = 2;
			fixed = 1;
			break;
		case 0xc9:
			lenbytes = 4;
			fixed = 1;
			break;
		case 0xca:
		case 0xce:
		case 0xd2:
			fixed = 4;
			break;
		case 0xcb:
		case 0xcf:
		case 0xd3:
			fixed = 8;
			break;
		case 0xcc:
		case 0xd0:
			fixed = 1;
			break;
		case 0xcd:
		case 0xd1:
			fixed = 2;
			break;
		case 0xd4:
			fixed = 2;
			break;
		case 0xd5:
			fixed = 3;
			break;
		case 0xd6:
			fixed = 5;
			break;
		case 0xd7:
			fixed = 9;
			break;
		case 0xd8:
			fixed = 17;
			break;
		case 0xdc:
		case 0xde:
			lenbytes = 2;
			break;
		case 0xdd:
		case 0xdf:
			lenbytes = 4;
			break;
		default:
			return -EBADMSG; /* 0xc1: never used */
		}
	}
	if (lenbytes) {
		if (len - p < lenbytes)
			return -EBADMSG;
		for (size_t i = 0; i < lenbytes; i++)
			n = n << 8 | buf[p++];
		if (b == 0xdc || b == 0xdd)
			items = n;
		else if (b == 0xde || b == 0xdf)
			items = 2 * n;
		else
			fixed += n;
	}
	if (len - p < fixed)
		return -EBADMSG;
	p += fixed;
	/* Every announced element needs at least one byte. */
	*pending += items;
	if (*pending > len - p)
		return -EBADMSG;
	*pos = p;
	return 0;
}

int
gsp_msgpack_scan(const uint8_t *buf, size_t len, size_t max_objects)
{
	size_t pos = 0, pending = 1, seen = 0;

	while (pending) {
		if (pos >= len || ++seen > max_objects)
			return -EBADMSG;
		pending--;
		if (scan_one(buf, len, &pos, &pending))
			return -EBADMSG;
	}
	return pos == len ? 0 : -EBADMSG;
}

int
gsp_msgpack_bounded(const uint8_t *buf, size_t len)
{
	return gsp_msgpack_scan(buf, len, SIZE_MAX);
}

/* --- reading msgpack objects, each check failing the whole decode --- */

static int
get_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return -EBADMSG;
	*v = o->via.u64;
	return 0;
}

/* A string into @out (@cap bytes with the NUL); no NUL bytes inside. */
static int
get_str(const msgpack_object *o, char *out, size_t cap)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap)
		return -EBADMSG;
	/* msgpack-c leaves ptr NULL for an empty string: no memchr or
	 * memcpy on it, not even of 0 bytes. */
	if (o->via.str.size && memchr(o->via.str.ptr, 0, o->via.str.size))
		return -EBADMSG;
	if (o->via.str.size)
		memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

static int
get_bin(const msgpack_object *o, const uint8_t **p, size_t *n)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return -EBADMSG;
	*p = (const uint8_t *)o->via.bin.ptr;
	*n = o->via.bin.size;
	return 0;
}

static int
get_ip(const msgpack_object *o, struct ip_addr *ip)
{
	const uint8_t *p;
	size_t n;

	if (get_bin(o, &p, &n) || (n != 4 && n != 16))
		return -EBADMSG;
	memset(ip, 0, sizeof(*ip));
	ip->family = n == 4 ? 4 : 6;
	memcpy(ip->bytes, p, n);
	return 0;
}

/* A member or target name ([a-z0-9-], 1-63 bytes). */
static int
get_name(const msgpack_object *o, char *out, size_t cap)
{
	if (get_str(o, out, cap) || !gsp_name_valid(out))
		return -EBADMSG;
	return 0;
}

bool
gsp_dname_valid(const char *name)
{
	size_t n = strnlen(name, GSP_DNAME_LEN), label = 0;

	if (n == GSP_DNAME_LEN)
		return false;
	if (n && name[n - 1] == '.')
		n--; /* the root label may be written */
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '.') {
			if (label == 0)
				return false; /* an empty label */
			label = 0;
			continue;
		}
		if (++label > 63 ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return label > 0;
}

static const msgpack_object *
get_array(const msgpack_object *o, uint32_t n)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != n)
		return NULL;
	return o->via.array.ptr;
}

int
gsp_msgpack_unpack(msgpack_unpacked *up, const uint8_t *buf, size_t len,
		   size_t max_objects)
{
	size_t off = 0;

	if (gsp_msgpack_scan(buf, len, max_objects))
		return -EBADMSG;
	msgpack_unpacked_init(up);
	if (msgpack_unpack_next(up, (const char *)buf, len, &off) !=
		    MSGPACK_UNPACK_SUCCESS ||
	    off != len) {
		msgpack_unpacked_destroy(up);
		return -EPROTO;
	}
	return 0;
}

static int
unpack_all(msgpack_unpacked *up, const uint8_t *buf, size_t len)
{
	return gsp_msgpack_unpack(up, buf, len, GSP_MSG_OBJECTS_MAX) ? -EBADMSG
								     : 0;
}

/* signed(x): [bin tbs, bin sig(64)] */
static int
get_signed(const msgpack_object *o, const uint8_t **tbs, size_t *tbs_len,
	   const uint8_t **sig)
{
	const msgpack_object *a = get_array(o, 2);
	size_t sl;

	if (!a || get_bin(&a[0], tbs, tbs_len) || get_bin(&a[1], sig, &sl) ||
	    sl != GSP_SIGLEN)
		return -EBADMSG;
	return 0;
}

/* --- records --- */

static void
pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void
pack_ip(msgpack_packer *pk, const struct ip_addr *ip)
{
	msgpack_pack_bin_with_body(pk, ip->bytes, ip->family == 6 ? 16 : 4);
}

int
gsp_record_encode(const struct gsp_record *r, const uint8_t *sk, uint8_t *out,
		  size_t cap, size_t *len)
{
	uint8_t tbs[GSP_REC_MAX];
	struct gsp_buf b, o;
	msgpack_packer pk;

	gsp_buf_init(&b, tbs, sizeof(tbs));
	gsp_packer_init(&pk, &b);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_uint8(&pk, r->kind);
	pack_str(&pk, r->subject);
	msgpack_pack_uint64(&pk, r->gen);
	msgpack_pack_uint64(&pk, r->inc);
	pack_str(&pk, r->author);
	if (r->kind == GSP_REC_ALIVE) {
		msgpack_pack_array(&pk, 5);
		msgpack_pack_array(&pk, r->n_addrs);
		for (size_t i = 0; i < r->n_addrs; i++)
			pack_ip(&pk, &r->addrs[i]);
		pack_str(&pk, r->ns_name);
		pack_ip(&pk, &r->gossip.ip);
		msgpack_pack_uint16(&pk, r->gossip.port);
		msgpack_pack_bin_with_body(&pk, r->cert, r->cert_len);
	} else if (r->kind == GSP_REC_ROW) {
		msgpack_pack_array(&pk, 2);
		msgpack_pack_uint64(&pk, r->observed_at);
		msgpack_pack_array(&pk, r->n_cells);
		for (size_t i = 0; i < r->n_cells; i++) {
			const struct gsp_row_cell *c = &r->cells[i];
			msgpack_pack_array(&pk, 7);
			pack_str(&pk, c->peer);
			msgpack_pack_uint8(&pk, c->flags);
			msgpack_pack_uint32(&pk, c->rtt_us);
			msgpack_pack_uint32(&pk, c->p50_us);
			msgpack_pack_uint32(&pk, c->p99_us);
			msgpack_pack_uint16(&pk, c->loss_permille);
			msgpack_pack_uint64(&pk, c->last_ack_ms);
		}
	} else if (r->kind == GSP_REC_INTENT) {
		msgpack_pack_array(&pk, 6);
		if (r->drained)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		msgpack_pack_uint64(&pk, r->issued_at);
		pack_str(&pk, r->reason);
		pack_str(&pk, r->user);
		msgpack_pack_uint64(&pk, r->expires_at);
		msgpack_pack_bin_with_body(&pk, r->cert, r->cert_len);
	} else if (r->kind == GSP_REC_REVOKE) {
		msgpack_pack_array(&pk, 2);
		pack_str(&pk, r->rv_cluster);
		msgpack_pack_bin_with_body(
			&pk, r->rv_key_id,
			r->rv_any_key ? 0 : sizeof(r->rv_key_id));
	} else if (r->kind == GSP_REC_ENDORSE) {
		msgpack_pack_array(&pk, 3);
		msgpack_pack_bin_with_body(&pk, r->inner, r->inner_len);
		msgpack_pack_uint64(&pk, r->endorsed_at);
		msgpack_pack_bin_with_body(&pk, r->cert, r->cert_len);
	} else {
		msgpack_pack_nil(&pk);
	}
	if (b.err)
		return b.err;
	gsp_buf_init(&o, out, cap);
	int rc = gsp_sign_wrap(CTX_REC, sk, tbs, b.len, &o);
	*len = o.len;
	return rc;
}

static int
decode_alive(const msgpack_object *body, struct gsp_record *r)
{
	const msgpack_object *f = get_array(body, 5);
	const uint8_t *cert;
	uint64_t port;

	if (!f || f[0].type != MSGPACK_OBJECT_ARRAY ||
	    f[0].via.array.size > GSP_ADDRS_MAX)
		return -EBADMSG;
	r->n_addrs = f[0].via.array.size;
	for (size_t i = 0; i < r->n_addrs; i++) {
		if (get_ip(&f[0].via.array.ptr[i], &r->addrs[i]) ||
		    !ip_addr_usable(&r->addrs[i]))
			return -EBADMSG;
		for (size_t j = 0; j < i; j++)
			if (!memcmp(&r->addrs[j], &r->addrs[i],
				    sizeof(r->addrs[i])))
				return -EBADMSG; /* the same address twice */
	}
	if (get_str(&f[1], r->ns_name, sizeof(r->ns_name)) ||
	    (r->ns_name[0] && !gsp_dname_valid(r->ns_name)) ||
	    get_ip(&f[2], &r->gossip.ip) || !ip_addr_usable(&r->gossip.ip) ||
	    get_uint(&f[3], 65535, &port) || port == 0 ||
	    get_bin(&f[4], &cert, &r->cert_len) ||
	    r->cert_len > sizeof(r->cert))
		return -EBADMSG;
	r->gossip.port = (uint16_t)port;
	memcpy(r->cert, cert, r->cert_len);
	return 0;
}

static int
decode_intent(const msgpack_object *body, struct gsp_record *r)
{
	const msgpack_object *f = get_array(body, 6);
	const uint8_t *cert;

	if (!f || f[0].type != MSGPACK_OBJECT_BOOLEAN ||
	    get_uint(&f[1], UINT64_MAX, &r->issued_at) ||
	    get_str(&f[2], r->reason, sizeof(r->reason)) ||
	    get_str(&f[3], r->user, sizeof(r->user)) ||
	    get_uint(&f[4], UINT64_MAX, &r->expires_at) ||
	    get_bin(&f[5], &cert, &r->cert_len) ||
	    r->cert_len > sizeof(r->cert))
		return -EBADMSG;
	r->drained = f[0].via.boolean;
	memcpy(r->cert, cert, r->cert_len);
	return 0;
}

static int
decode_revoke(const msgpack_object *body, struct gsp_record *r)
{
	const msgpack_object *f = get_array(body, 2);
	const uint8_t *id;
	size_t id_len;

	if (!f || get_name(&f[0], r->rv_cluster, sizeof(r->rv_cluster)) ||
	    get_bin(&f[1], &id, &id_len) ||
	    (id_len != 0 && id_len != sizeof(r->rv_key_id)) ||
	    strcmp(r->subject, r->author) != 0 || r->inc != 0 || r->gen == 0)
		return -EBADMSG;
	r->rv_any_key = id_len == 0;
	if (id_len)
		memcpy(r->rv_key_id, id, id_len);
	return 0;
}

static int
decode_endorse(const msgpack_object *body, struct gsp_record *r)
{
	const msgpack_object *f = get_array(body, 3);
	const uint8_t *inner, *cert;

	if (!f || get_bin(&f[0], &inner, &r->inner_len) ||
	    r->inner_len > sizeof(r->inner) ||
	    get_uint(&f[1], UINT64_MAX, &r->endorsed_at) ||
	    get_bin(&f[2], &cert, &r->cert_len) ||
	    r->cert_len > sizeof(r->cert) || r->inc != 0)
		return -EBADMSG;
	memcpy(r->inner, inner, r->inner_len);
	memcpy(r->cert, cert, r->cert_len);
	return 0;
}

static int
decode_row(const msgpack_object *body, struct gsp_record *r)
{
	const msgpack_object *f = get_array(body, 2);

	if (!f || get_uint(&f[0], UINT64_MAX, &r->observed_at) ||
	    f[1].type != MSGPACK_OBJECT_ARRAY || f[1].via.array.size > 64)
		return -EBADMSG;
	r->n_cells = f[1].via.array.size;
	for (size_t i = 0; i < r->n_cells; i++) {
		const msgpack_object *c = get_array(&f[1].via.array.ptr[i], 7);
		struct gsp_row_cell *o = &r->cells[i];
		uint64_t v[6];
		if (!c || get_name(&c[0], o->peer, sizeof(o->peer)) ||
		    get_uint(&c[1], 3, &v[0]) ||
		    get_uint(&c[2], UINT32_MAX, &v[1]) ||
		    get_uint(&c[3], UINT32_MAX, &v[2]) ||
		    get_uint(&c[4], UINT32_MAX, &v[3]) ||
		    get_uint(&c[5], 1000, &v[4]) ||
		    get_uint(&c[6], UINT64_MAX, &v[5]))
			return -EBADMSG;
		o->flags = (uint8_t)v[0];
		o->rtt_us = (uint32_t)v[1];
		o->p50_us = (uint32_t)v[2];
		o->p99_us = (uint32_t)v[3];
		o->loss_permille = (uint16_t)v[4];
		o->last_ack_ms = v[5];
	}
	return 0;
}

static int
decode_record_tbs(const msgpack_object *o, struct gsp_record *r)
{
	const msgpack_object *f = get_array(o, 6);
	uint64_t kind;

	if (!f || get_uint(&f[0], GSP_REC_ENDORSE, &kind) || kind == 0 ||
	    get_name(&f[1], r->subject, sizeof(r->subject)) ||
	    get_uint(&f[2], UINT64_MAX, &r->gen) ||
	    get_uint(&f[3], UINT64_MAX, &r->inc) ||
	    get_name(&f[4], r->author, sizeof(r->author)))
		return -EBADMSG;
	r->kind = (uint8_t)kind;
	if (kind == GSP_REC_ALIVE)
		return decode_alive(&f[5], r);
	if (kind == GSP_REC_INTENT)
		return decode_intent(&f[5], r);
	if (kind == GSP_REC_ROW)
		return decode_row(&f[5], r);
	if (kind == GSP_REC_REVOKE)
		return decode_revoke(&f[5], r);
	if (kind == GSP_REC_ENDORSE)
		return decode_endorse(&f[5], r);
	return f[5].type == MSGPACK_OBJECT_NIL ? 0 : -EBADMSG;
}

int
gsp_record_decode(const uint8_t *buf, size_t len, struct gsp_record *r)
{
	msgpack_unpacked outer, inner;
	int rc = -EBADMSG;

	memset(r, 0, sizeof(*r));
	if (unpack_all(&outer, buf, len))
		return -EBADMSG;
	if (get_signed(&outer.data, &r->tbs, &r->tbs_len, &r->sig) == 0 &&
	    unpack_all(&inner, r->tbs, r->tbs_len) == 0) {
		rc = decode_record_tbs(&inner.data, r);
		msgpack_unpacked_destroy(&inner);
	}
	msgpack_unpacked_destroy(&outer);
	if (rc)
		memset(r, 0, sizeof(*r));
	return rc;
}

/* --- envelopes --- */

int
gsp_msg_encode(const char *cluster, const char *sender, uint8_t type,
	       uint32_t seq, const char *target, uint64_t digest,
	       const uint8_t *const *recs, const size_t *lens, size_t n_recs,
	       const uint8_t *sk, uint8_t *out, size_t cap, size_t *len)
{
	struct gsp_buf b, o;
	msgpack_packer pk;

	*len = 0;
	if (cap < GSP_HDR_LEN)
		return -ENOSPC;
	/* The envelope cannot be larger than the packet it goes into. */
	uint8_t *tbs = malloc(cap);
	if (!tbs)
		return -ENOMEM;
	gsp_buf_init(&b, tbs, cap);
	gsp_packer_init(&pk, &b);
	msgpack_pack_array(&pk, 7);
	pack_str(&pk, cluster);
	pack_str(&pk, sender);
	msgpack_pack_uint8(&pk, type);
	msgpack_pack_uint32(&pk, seq);
	pack_str(&pk, target ? target : "");
	msgpack_pack_array(&pk, n_recs);
	for (size_t i = 0; i < n_recs; i++)
		msgpack_pack_bin_with_body(&pk, recs[i], lens[i]);
	msgpack_pack_uint64(&pk, digest);
	if (b.err) {
		free(tbs);
		return b.err;
	}
	out[0] = GSP_MAGIC0;
	out[1] = GSP_MAGIC1;
	out[2] = GSP_VERSION_PLAIN;
	gsp_buf_init(&o, out + GSP_HDR_LEN, cap - GSP_HDR_LEN);
	int rc = gsp_sign_wrap(CTX_MSG, sk, tbs, b.len, &o);
	free(tbs);
	*len = rc ? 0 : GSP_HDR_LEN + o.len;
	return rc;
}

static int
decode_envelope(const msgpack_object *o, struct gsp_msg *m)
{
	const msgpack_object *f = get_array(o, 7);
	uint64_t type, seq;

	if (!f || get_str(&f[0], m->cluster, sizeof(m->cluster)) ||
	    get_name(&f[1], m->sender, sizeof(m->sender)) ||
	    get_uint(&f[2], GSP_MSG_PULL, &type) || type == 0 ||
	    get_uint(&f[3], UINT32_MAX, &seq) ||
	    get_str(&f[4], m->target, sizeof(m->target)) ||
	    f[5].type != MSGPACK_OBJECT_ARRAY ||
	    f[5].via.array.size > GSP_MSG_RECS_MAX ||
	    get_uint(&f[6], UINT64_MAX, &m->digest))
		return -EBADMSG;
	m->type = (uint8_t)type;
	m->seq = (uint32_t)seq;
	m->n_recs = f[5].via.array.size;
	for (size_t i = 0; i < m->n_recs; i++)
		if (get_bin(&f[5].via.array.ptr[i], &m->recs[i],
			    &m->rec_len[i]))
			return -EBADMSG;
	return 0;
}

int
gsp_msg_decode(const uint8_t *buf, size_t len, struct gsp_msg *m)
{
	m->live = 0;
	m->n_recs = 0;
	if (len < GSP_HDR_LEN || buf[0] != GSP_MAGIC0 || buf[1] != GSP_MAGIC1 ||
	    buf[2] != GSP_VERSION_PLAIN)
		return -EBADMSG;
	if (unpack_all(&m->up[0], buf + GSP_HDR_LEN, len - GSP_HDR_LEN))
		return -EBADMSG;
	if (get_signed(&m->up[0].data, &m->tbs, &m->tbs_len, &m->sig) ||
	    unpack_all(&m->up[1], m->tbs, m->tbs_len)) {
		msgpack_unpacked_destroy(&m->up[0]);
		return -EBADMSG;
	}
	m->live = 1;
	if (decode_envelope(&m->up[1].data, m)) {
		gsp_msg_fini(m);
		return -EBADMSG;
	}
	return 0;
}

void
gsp_msg_fini(struct gsp_msg *m)
{
	if (!m->live)
		return;
	msgpack_unpacked_destroy(&m->up[1]);
	msgpack_unpacked_destroy(&m->up[0]);
	m->live = 0;
	m->n_recs = 0;
}

int
gsp_msg_check(const struct gsp_msg *m, const uint8_t *pk)
{
	return gsp_sig_check(CTX_MSG, pk, m->tbs, m->tbs_len, m->sig);
}

int
gsp_record_check(const struct gsp_record *r, const uint8_t *pk)
{
	return gsp_sig_check(CTX_REC, pk, r->tbs, r->tbs_len, r->sig);
}
