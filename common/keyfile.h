/*
 * Key and certificate files of the cluster identity (formats drawn in
 * gossip/cert.h): reading them with the checks an operator expects, and
 * writing them atomically.
 *
 * Every function returns 0 or a negative errno, and on failure writes one
 * line for a human to @err (at most @errlen bytes, naming the file):
 *   -ENOENT   the file does not exist
 *   -EPERM    a secret key file that group or others may access (refused)
 *   -EEXIST   the file to write exists and NODE_WRITE_FORCE was not given
 *   -EBADMSG  not a file of the expected kind, or corrupt
 *   -EFBIG    far larger than any such file
 *   other     what the system call failed with
 * Secret bytes pass through buffers that are wiped before returning.
 */
#ifndef PMGTM_COMMON_KEYFILE_H
#define PMGTM_COMMON_KEYFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/file_write.h"
#include "gossip/cert.h"
#include "gossip/seal.h"

/* Room for one key file's text: header, newline, base64 of 64 bytes,
 * newline and a NUL. */
#define NODE_KEYTEXT_MAX 128
#define NODE_CLUSTER_KEY_HEADER "pmgtm-cluster-key-v1"

/* Loads node.key. Refuses (-EBADMSG) a file of another kind, naming it
 * ("X: this is a CA public key, not a node secret key"), then (-EPERM) a
 * file whose mode lets group or others in ("key file X is readable by
 * group or others (mode 0644); chmod 600 it"), and a key whose public half
 * does not match its seed. */
__attribute__((warn_unused_result)) int node_key_load(const char *path,
						      uint8_t sk[GSP_SK_LEN],
						      char *err, size_t errlen);

/* Loads ca.key, with the same checks as node_key_load(). */
__attribute__((warn_unused_result)) int node_ca_key_load(const char *path,
							 uint8_t sk[GSP_SK_LEN],
							 char *err,
							 size_t errlen);

/* Loads a cluster key (cluster.encrypt_keys), with the same checks as
 * node_key_load() but for the key pair. */
__attribute__((warn_unused_result)) int
node_cluster_key_load(const char *path, uint8_t key[GSP_KEY_LEN], char *err,
		      size_t errlen);

/* Loads ca.pub (any mode). */
__attribute__((warn_unused_result)) int node_ca_pub_load(const char *path,
							 uint8_t pk[GSP_PK_LEN],
							 char *err,
							 size_t errlen);

/* Loads the CA public keys of @path: one ca.pub, or several one after the
 * other (blank lines between allowed), at most @max (GSP_CA_MAX): a
 * cluster trusts all of them during a CA rotation. Sets *@n >= 1. */
__attribute__((warn_unused_result)) int
node_ca_pubs_load(const char *path, uint8_t pks[][GSP_PK_LEN], size_t max,
		  size_t *n, char *err, size_t errlen);

/* Loads and decodes node.cert. Does not verify it: see gsp_cert_verify(). */
__attribute__((warn_unused_result)) int
node_cert_load(const char *path, struct gsp_cert *c, char *err, size_t errlen);

/* Writers: node.key and ca.key with mode 0600, ca.pub and node.cert with
 * mode 0644. Each file appears whole or not at all (see
 * node_file_write()); without NODE_WRITE_FORCE in @flags an existing file
 * is never replaced (-EEXIST). */
__attribute__((warn_unused_result)) int
node_key_save(const char *path, const uint8_t sk[GSP_SK_LEN], int flags,
	      char *err, size_t errlen);
__attribute__((warn_unused_result)) int
node_ca_key_save(const char *path, const uint8_t sk[GSP_SK_LEN], int flags,
		 char *err, size_t errlen);
__attribute__((warn_unused_result)) int
node_ca_pub_save(const char *path, const uint8_t pk[GSP_PK_LEN], int flags,
		 char *err, size_t errlen);
__attribute__((warn_unused_result)) int node_cert_save(const char *path,
						       const struct gsp_cert *c,
						       int flags, char *err,
						       size_t errlen);

/* The text of a key file: @header, a newline, the base64 of @key, a
 * newline. Returns the length written to @out (NUL-terminated), or -ENOSPC
 * when @cap is too small. Pure. */
__attribute__((warn_unused_result)) int
node_keytext_format(const char *header, const uint8_t *key, size_t keylen,
		    char *out, size_t cap);

/* Parses the text of a key file of kind @header holding exactly @keylen
 * bytes. Accepts CRLF line ends and trailing blank space; nothing else.
 * Returns 0 or -EBADMSG (@key is then zeroed), with a reason in @err that
 * names another kind of key file when it is one ("a CA secret key"). Pure.
 */
__attribute__((warn_unused_result)) int
node_keytext_parse(const char *text, size_t len, const char *header,
		   uint8_t *key, size_t keylen, char *err, size_t errlen);

#endif
