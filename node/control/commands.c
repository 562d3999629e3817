#include "node/control/commands.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns/view.h"
#include "gossip/cert.h"
#include "gossip/gossip.h"
#include "node/config/config.h"
#include "node/control/auth.h"
#include "node/control/drain.h"
#include "node/control/reach.h"
#include "node/control/revoke.h"
#include "common/ctl_proto.h"
#include "common/mpack.h"
#include "node/cluster/cluster.h"
#include "node/log/log.h"

static void
pack_key(msgpack_packer *pk, const char *key)
{
	cmn_pack_str(pk, key);
}

/* An age in seconds; 0 when @since is ahead of @now. */
static void
pack_age(msgpack_packer *pk, uint64_t now_ms, uint64_t since_ms)
{
	msgpack_pack_double(pk, now_ms > since_ms ? (now_ms - since_ms) / 1e3
						  : 0.0);
}

static void
pack_ip(msgpack_packer *pk, const struct ip_addr *a)
{
	char text[INET6_ADDRSTRLEN];
	int af = a->family == 6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, a->bytes, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	cmn_pack_str(pk, text);
}

static void
pack_endpoint(msgpack_packer *pk, const struct gsp_endpoint *ep)
{
	char ip[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];
	int af = ep->ip.family == 6 ? AF_INET6 : AF_INET;

	if (!ep->ip.family || !inet_ntop(af, ep->ip.bytes, ip, sizeof(ip))) {
		msgpack_pack_nil(pk);
		return;
	}
	snprintf(text, sizeof(text), af == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 ep->port);
	cmn_pack_str(pk, text);
}

#define MEMBER_FIELDS 17

/* A member known only by name (from a dead or left record) has shown no
 * certificate. */
static bool
has_cert(const struct gsp_member_info *m)
{
	return m->cert_not_after != 0;
}

/* "cert_not_before", "cert_not_after" (unix seconds), "key_id" (16 hex
 * digits), nil without a certificate; "revoked". */
static void
pack_cert_fields(msgpack_packer *pk, const struct gsp_member_info *m)
{
	char id[GSP_KEY_ID_TEXT];

	pack_key(pk, "cert_not_before");
	if (has_cert(m))
		msgpack_pack_uint64(pk, m->cert_not_before);
	else
		msgpack_pack_nil(pk);
	pack_key(pk, "cert_not_after");
	if (has_cert(m))
		msgpack_pack_uint64(pk, m->cert_not_after);
	else
		msgpack_pack_nil(pk);
	pack_key(pk, "key_id");
	if (has_cert(m)) {
		gsp_key_id_text(m->pk, id);
		cmn_pack_str(pk, id);
	} else {
		msgpack_pack_nil(pk);
	}
	pack_key(pk, "revoked");
	cmn_pack_bool(pk, m->revoked);
}

/* One member as the cluster sees it; "drain" tells who drained it while
 * an intent drains it now (an expired one shows as not drained). */
static void
pack_member(msgpack_packer *pk, const struct node_cmd_env *env,
	    const struct gsp_member_info *m)
{
	struct gsp_now now = { .ms = env->now_ms, .unix_s = env->unix_s };
	struct gsp_intent in;
	bool drained =
		gsp_intent_get(env->g, now, m->name, &in) && in.effective;
	uint64_t now_ms = env->now_ms;

	msgpack_pack_map(pk, MEMBER_FIELDS);
	pack_key(pk, "name");
	cmn_pack_str(pk, m->name);
	pack_key(pk, "state");
	cmn_pack_str(pk, gsp_state_name(m->state));
	pack_key(pk, "drained");
	cmn_pack_bool(pk, drained);
	pack_key(pk, "addresses");
	msgpack_pack_array(pk, m->n_addrs);
	for (size_t i = 0; i < m->n_addrs; i++)
		pack_ip(pk, &m->addrs[i]);
	pack_key(pk, "ns_name");
	cmn_pack_str_or_nil(pk, m->ns_name);
	pack_key(pk, "rtt_ms");
	if (m->self || !m->rtt_us)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_double(pk, m->rtt_us / 1e3);
	pack_key(pk, "generation");
	msgpack_pack_uint64(pk, m->gen);
	pack_key(pk, "incarnation");
	msgpack_pack_uint64(pk, m->inc);
	pack_key(pk, "drain");
	if (drained)
		node_cmd_pack_drain(pk, &in);
	else
		msgpack_pack_nil(pk);
	pack_key(pk, "state_since_s");
	pack_age(pk, now_ms, m->state_since_ms);
	pack_key(pk, "self");
	cmn_pack_bool(pk, m->self);
	pack_key(pk, "gossip");
	pack_endpoint(pk, &m->gossip);
	pack_key(pk, "last_ack_s");
	if (m->self || !m->last_ack_ms)
		msgpack_pack_nil(pk);
	else
		pack_age(pk, now_ms, m->last_ack_ms);
	pack_cert_fields(pk, m);
}

/* A standalone node: itself, from the config. It has no generation or
 * incarnation (0) and no record of when it started (nil age). */
