/*
 * Key and certificate files: text key files (header line, base64 line)
 * and the binary certificate, written with node_file_write().
 */
#include "common/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "common/errf.h"

/* Larger than any key file or certificate, with room for editors' noise. */
#define FILE_MAX 4096

static const struct {
	const char *header;
	const char *what;
} kinds[] = {
	{ GSP_CA_SK_HEADER, "a CA secret key" },
	{ GSP_CA_PK_HEADER, "a CA public key" },
	{ GSP_NODE_SK_HEADER, "a node secret key" },
};

static const char *
kind_name(const char *header, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].header) == len &&
		    !memcmp(kinds[i].header, header, len))
			return kinds[i].what;
	return NULL;
}

int
node_keytext_format(const char *header, const uint8_t *key, size_t keylen,
		    char *out, size_t cap)
{
	size_t hl = strlen(header);
	size_t bl = sodium_base64_encoded_len(keylen,
					      sodium_base64_VARIANT_ORIGINAL);

	/* header \n base64 \n NUL; bl counts the base64's NUL */
	if (cap < hl + 1 + bl + 1)
		return -ENOSPC;
	memcpy(out, header, hl);
	out[hl] = '\n';
	sodium_bin2base64(out + hl + 1, bl, key, keylen,
			  sodium_base64_VARIANT_ORIGINAL);
	out[hl + bl] = '\n';
	out[hl + bl + 1] = '\0';
	return (int)(hl + bl + 1);
}

/* Checks the first line of @text is @header. On failure, says which kind
 * of key file it is when it is one. */
static int
header_check(const char *text, size_t len, const char *header, char *err,
	     size_t errlen)
{
	const char *nl, *what, *want;
	size_t hl;

	want = kind_name(header, strlen(header));
	if (!want)
		want = header;
	if (memchr(text, '\0', len))
		return cmn_errf(err, errlen, -EBADMSG, "not a text file");
	nl = memchr(text, '\n', len);
	hl = nl ? (size_t)(nl - text) : len;
	if (hl && text[hl - 1] == '\r')
		hl--;
	if (hl == strlen(header) && !memcmp(text, header, hl))
		return 0;
	what = kind_name(text, hl);
	if (what)
		return cmn_errf(err, errlen, -EBADMSG, "this is %s, not %s",
				what, want);
	if (hl >= 6 && !memcmp(text, "pmgtm-", 6))
		return cmn_errf(err, errlen, -EBADMSG,
				"unknown key file kind '%.*s' (expected '%s')",
				(int)(hl > 40 ? 40 : hl), text, header);
	return cmn_errf(err, errlen, -EBADMSG,
			"not a pmgtm key file (the first line should be '%s')",
			header);
}

int
node_keytext_parse(const char *text, size_t len, const char *header,
		   uint8_t *key, size_t keylen, char *err, size_t errlen)
{
	const char *nl, *b64, *end;
	size_t got = 0;
	int rc;

	memset(key, 0, keylen);
	rc = header_check(text, len, header, err, errlen);
	if (rc)
		return rc;
	nl = memchr(text, '\n', len);
	b64 = nl ? nl + 1 : text + len;
	end = text + len;
	while (end > b64 && strchr(" \t\r\n", end[-1]))
		end--;
	rc = sodium_base642bin(key, keylen, b64, (size_t)(end - b64), NULL,
			       &got, NULL, sodium_base64_VARIANT_ORIGINAL);
	if (rc != 0 || got != keylen) {
		sodium_memzero(key, keylen);
		return cmn_errf(err, errlen, -EBADMSG,
				"the second line is not the base64 of a "
				"%zu-byte key",
				keylen);
	}
	return 0;
}

/* Refuses a secret key file that group or others may access. */
static int
mode_check(const char *path, mode_t mode, char *err, size_t errlen)
{
	if (!(mode & 077))
		return 0;
	return cmn_errf(err, errlen, -EPERM,
			"key file %s is %s by group or others (mode %04o); "
			"chmod 600 it",
			path, (mode & 044) ? "readable" : "writable",
			(unsigned)(mode & 07777));
}

