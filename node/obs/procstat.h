/*
 * What the standard process_* metrics report (the Prometheus client
 * libraries' process collector), read from /proc like they do.
 */
#ifndef PMGTM_NODE_OBS_PROCSTAT_H
#define PMGTM_NODE_OBS_PROCSTAT_H

#include <stdint.h>

struct node_procstat {
	double cpu_seconds;   /* user + system */
	uint64_t rss_bytes;   /* resident set */
	uint64_t vsize_bytes; /* virtual memory */
	double start_time;    /* unix seconds */
	uint64_t open_fds;
	uint64_t max_fds; /* the soft RLIMIT_NOFILE */
};

/*
 * Parses the text of /proc/PID/stat into the first four fields of @out:
 * @ticks is sysconf(_SC_CLK_TCK), @page_size the page size, @btime the
 * boot time in unix seconds (the "btime" line of /proc/stat). The command
 * name may hold spaces and parentheses: the fields are counted after its
 * last ')'. Returns 0, or -EINVAL (then @out is zeroed).
 */
__attribute__((warn_unused_result)) int
node_procstat_parse(const char *stat, long ticks, long page_size,
		    uint64_t btime, struct node_procstat *out);

/* Reads all of it for this process. 0 or a negative errno. */
__attribute__((warn_unused_result)) int
node_procstat_read(struct node_procstat *out);

#endif
