/*
 * The certificate commands that need no CA public key and no daemon:
 *
 *   cert show    what a certificate says: cluster, node, key id, issuer
 *                CA key id, validity and whether it is valid now
 *   cert revoke  a revocation signed with the CA secret key, written to a
 *                file that `pmgtmctl revoke FILE` hands to a daemon
 *
 * Formats in gossip/cert.h and gossip/revoke.h.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "cli/json.h"
#include "common/file_write.h"
#include "common/keyfile.h"
#include "common/parse.h"
#include "gossip/cert.h"
#include "gossip/error.h"
#include "gossip/revoke.h"

/* Room for error lines from common/keyfile.c (paths included). */
#define ERR_MAX (PATH_MAX + 256)
/* A revocation record, with room to spare (gossip/revoke.h). */
#define REVOCATION_MAX 512

static int
clock_now(uint64_t *now)
{
	time_t t = time(NULL);

	if (t < 0) {
		cli_err("cannot read the clock");
		return -1;
	}
	*now = (uint64_t)t;
	return 0;
}

/* Where a certificate stands at @now, and the whole days left (or gone). */
enum cert_state {
	CERT_VALID,
	CERT_EXPIRED,
	CERT_NOT_YET
};

static enum cert_state
cert_state(const struct gsp_cert *c, uint64_t now, uint64_t *days)
{
	if (now < c->not_before) {
		*days = (c->not_before - now) / 86400;
		return CERT_NOT_YET;
	}
	if (now > c->not_after) {
		*days = (now - c->not_after) / 86400;
		return CERT_EXPIRED;
	}
	*days = (c->not_after - now) / 86400;
	return CERT_VALID;
}

static const char *const state_names[] = { "valid", "expired",
					   "not yet valid" };

struct shown {
	struct gsp_cert c;
	char key_id[GSP_KEY_ID_TEXT], ca_id[GSP_KEY_ID_TEXT];
	char nb[CMN_TIME_MAX], na[CMN_TIME_MAX];
	enum cert_state state;
	uint64_t days;
};

/* "3 days", "1 day", or "less than a day". */
static void
put_days(uint64_t days)
{
	if (days == 0)
		fputs("less than a day", stdout);
	else
		printf("%" PRIu64 " day%s", days, days == 1 ? "" : "s");
}

static void
show_text(const char *path, const struct shown *s)
{
	fputs("file:       ", stdout);
	cli_put_safe(stdout, path, strlen(path));
	printf("\ncluster:    %s\nname:       %s\nkey id:     %s\n"
	       "issuer CA:  %s\nnot before: %s\nnot after:  %s\n",
	       s->c.cluster, s->c.name, s->key_id, s->ca_id, s->nb, s->na);
	switch (s->state) {
	case CERT_VALID:
		fputs("status:     valid, expires in ", stdout);
		put_days(s->days);
		break;
	case CERT_EXPIRED:
		fputs("status:     expired ", stdout);
		put_days(s->days);
		fputs(" ago", stdout);
		break;
	case CERT_NOT_YET:
		fputs("status:     not yet valid, valid in ", stdout);
		put_days(s->days);
		break;
	}
	putchar('\n');
}

/* Numbers as numbers, times also as RFC 3339 strings; days_left is
 * negative once expired. */
static void
show_json(const char *path, const struct shown *s, uint64_t now)
{
	uint64_t ahead = s->c.not_after > now ? s->c.not_after - now : 0;
	int64_t left = s->state == CERT_EXPIRED
			       ? -(int64_t)s->days
			       : (int64_t)(ahead / 86400); /* < 2^48 */

	fputs("{\"file\":", stdout);
	cli_json_string(stdout, path, strlen(path));
	printf(",\"cluster\":\"%s\",\"name\":\"%s\",\"key_id\":\"%s\","
	       "\"ca_id\":\"%s\",\"not_before\":%" PRIu64
	       ",\"not_before_time\":\"%s\",\"not_after\":%" PRIu64
	       ",\"not_after_time\":\"%s\",\"now\":%" PRIu64
	       ",\"valid\":%s,\"state\":\"%s\",\"days_left\":%" PRId64 "}\n",
	       s->c.cluster, s->c.name, s->key_id, s->ca_id, s->c.not_before,
	       s->nb, s->c.not_after, s->na, now,
	       s->state == CERT_VALID ? "true" : "false", state_names[s->state],
	       left);
}

