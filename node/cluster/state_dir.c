#include "node/cluster/state_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/file_write.h"

/* The files node_file_write() replaces in the state directory. */
static const char *const written[] = { "generation", "intents" };

/* The pid the holder wrote, or "unknown" (it may be writing it now). */
static void
holder_pid(int fd, char *out, size_t cap)
{
	char text[24];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	long pid;
	char *end;

	snprintf(out, cap, "unknown");
	if (n <= 0)
		return;
	text[n] = '\0';
	pid = strtol(text, &end, 10);
	if (end != text && pid > 0 && (*end == '\n' || !*end))
		snprintf(out, cap, "%ld", pid);
}

int
node_state_lock(const char *dir, char *err, size_t errlen)
{
	char path[4096], pid[24];
	int fd, rc, n;

	if ((size_t)snprintf(path, sizeof(path), "%s/lock", dir) >=
	    sizeof(path)) {
		snprintf(err, errlen, "state_dir %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		  0644);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot lock state_dir %s: %s: %s", dir,
			 path, strerror(-rc));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		if (rc == -EWOULDBLOCK) {
			holder_pid(fd, pid, sizeof(pid));
			snprintf(err, errlen,
				 "state_dir %s is in use by another pmgtmd "
				 "(pid %s)",
				 dir, pid);
			rc = -EBUSY;
		} else {
			snprintf(err, errlen, "cannot lock %s: %s", path,
				 strerror(-rc));
		}
		close(fd);
		return rc;
	}
	/* For the message a second pmgtmd prints; the lock is what counts. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		rc = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

void
node_state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int
node_state_clean(const char *dir)
{
	size_t i;
	int n = 0, r;

	for (i = 0; i < sizeof(written) / sizeof(written[0]); i++)
		if ((r = node_file_clean_temps(dir, written[i])) > 0)
			n += r;
	return n;
}
