/*
 * Optional confidentiality: XChaCha20-Poly1305 over a whole packet body
 * with a cluster keyring. The first key seals; every key opens, so a new
 * key is rolled out to all nodes (second place) before it becomes first,
 * and the old one is removed after.
 *
 *   sealed = "PG" | 0x81 | key id (4) | nonce (24) | ciphertext + tag (16)
 *   key id = first 4 bytes of BLAKE2b-256(key); AD = the first 7 bytes.
 *   Opening yields the plain packet "PG" | 0x01 | body.
 */
#ifndef PMGTM_GOSSIP_SEAL_H
#define PMGTM_GOSSIP_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define GSP_KEY_LEN 32
#define GSP_NONCE_LEN 24
#define GSP_KEYS_MAX 8
#define GSP_SEAL_OVERHEAD (4 + GSP_NONCE_LEN + 16)

struct gsp_keyring {
	uint8_t keys[GSP_KEYS_MAX][GSP_KEY_LEN];
	uint8_t ids[GSP_KEYS_MAX][4];
	size_t n; /* 0: packets travel plain */
};

/* Fills @kr with @n keys (at most GSP_KEYS_MAX); -EINVAL past that. */
__attribute__((warn_unused_result)) int
gsp_keyring_init(struct gsp_keyring *kr, const uint8_t (*keys)[GSP_KEY_LEN],
		 size_t n);

/* Seals the plain packet @in with the primary key and @nonce (fresh
 * random bytes for every packet). Returns 0 or -ENOSPC / -EINVAL. */
__attribute__((warn_unused_result)) int
gsp_seal(const struct gsp_keyring *kr, const uint8_t *nonce, const uint8_t *in,
	 size_t len, uint8_t *out, size_t cap, size_t *outlen);

/* Opens a sealed packet into a plain one. Returns 0, -ENOKEY (no key has
 * that id) or -EBADMSG (malformed or forged). */
__attribute__((warn_unused_result)) int gsp_open(const struct gsp_keyring *kr,
						 const uint8_t *in, size_t len,
						 uint8_t *out, size_t cap,
						 size_t *outlen);

#endif
