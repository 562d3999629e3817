/*
 * Writing a file atomically, for whatever must never be seen half
 * written: key files, certificates, the intents and generation files.
 * Each function returns 0 or a negative errno, and on failure writes one
 * line for a human to @err (at most @errlen bytes, naming the file).
 */
#ifndef PMGTM_COMMON_FILE_WRITE_H
#define PMGTM_COMMON_FILE_WRITE_H

#include <stddef.h>
#include <sys/types.h>

/* Flags of the writers. */
#define NODE_WRITE_FORCE 1 /* replace an existing file */

/* Writes @len bytes to @path atomically: a temporary file in the same
 * directory, created exclusively with mode 0600 and then given @mode,
 * written and fsynced, moved into place, and the directory fsynced. With
 * NODE_WRITE_FORCE the move is a rename(); without it a no-replace rename
 * (or link() on file systems that lack one), so even a file created by
 * someone else meanwhile is never replaced. On failure the temporary file
 * is removed; only a failed fsync of the directory returns an error with
 * the new file already in place. */
__attribute__((warn_unused_result)) int
node_file_write(const char *path, const void *data, size_t len, mode_t mode,
		int flags, char *err, size_t errlen);

/* Removes what node_file_write() of @dir/@name left behind when the
 * process died between creating its temporary file and moving it into
 * place: regular files named ".@name.XXXXXX" (six letters or digits).
 * Call it only where no writer of that file can be running. Returns how
 * many were removed, or a negative errno when @dir cannot be read. */
__attribute__((warn_unused_result)) int node_file_clean_temps(const char *dir,
							      const char *name);

#endif
