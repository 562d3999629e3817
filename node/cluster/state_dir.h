/*
 * The node's state directory (node.state_dir): the generation and the
 * drain intents live there, written by one pmgtmd at a time. A lock file,
 * @dir/lock, keeps a second pmgtmd started by mistake on the same
 * directory from touching either.
 */
#ifndef PMGTM_NODE_CLUSTER_STATE_DIR_H
#define PMGTM_NODE_CLUSTER_STATE_DIR_H

#include <stddef.h>

/*
 * Takes an exclusive flock() on @dir/lock, creating it if needed, and
 * writes our pid into it. Returns the descriptor that holds the lock (keep
 * it open as long as the directory is used), or -EBUSY with "state_dir
 * @dir is in use by another pmgtmd (pid N)" in @err, or another negative
 * errno with a reason. On failure nothing in @dir has changed.
 */
__attribute__((warn_unused_result)) int
node_state_lock(const char *dir, char *err, size_t errlen);

/* Lets the lock go (a negative @fd is a no-op). */
void node_state_unlock(int fd);

/*
 * Removes the temporary files that a pmgtmd killed in the middle of
 * writing left in @dir (see node_file_clean_temps()); call it with the
 * lock held, so no writer can be running. Returns how many were removed.
 */
int node_state_clean(const char *dir);

#endif
