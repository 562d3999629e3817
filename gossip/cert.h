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
 *   node.cert: one MessagePack array of 8, nothing after it
 *
 *   +------+---------+---------+------+--------+------------+-----------+
 *   | 0x98 | version | cluster | name | pk     | not_before | not_after |
 *   |      | uint, 2 | str     | str  | bin 32 | uint       | uint      |
 *   +------+---------+---------+------+--------+------------+-----------+
 *   | ca_id  | sig    |
 *   | bin 8  | bin 64 |
 *   +--------+--------+
 *
 *   cluster    the cluster's name, [a-z0-9-]{1,63} (cluster.name): a
 *              certificate joins that cluster only, even where several
 *              clusters share a CA
 *   name       the node's name, [a-z0-9-]{1,63} (as node.name in the config)
 *   pk         the node's Ed25519 public key
 *   not_before unix seconds; valid from it, inclusive (issued at - 300 s,
 *              so a verifier whose clock lags a little accepts a new cert)
 *   not_after  unix seconds; valid up to it, inclusive (issued at + life)
 *   ca_id      the key id (gsp_key_id()) of the CA key that signed it, so
 *              a certificate names its issuer without the CA at hand
 *   sig        Ed25519 detached signature by the CA secret key over
 *
 *     +---------------------------+------+--------------------------------+
 *     | "pmgtm-cert-v2" (13 bytes | 0x97 | version cluster name pk        |
 *     |  of ASCII, no NUL)        |      | not_before not_after ca_id     |
 *     +---------------------------+------+--------------------------------+
 *
 *     i.e. the context string and then the array of the first seven
 *     elements in our own canonical encoding: every integer in its
 *     shortest form (positive fixint, uint 8/16/32/64), names as fixstr
 *     or str 8, keys as bin 8. The verifier re-encodes the decoded
 *     fields, so how the sender encoded them cannot matter.
 *
 *   Version 1 certificates (no cluster, no ca_id) are refused: issue new
 *   ones (pmgtmctl cert issue).
 *
 *   The decoder accepts any MessagePack encoding of these types (array 16
 *   or 32 with 8 elements, str 8/16/32, bin 16/32, integers in any width,
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

#define GSP_CERT_VERSION 2
/* The context string that starts the signed message. */
#define GSP_CERT_CONTEXT "pmgtm-cert-v2"
/* Size of our encoding of a certificate with 63-character names: enough
 * for gsp_cert_encode() whatever the certificate holds. */
#define GSP_CERT_MAX_LEN 260
/* The largest input gsp_cert_decode() looks at: every field in its widest
 * encoding still fits. */
#define GSP_CERT_DECODE_MAX 384
/* Allowance for clock skew: not_before = issued at - GSP_CERT_SKEW. */
#define GSP_CERT_SKEW 300
/* Lifetimes: 90 days unless asked otherwise; gsp_cert_issue() refuses
 * more than three years (a certificate is renewed, not kept). */
#define GSP_CERT_VALID_DEFAULT (UINT64_C(90) * 86400)
#define GSP_CERT_VALID_MAX (UINT64_C(1096) * 86400)
/* CA public keys one verifier trusts at once (a CA rotation). */
#define GSP_CA_MAX 4
/* A key id: the first 8 bytes of BLAKE2b(pk), 16 hex digits as text. */
#define GSP_KEY_ID_LEN 8
#define GSP_KEY_ID_TEXT (2 * GSP_KEY_ID_LEN + 1)

struct gsp_cert {
	char cluster[GSP_NAME_MAX + 1]; /* NUL-terminated */
	char name[GSP_NAME_MAX + 1];	/* NUL-terminated */
	uint8_t pk[GSP_PK_LEN];
	uint64_t not_before;
	uint64_t not_after;
	uint8_t ca_id[GSP_KEY_ID_LEN];
	uint8_t sig[GSP_SIG_LEN];
};

/* The CA keys a verifier trusts, and the cluster it is in. */
struct gsp_trust {
	uint8_t ca_pk[GSP_CA_MAX][GSP_PK_LEN];
	size_t n_ca;
	char cluster[GSP_NAME_MAX + 1];
};

/* True when @name is 1 to 63 characters of a-z, 0-9 and '-'. NULL is not
 * a valid name. */
bool gsp_name_valid(const char *name);

/* The key id of @pk (a node's or a CA's key), raw and as 16 hex digits. */
void gsp_key_id(const uint8_t pk[GSP_PK_LEN], uint8_t id[GSP_KEY_ID_LEN]);
void gsp_key_id_text(const uint8_t pk[GSP_PK_LEN], char out[GSP_KEY_ID_TEXT]);

/* Writes the whole certificate (signature included) to @out, at most @cap
 * bytes, in the canonical encoding; sets *@len. GSP_CERT_MAX_LEN is always
 * enough. Returns 0, -EINVAL when the name is not valid, or -ENOSPC. */
__attribute__((warn_unused_result)) int
gsp_cert_encode(const struct gsp_cert *c, uint8_t *out, size_t cap,
		size_t *len);

/* Parses a certificate. Does not check the signature or the times (that is
 * gsp_cert_verify()). Returns 0 or -EBADMSG for anything but one array of
 * the eight fields of the layout above (wrong types or lengths, version
 * other than 2, invalid names, trailing bytes, more than
 * GSP_CERT_DECODE_MAX bytes); on failure *@c is zeroed. Allocates nothing; *@c
 * does not point into @buf. */
__attribute__((warn_unused_result)) int
gsp_cert_decode(const uint8_t *buf, size_t len, struct gsp_cert *c);

/* Signs the cluster, name, pk and validity of @c with the CA secret key
 * (setting c->ca_id to its key id) and stores the signature in c->sig.
 * Returns 0, or -EINVAL when a name is not valid (c->sig is then zeroed). */
__attribute__((warn_unused_result)) int
gsp_cert_sign(struct gsp_cert *c, const uint8_t ca_sk[GSP_SK_LEN]);

/* Fills and signs *@c: @cluster, @name and @pk for @life seconds from @now
 * (unix seconds), valid from @now - GSP_CERT_SKEW. Returns 0, or -EINVAL
 * for an invalid name, a life outside 1..GSP_CERT_VALID_MAX or a @now so
 * large the expiry overflows; on failure *@c is zeroed. */
__attribute__((warn_unused_result)) int
gsp_cert_issue(struct gsp_cert *c, const char *cluster, const char *name,
	       const uint8_t pk[GSP_PK_LEN], uint64_t now, uint64_t life,
	       const uint8_t ca_sk[GSP_SK_LEN]);

/* Checks that one of the CAs of @t signed @c, that it names the cluster of
 * @t (unless t->cluster is ""), then that not_before <= @now <= not_after.
 * Returns 0, GSP_ECERTSIG (no CA of ours, altered fields, invalid name),
 * GSP_ECERTCLUSTER (another cluster's) or GSP_ECERTEXPIRED (expired or
 * not yet valid: the window is only trusted once the signature is). */
__attribute__((warn_unused_result)) int
gsp_cert_verify(const struct gsp_cert *c, const struct gsp_trust *t,
		uint64_t now);

/* A trust of one CA key for @cluster ("" any), for callers with one. */
void gsp_trust_one(struct gsp_trust *t, const uint8_t ca_pk[GSP_PK_LEN],
		   const char *cluster);

#endif
