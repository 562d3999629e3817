/*
 * The control protocol between pmgtmctl and pmgtmd, over a unix stream
 * socket (control.socket). Shared by node/control/server.c and cli/.
 *
 *   frame    = length (4 bytes, big-endian, 1..CTL_FRAME_MAX) | body
 *   request  = msgpack map { "cmd": str, "args": map }
 *   response = msgpack map { "ok": bool, "code": uint, "error": str,
 *                            "data": any }
 *
 * "cmd" is 1..CTL_CMD_MAX-1 characters of [a-z0-9_-]; "args" may be left
 * out (an empty map). "code" is 0 (ok), 1 (error) or 2 (not found or
 * refused by policy), the pmgtmctl exit codes; "ok" is true exactly when
 * "code" is 0; "error" is required when not ok; "data" may be left out
 * (nil). Unknown keys are ignored so either side can add fields; a key
 * given twice is an error.
 *
 * Bodies from the peer are untrusted: the decoders check every announced
 * array and map count against the bytes left before msgpack-c sees them
 * (it would reserve memory for whatever count a header announces).
 */
#ifndef PMGTM_COMMON_CTL_PROTO_H
#define PMGTM_COMMON_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define CTL_HDR_LEN 4
#define CTL_FRAME_MAX (1024 * 1024) /* body bytes, either direction */
#define CTL_CMD_MAX 32		    /* command names, NUL included */
#define CTL_ERROR_MAX 512	    /* error messages, NUL included */

/* Response codes, and pmgtmctl's exit codes: a command exits with the
 * code the daemon answered. */
enum ctl_code {
	CTL_OK = 0,
	CTL_ERROR = 1,
	CTL_REFUSED = 2, /* not found, or refused by policy */
};

/* A growing byte buffer that a msgpack_packer writes into. It never
 * grows past @limit bytes; the first failure (-ENOMEM, -EMSGSIZE)
 * sticks in ->err and later writes are dropped. */
struct ctl_buf {
	uint8_t *data;
	size_t len, cap, limit;
	int err;
};

void ctl_buf_init(struct ctl_buf *b, size_t limit);
void ctl_buf_fini(struct ctl_buf *b);

/* Appends bytes; 0 or the sticky error. */
int ctl_buf_put(struct ctl_buf *b, const void *p, size_t n);

void ctl_packer_init(msgpack_packer *pk, struct ctl_buf *b);

/* Appends a whole request frame (header included) to @out. @args is one
 * packed msgpack map, or NULL for an empty one. Returns 0, -EMSGSIZE
 * (over CTL_FRAME_MAX), -ENOMEM or -EINVAL (bad command name). */
__attribute__((warn_unused_result)) int ctl_request_encode(struct ctl_buf *out,
							   const char *cmd,
							   const uint8_t *args,
							   size_t args_len);

/* Appends a whole response frame to @out. @data is one packed msgpack
 * object, or NULL for nil; @error is used when @code is not CTL_OK (NULL:
 * a generic message). Returns 0, -EMSGSIZE or -ENOMEM. */
__attribute__((warn_unused_result)) int
ctl_response_encode(struct ctl_buf *out, int code, const char *error,
		    const uint8_t *data, size_t data_len);

/* A decoded request. @args points into the body given to the decoder and
 * into @up: valid until ctl_request_fini() and while the body lives. */
struct ctl_request {
	char cmd[CTL_CMD_MAX];
	const msgpack_object *args; /* always a map */
	msgpack_unpacked up;
	bool live;
};

/* Decodes a request body (no header). Returns 0 (release with
 * ctl_request_fini()) or -EBADMSG (the request is cleared, nothing to
 * release; @why, when not NULL, gets a short reason). */
__attribute__((warn_unused_result)) int
ctl_request_decode(const uint8_t *body, size_t len, struct ctl_request *req,
		   const char **why);

void ctl_request_fini(struct ctl_request *req);

/* A decoded response; @data as @args above (nil when absent). */
struct ctl_response {
	bool ok;
	int code;
	char error[CTL_ERROR_MAX]; /* "" when ok */
	const msgpack_object *data;
	msgpack_unpacked up;
	bool live;
};

__attribute__((warn_unused_result)) int
ctl_response_decode(const uint8_t *body, size_t len, struct ctl_response *resp,
		    const char **why);

void ctl_response_fini(struct ctl_response *resp);

/*
 * Reads frames from a stream without ever reading past the frame in
 * hand, so a caller can read straight into it (libuv's alloc callback, or
 * read(2)) and pipelined frames stay in the socket until wanted:
 *
 *   ctl_reader_space(&r, &p, &n);   read at most n bytes into p
 *   ctl_reader_advance(&r, got);    1: a frame is complete
 *   body = ctl_reader_take(&r, &len);  the caller frees it
 *
 * Bodies longer than @max (at most CTL_FRAME_MAX) are refused once their
 * header is in, before any memory is taken for them.
 */
struct ctl_reader {
	uint8_t hdr[CTL_HDR_LEN];
	uint8_t *body; /* NULL while reading the header */
	size_t have;   /* bytes of the header or body so far */
	size_t len;    /* body length, once the header is in */
	size_t max;
};

void ctl_reader_init(struct ctl_reader *r, size_t max);
void ctl_reader_fini(struct ctl_reader *r);

/* Where the next bytes go and how many are wanted (never 0). */
void ctl_reader_space(struct ctl_reader *r, uint8_t **p, size_t *n);

/* @n bytes were stored at the space. Returns 1 when a frame is complete,
 * 0 when more is needed, -EBADMSG (zero length), -EMSGSIZE (over the
 * limit; *announced, when not NULL, gets the length) or -ENOMEM. After an
 * error the reader is only good for ctl_reader_fini(). */
__attribute__((warn_unused_result)) int
ctl_reader_advance(struct ctl_reader *r, size_t n, size_t *announced);

/* The complete body, handed over to the caller (free() it); the reader
 * starts on the next frame. */
uint8_t *ctl_reader_take(struct ctl_reader *r, size_t *len);

/* Looks up @key in a map whose keys are strings; NULL when absent or when
 * @map is not a map. For reading "args" and "data". */
const msgpack_object *ctl_map_get(const msgpack_object *map, const char *key);

/* Whether @o is a string equal to @s. */
bool ctl_str_eq(const msgpack_object *o, const char *s);

#endif
