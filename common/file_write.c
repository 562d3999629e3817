/*
 * The atomic file writer: a file appears whole or not at all, even when
 * the process or the machine dies halfway. Key files, the intents file
 * and the generation file are all written with it.
 */
#include "common/file_write.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errf.h"

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
			return cmn_errf(err, errlen, -ENAMETOOLONG,
					"%s: path too long", path);
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		base++;
	} else {
		strcpy(dir, ".");
		base = path;
	}
	if (!*base)
		return cmn_errf(err, errlen, -EINVAL, "%s: not a file name",
				path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >=
	    sizeof(tmp))
		return cmn_errf(err, errlen, -ENAMETOOLONG, "%s: path too long",
				path);
	if (!(flags & NODE_WRITE_FORCE) && access(path, F_OK) == 0)
		return cmn_errf(err, errlen, -EEXIST, "%s already exists",
				path);

	/* mkostemp: O_CREAT | O_EXCL, mode 0600 whatever the umask */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return cmn_errf(err, errlen, rc,
				"cannot create a file in %s: %s", dir,
				strerror(-rc));
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
			return cmn_errf(err, errlen, rc, "%s already exists",
					path);
		return cmn_errf(err, errlen, rc, "cannot write %s: %s", path,
				strerror(-rc));
	}
	rc = fsync_dir(dir);
	if (rc)
		return cmn_errf(err, errlen, rc,
				"%s: cannot sync directory %s: %s", path, dir,
				strerror(-rc));
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
