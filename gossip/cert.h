/*
 * Cluster identity: node certificates signed by the cluster CA (Ed25519).
 *
 * Every node holds an Ed25519 key pair and a certificate in which the
 * cluster's CA key binds the node's name to its public key for a time
 * window. A peer believes a gossip record only when its author's
 * certificate verifies against the CA public key (cluster.ca_file) at the
 * current time. All of it is pure: keys, times and bytes come in as
 * arguments. Callers must have called sodium_init() once.
 *
 * Files (written and read by common/keyfile.c and pmgtmctl):
 *
 *   ca.key   (mode 0600)              ca.pub (any mode)
 *   +--------------------------+      +--------------------------+
 *   | pmgtm-ca-secret-key-v1\n |      | pmgtm-ca-public-key-v1\n |
 *   | <88 chars of base64>\n   |      | <44 chars of base64>\n   |
 *   +--------------------------+      +--------------------------+
 *
 *   node.key (mode 0600)
 *   +----------------------------+
 *   | pmgtm-node-secret-key-v1\n |    base64: RFC 4648 with padding
 *   | <88 chars of base64>\n     |    (sodium's ORIGINAL variant)
 *   +----------------------------+
 *
 *   A secret key is libsodium's 64-byte Ed25519 secret key (32-byte seed
 *   followed by the 32-byte public key); a public key is 32 bytes.
 *
 *   node.cert: one MessagePack array of 6, nothing after it
 *
 *   +------+---------+----------+----------+------------+-----------+--------+
 *   | 0x96 | version | name     | pk       | not_before | not_after | sig    |
 *   |      | uint, 1 | str 1-63 | bin 32   | uint       | uint      | bin 64 |
 *   +------+---------+----------+----------+------------+-----------+--------+
 *
 *   name       the node's name, [a-z0-9-]{1,63} (as node.name in the config)
 *   pk         the node's Ed25519 public key
 *   not_before unix seconds; valid from it, inclusive (issued at - 300 s,
 *              so a verifier whose clock lags a little accepts a new cert)
 *   not_after  unix seconds; valid up to it, inclusive (issued at + days)
 *   sig        Ed25519 detached signature by the CA secret key over
 *
 *     +---------------------------+------+--------------------------------+
 *     | "pmgtm-cert-v1" (13 bytes | 0x95 | version name pk not_before     |
 *     |  of ASCII, no NUL)        |      | not_after                      |
 *     +---------------------------+------+--------------------------------+
 *
 *     i.e. the context string and then the array of the first five
 *     elements in our own canonical encoding: every integer in its
 *     shortest form (positive fixint, uint 8/16/32/64), the name as fixstr
 *     or str 8, the key as bin 8. The verifier re-encodes the decoded
 *     fields, so how the sender encoded them cannot matter.
 *
 *   Example, name "lb1": 96 01 a3 6c 62 31 c4 20 <32 bytes of pk>
 *                        ce <4 bytes> ce <4 bytes> c4 40 <64 bytes of sig>
 *
 *   The decoder accepts any MessagePack encoding of these types (array 16
 *   or 32 with 6 elements, str 8/16/32, bin 16/32, integers in any width,
 *   signed formats included when the value is not negative) and nothing
 *   else: no trailing bytes, no other types, no other lengths.
 */
#ifndef PMGTM_GOSSIP_CERT_H
#define PMGTM_GOSSIP_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/error.h" /* the codes gsp_cert_verify() returns */

#define GSP_PK_LEN 32
#define GSP_SK_LEN 64
#define GSP_SIG_LEN 64
#define GSP_NAME_MAX 63

/* First lines of the key files. */
#define GSP_CA_SK_HEADER "pmgtm-ca-secret-key-v1"
#define GSP_CA_PK_HEADER "pmgtm-ca-public-key-v1"
#define GSP_NODE_SK_HEADER "pmgtm-node-secret-key-v1"

#define GSP_CERT_VERSION 1
/* The context string that starts the signed message. */
#define GSP_CERT_CONTEXT "pmgtm-cert-v1"
/* Size of our encoding of a certificate with a 63-character name: enough
 * for gsp_cert_encode() whatever the certificate holds. */
#define GSP_CERT_MAX_LEN 185
/* The largest input gsp_cert_decode() looks at: every field in its widest
 * encoding still fits. */
#define GSP_CERT_DECODE_MAX 256
/* Allowance for clock skew: not_before = issued at - GSP_CERT_SKEW. */
#define GSP_CERT_SKEW 300
#define GSP_CERT_DAYS_DEFAULT 365
/* gsp_cert_issue() refuses longer lifetimes (100 years). */
#define GSP_CERT_DAYS_MAX 36500

struct gsp_cert {
	char name[GSP_NAME_MAX + 1]; /* NUL-terminated */
	uint8_t pk[GSP_PK_LEN];
	uint64_t not_before;
	uint64_t not_after;
	uint8_t sig[GSP_SIG_LEN];
};

/* True when @name is 1 to 63 characters of a-z, 0-9 and '-'. NULL is not
 * a valid name. */
bool gsp_name_valid(const char *name);

/* Writes the whole certificate (signature included) to @out, at most @cap
 * bytes, in the canonical encoding; sets *@len. GSP_CERT_MAX_LEN is always
 * enough. Returns 0, -EINVAL when the name is not valid, or -ENOSPC. */
__attribute__((warn_unused_result)) int
gsp_cert_encode(const struct gsp_cert *c, uint8_t *out, size_t cap,
		size_t *len);

/* Parses a certificate. Does not check the signature or the times (that is
 * gsp_cert_verify()). Returns 0 or -EBADMSG for anything but one array of
 * the six fields of the layout above (wrong types or lengths, version other
 * than 1, invalid name, trailing bytes, more than GSP_CERT_DECODE_MAX
 * bytes); on failure *@c is zeroed. Allocates nothing; *@c does not point
 * into @buf. */
__attribute__((warn_unused_result)) int
gsp_cert_decode(const uint8_t *buf, size_t len, struct gsp_cert *c);

/* Signs the name, pk and validity of @c with the CA secret key and stores
 * the signature in c->sig. Returns 0, or -EINVAL when the name is not
 * valid (c->sig is then zeroed). */
__attribute__((warn_unused_result)) int
gsp_cert_sign(struct gsp_cert *c, const uint8_t ca_sk[GSP_SK_LEN]);

/* Fills and signs *@c: @name and @pk for @days days from @now (unix
 * seconds), valid from @now - GSP_CERT_SKEW. Returns 0, or -EINVAL for an
 * invalid name, days outside 1..GSP_CERT_DAYS_MAX or a @now so large the
 * expiry overflows; on failure *@c is zeroed. */
__attribute__((warn_unused_result)) int
gsp_cert_issue(struct gsp_cert *c, const char *name,
	       const uint8_t pk[GSP_PK_LEN], uint64_t now, unsigned days,
	       const uint8_t ca_sk[GSP_SK_LEN]);

/* Checks that the CA whose public key is @ca_pk signed @c, then that
 * not_before <= @now <= not_after. Returns 0, GSP_ECERTSIG (other CA,
 * altered fields, invalid name) or GSP_ECERTEXPIRED (expired or not yet
 * valid: the window is only trusted once the signature is). */
__attribute__((warn_unused_result)) int
gsp_cert_verify(const struct gsp_cert *c, const uint8_t ca_pk[GSP_PK_LEN],
		uint64_t now);

#endif
