#include "node/control/drain.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gossip/gossip.h"
#include "node/config/config.h"
#include "node/control/commands.h"
#include "common/ctl_proto.h"
#include "common/mpack.h"
#include "node/log/log.h"

#define REASON_MAX (GSP_REASON_LEN - 1) /* bytes: 255 */

void
node_cmd_pack_drain(msgpack_packer *pk, const struct gsp_intent *in)
{
	msgpack_pack_map(pk, 6);
	cmn_pack_str(pk, "by");
	cmn_pack_str(pk, in->issuer);
	cmn_pack_str(pk, "user");
	cmn_pack_str(pk, in->user);
	cmn_pack_str(pk, "reason");
	cmn_pack_str_or_nil(pk, in->reason);
	cmn_pack_str(pk, "at");
	cmn_pack_time(pk, in->issued_at);
	cmn_pack_str(pk, "expires");
	cmn_pack_time(pk, in->expires_at);
	cmn_pack_str(pk, "version");
	msgpack_pack_uint64(pk, in->version);
}

/* An intent as drain answers it and drain_progress shows the winner. */
static void
pack_intent(msgpack_packer *pk, const struct gsp_intent *in)
{
	msgpack_pack_map(pk, 9);
	cmn_pack_str(pk, "target");
	cmn_pack_str(pk, in->target);
	cmn_pack_str(pk, "drained");
	cmn_pack_bool(pk, in->drained);
	cmn_pack_str(pk, "effective");
	cmn_pack_bool(pk, in->effective);
	cmn_pack_str(pk, "version");
	msgpack_pack_uint64(pk, in->version);
	cmn_pack_str(pk, "issuer");
	cmn_pack_str(pk, in->issuer);
	cmn_pack_str(pk, "user");
	cmn_pack_str(pk, in->user);
	cmn_pack_str(pk, "reason");
	cmn_pack_str_or_nil(pk, in->reason);
	cmn_pack_str(pk, "at");
	cmn_pack_time(pk, in->issued_at);
	cmn_pack_str(pk, "expires");
	cmn_pack_time(pk, in->expires_at);
}

/* --- arguments --- */

static int
arg_error(char *err, size_t errlen, const char *fmt, const char *key)
{
	snprintf(err, errlen, fmt, key);
	return CTL_ERROR;
}

/* A string argument copied into @buf (cap bytes, NUL included); "" when
 * absent and not @required. */
static int
arg_str(const msgpack_object *args, const char *key, bool required, char *buf,
	size_t cap, char *err, size_t errlen)
{
	const msgpack_object *v = ctl_map_get(args, key);

	buf[0] = '\0';
	if (!v || v->type == MSGPACK_OBJECT_NIL)
		return required ? arg_error(err, errlen, "\"%s\" is required",
					    key)
				: 0;
	if (v->type != MSGPACK_OBJECT_STR)
		return arg_error(err, errlen, "\"%s\" must be a string", key);
	if (v->via.str.size >= cap) {
		snprintf(err, errlen, "\"%s\" is longer than %zu bytes", key,
			 cap - 1);
		return CTL_ERROR;
	}
	/* Reasons and names reach logs, other nodes and terminals: one
	 * line of text, no control characters. */
	for (uint32_t i = 0; i < v->via.str.size; i++) {
		unsigned char c = (unsigned char)v->via.str.ptr[i];
		if (c < 0x20 || c == 0x7f)
			return arg_error(err, errlen,
					 "\"%s\" has a control character", key);
	}
	if (v->via.str.size) /* msgpack-c: ptr NULL when empty */
		memcpy(buf, v->via.str.ptr, v->via.str.size);
	buf[v->via.str.size] = '\0';
	return 0;
}

static int
arg_bool(const msgpack_object *args, const char *key, bool required, bool *out,
	 char *err, size_t errlen)
{
	const msgpack_object *v = ctl_map_get(args, key);

	*out = false;
	if (!v || v->type == MSGPACK_OBJECT_NIL)
		return required ? arg_error(err, errlen, "\"%s\" is required",
					    key)
				: 0;
	if (v->type != MSGPACK_OBJECT_BOOLEAN)
		return arg_error(err, errlen, "\"%s\" must be true or false",
				 key);
	*out = v->via.boolean;
	return 0;
}

static int
arg_uint(const msgpack_object *args, const char *key, bool required,
	 uint64_t *out, char *err, size_t errlen)
{
	const msgpack_object *v = ctl_map_get(args, key);

	*out = 0;
	if (!v || v->type == MSGPACK_OBJECT_NIL)
		return required ? arg_error(err, errlen, "\"%s\" is required",
					    key)
				: 0;
	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return arg_error(err, errlen,
				 "\"%s\" must be a non-negative integer", key);
	*out = v->via.u64;
	return 0;
}

struct drain_args {
	char target[GSP_NAME_LEN];
	char reason[GSP_REASON_LEN];
	bool drained, force;
	uint64_t ttl_ms;
};

