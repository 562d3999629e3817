#include "node/cluster/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "common/file_write.h"
#include "common/keyfile.h"
#include "common/parse.h"
#include "gossip/cert.h"
#include "node/cluster/state_dir.h"
#include "node/config/config.h"
#include "node/log/log.h"

int
node_generation_next(const char *dir, uint64_t unix_now, uint64_t *gen,
		     char *err, size_t errlen)
{
	char path[4096], text[64];
	uint64_t stored = 0;

	snprintf(path, sizeof(path), "%s/generation", dir);
	FILE *f = fopen(path, "r");
	if (f) {
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		char *end;
		errno = 0;
		stored = strtoull(text, &end, 10);
		if (errno || end == text || (*end && *end != '\n')) {
			char aside[4200];
			snprintf(aside, sizeof(aside), "%s.corrupt-%" PRIu64,
				 path, unix_now);
			rename(path, aside);
			node_log(NODE_LOG_ERROR,
				 "generation file corrupt, moved aside", "file",
				 path, "moved_to", aside, NULL);
			stored = 0;
		}
	}
	*gen = stored + 1 > unix_now ? stored + 1 : unix_now;
	int n = snprintf(text, sizeof(text), "%" PRIu64 "\n", *gen);
	return node_file_write(path, text, (size_t)n, 0644, NODE_WRITE_FORCE,
			       err, errlen);
}