/* Reads a whole small file and gives its mode, taken on the open
 * descriptor, so a file swapped after the read cannot slip past a check
 * of it. */
static int
read_small(const char *path, char *buf, size_t cap, size_t *len, mode_t *mode,
	   char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, e;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		return cmn_errf(err, errlen, -e, "%s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return cmn_errf(err, errlen, -e, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return cmn_errf(err, errlen, -EINVAL, "%s: not a regular file",
				path);
	}
	*mode = st.st_mode;
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			return cmn_errf(err, errlen, -e, "%s: %s", path,
					strerror(e));
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	if (*len == cap)
		return cmn_errf(err, errlen, -EFBIG,
				"%s: too large for a pmgtm key or certificate",
				path);
	return 0;
}

/* A secret key file is checked for its kind before its mode: a CA public
 * key given where the CA secret key belongs is named as such, rather than
 * asked to be chmod 600. */
static int
keyfile_load(const char *path, const char *header, bool secret, uint8_t *key,
	     size_t keylen, char *err, size_t errlen)
{
	char text[FILE_MAX], why[160];
	size_t len;
	mode_t mode;
	int rc;

	memset(key, 0, keylen);
	rc = read_small(path, text, sizeof(text), &len, &mode, err, errlen);
	if (rc == 0 && secret) {
		rc = header_check(text, len, header, why, sizeof(why));
		if (rc)
			cmn_errf(err, errlen, rc, "%s: %s", path, why);
		else
			rc = mode_check(path, mode, err, errlen);
	}
	if (rc == 0) {
		rc = node_keytext_parse(text, len, header, key, keylen, why,
					sizeof(why));
		if (rc)
			cmn_errf(err, errlen, rc, "%s: %s", path, why);
	}
	sodium_memzero(text, sizeof(text));
	return rc;
}

/* The public half of a libsodium secret key must be the one its seed
 * derives: anything else is a damaged file (and would sign with a key
 * nobody can verify). */
static int
secret_key_check(const char *path, const uint8_t sk[GSP_SK_LEN], char *err,
		 size_t errlen)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[GSP_PK_LEN], sk2[GSP_SK_LEN];
	int bad;

	crypto_sign_ed25519_sk_to_seed(seed, sk);
	crypto_sign_seed_keypair(pk, sk2, seed);
	bad = sodium_memcmp(sk, sk2, GSP_SK_LEN);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk2, sizeof(sk2));
	if (bad)
		return cmn_errf(
			err, errlen, -EBADMSG,
			"%s: corrupt key (the public half does not match "
			"the secret half)",
			path);
	return 0;
}

static int
secret_load(const char *path, const char *header, uint8_t sk[GSP_SK_LEN],
	    char *err, size_t errlen)
{
	int rc = keyfile_load(path, header, true, sk, GSP_SK_LEN, err, errlen);

	if (rc == 0)
		rc = secret_key_check(path, sk, err, errlen);
	if (rc)
		sodium_memzero(sk, GSP_SK_LEN);
	return rc;
}

int
node_key_load(const char *path, uint8_t sk[GSP_SK_LEN], char *err,
	      size_t errlen)
{
	return secret_load(path, GSP_NODE_SK_HEADER, sk, err, errlen);
}

int
node_ca_key_load(const char *path, uint8_t sk[GSP_SK_LEN], char *err,
		 size_t errlen)
{
	return secret_load(path, GSP_CA_SK_HEADER, sk, err, errlen);
}

int
node_ca_pub_load(const char *path, uint8_t pk[GSP_PK_LEN], char *err,
		 size_t errlen)
{
	return keyfile_load(path, GSP_CA_PK_HEADER, false, pk, GSP_PK_LEN, err,
			    errlen);
}

int
node_cluster_key_load(const char *path, uint8_t key[GSP_KEY_LEN], char *err,
		      size_t errlen)
{
	return keyfile_load(path, NODE_CLUSTER_KEY_HEADER, true, key,
			    GSP_KEY_LEN, err, errlen);
}