static int
drain_args_read(const msgpack_object *args, struct drain_args *a, char *err,
		size_t errlen)
{
	int rc;

	if ((rc = arg_str(args, "target", true, a->target, sizeof(a->target),
			  err, errlen)) ||
	    (rc = arg_bool(args, "drained", true, &a->drained, err, errlen)) ||
	    (rc = arg_str(args, "reason", false, a->reason, sizeof(a->reason),
			  err, errlen)) ||
	    (rc = arg_uint(args, "ttl_ms", false, &a->ttl_ms, err, errlen)) ||
	    (rc = arg_bool(args, "force", false, &a->force, err, errlen)))
		return rc;
	if (!a->target[0])
		return arg_error(err, errlen, "\"%s\" is empty", "target");
	/* An undrain that expires would mean "drained again later": not a
	 * thing an intent can say. */
	if (!a->drained && a->ttl_ms)
		return arg_error(err, errlen, "\"%s\" is for drains only",
				 "ttl_ms");
	/* Beyond a century the expiry would only overflow somewhere. */
	if (a->ttl_ms > 100ull * 366 * 86400 * 1000)
		return arg_error(err, errlen, "\"%s\" is too large", "ttl_ms");
	return 0;
}

/* --- the cluster as this node sees it --- */

static struct gsp_now
env_now(const struct node_cmd_env *env)
{
	return (struct gsp_now){ .ms = env->now_ms, .unix_s = env->unix_s };
}

static bool
find_member(const struct gsp *g, const char *name, struct gsp_member_info *m)
{
	size_t n = gsp_member_count(g);

	for (size_t i = 0; i < n && gsp_member_get(g, i, m); i++)
		if (!strcmp(m->name, name))
			return true;
	return false;
}

/* Whether member @m last told us the digest we hold now. */
static bool
member_has(const struct gsp *g, const struct gsp_member_info *m, uint64_t mine)
{
	uint64_t theirs;

	if (m->self)
		return true;
	return gsp_peer_digest(g, m->name, &theirs) && theirs == mine;
}

/* --- drain --- */

static int
refuse_min_active(const struct node_cmd_env *env, const struct drain_args *a,
		  struct gsp_now now, char *err, size_t errlen)
{
	size_t active = gsp_active_count(env->g, now);
	uint32_t min = env->cfg->cluster.min_active;

	if (gsp_drain_leaves_enough(active, min))
		return 0;
	size_t left = active ? active - 1 : 0;
	snprintf(err, errlen,
		 "refused: draining %s would leave %zu active member%s "
		 "(cluster.min_active is %" PRIu32 "); use --force",
		 a->target, left, left == 1 ? "" : "s", min);
	return CTL_REFUSED;
}

/* The audit line: who asked for what, and whether --force was needed. */
static void
log_issued(const struct drain_args *a, int64_t version, const char *user,
	   bool overrode, uint64_t expires)
{
	char v[24], exp[24];

	snprintf(v, sizeof(v), "%" PRId64, version);
	snprintf(exp, sizeof(exp), "%" PRIu64, expires);
	node_log(NODE_LOG_INFO, "drain intent issued", "target", a->target,
		 "drained", a->drained ? "yes" : "no", "version", v, "user",
		 user, "reason", a->reason, "expires_at",
		 expires ? exp : "never", "min_active_overridden",
		 overrode ? "yes" : "no", NULL);
}

int
node_cmd_drain(const struct node_cmd_env *env, const msgpack_object *args,
	       const struct ctl_peer *who, msgpack_packer *pk, char *err,
	       size_t errlen)
{
	struct drain_args a;
	struct gsp_member_info m;
	struct gsp_intent in;
	struct gsp_now now = env_now(env);
	bool overrode = false;
	int rc;

	if (!env->g || !env->cluster) {
		snprintf(err, errlen, "drain needs a cluster");
		return CTL_ERROR;
	}
	rc = drain_args_read(args, &a, err, errlen);
	if (rc)
		return rc;
	if (!find_member(env->g, a.target, &m)) {
		snprintf(err, errlen, "no member named %s", a.target);
		return CTL_REFUSED;
	}
	bool drained_now = gsp_drained(env->g, now, a.target);
	if (!a.drained && !drained_now) {
		/* Not an error: the member is where the operator wants it,
		 * and issuing an intent would only add a version. */
		char msg[GSP_NAME_LEN + 32];
		snprintf(msg, sizeof(msg), "%s is not drained", a.target);
		msgpack_pack_map(pk, 3);
		cmn_pack_str(pk, "noop");
		msgpack_pack_true(pk);
		cmn_pack_str(pk, "target");
		cmn_pack_str(pk, a.target);
		cmn_pack_str(pk, "message");
		cmn_pack_str(pk, msg);
		return CTL_OK;
	}
	/* Only draining a member that serves now can lower the count;
	 * re-draining (a new reason or expiry) never does. */
	if (a.drained && m.state == GSP_ALIVE && !drained_now) {
		rc = refuse_min_active(env, &a, now, err, errlen);
		if (rc && !a.force)
			return rc;
		overrode = rc != 0;
		err[0] = '\0';
	}
	const char *user = who && who->user[0] ? who->user : "unknown";
	uint64_t expires = a.ttl_ms ? now.unix_s + (a.ttl_ms + 999) / 1000 : 0;
	int64_t version =
		env->cluster->drain(env->cluster->ctx, a.target, a.drained,
				    user, a.reason, expires);
	if (version < 0) {
		snprintf(err, errlen, "cannot issue the intent: %s",
			 strerror((int)-version));
		return CTL_ERROR;
	}
	log_issued(&a, version, user, overrode, expires);
	/* Ours wins locally (its version is above all we have seen); the
	 * fallback only keeps the answer true if that ever changed. */
	if (!gsp_intent_get(env->g, now, a.target, &in) ||
	    in.version != (uint64_t)version) {
		memset(&in, 0, sizeof(in));
		snprintf(in.target, sizeof(in.target), "%s", a.target);
		snprintf(in.issuer, sizeof(in.issuer), "%s",
			 env->cfg->node.name);
		snprintf(in.user, sizeof(in.user), "%s", user);
		snprintf(in.reason, sizeof(in.reason), "%s", a.reason);
		in.drained = a.drained;
		in.effective = a.drained;
		in.version = (uint64_t)version;
		in.issued_at = now.unix_s;
		in.expires_at = expires;
	}
	pack_intent(pk, &in);
	return CTL_OK;
}