static void
rand_fill(void *ctx, void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

/* This node's key, the CA keys and its certificate, from the files the
 * config names. */
struct identity {
	uint8_t sk[GSP_SK_LEN];
	uint8_t ca_pk[GSP_CA_MAX][GSP_PK_LEN];
	size_t n_ca;
	uint8_t cert[GSP_CERT_MAX];
	size_t cert_len;
};

static int
load_identity(const struct node_config *cfg, struct identity *id, char *err,
	      size_t errlen)
{
	struct gsp_cert cert;
	int r;

	if ((r = node_key_load(cfg->node.key_file, id->sk, err, errlen)) ||
	    (r = node_ca_pubs_load(cfg->cluster.ca_file, id->ca_pk, GSP_CA_MAX,
				   &id->n_ca, err, errlen)) ||
	    (r = node_cert_load(cfg->node.cert_file, &cert, err, errlen)))
		return r;
	if (gsp_cert_encode(&cert, id->cert, sizeof(id->cert), &id->cert_len)) {
		snprintf(err, errlen, "cannot encode %s", cfg->node.cert_file);
		return -EINVAL;
	}
	return 0;
}

static bool
same_addrs(const struct gsp_member_info *me, const struct node_config *cfg)
{
	size_t n = cfg->node.n_addrs < GSP_ADDRS_MAX ? cfg->node.n_addrs
						     : GSP_ADDRS_MAX;
	const char *ns = cfg->node.ns_name ? cfg->node.ns_name : "";

	return me->n_addrs == n && strcmp(me->ns_name, ns) == 0 &&
	       (!n ||
		!memcmp(me->addrs, cfg->node.addrs, n * sizeof(*me->addrs)));
}

int
node_gossip_reload(struct node_gossip *ng, const struct node_config *cfg,
		   char *err, size_t errlen)
{
	struct gsp_now now = cluster__now(ng);
	struct identity *id = malloc(sizeof(*id));
	struct gsp_cert cur, next;
	struct gsp_member_info me;
	int r;

	if (!id) {
		snprintf(err, errlen, "out of memory reloading the identity");
		return -ENOMEM;
	}
	r = load_identity(cfg, id, err, errlen);
	if (r)
		goto out;
	gsp_self_cert(ng->g, &cur);
	if (gsp_cert_decode(id->cert, id->cert_len, &next)) {
		r = -EINVAL;
		snprintf(err, errlen, "%s: not a valid pmgtm certificate",
			 cfg->node.cert_file);
		goto out;
	}
	bool renewed = memcmp(&cur, &next, sizeof(cur)) != 0;
	/* CAs first, unless our certificate is the one that moves to the
	 * new CA: then the certificate first. */
	const uint8_t(*cas)[32] = (const uint8_t(*)[32])id->ca_pk;
	if (gsp_set_trust(ng->g, now, cas, id->n_ca) == 0) {
		if (renewed && gsp_set_identity(ng->g, now, id->sk, id->cert,
						id->cert_len))
			r = -EINVAL;
	} else if (!renewed ||
		   gsp_set_identity(ng->g, now, id->sk, id->cert,
				    id->cert_len) ||
		   gsp_set_trust(ng->g, now, cas, id->n_ca)) {
		r = -EINVAL;
	}
	if (r) {
		snprintf(err, errlen,
			 "%s does not verify under %s for node %s with key %s "
			 "(revoked, expired, another cluster's, or not for "
			 "this key)",
			 cfg->node.cert_file, cfg->cluster.ca_file,
			 cfg->node.name, cfg->node.key_file);
		goto out;
	}
	if (renewed) {
		char nb[CMN_TIME_MAX], na[CMN_TIME_MAX], kid[GSP_KEY_ID_TEXT];
		gsp_key_id_text(next.pk, kid);
		node_log(NODE_LOG_INFO, "certificate renewed", "file",
			 cfg->node.cert_file, "key_id", kid, "not_before",
			 cmn_time_format(next.not_before, nb, sizeof(nb)),
			 "not_after",
			 cmn_time_format(next.not_after, na, sizeof(na)), NULL);
	}
	/* New addresses or NS name: announced too. */
	if (gsp_member_get(ng->g, 0, &me) && !same_addrs(&me, cfg))
		gsp_update_self(ng->g, now, cfg->node.addrs,
				cfg->node.n_addrs < GSP_ADDRS_MAX
					? cfg->node.n_addrs
					: GSP_ADDRS_MAX,
				cfg->node.ns_name);
	cluster__send_now(ng);
	cluster__report(ng);
out:
	sodium_memzero(id, sizeof(*id));
	free(id);
	return r;
}

static int
make_state(struct node_gossip *ng, const struct node_config *cfg, char *err,
	   size_t errlen)
{
	struct identity id;
	uint8_t keys[GSP_KEYS_MAX][GSP_KEY_LEN];
	struct gsp_keyring kr;
	struct ip_addr addrs[GSP_ADDRS_MAX];
	struct gsp_endpoint self_ep;
	uint64_t gen;
	int r;

	if ((r = load_identity(cfg, &id, err, errlen)))
		return r;
	if (cfg->cluster.n_encrypt_keys > GSP_KEYS_MAX) {
		snprintf(err, errlen, "at most %d cluster.encrypt_keys",
			 GSP_KEYS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->cluster.n_encrypt_keys; i++)
		if ((r = node_cluster_key_load(cfg->cluster.encrypt_keys[i],
					       keys[i], err, errlen)))
			return r;
	if (gsp_keyring_init(&kr, (const uint8_t(*)[GSP_KEY_LEN])keys,
			     cfg->cluster.n_encrypt_keys))
		return -EINVAL;
	if ((r = node_generation_next(cfg->node.state_dir, (uint64_t)time(NULL),
				      &gen, err, errlen)))
		return r;
	size_t n_addrs = cfg->node.n_addrs < GSP_ADDRS_MAX ? cfg->node.n_addrs
							   : GSP_ADDRS_MAX;
	if (n_addrs)
		memcpy(addrs, cfg->node.addrs, n_addrs * sizeof(*addrs));
	cluster__to_endpoint((const struct sockaddr *)&cfg->cluster.listen.ss,
			     &self_ep);
	struct gsp_self self = {
		.cluster = cfg->cluster.name,
		.name = cfg->node.name,
		.sk = id.sk,
		.cert = id.cert,
		.cert_len = id.cert_len,
		.ca_pks = (const uint8_t(*)[32])id.ca_pk,
		.n_ca = id.n_ca,
		.generation = gen,
		.addrs = addrs,
		.n_addrs = n_addrs,
		.ns_name = cfg->node.ns_name,
		.gossip = self_ep,
		.keyring = &kr,
		.rand = { rand_fill, NULL },
	};
	gsp_timing_profile(&self.timing,
			   cfg->cluster.profile == NODE_PROFILE_WAN);
	r = gsp_new(&self, cluster__now(ng), &ng->g);
	sodium_memzero(&id, sizeof(id));
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(&kr, sizeof(kr));
	if (r)
		snprintf(err, errlen,
			 "%s does not verify under %s for node %s with key %s",
			 cfg->node.cert_file, cfg->cluster.ca_file,
			 cfg->node.name, cfg->node.key_file);
	return r;
}

/* Before anything in state_dir is read or written: a second pmgtmd on the
 * same directory stops here, and the temporaries a killed writer left can
 * go because no writer can be running. */
static int
open_state_dir(struct node_gossip *ng, char *err, size_t errlen)
{
	char n[16];
	int fd = node_state_lock(ng->state_dir, err, errlen);

	if (fd < 0)
		return fd;
	ng->state_lock = fd;
	int removed = node_state_clean(ng->state_dir);
	if (removed) {
		snprintf(n, sizeof(n), "%d", removed);
		node_log(NODE_LOG_INFO, "removed stale temporary files", "dir",
			 ng->state_dir, "count", n, NULL);
	}
	return 0;
}

int
cluster__bootstrap(struct node_gossip *ng, const struct node_config *cfg,
		   char *err, size_t errlen)
{
	int r = open_state_dir(ng, err, errlen);

	if (!r)
		r = make_state(ng, cfg, err, errlen);
	if (r) {
		node_state_unlock(ng->state_lock);
		ng->state_lock = -1;
	}
	return r;
}
