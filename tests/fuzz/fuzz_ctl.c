/*
 * libFuzzer target for the control protocol (common/ctl_proto.c) and
 * pmgtmctl's JSON printer (cli/json.c, compiled in).
 *
 * The input is tried three ways: as a request body, as a response body,
 * and as a byte stream cut into frames by the reader (in chunks whose size
 * the first byte picks). Beyond "no crash, no leak" it checks:
 *  - a rejected body returns -EBADMSG and leaves the output cleared;
 *  - an accepted request has a valid command and a map of args, and
 *    re-encodes to a request that decodes to the same;
 *  - an accepted response has ok == (code == 0) and a message when not
 *    ok, and re-encodes to a response that decodes to the same;
 *  - the JSON of any accepted object is valid UTF-8 without a raw
 *    control character;
 *  - the reader never asks for 0 bytes nor hands over a frame of 0 or
 *    more than its limit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"

#include "cli/json.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void
check_cleared(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check(((const uint8_t *)p)[i] == 0);
}

/* The printed JSON: valid UTF-8, nothing below 0x20, no DEL. */
static void
check_json(const msgpack_object *o)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	check(f != NULL);
	check(cli_json_print(f, o, false) == 0);
	check(fclose(f) == 0);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		check(c >= 0x20 && c != 0x7f);
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n = utf8_len((const unsigned char *)s + i, len - i);
		check(n > 0);
		i += n;
	}
	free(s);
}

/* @o packed on its own, for re-encoding. */
static void
repack(const msgpack_object *o, struct ctl_buf *b)
{
	msgpack_packer pk;

	ctl_buf_init(b, 2 * CTL_FRAME_MAX);
	ctl_packer_init(&pk, b);
	check(msgpack_pack_object(&pk, *o) == 0);
}

static void
try_request(const uint8_t *data, size_t size)
{
	struct ctl_request req, again;
	struct ctl_buf args, out;
	const char *why = NULL;

	memset(&req, 0xa5, sizeof(req));
	if (ctl_request_decode(data, size, &req, &why)) {
		check(why != NULL);
		check_cleared(&req, sizeof(req));
		return;
	}
	check(req.live && req.args->type == MSGPACK_OBJECT_MAP);
	check(strlen(req.cmd) > 0 && strlen(req.cmd) < CTL_CMD_MAX);
	check(strspn(req.cmd, "abcdefghijklmnopqrstuvwxyz0123456789-_") ==
	      strlen(req.cmd));
	check_json(req.args);

	repack(req.args, &args);
	ctl_buf_init(&out, 4 * CTL_FRAME_MAX);
	check(ctl_request_encode(&out, req.cmd, args.data, args.len) == 0);
	check(ctl_request_decode(out.data + CTL_HDR_LEN, out.len - CTL_HDR_LEN,
				 &again, NULL) == 0);
	check(!strcmp(again.cmd, req.cmd));
	check(again.args->via.map.size == req.args->via.map.size);
	ctl_request_fini(&again);
	ctl_buf_fini(&out);
	ctl_buf_fini(&args);
	ctl_request_fini(&req);
	check_cleared(&req, sizeof(req));
}

static void
try_response(const uint8_t *data, size_t size)
{
	struct ctl_response r, again;
	struct ctl_buf d, out;

	memset(&r, 0xa5, sizeof(r));
	if (ctl_response_decode(data, size, &r, NULL)) {
		check_cleared(&r, sizeof(r));
		return;
	}
	check(r.ok == (r.code == CTL_OK));
	check(r.ok ? r.error[0] == '\0' : strlen(r.error) < CTL_ERROR_MAX);
	check(r.data != NULL);
	check_json(r.data);

	repack(r.data, &d);
	ctl_buf_init(&out, 4 * CTL_FRAME_MAX);
	if (ctl_response_encode(&out, r.code, r.error, d.data, d.len) == 0) {
		check(ctl_response_decode(out.data + CTL_HDR_LEN,
					  out.len - CTL_HDR_LEN, &again,
					  NULL) == 0);
		check(again.ok == r.ok && again.code == r.code);
		/* An empty message is replaced by a generic one. */
		check(!r.error[0] || !strcmp(again.error, r.error));
		check(again.data->type == r.data->type);
		ctl_response_fini(&again);
	} else {
		/* Only growth past the frame limit may fail it. */
		check(out.len == 0 && size > CTL_FRAME_MAX / 2);
	}
	ctl_buf_fini(&out);
	ctl_buf_fini(&d);
	ctl_response_fini(&r);
}

static void
try_stream(const uint8_t *data, size_t size)
{
	struct ctl_reader rd;
	size_t chunk = size ? (size_t)data[0] % 7 + 1 : 1, off = 0;

	ctl_reader_init(&rd, 4096);
	while (off < size) {
		uint8_t *p;
		size_t want, len;
		ctl_reader_space(&rd, &p, &want);
		check(want > 0);
		size_t k = want < chunk ? want : chunk;
		k = k < size - off ? k : size - off;
		memcpy(p, data + off, k);
		off += k;
		int r = ctl_reader_advance(&rd, k, NULL);
		if (r < 0) {
			check(r == -EBADMSG || r == -EMSGSIZE);
			break;
		}
		if (r == 1) {
			uint8_t *body = ctl_reader_take(&rd, &len);
			check(body && len > 0 && len <= 4096);
			try_request(body, len);
			try_response(body, len);
			free(body);
		}
	}
	ctl_reader_fini(&rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_request(data, size);
	try_response(data, size);
	try_stream(data, size);
	return 0;
}
