/*
 * Revocations as records signed by the CA (the layout is in
 * gossip/revoke.h and gossip/codec.h).
 */
#include "gossip/revoke.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gossip/codec.h"
#include "gossip/error.h"

int
gsp_revocation_make(const struct gsp_revocation *rv,
		    const uint8_t ca_sk[GSP_SK_LEN], uint8_t *out, size_t cap,
		    size_t *len)
{
	struct gsp_record r;

	*len = 0;
	if (!gsp_name_valid(rv->cluster) || !gsp_name_valid(rv->name) ||
	    rv->revoked_at == 0)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.kind = GSP_REC_REVOKE;
	snprintf(r.subject, sizeof(r.subject), "%s", rv->name);
	snprintf(r.author, sizeof(r.author), "%s", rv->name);
	r.gen = rv->revoked_at;
	snprintf(r.rv_cluster, sizeof(r.rv_cluster), "%s", rv->cluster);
	r.rv_any_key = rv->any_key;
	if (!rv->any_key)
		memcpy(r.rv_key_id, rv->key_id, sizeof(r.rv_key_id));
	return gsp_record_encode(&r, ca_sk, out, cap, len);
}

int
gsp_revocation_read(const uint8_t *buf, size_t len, const struct gsp_trust *t,
		    struct gsp_revocation *out)
{
	struct gsp_record r;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (gsp_record_decode(buf, len, &r) || r.kind != GSP_REC_REVOKE)
		return -EBADMSG;
	for (size_t i = 0; !ok && i < t->n_ca && i < GSP_CA_MAX; i++)
		ok = gsp_record_check(&r, t->ca_pk[i]) == 0;
	if (!ok)
		return GSP_ECERTSIG;
	if (t->cluster[0] && strcmp(t->cluster, r.rv_cluster) != 0)
		return GSP_ECERTCLUSTER;
	snprintf(out->cluster, sizeof(out->cluster), "%s", r.rv_cluster);
	snprintf(out->name, sizeof(out->name), "%s", r.subject);
	out->any_key = r.rv_any_key;
	memcpy(out->key_id, r.rv_key_id, sizeof(out->key_id));
	out->revoked_at = r.gen;
	return 0;
}

bool
gsp_revocation_covers(const struct gsp_revocation *rv, const char *name,
		      const uint8_t pk[GSP_PK_LEN], uint64_t not_before)
{
	uint8_t id[GSP_KEY_ID_LEN];

	if (strcmp(rv->name, name) != 0)
		return false;
	if (rv->any_key)
		return not_before <= rv->revoked_at - GSP_CERT_SKEW ||
		       rv->revoked_at < GSP_CERT_SKEW;
	gsp_key_id(pk, id);
	return memcmp(id, rv->key_id, sizeof(id)) == 0;
}