static void
pack_self_from_config(msgpack_packer *pk, const struct node_config *cfg)
{
	msgpack_pack_map(pk, MEMBER_FIELDS);
	pack_key(pk, "name");
	cmn_pack_str(pk, cfg->node.name);
	pack_key(pk, "state");
	cmn_pack_str(pk, gsp_state_name(GSP_ALIVE));
	pack_key(pk, "drained");
	cmn_pack_bool(pk, false);
	pack_key(pk, "addresses");
	msgpack_pack_array(pk, cfg->node.n_addrs);
	for (size_t i = 0; i < cfg->node.n_addrs; i++)
		pack_ip(pk, &cfg->node.addrs[i]);
	pack_key(pk, "ns_name");
	cmn_pack_str_or_nil(pk, cfg->node.ns_name);
	pack_key(pk, "rtt_ms");
	msgpack_pack_nil(pk);
	pack_key(pk, "generation");
	msgpack_pack_uint64(pk, 0);
	pack_key(pk, "incarnation");
	msgpack_pack_uint64(pk, 0);
	pack_key(pk, "drain");
	msgpack_pack_nil(pk);
	pack_key(pk, "state_since_s");
	msgpack_pack_nil(pk);
	pack_key(pk, "self");
	cmn_pack_bool(pk, true);
	pack_key(pk, "gossip");
	msgpack_pack_nil(pk);
	pack_key(pk, "last_ack_s");
	msgpack_pack_nil(pk);
	/* no cluster, no certificate */
	pack_key(pk, "cert_not_before");
	msgpack_pack_nil(pk);
	pack_key(pk, "cert_not_after");
	msgpack_pack_nil(pk);
	pack_key(pk, "key_id");
	msgpack_pack_nil(pk);
	pack_key(pk, "revoked");
	cmn_pack_bool(pk, false);
}

int
node_cmd_members(const struct node_cmd_env *env, msgpack_packer *pk)
{
	struct gsp_member_info m;
	size_t n = env->g ? gsp_member_count(env->g) : 0;

	msgpack_pack_map(pk, 1);
	pack_key(pk, "members");
	if (!env->g) {
		msgpack_pack_array(pk, 1);
		pack_self_from_config(pk, env->cfg);
		return 0;
	}
	/* The count is fixed first, so count what gsp_member_get gives. */
	size_t k = 0;
	while (k < n && gsp_member_get(env->g, k, &m))
		k++;
	msgpack_pack_array(pk, k);
	for (size_t i = 0; i < k; i++) {
		if (!gsp_member_get(env->g, i, &m))
			break;
		pack_member(pk, env, &m);
	}
	return 0;
}

static void
pack_gossip_stats(msgpack_packer *pk, const struct gsp_stats *st)
{
	uint64_t sent = 0, recv = 0;

	for (size_t i = 0; i <= GSP_MSG_PULL; i++) {
		sent += st->sent[i];
		recv += st->recv[i];
	}
	msgpack_pack_map(pk, 5);
	pack_key(pk, "rejected");
	msgpack_pack_map(pk, GSP_REJ__COUNT);
	for (int r = 0; r < GSP_REJ__COUNT; r++) {
		pack_key(pk, gsp_reject_name((enum gsp_reject)r));
		msgpack_pack_uint64(pk, st->rejected[r]);
	}
	pack_key(pk, "sent");
	msgpack_pack_uint64(pk, sent);
	pack_key(pk, "received");
	msgpack_pack_uint64(pk, recv);
	pack_key(pk, "bytes_sent");
	msgpack_pack_uint64(pk, st->bytes_sent);
	pack_key(pk, "bytes_received");
	msgpack_pack_uint64(pk, st->bytes_recv);
}

/* This node's certificate: {"key_id", "not_before", "not_after" (unix
 * seconds), "not_before_time", "not_after_time" (RFC 3339), "days_left"
 * (whole days to not_after, negative once expired), "revoked"}. */
static void
pack_self_cert(msgpack_packer *pk, const struct gsp_member_info *self,
	       uint64_t unix_s)
{
	char id[GSP_KEY_ID_TEXT];
	uint64_t na = self->cert_not_after;

	msgpack_pack_map(pk, 7);
	pack_key(pk, "key_id");
	gsp_key_id_text(self->pk, id);
	cmn_pack_str(pk, id);
	pack_key(pk, "not_before");
	msgpack_pack_uint64(pk, self->cert_not_before);
	pack_key(pk, "not_before_time");
	cmn_pack_time(pk, self->cert_not_before);
	pack_key(pk, "not_after");
	msgpack_pack_uint64(pk, na);
	pack_key(pk, "not_after_time");
	cmn_pack_time(pk, na);
	pack_key(pk, "days_left");
	/* both below 2^63 for any real clock; seconds / 86400 fit */
	if (na >= unix_s)
		msgpack_pack_int64(pk, (int64_t)((na - unix_s) / 86400));
	else
		msgpack_pack_int64(pk, -(int64_t)((unix_s - na) / 86400));
	pack_key(pk, "revoked");
	cmn_pack_bool(pk, self->revoked);
}