static int
cert_show(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[ERR_MAX];
	struct shown s;
	bool json = false;
	uint64_t now;
	int o, rc;

	cli_opts_reset();
	while ((o = getopt_long(argc, argv, ":jh", lo, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(cli_cert_usage, stdout);
			return CTL_OK;
		default:
			return cli_opts_error("cert show", o, argv);
		}
	}
	if (optind == argc)
		return cli_missing("cert show", "FILE", cli_cert_usage);
	if (optind + 1 != argc) {
		cli_err("cert show: unexpected argument '%s'",
			argv[optind + 1]);
		return CTL_ERROR;
	}
	if (sodium_init() < 0) {
		cli_err("libsodium failed to initialise");
		return CTL_ERROR;
	}
	rc = node_cert_load(argv[optind], &s.c, err, sizeof(err));
	if (rc) {
		cli_err("%s", err);
		return cli_exit_code(rc);
	}
	if (clock_now(&now))
		return CTL_ERROR;
	gsp_key_id_text(s.c.pk, s.key_id);
	sodium_bin2hex(s.ca_id, sizeof(s.ca_id), s.c.ca_id, sizeof(s.c.ca_id));
	cmn_time_format(s.c.not_before, s.nb, sizeof(s.nb));
	cmn_time_format(s.c.not_after, s.na, sizeof(s.na));
	s.state = cert_state(&s.c, now, &s.days);
	if (json)
		show_json(argv[optind], &s, now);
	else
		show_text(argv[optind], &s);
	return cli_flush("cert show", CTL_OK);
}

struct revoke {
	const char *ca_key, *out;
	struct gsp_revocation rv;
	bool have_at;
	int flags;
};

static int
revoke_write(const struct revoke *r)
{
	uint8_t sk[GSP_SK_LEN], buf[REVOCATION_MAX];
	char err[ERR_MAX], at[CMN_TIME_MAX], id[GSP_KEY_ID_TEXT];
	size_t len;
	int rc;

	rc = node_ca_key_load(r->ca_key, sk, err, sizeof(err));
	if (rc) {
		cli_err("%s", err);
		return cli_exit_code(rc);
	}
	rc = gsp_revocation_make(&r->rv, sk, buf, sizeof(buf), &len);
	sodium_memzero(sk, sizeof(sk));
	if (rc) {
		cli_err("cert revoke: cannot make the revocation: %s",
			gsp_strerror(rc));
		return CTL_ERROR;
	}
	rc = node_file_write(r->out, buf, len, 0644, r->flags, err,
			     sizeof(err));
	if (rc) {
		if (rc == -EEXIST)
			cli_err("%s; pass --force to replace it", err);
		else
			cli_err("%s", err);
		return cli_exit_code(rc);
	}
	cmn_time_format(r->rv.revoked_at, at, sizeof(at));
	printf("wrote %s: in cluster %s, node %s, ", r->out, r->rv.cluster,
	       r->rv.name);
	if (r->rv.any_key) {
		printf("every key certified up to %s\n", at);
	} else {
		sodium_bin2hex(id, sizeof(id), r->rv.key_id,
			       sizeof(r->rv.key_id));
		printf("key %s, from %s\n", id, at);
	}
	printf("hand it to a node: pmgtmctl revoke %s\n", r->out);
	return CTL_OK;
}

/* Parses one option of cert revoke into @r; CTL_OK or the exit code. */
static int
revoke_opt(struct revoke *r, int o, char **argv)
{
	size_t n;

	switch (o) {
	case 'k':
		r->ca_key = optarg;
		return CTL_OK;
	case 'o':
		r->out = optarg;
		return CTL_OK;
	case 'c':
	case 'n':
		if (!gsp_name_valid(optarg)) {
			cli_err("cert revoke: invalid %s name '%s': 1-63 "
				"characters of a-z, 0-9 and '-'",
				o == 'c' ? "cluster" : "node", optarg);
			return CTL_ERROR;
		}
		snprintf(o == 'c' ? r->rv.cluster : r->rv.name,
			 sizeof(r->rv.name), "%s", optarg);
		return CTL_OK;
	case 'i':
		if (strlen(optarg) != 2 * GSP_KEY_ID_LEN ||
		    sodium_hex2bin(r->rv.key_id, sizeof(r->rv.key_id), optarg,
				   strlen(optarg), NULL, &n, NULL) ||
		    n != GSP_KEY_ID_LEN) {
			cli_err("cert revoke: --key-id '%s': 16 hex digits, "
				"as cert show prints them",
				optarg);
			return CTL_ERROR;
		}
		r->rv.any_key = false;
		return CTL_OK;
	case 'a':
		if (cmn_time_parse(optarg, &r->rv.revoked_at) ||
		    r->rv.revoked_at == 0) {
			cli_err("cert revoke: --at '%s': RFC 3339 "
				"(2026-11-27T11:00:00Z) or unix seconds",
				optarg);
			return CTL_ERROR;
		}
		r->have_at = true;
		return CTL_OK;
	case 'f':
		r->flags |= NODE_WRITE_FORCE;
		return CTL_OK;
	}
	return cli_opts_error("cert revoke", o, argv);
}

static int
cert_revoke(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca-key", required_argument, NULL, 'k' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "key-id", required_argument, NULL, 'i' },
		{ "at", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct revoke r = { .rv = { .any_key = true } };
	int o, rc;

	cli_opts_reset();
	while ((o = getopt_long(argc, argv, ":k:c:n:i:a:o:fh", lo, NULL)) !=
	       -1) {
		if (o == 'h') {
			fputs(cli_cert_usage, stdout);
			return CTL_OK;
		}
		rc = revoke_opt(&r, o, argv);
		if (rc != CTL_OK)
			return rc;
	}
	if (optind != argc) {
		cli_err("cert revoke: unexpected argument '%s'", argv[optind]);
		return CTL_ERROR;
	}
	if (!r.ca_key)
		return cli_missing("cert revoke", "--ca-key", cli_cert_usage);
	if (!r.rv.cluster[0])
		return cli_missing("cert revoke", "--cluster", cli_cert_usage);
	if (!r.rv.name[0])
		return cli_missing("cert revoke", "--name", cli_cert_usage);
	if (!r.out)
		return cli_missing("cert revoke", "--out", cli_cert_usage);
	if (!r.have_at && clock_now(&r.rv.revoked_at))
		return CTL_ERROR;
	if (sodium_init() < 0) {
		cli_err("libsodium failed to initialise");
		return CTL_ERROR;
	}
	return cli_flush("cert revoke", revoke_write(&r));
}

int
cli_cert_show(int argc, char **argv)
{
	return cert_show(argc, argv);
}

int
cli_cert_revoke(int argc, char **argv)
{
	return cert_revoke(argc, argv);
}
