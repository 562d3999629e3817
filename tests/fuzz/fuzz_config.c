/*
 * libFuzzer target for the config loader. The loader takes a path, so each
 * input goes into a memfd and is loaded through /proc/self/fd/N: no files
 * on disk, nothing left behind.
 *
 * Beyond "no crash, no leak" it checks the loader's contract: a result
 * XOR an error line, and never the fallback message that means libcyaml
 * rejected what our own positioned check let through.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include "node/config/config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_config *cfg = NULL;
	char path[64], err[512];
	const char *msg;
	size_t off = 0;
	ssize_t n;
	int fd, rc;

	fd = memfd_create("fuzz_config", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0) {
			close(fd);
			return 0;
		}
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = node_config_load(path, &cfg, err, sizeof(err));
	if (rc == 0) {
		if (!cfg || cfg->dns.n_zones == 0 || cfg->node.n_addrs == 0)
			__builtin_trap();
		node_config_free(cfg);
	} else {
		if (cfg || !err[0] || strncmp(err, path, strlen(path)))
			__builtin_trap();
		msg = err + strlen(path);
		msg += strspn(msg, ":0123456789");
		if (!strncmp(msg, " libcyaml:", 10))
			__builtin_trap();
	}
	close(fd);
	return 0;
}
