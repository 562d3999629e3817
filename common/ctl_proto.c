#include "common/ctl_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpack.h"

/* --- the output buffer --- */

void
ctl_buf_init(struct ctl_buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void
ctl_buf_fini(struct ctl_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int
ctl_buf_put(struct ctl_buf *b, const void *p, size_t n)
{
	if (b->err)
		return b->err;
	if (n > b->limit - b->len) {
		b->err = -EMSGSIZE;
		return b->err;
	}
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256 < b->limit ? 256 : b->limit;
		while (cap - b->len < n)
			cap = cap > b->limit / 2 ? b->limit : cap * 2;
		uint8_t *d = realloc(b->data, cap);
		if (!d) {
			b->err = -ENOMEM;
			return b->err;
		}
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static int
buf_write(void *data, const char *p, size_t n)
{
	return ctl_buf_put(data, p, n) ? -1 : 0;
}

void
ctl_packer_init(msgpack_packer *pk, struct ctl_buf *b)
{
	msgpack_packer_init(pk, b, buf_write);
}

/* --- encoding --- */

static bool
cmd_valid(const char *s, size_t n)
{
	if (n == 0 || n >= CTL_CMD_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Reserves the length header; the body follows. */
static size_t
frame_begin(struct ctl_buf *out)
{
	static const uint8_t zero[CTL_HDR_LEN];
	size_t start = out->len;

	ctl_buf_put(out, zero, sizeof(zero));
	return start;
}

/* Fills in the header, or takes the frame back out on failure. */
static int
frame_end(struct ctl_buf *out, size_t start)
{
	size_t n = out->len - start - CTL_HDR_LEN;

	if (!out->err && n > CTL_FRAME_MAX)
		out->err = -EMSGSIZE;
	if (out->err) {
		out->len = start;
		return out->err;
	}
	out->data[start] = (uint8_t)(n >> 24);
	out->data[start + 1] = (uint8_t)(n >> 16);
	out->data[start + 2] = (uint8_t)(n >> 8);
	out->data[start + 3] = (uint8_t)n;
	return 0;
}

int
ctl_request_encode(struct ctl_buf *out, const char *cmd, const uint8_t *args,
		   size_t args_len)
{
	msgpack_packer pk;

	if (!cmd_valid(cmd, strlen(cmd)))
		return -EINVAL;
	/* A map header: fixmap, map16 or map32. */
	if (args && (args_len == 0 || !((args[0] >= 0x80 && args[0] <= 0x8f) ||
					args[0] == 0xde || args[0] == 0xdf)))
		return -EINVAL;
	size_t start = frame_begin(out);
	ctl_packer_init(&pk, out);
	msgpack_pack_map(&pk, 2);
	cmn_pack_str(&pk, "cmd");
	cmn_pack_str(&pk, cmd);
	cmn_pack_str(&pk, "args");
	if (args)
		ctl_buf_put(out, args, args_len);
	else
		msgpack_pack_map(&pk, 0);
	return frame_end(out, start);
}

int
ctl_response_encode(struct ctl_buf *out, int code, const char *error,
		    const uint8_t *data, size_t data_len)
{
	msgpack_packer pk;
	size_t start = frame_begin(out);

	ctl_packer_init(&pk, out);
	msgpack_pack_map(&pk, code == CTL_OK ? 3 : 4);
	cmn_pack_str(&pk, "ok");
	if (code == CTL_OK)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	cmn_pack_str(&pk, "code");
	msgpack_pack_unsigned_int(&pk, code < 0 ? CTL_ERROR : (unsigned)code);
	if (code != CTL_OK) {
		cmn_pack_str(&pk, "error");
		cmn_pack_str(&pk, error && *error ? error : "failed");
	}
	cmn_pack_str(&pk, "data");
	if (data && data_len)
		ctl_buf_put(out, data, data_len);
	else
		msgpack_pack_nil(&pk);
	return frame_end(out, start);
}

/* --- decoding --- */

static const msgpack_object nil_object = { .type = MSGPACK_OBJECT_NIL };

/* One map from untrusted bytes, its counts checked before msgpack-c
 * reserves memory for them. */
static int
unpack_map(msgpack_unpacked *up, const uint8_t *body, size_t len,
	   const char **why)
{
	if (cmn_unpack_one(up, body, len, SIZE_MAX, why))
		return -EBADMSG;
	if (up->data.type != MSGPACK_OBJECT_MAP) {
		msgpack_unpacked_destroy(up);
		*why = "not a map";
		return -EBADMSG;
	}
	return 0;
}

bool
ctl_str_eq(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	       (n == 0 || memcmp(o->via.str.ptr, s, n) == 0);
}

const msgpack_object *
ctl_map_get(const msgpack_object *map, const char *key)
{
	if (!map || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++)
		if (ctl_str_eq(&map->via.map.ptr[i].key, key))
			return &map->via.map.ptr[i].val;
	return NULL;
}

/*
 * Finds the known keys of a top-level map: @vals[i] gets the value of
 * @names[i] or NULL. Every key must be a string and no known key may
 * repeat (two "cmd"s would let a log line and the action disagree).
 * Repeated unknown keys are let through: checking every pair would cost
 * O(n^2) on a map of many tiny keys.
 */
static int
map_fields(const msgpack_object *map, const char *const *names,
	   const msgpack_object **vals, size_t n, const char **why)
{
	for (size_t k = 0; k < n; k++)
		vals[k] = NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR) {
			*why = "a key is not a string";
			return -EBADMSG;
		}
		for (size_t k = 0; k < n; k++) {
			if (!ctl_str_eq(&kv->key, names[k]))
				continue;
			if (vals[k]) {
				*why = "a key appears twice";
				return -EBADMSG;
			}
			vals[k] = &kv->val;
		}
	}
	return 0;
}

int
ctl_request_decode(const uint8_t *body, size_t len, struct ctl_request *req,
		   const char **why)
{
	static const char *const names[] = { "cmd", "args" };
	static const msgpack_object empty_map = { .type = MSGPACK_OBJECT_MAP };
	const msgpack_object *v[2];
	const char *dummy;

	if (!why)
		why = &dummy;
	memset(req, 0, sizeof(*req));
	if (unpack_map(&req->up, body, len, why)) {
		memset(req, 0, sizeof(*req));
		return -EBADMSG;
	}
	if (map_fields(&req->up.data, names, v, 2, why))
		goto bad;
	if (!v[0] || v[0]->type != MSGPACK_OBJECT_STR) {
		*why = "\"cmd\" is missing or not a string";
		goto bad;
	}
	if (!cmd_valid(v[0]->via.str.ptr, v[0]->via.str.size)) {
		*why = "\"cmd\" is not a command name";
		goto bad;
	}
	if (v[1] && v[1]->type != MSGPACK_OBJECT_MAP) {
		*why = "\"args\" is not a map";
		goto bad;
	}
	memcpy(req->cmd, v[0]->via.str.ptr, v[0]->via.str.size);
	req->args = v[1] ? v[1] : &empty_map;
	req->live = true;
	return 0;
bad:
	msgpack_unpacked_destroy(&req->up);
	memset(req, 0, sizeof(*req));
	return -EBADMSG;
}

void
ctl_request_fini(struct ctl_request *req)
{
	if (req->live)
		msgpack_unpacked_destroy(&req->up);
	memset(req, 0, sizeof(*req));
}

int
ctl_response_decode(const uint8_t *body, size_t len, struct ctl_response *resp,
		    const char **why)
{
	static const char *const names[] = { "ok", "code", "error", "data" };
	const msgpack_object *v[4];
	const char *dummy;

	if (!why)
		why = &dummy;
	memset(resp, 0, sizeof(*resp));
	if (unpack_map(&resp->up, body, len, why)) {
		memset(resp, 0, sizeof(*resp));
		return -EBADMSG;
	}
	if (map_fields(&resp->up.data, names, v, 4, why))
		goto bad;
	if (!v[0] || v[0]->type != MSGPACK_OBJECT_BOOLEAN) {
		*why = "\"ok\" is missing or not a boolean";
		goto bad;
	}
	if (!v[1] || v[1]->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v[1]->via.u64 > 255) {
		*why = "\"code\" is missing or not a small integer";
		goto bad;
	}
	if (v[0]->via.boolean != (v[1]->via.u64 == CTL_OK)) {
		*why = "\"ok\" and \"code\" disagree";
		goto bad;
	}
	if (v[2] ? v[2]->type != MSGPACK_OBJECT_STR ||
			    (v[2]->via.str.size &&
			     memchr(v[2]->via.str.ptr, 0, v[2]->via.str.size))
		 : !v[0]->via.boolean) {
		*why = "\"error\" is missing or not a string";
		goto bad;
	}
	resp->ok = v[0]->via.boolean;
	resp->code = (int)v[1]->via.u64;
	if (v[2] && !resp->ok) {
		/* Long messages are cut rather than refused. */
		size_t n = v[2]->via.str.size;
		if (n >= sizeof(resp->error))
			n = sizeof(resp->error) - 1;
		if (n)
			memcpy(resp->error, v[2]->via.str.ptr, n);
	}
	resp->data = v[3] ? v[3] : &nil_object;
	resp->live = true;
	return 0;
bad:
	msgpack_unpacked_destroy(&resp->up);
	memset(resp, 0, sizeof(*resp));
	return -EBADMSG;
}

void
ctl_response_fini(struct ctl_response *resp)
{
	if (resp->live)
		msgpack_unpacked_destroy(&resp->up);
	memset(resp, 0, sizeof(*resp));
}

/* --- the frame reader --- */

void
ctl_reader_init(struct ctl_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max < CTL_FRAME_MAX ? max : CTL_FRAME_MAX;
}

void
ctl_reader_fini(struct ctl_reader *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void
ctl_reader_space(struct ctl_reader *r, uint8_t **p, size_t *n)
{
	if (r->body) {
		*p = r->body + r->have;
		*n = r->len - r->have;
	} else {
		*p = r->hdr + r->have;
		*n = CTL_HDR_LEN - r->have;
	}
}

int
ctl_reader_advance(struct ctl_reader *r, size_t n, size_t *announced)
{
	r->have += n;
	if (r->body)
		return r->have == r->len;
	if (r->have < CTL_HDR_LEN)
		return 0;
	r->len = (size_t)r->hdr[0] << 24 | (size_t)r->hdr[1] << 16 |
		 (size_t)r->hdr[2] << 8 | r->hdr[3];
	if (announced)
		*announced = r->len;
	if (r->len == 0)
		return -EBADMSG;
	if (r->len > r->max)
		return -EMSGSIZE;
	r->body = malloc(r->len);
	if (!r->body)
		return -ENOMEM;
	r->have = 0;
	return 0;
}

uint8_t *
ctl_reader_take(struct ctl_reader *r, size_t *len)
{
	uint8_t *body = r->body;

	*len = r->len;
	r->body = NULL;
	r->have = r->len = 0;
	return body;
}