int
node_ca_pubs_load(const char *path, uint8_t pks[][GSP_PK_LEN], size_t max,
		  size_t *n, char *err, size_t errlen)
{
	char text[FILE_MAX], why[160];
	size_t len, at = 0, lines = 0, block = 0;
	mode_t mode;
	int rc;

	*n = 0;
	rc = read_small(path, text, sizeof(text), &len, &mode, err, errlen);
	if (rc)
		return rc;
	/* Blocks of two lines (header, base64); blank lines between. */
	while (at < len) {
		size_t end = at;
		while (end < len && text[end] != '\n')
			end++;
		bool blank = true;
		for (size_t i = at; i < end; i++)
			blank = blank && strchr(" \t\r", text[i]) != NULL;
		if (!blank && lines == 0) {
			block = at;
			lines = 1;
		} else if (!blank) {
			size_t stop = end < len ? end + 1 : end;
			if (*n == max)
				return cmn_errf(err, errlen, -EBADMSG,
						"%s: more than %zu CA keys",
						path, max);
			rc = node_keytext_parse(text + block, stop - block,
						GSP_CA_PK_HEADER, pks[*n],
						GSP_PK_LEN, why, sizeof(why));
			if (rc)
				return cmn_errf(err, errlen, rc,
						"%s: key %zu: %s", path, *n + 1,
						why);
			(*n)++;
			lines = 0;
		}
		at = end < len ? end + 1 : end;
	}
	if (lines || *n == 0)
		return cmn_errf(err, errlen, -EBADMSG, "%s: %s", path,
				*n ? "a CA key header without its key"
				   : "no CA public key (a file made by "
				     "pmgtmctl ca init, or several of them "
				     "one after the other)");
	return 0;
}

int
node_cert_load(const char *path, struct gsp_cert *c, char *err, size_t errlen)
{
	char buf[FILE_MAX];
	size_t len;
	mode_t mode;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = read_small(path, buf, sizeof(buf), &len, &mode, err, errlen);
	if (rc)
		return rc;
	rc = gsp_cert_decode((const uint8_t *)buf, len, c);
	if (rc)
		return cmn_errf(err, errlen, rc,
				"%s: not a valid pmgtm certificate", path);
	return 0;
}

static int
keyfile_save(const char *path, const char *header, const uint8_t *key,
	     size_t keylen, mode_t mode, int flags, char *err, size_t errlen)
{
	char text[NODE_KEYTEXT_MAX];
	int n, rc;

	n = node_keytext_format(header, key, keylen, text, sizeof(text));
	if (n < 0)
		return cmn_errf(err, errlen, n, "%s: key too large", path);
	rc = node_file_write(path, text, (size_t)n, mode, flags, err, errlen);
	sodium_memzero(text, sizeof(text));
	return rc;
}

int
node_key_save(const char *path, const uint8_t sk[GSP_SK_LEN], int flags,
	      char *err, size_t errlen)
{
	return keyfile_save(path, GSP_NODE_SK_HEADER, sk, GSP_SK_LEN, 0600,
			    flags, err, errlen);
}

int
node_ca_key_save(const char *path, const uint8_t sk[GSP_SK_LEN], int flags,
		 char *err, size_t errlen)
{
	return keyfile_save(path, GSP_CA_SK_HEADER, sk, GSP_SK_LEN, 0600, flags,
			    err, errlen);
}

int
node_ca_pub_save(const char *path, const uint8_t pk[GSP_PK_LEN], int flags,
		 char *err, size_t errlen)
{
	return keyfile_save(path, GSP_CA_PK_HEADER, pk, GSP_PK_LEN, 0644, flags,
			    err, errlen);
}

int
node_cert_save(const char *path, const struct gsp_cert *c, int flags, char *err,
	       size_t errlen)
{
	uint8_t buf[GSP_CERT_MAX_LEN];
	size_t len;
	int rc;

	rc = gsp_cert_encode(c, buf, sizeof(buf), &len);
	if (rc)
		return cmn_errf(err, errlen, rc,
				"%s: cannot encode certificate: %s", path,
				strerror(-rc));
	return node_file_write(path, buf, len, 0644, flags, err, errlen);
}
