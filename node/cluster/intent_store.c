#include "node/cluster/intent_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>

#include "gossip/codec.h"
#include "common/file_write.h"
#include "common/mpack.h"

#define MAGIC "PI\x01"
#define MAGIC_LEN 3
#define FILE_MAX (16u << 20)

struct collect {
	msgpack_packer pk;
	struct gsp_buf *buf;
	size_t n;
};

static void
count_one(void *ctx, const uint8_t *rec, size_t len)
{
	(*(size_t *)ctx)++;
}

static void
pack_one(void *ctx, const uint8_t *rec, size_t len)
{
	struct collect *c = ctx;

	msgpack_pack_bin_with_body(&c->pk, rec, len);
}

static void
size_one(void *ctx, const uint8_t *rec, size_t len)
{
	*(size_t *)ctx += len + 5;
}

int
node_intents_save(const char *dir, const struct gsp *g, char *err,
		  size_t errlen)
{
	char path[4096];
	size_t n = 0, size = MAGIC_LEN + 5;
	struct gsp_buf buf;
	struct collect c;

	snprintf(path, sizeof(path), "%s/intents", dir);
	gsp_revocations_export(g, count_one, &n);
	gsp_revocations_export(g, size_one, &size);
	gsp_intents_export(g, count_one, &n);
	gsp_intents_export(g, size_one, &size);
	uint8_t *data = malloc(size);
	if (!data) {
		snprintf(err, errlen, "out of memory saving intents");
		return -ENOMEM;
	}
	memcpy(data, MAGIC, MAGIC_LEN);
	gsp_buf_init(&buf, data + MAGIC_LEN, size - MAGIC_LEN);
	gsp_packer_init(&c.pk, &buf);
	msgpack_pack_array(&c.pk, n);
	gsp_revocations_export(g, pack_one, &c);
	gsp_intents_export(g, pack_one, &c);
	int r = buf.err;
	if (!r)
		r = node_file_write(path, data, MAGIC_LEN + buf.len, 0644,
				    NODE_WRITE_FORCE, err, errlen);
	else
		snprintf(err, errlen, "cannot encode %s", path);
	free(data);
	return r;
}

static void
move_aside(const char *path, uint64_t now, const char *why, char *err,
	   size_t errlen)
{
	char aside[4200];

	snprintf(aside, sizeof(aside), "%s.corrupt-%" PRIu64, path, now);
	if (rename(path, aside) == 0)
		snprintf(err, errlen, "%s: %s; moved to %s", path, why, aside);
	else
		snprintf(err, errlen, "%s: %s; cannot move it aside: %s", path,
			 why, strerror(errno));
}

int
node_intents_load(const char *dir, struct gsp *g, struct gsp_now now, char *err,
		  size_t errlen)
{
	char path[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	int loaded = 0;

	err[0] = '\0';
	snprintf(path, sizeof(path), "%s/intents", dir);
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	data = malloc(FILE_MAX);
	if (data)
		len = fread(data, 1, FILE_MAX, f);
	fclose(f);
	if (!data) {
		snprintf(err, errlen, "out of memory reading %s", path);
		return 0;
	}

	msgpack_unpacked up;
	if (len < MAGIC_LEN || memcmp(data, MAGIC, MAGIC_LEN) != 0 ||
	    cmn_unpack_one(&up, data + MAGIC_LEN, len - MAGIC_LEN, SIZE_MAX,
			   NULL)) {
		move_aside(path, now.unix_s, "not an intents file", err,
			   errlen);
		free(data);
		return 0;
	}
	if (up.data.type != MSGPACK_OBJECT_ARRAY) {
		msgpack_unpacked_destroy(&up);
		move_aside(path, now.unix_s, "not an intents file", err,
			   errlen);
		free(data);
		return 0;
	}
	/* Revocations first: an intent a revoked key issued after its
	 * revocation is refused whatever the order in the file. */
	size_t bad = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < up.data.via.array.size; i++) {
			const msgpack_object *o = &up.data.via.array.ptr[i];
			if (o->type != MSGPACK_OBJECT_BIN) {
				bad += pass == 0;
				continue;
			}
			const uint8_t *rec = (const uint8_t *)o->via.bin.ptr;
			size_t n = o->via.bin.size;
			struct gsp_record *r = malloc(sizeof(*r));
			bool revoke = r && !gsp_record_decode(rec, n, r) &&
				      r->kind == GSP_REC_REVOKE;
			free(r);
			if (revoke != (pass == 0))
				continue;
			int rc = revoke ? gsp_revocation_import(g, now, rec, n,
								NULL)
					: gsp_intent_import(g, now, rec, n,
							    NULL);
			if (rc < 0)
				bad++;
			else
				loaded += !revoke;
		}
	}
	msgpack_unpacked_destroy(&up);
	free(data);
	if (bad) {
		char why[64];
		snprintf(why, sizeof(why), "%zu intents do not verify", bad);
		move_aside(path, now.unix_s, why, err, errlen);
	}
	return loaded;
}
