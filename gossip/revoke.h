/*
 * Revocations: the CA's word that a node's certificate is void.
 *
 * A revocation is a gossip record (gossip/codec.h) of kind 7, signed with
 * the CA's secret key instead of a node's, so it verifies on its own and
 * travels unchanged from `pmgtmctl cert revoke` (where the CA key lives)
 * through any node to every other, and into each node's state_dir:
 *
 *   record = [ 7, name (str), revoked_at (uint), 0, name (str),
 *              [ cluster (str), key_id (bin: 8 bytes, or empty) ] ]
 *
 * It covers a certificate of that cluster and name whose key has that key
 * id (gsp_key_id()); with no key id, every certificate of that name
 * issued at or before revoked_at (not_before + GSP_CERT_SKEW <=
 * revoked_at), so a certificate issued later, for a new key, is not
 * covered. Intents signed with a covered certificate and issued at or
 * after revoked_at are void; those issued before stay.
 */
#ifndef PMGTM_GOSSIP_REVOKE_H
#define PMGTM_GOSSIP_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/cert.h"

struct gsp_revocation {
	char cluster[GSP_NAME_MAX + 1];
	char name[GSP_NAME_MAX + 1];
	bool any_key; /* no key id: every key of that name */
	uint8_t key_id[GSP_KEY_ID_LEN];
	uint64_t revoked_at; /* unix seconds */
};

/* Encodes @rv and signs it with the CA secret key into @out (at most @cap
 * bytes; 512 is enough), *@len its size. Returns 0, -EINVAL for a bad
 * name or a zero time, or -ENOSPC. */
__attribute__((warn_unused_result)) int
gsp_revocation_make(const struct gsp_revocation *rv,
		    const uint8_t ca_sk[GSP_SK_LEN], uint8_t *out, size_t cap,
		    size_t *len);

/* Decodes a revocation and checks it was signed by a CA of @t, for the
 * cluster of @t (unless t->cluster is ""). Returns 0, -EBADMSG (not a
 * revocation), GSP_ECERTSIG (no CA of ours signed it) or
 * GSP_ECERTCLUSTER (another cluster's). */
__attribute__((warn_unused_result)) int
gsp_revocation_read(const uint8_t *buf, size_t len, const struct gsp_trust *t,
		    struct gsp_revocation *out);

/* Whether @rv covers the certificate of @name for @pk, valid from
 * @not_before. */
bool gsp_revocation_covers(const struct gsp_revocation *rv, const char *name,
			   const uint8_t pk[GSP_PK_LEN], uint64_t not_before);

#endif
