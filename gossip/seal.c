#include "gossip/seal.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "gossip/codec.h"

#define AD_LEN (GSP_HDR_LEN + 4)
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES

int
gsp_keyring_init(struct gsp_keyring *kr, const uint8_t (*keys)[GSP_KEY_LEN],
		 size_t n)
{
	uint8_t h[32];

	memset(kr, 0, sizeof(*kr));
	if (n > GSP_KEYS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		memcpy(kr->keys[i], keys[i], GSP_KEY_LEN);
		crypto_generichash(h, sizeof(h), keys[i], GSP_KEY_LEN, NULL, 0);
		memcpy(kr->ids[i], h, 4);
	}
	kr->n = n;
	return 0;
}

int
gsp_seal(const struct gsp_keyring *kr, const uint8_t *nonce, const uint8_t *in,
	 size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	unsigned long long clen;

	*outlen = 0;
	if (kr->n == 0 || len < GSP_HDR_LEN)
		return -EINVAL;
	size_t body = len - GSP_HDR_LEN;
	if (cap < AD_LEN + GSP_NONCE_LEN + body + TAG_LEN)
		return -ENOSPC;
	out[0] = GSP_MAGIC0;
	out[1] = GSP_MAGIC1;
	out[2] = GSP_VERSION_SEALED;
	memcpy(out + GSP_HDR_LEN, kr->ids[0], 4);
	memcpy(out + AD_LEN, nonce, GSP_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		out + AD_LEN + GSP_NONCE_LEN, &clen, in + GSP_HDR_LEN, body,
		out, AD_LEN, NULL, nonce, kr->keys[0]);
	*outlen = AD_LEN + GSP_NONCE_LEN + (size_t)clen;
	return 0;
}

int
gsp_open(const struct gsp_keyring *kr, const uint8_t *in, size_t len,
	 uint8_t *out, size_t cap, size_t *outlen)
{
	unsigned long long plen;
	size_t k;

	*outlen = 0;
	if (len < AD_LEN + GSP_NONCE_LEN + TAG_LEN || in[0] != GSP_MAGIC0 ||
	    in[1] != GSP_MAGIC1 || in[2] != GSP_VERSION_SEALED)
		return -EBADMSG;
	for (k = 0; k < kr->n; k++)
		if (memcmp(kr->ids[k], in + GSP_HDR_LEN, 4) == 0)
			break;
	if (k == kr->n)
		return -ENOKEY;
	size_t clen = len - AD_LEN - GSP_NONCE_LEN;
	if (cap < GSP_HDR_LEN + clen - TAG_LEN)
		return -ENOSPC;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    out + GSP_HDR_LEN, &plen, NULL, in + AD_LEN + GSP_NONCE_LEN,
		    clen, in, AD_LEN, in + AD_LEN, kr->keys[k]) != 0)
		return -EBADMSG;
	out[0] = GSP_MAGIC0;
	out[1] = GSP_MAGIC1;
	out[2] = GSP_VERSION_PLAIN;
	*outlen = GSP_HDR_LEN + (size_t)plen;
	return 0;
}
