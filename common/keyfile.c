/*
 * Key and certificate files: text key files (header line, base64 line),
 * the binary certificate, and the atomic writer they share.
 */
#include "common/keyfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

/* Larger than any key file or certificate, with room for editors' noise. */
#define FILE_MAX 4096

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

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

int
node_keytext_parse(const char *text, size_t len, const char *header,
		   uint8_t *key, size_t keylen, char *err, size_t errlen)
{
	const char *nl, *b64, *end, *what, *want;
	size_t hl, got = 0;
	int rc;

	memset(key, 0, keylen);
	want = kind_name(header, strlen(header));
	if (!want)
		want = header;
	if (memchr(text, '\0', len))
		return fail(err, errlen, -EBADMSG, "not a text file");
	nl = memchr(text, '\n', len);
	hl = nl ? (size_t)(nl - text) : len;
	if (hl && text[hl - 1] == '\r')
		hl--;
	if (hl != strlen(header) || memcmp(text, header, hl)) {
		what = kind_name(text, hl);
		if (what)
			return fail(err, errlen, -EBADMSG, "this is %s, not %s",
				    what, want);
		if (hl >= 6 && !memcmp(text, "pmgtm-", 6))
			return fail(err, errlen, -EBADMSG,
				    "unknown key file kind '%.*s' (expected "
				    "'%s')",
				    (int)(hl > 40 ? 40 : hl), text, header);
		return fail(err, errlen, -EBADMSG,
			    "not a pmgtm key file (the first line should "
			    "be '%s')",
			    header);
	}
	b64 = nl ? nl + 1 : text + len;
	end = text + len;
	while (end > b64 && strchr(" \t\r\n", end[-1]))
		end--;
	rc = sodium_base642bin(key, keylen, b64, (size_t)(end - b64), NULL,
			       &got, NULL, sodium_base64_VARIANT_ORIGINAL);
	if (rc != 0 || got != keylen) {
		sodium_memzero(key, keylen);
		return fail(err, errlen, -EBADMSG,
			    "the second line is not the base64 of a "
			    "%zu-byte key",
			    keylen);
	}
	return 0;
}

/* Reads a whole small file. A secret file must be closed to group and
 * others; its mode is checked on the open descriptor, so a file swapped
 * after the check cannot slip through. */
static int
read_small(const char *path, bool secret, char *buf, size_t cap, size_t *len,
	   char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, e;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		return fail(err, errlen, -e, "%s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return fail(err, errlen, -e, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EINVAL, "%s: not a regular file",
			    path);
	}
	if (secret && (st.st_mode & 077)) {
		close(fd);
		return fail(err, errlen, -EPERM,
			    "key file %s is %s by group or others (mode "
			    "%04o); chmod 600 it",
			    path, (st.st_mode & 044) ? "readable" : "writable",
			    (unsigned)(st.st_mode & 07777));
	}
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			return fail(err, errlen, -e, "%s: %s", path,
				    strerror(e));
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	if (*len == cap)
		return fail(err, errlen, -EFBIG,
			    "%s: too large for a pmgtm key or certificate",
			    path);
	return 0;
}