int
node_cmd_status(const struct node_cmd_env *env, msgpack_packer *pk)
{
	const struct node_config *cfg = env->cfg;
	uint64_t peers[GSP_LEFT + 1] = { 0 };
	struct gsp_member_info m, self = { 0 };
	struct gsp_now now = { .ms = env->now_ms, .unix_s = env->unix_s };
	bool have_self = false;
	/* Standalone, nothing can drain the node. */
	bool drained = env->g && gsp_drained(env->g, now, cfg->node.name);

	for (size_t i = 0; env->g && gsp_member_get(env->g, i, &m); i++) {
		if (m.self) {
			self = m;
			have_self = true;
		} else if ((unsigned)m.state <= GSP_LEFT) {
			peers[m.state]++;
		}
	}
	msgpack_pack_map(pk, 13);
	pack_key(pk, "name");
	cmn_pack_str(pk, cfg->node.name);
	pack_key(pk, "version");
	cmn_pack_str(pk, PMGTM_VERSION);
	pack_key(pk, "drained");
	cmn_pack_bool(pk, drained);
	pack_key(pk, "mode");
	cmn_pack_str(pk, env->g ? "cluster" : "standalone");
	pack_key(pk, "zones");
	msgpack_pack_array(pk, cfg->dns.n_zones);
	for (size_t i = 0; i < cfg->dns.n_zones; i++)
		cmn_pack_str(pk, cfg->dns.zones[i].name);
	pack_key(pk, "serving");
	cmn_pack_bool(pk, env->serving);
	/* Standalone, there is nothing to wait for. */
	pack_key(pk, "synced");
	cmn_pack_bool(pk, env->g ? gsp_synced(env->g) : true);
	pack_key(pk, "generation");
	if (have_self)
		msgpack_pack_uint64(pk, self.gen);
	else
		msgpack_pack_nil(pk);
	pack_key(pk, "incarnation");
	if (have_self)
		msgpack_pack_uint64(pk, self.inc);
	else
		msgpack_pack_nil(pk);
	pack_key(pk, "peers");
	msgpack_pack_map(pk, 4);
	for (int s = GSP_ALIVE; s <= GSP_LEFT; s++) {
		pack_key(pk, gsp_state_name((enum gsp_state)s));
		msgpack_pack_uint64(pk, peers[s]);
	}
	pack_key(pk, "members");
	msgpack_pack_uint64(pk, env->g ? gsp_member_count(env->g) : 1);
	pack_key(pk, "gossip");
	if (env->g)
		pack_gossip_stats(pk, gsp_stats(env->g));
	else
		msgpack_pack_nil(pk);
	pack_key(pk, "cert");
	if (have_self && has_cert(&self))
		pack_self_cert(pk, &self, env->unix_s);
	else
		msgpack_pack_nil(pk);
	return 0;
}

/* A command is either a listing (no arguments, always answers) or an
 * action (reads its arguments, may refuse): exactly one is set. */
static const struct {
	const char *name;
	int (*list)(const struct node_cmd_env *env, msgpack_packer *pk);
	int (*act)(const struct node_cmd_env *env, const msgpack_object *args,
		   const struct ctl_peer *who, msgpack_packer *pk, char *err,
		   size_t errlen);
} commands[] = {
	{ "members", node_cmd_members, NULL },
	{ "status", node_cmd_status, NULL },
	{ "reachability", node_cmd_reachability, NULL },
	{ "drain", NULL, node_cmd_drain },
	{ "drain_progress", NULL, node_cmd_drain_progress },
	{ "revoke", NULL, node_cmd_revoke },
};

int
node_cmd_run(const struct node_cmd_env *env, const char *cmd,
	     const msgpack_object *args, const struct ctl_peer *who,
	     msgpack_packer *data, char *err, size_t errlen)
{
	/* The listing commands take no arguments; unknown ones are ignored
	 * so a newer pmgtmctl still works with this daemon. */
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		if (commands[i].act)
			return commands[i].act(env, args, who, data, err,
					       errlen);
		return commands[i].list(env, data) ? CTL_ERROR : CTL_OK;
	}
	snprintf(err, errlen, "unknown command '%s'", cmd);
	return CTL_ERROR;
}

int
node_cmd_dispatch(const struct node_cmd_env *env,
		  const struct node_control_policy *pol, const char *cmd,
		  const msgpack_object *args, const struct ctl_peer *who,
		  msgpack_packer *data, char *err, size_t errlen)
{
	char uid[16];
	int code = node_control_authorize(pol, cmd, args, who, err, errlen);

	if (code != CTL_OK) {
		snprintf(uid, sizeof(uid), "%u", who ? (unsigned)who->uid : 0);
		node_log(NODE_LOG_WARN, "control command refused", "cmd", cmd,
			 "user", who ? who->user : "unknown", "uid", uid,
			 "error", err, NULL);
		return code;
	}
	return node_cmd_run(env, cmd, args, who, data, err, errlen);
}