/* --- drain_progress --- */

static uint32_t
zone_ttl_max(const struct node_config *cfg)
{
	uint32_t ttl = 0;

	for (size_t i = 0; i < cfg->dns.n_zones; i++)
		if (cfg->dns.zones[i].ttl > ttl)
			ttl = cfg->dns.zones[i].ttl;
	return ttl;
}

int
node_cmd_drain_progress(const struct node_cmd_env *env,
			const msgpack_object *args, const struct ctl_peer *who,
			msgpack_packer *pk, char *err, size_t errlen)
{
	char target[GSP_NAME_LEN];
	uint64_t version, mine;
	struct gsp_member_info m, t;
	struct gsp_intent in;
	struct gsp_now now = env_now(env);
	size_t n, k, lagging = 0;
	int rc;

	if (!env->g) {
		snprintf(err, errlen, "drain needs a cluster");
		return CTL_ERROR;
	}
	if ((rc = arg_str(args, "target", true, target, sizeof(target), err,
			  errlen)) ||
	    (rc = arg_uint(args, "version", true, &version, err, errlen)))
		return rc;
	if (!find_member(env->g, target, &t)) {
		snprintf(err, errlen, "no member named %s", target);
		return CTL_REFUSED;
	}
	bool have = gsp_intent_get(env->g, now, target, &in);
	mine = gsp_intent_digest(env->g);
	/* The count is fixed first, so count what gsp_member_get gives. */
	n = gsp_member_count(env->g);
	for (k = 0; k < n && gsp_member_get(env->g, k, &m); k++)
		if (m.state == GSP_ALIVE && !member_has(env->g, &m, mine))
			lagging++;

	msgpack_pack_map(pk, 11);
	cmn_pack_str(pk, "target");
	cmn_pack_str(pk, target);
	cmn_pack_str(pk, "version");
	msgpack_pack_uint64(pk, version);
	cmn_pack_str(pk, "intent");
	if (have)
		pack_intent(pk, &in);
	else
		msgpack_pack_nil(pk);
	/* No intent at all means ours is not the one in force either. */
	cmn_pack_str(pk, "superseded");
	cmn_pack_bool(pk, !have || in.version != version);
	cmn_pack_str(pk, "target_state");
	cmn_pack_str(pk, gsp_state_name(t.state));
	cmn_pack_str(pk, "target_drained");
	cmn_pack_bool(pk, gsp_drained(env->g, now, target));
	cmn_pack_str(pk, "target_applied");
	cmn_pack_bool(pk, member_has(env->g, &t, mine));
	cmn_pack_str(pk, "members");
	msgpack_pack_array(pk, k);
	for (size_t i = 0; i < k && gsp_member_get(env->g, i, &m); i++) {
		msgpack_pack_map(pk, 3);
		cmn_pack_str(pk, "name");
		cmn_pack_str(pk, m.name);
		cmn_pack_str(pk, "state");
		cmn_pack_str(pk, gsp_state_name(m.state));
		cmn_pack_str(pk, "has");
		cmn_pack_bool(pk, member_has(env->g, &m, mine));
	}
	cmn_pack_str(pk, "lagging");
	msgpack_pack_array(pk, lagging);
	for (size_t i = 0; i < k && gsp_member_get(env->g, i, &m); i++)
		if (m.state == GSP_ALIVE && !member_has(env->g, &m, mine))
			cmn_pack_str(pk, m.name);
	cmn_pack_str(pk, "digest");
	msgpack_pack_uint64(pk, mine);
	cmn_pack_str(pk, "ttl_s");
	msgpack_pack_uint32(pk, zone_ttl_max(env->cfg));
	return CTL_OK;
}
