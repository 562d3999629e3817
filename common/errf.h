/*
 * The one-line error of the common/ functions: formats into the caller's
 * buffer (when it has room) and returns the code, so an error path is one
 * statement: return cmn_errf(err, errlen, -EINVAL, "%s: ...", path);
 */
#ifndef PMGTM_COMMON_ERRF_H
#define PMGTM_COMMON_ERRF_H

#include <stddef.h>

int cmn_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
