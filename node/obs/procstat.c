#include "node/obs/procstat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int
node_procstat_parse(const char *stat, long ticks, long page_size,
		    uint64_t btime, struct node_procstat *out)
{
	unsigned long long utime, stime, start, vsize;
	long long rss;
	const char *p = strrchr(stat, ')');

	memset(out, 0, sizeof(*out));
	if (!p || ticks <= 0 || page_size <= 0)
		return -EINVAL;
	/* After the command: state (3), then fields 4..13 not needed,
	 * utime (14), stime (15), 16..21 not needed, starttime (22),
	 * vsize (23), rss in pages (24). */
	if (sscanf(p + 1,
		   " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu"
		   " %*s %*s %*s %*s %*s %*s %llu %llu %lld",
		   &utime, &stime, &start, &vsize, &rss) != 5 ||
	    rss < 0)
		return -EINVAL;
	out->cpu_seconds = (double)(utime + stime) / (double)ticks;
	out->start_time = (double)btime + (double)start / (double)ticks;
	out->vsize_bytes = vsize;
	out->rss_bytes = (uint64_t)rss * (uint64_t)page_size;
	return 0;
}

/* Reads a small /proc file whole; -errno on failure. */
static int
read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return 0;
}

static int
boot_time(uint64_t *btime)
{
	char buf[16384]; /* /proc/stat grows with the CPUs; btime is early */
	int r = read_small("/proc/stat", buf, sizeof(buf));

	if (r)
		return r;
	const char *p = strstr(buf, "\nbtime ");
	if (!p || sscanf(p + 7, "%" SCNu64, btime) != 1)
		return -EINVAL;
	return 0;
}

static int
count_fds(uint64_t *n)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;

	if (!dir)
		return -errno;
	*n = 0;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			(*n)++;
	closedir(dir);
	/* Not the directory's own descriptor, open only while counting. */
	if (*n)
		(*n)--;
	return 0;
}

int
node_procstat_read(struct node_procstat *out)
{
	char buf[1024];
	uint64_t btime;
	struct rlimit rl;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = read_small("/proc/self/stat", buf, sizeof(buf))) ||
	    (r = boot_time(&btime)) ||
	    (r = node_procstat_parse(buf, sysconf(_SC_CLK_TCK),
				     sysconf(_SC_PAGESIZE), btime, out)) ||
	    (r = count_fds(&out->open_fds)))
		return r;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	out->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX
						    : (uint64_t)rl.rlim_cur;
	return 0;
}
