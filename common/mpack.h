/*
 * msgpack helpers for what pmgtmd and pmgtmctl exchange: packing the
 * values every answer carries, and unpacking untrusted bytes safely.
 *
 * The packers write into any msgpack_packer; like msgpack-c's own, they
 * leave errors to the buffer behind it (ctl_buf's sticky ->err).
 */
#ifndef PMGTM_COMMON_MPACK_H
#define PMGTM_COMMON_MPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* @s as a msgpack string (without the NUL). */
void cmn_pack_str(msgpack_packer *pk, const char *s);

void cmn_pack_bool(msgpack_packer *pk, bool v);

/* @s as a string, or nil when @s is NULL or "" (unset, none). */
void cmn_pack_str_or_nil(msgpack_packer *pk, const char *s);

/* Unix seconds as an RFC 3339 UTC string (cmn_time_format()), or nil for
 * 0 (never, unknown). */
void cmn_pack_time(msgpack_packer *pk, uint64_t unix_s);

/*
 * Unpacks the one msgpack object that fills @buf exactly, from untrusted
 * bytes: gsp_msgpack_scan() checks every announced count against the
 * bytes left, and at most @max_objects objects in all (SIZE_MAX: no
 * limit), before msgpack-c reserves memory for any. Returns 0, and
 * up->data points into @up and @buf: release it with
 * msgpack_unpacked_destroy() while @buf lives. Returns -EBADMSG with
 * nothing to release, and a short reason in *why when @why is not NULL.
 */
__attribute__((warn_unused_result)) int
cmn_unpack_one(msgpack_unpacked *up, const uint8_t *buf, size_t len,
	       size_t max_objects, const char **why);

#endif
