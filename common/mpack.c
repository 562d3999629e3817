#include "common/mpack.h"

#include <errno.h>
#include <string.h>

#include "common/parse.h"
#include "gossip/codec.h"

void
cmn_pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

void
cmn_pack_bool(msgpack_packer *pk, bool v)
{
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

void
cmn_pack_str_or_nil(msgpack_packer *pk, const char *s)
{
	if (s && *s)
		cmn_pack_str(pk, s);
	else
		msgpack_pack_nil(pk);
}

void
cmn_pack_time(msgpack_packer *pk, uint64_t unix_s)
{
	char buf[CMN_TIME_MAX];

	if (unix_s)
		cmn_pack_str(pk, cmn_time_format(unix_s, buf, sizeof(buf)));
	else
		msgpack_pack_nil(pk);
}

int
cmn_unpack_one(msgpack_unpacked *up, const uint8_t *buf, size_t len,
	       size_t max_objects, const char **why)
{
	int r = gsp_msgpack_unpack(up, buf, len, max_objects);

	if (r && why)
		*why = r == -EBADMSG
			       ? "not exactly one well-formed msgpack object"
			       : "msgpack object not readable";
	return r ? -EBADMSG : 0;
}
