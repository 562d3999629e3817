/*
 * The state directory: one pmgtmd at a time (the lock, and what a second
 * one is told), and the temporaries a killed writer leaves, removed with
 * nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/file_write.h"
#include "node/cluster/state_dir.h"

struct dir {
	char path[64];
};

static void
dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/pmgtm-state-XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

static void
touch(const struct dir *d, const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static bool
exists(const struct dir *d, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	return lstat(path, &st) == 0;
}

static void
slurp(const struct dir *d, const char *name, char *out, size_t cap)
{
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void
dir_remove(const struct dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

/* The first lock wins and names its pid; a second one (another open
 * file, as another process would have) is refused with that pid and
 * changes nothing; once let go the lock can be taken again. */
static void
test_lock(void **state)
{
	struct dir d;
	char err[256] = "", want[256], before[32], after[32];
	int fd, fd2;

	dir_make(&d);
	fd = node_state_lock(d.path, err, sizeof(err));
	assert_true(fd >= 0);
	slurp(&d, "lock", before, sizeof(before));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(before, want);

	fd2 = node_state_lock(d.path, err, sizeof(err));
	assert_int_equal(fd2, -EBUSY);
	snprintf(want, sizeof(want),
		 "state_dir %s is in use by another pmgtmd (pid %ld)", d.path,
		 (long)getpid());
	assert_string_equal(err, want);
	slurp(&d, "lock", after, sizeof(after));
	assert_string_equal(after, before);

	node_state_unlock(fd);
	fd = node_state_lock(d.path, err, sizeof(err));
	assert_true(fd >= 0);
	node_state_unlock(fd);
	node_state_unlock(-1);
	dir_remove(&d);
}

/* A missing directory: a clear error, nothing created. */
static void
test_lock_no_dir(void **state)
{
	char err[256] = "";

	assert_int_equal(
		node_state_lock("/nonexistent/pmgtm", err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "/nonexistent/pmgtm"));
	assert_non_null(strstr(err, "No such file or directory"));
}

/* Only node_file_write()'s temporaries of our two files go: the names
 * mkostemp() makes from ".NAME.XXXXXX", regular files only. */
static void
test_clean(void **state)
{
	static const char *const stale[] = {
		".intents.Ab3xZ9",
		".intents.000000",
		".generation.q1W2e3",
	};
	static const char *const keep[] = {
		"intents",
		"generation",
		"lock",
		".intents.notours",
		".intents.abc",
		".intents.Ab3x-9",
		"intents.Ab3xZ9",
		".node.key.Ab3xZ9",
		".intents.corrupt-1",
		".generation.Ab3xZ9x",
	};
	struct dir d;
	char tmpl[128];
	size_t i;
	int fd;

	dir_make(&d);
	for (i = 0; i < sizeof(stale) / sizeof(stale[0]); i++)
		touch(&d, stale[i]);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		touch(&d, keep[i]);
	/* What node_file_write() names its temporary, made the same way. */
	snprintf(tmpl, sizeof(tmpl), "%s/.intents.XXXXXX", d.path);
	fd = mkostemp(tmpl, O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	/* A directory of that shape is not ours to remove. */
	snprintf(tmpl, sizeof(tmpl), "%s/.generation.dir123", d.path);
	assert_int_equal(mkdir(tmpl, 0700), 0);

	assert_int_equal(node_state_clean(d.path), 4);
	for (i = 0; i < sizeof(stale) / sizeof(stale[0]); i++)
		assert_false(exists(&d, stale[i]));
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_true(exists(&d, keep[i]));
	assert_true(exists(&d, ".generation.dir123"));
	assert_int_equal(node_state_clean(d.path), 0);
	assert_int_equal(node_file_clean_temps("/nonexistent/pmgtm", "intents"),
			 -ENOENT);
	dir_remove(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_lock_no_dir),
		cmocka_unit_test(test_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
