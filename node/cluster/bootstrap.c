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

static int
load_cluster_key(const char *path, uint8_t *key, char *err, size_t errlen)
{
	char text[NODE_KEYTEXT_MAX * 2];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open cluster key %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		close(fd);
		snprintf(err, errlen,
			 "key file %s is readable by group or others (mode "
			 "%04o); chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	ssize_t n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0)
		return -EIO;
	return node_keytext_parse(text, (size_t)n, NODE_CLUSTER_KEY_HEADER, key,
				  GSP_KEY_LEN, err, errlen);
}

static void
rand_fill(void *ctx, void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

static int
make_state(struct node_gossip *ng, const struct node_config *cfg, char *err,
	   size_t errlen)
{
	uint8_t sk[GSP_SK_LEN], ca_pk[GSP_CA_MAX][GSP_PK_LEN];
	uint8_t cert_bytes[GSP_CERT_MAX];
	size_t n_ca;
	uint8_t keys[GSP_KEYS_MAX][GSP_KEY_LEN];
	struct gsp_keyring kr;
	struct ip_addr addrs[GSP_ADDRS_MAX];
	struct gsp_cert cert;
	struct gsp_endpoint self_ep;
	size_t cert_len;
	uint64_t gen;
	int r;

	if ((r = node_key_load(cfg->node.key_file, sk, err, errlen)) ||
	    (r = node_ca_pubs_load(cfg->cluster.ca_file, ca_pk, GSP_CA_MAX,
				   &n_ca, err, errlen)) ||
	    (r = node_cert_load(cfg->node.cert_file, &cert, err, errlen)))
		return r;
	if (gsp_cert_encode(&cert, cert_bytes, sizeof(cert_bytes), &cert_len)) {
		snprintf(err, errlen, "cannot encode %s", cfg->node.cert_file);
		return -EINVAL;
	}
	if (cfg->cluster.n_encrypt_keys > GSP_KEYS_MAX) {
		snprintf(err, errlen, "at most %d cluster.encrypt_keys",
			 GSP_KEYS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->cluster.n_encrypt_keys; i++)
		if ((r = load_cluster_key(cfg->cluster.encrypt_keys[i], keys[i],
					  err, errlen)))
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
		.sk = sk,
		.cert = cert_bytes,
		.cert_len = cert_len,
		.ca_pks = (const uint8_t(*)[32])ca_pk,
		.n_ca = n_ca,
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
	sodium_memzero(sk, sizeof(sk));
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