static int
keyfile_load(const char *path, const char *header, bool secret, uint8_t *key,
	     size_t keylen, char *err, size_t errlen)
{
	char text[FILE_MAX], why[160];
	size_t len;
	int rc;

	memset(key, 0, keylen);
	rc = read_small(path, secret, text, sizeof(text), &len, err, errlen);
	if (rc == 0) {
		rc = node_keytext_parse(text, len, header, key, keylen, why,
					sizeof(why));
		if (rc)
			fail(err, errlen, rc, "%s: %s", path, why);
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
		return fail(err, errlen, -EBADMSG,
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
node_cert_load(const char *path, struct gsp_cert *c, char *err, size_t errlen)
{
	char buf[FILE_MAX];
	size_t len;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = read_small(path, false, buf, sizeof(buf), &len, err, errlen);
	if (rc)
		return rc;
	rc = gsp_cert_decode((const uint8_t *)buf, len, c);
	if (rc)
		return fail(err, errlen, rc,
			    "%s: not a valid pmgtm certificate", path);
	return 0;
}

/* Moves @tmp to @path without ever replacing an existing @path: the
 * kernel's no-replace rename, or on file systems without it a hard link
 * (which fails if @path exists) and the removal of @tmp. */
static int
move_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -errno;
	if (link(tmp, path) < 0)
		return -errno;
	unlink(tmp);
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
node_file_write(const char *path, const void *data, size_t len, mode_t mode,
		int flags, char *err, size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base = strrchr(path, '/');
	const uint8_t *p = data;
	size_t off = 0;
	ssize_t n;
	int fd, rc;

	if (base) {
		size_t dl = base == path ? 1 : (size_t)(base - path);

		if (dl >= sizeof(dir))
			return fail(err, errlen, -ENAMETOOLONG,
				    "%s: path too long", path);
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		base++;
	} else {
		strcpy(dir, ".");
		base = path;
	}
	if (!*base)
		return fail(err, errlen, -EINVAL, "%s: not a file name", path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >=
	    sizeof(tmp))
		return fail(err, errlen, -ENAMETOOLONG, "%s: path too long",
			    path);
	if (!(flags & NODE_WRITE_FORCE) && access(path, F_OK) == 0)
		return fail(err, errlen, -EEXIST, "%s already exists", path);

	/* mkostemp: O_CREAT | O_EXCL, mode 0600 whatever the umask */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return fail(err, errlen, rc, "cannot create a file in %s: %s",
			    dir, strerror(-rc));
	}
	rc = fchmod(fd, mode) < 0 ? -errno : 0;
	while (rc == 0 && off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else
			off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0) {
		if (flags & NODE_WRITE_FORCE)
			rc = rename(tmp, path) < 0 ? -errno : 0;
		else
			rc = move_noreplace(tmp, path);
	}
	if (rc) {
		unlink(tmp);
		if (rc == -EEXIST)
			return fail(err, errlen, rc, "%s already exists", path);
		return fail(err, errlen, rc, "cannot write %s: %s", path,
			    strerror(-rc));
	}
	rc = fsync_dir(dir);
	if (rc)
		return fail(err, errlen, rc, "%s: cannot sync directory %s: %s",
			    path, dir, strerror(-rc));
	return 0;
}

/* Whether @ent is a temporary of node_file_write() for @name: a dot,
 * @name, a dot and the six letters or digits mkostemp() put for XXXXXX. */
static bool
is_temp_of(const char *ent, const char *name)
{
	size_t nl = strlen(name), i;
	const char *x = ent + nl + 2;

	if (ent[0] != '.' || strncmp(ent + 1, name, nl) || ent[nl + 1] != '.' ||
	    strlen(x) != 6)
		return false;
	for (i = 0; i < 6; i++)
		if (!((x[i] >= 'a' && x[i] <= 'z') ||
		      (x[i] >= 'A' && x[i] <= 'Z') ||
		      (x[i] >= '0' && x[i] <= '9')))
			return false;
	return true;
}

int
node_file_clean_temps(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!is_temp_of(e->d_name, name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
keyfile_save(const char *path, const char *header, const uint8_t *key,
	     size_t keylen, mode_t mode, int flags, char *err, size_t errlen)
{
	char text[NODE_KEYTEXT_MAX];
	int n, rc;

	n = node_keytext_format(header, key, keylen, text, sizeof(text));
	if (n < 0)
		return fail(err, errlen, n, "%s: key too large", path);
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
		return fail(err, errlen, rc,
			    "%s: cannot encode certificate: %s", path,
			    strerror(-rc));
	return node_file_write(path, buf, len, 0644, flags, err, errlen);
}
