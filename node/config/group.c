/* Group names in the configuration, resolved when it is loaded. */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include "node/config/config.h"

#define GROUP_BUF_MAX (1024 * 1024) /* a group with very many members */

int
node_group_lookup(const char *name, gid_t *gid)
{
	long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t cap = hint > 0 ? (size_t)hint : 4096;
	struct group gr, *res = NULL;
	int r;

	for (;;) {
		char *buf = malloc(cap);

		if (!buf)
			return -ENOMEM;
		r = getgrnam_r(name, &gr, buf, cap, &res);
		if (r == 0 && res)
			*gid = res->gr_gid;
		free(buf);
		if (r != ERANGE || cap >= GROUP_BUF_MAX)
			break;
		cap *= 2;
	}
	/* Not found is 0 and no result, but some NSS modules say so with
	 * an errno (getgrnam_r(3)). */
	if (r == ENOENT || r == ESRCH)
		return -ENOENT;
	if (r)
		return -r;
	return res ? 0 : -ENOENT;
}
