/*
 * "revoke FILE": hands a revocation (the file `pmgtmctl cert revoke`
 * wrote) to the local daemon, which checks it against the cluster's CAs,
 * keeps it and spreads it to every member (node/control/revoke.h).
 *
 * Exit codes: 0 taken (or held already), 1 error, 2 refused: not signed
 * by a CA of the cluster, another cluster's, or not allowed (revoke, like
 * drain, is for root, pmgtmd's user or control.admin_group).
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "cli/ctl_client.h"
#include "common/mpack.h"
#include "common/parse.h"
#include "gossip/codec.h"
#include "gossip/revoke.h"

/* As the daemon takes them (node/control/revoke.h). */
#define REVOCATION_MAX 1024

const char cli_revoke_usage[] =
	"  pmgtmctl revoke FILE [--json] [-s SOCKET]\n"
	"        hand the revocation in FILE (from pmgtmctl cert revoke) to "
	"this\n"
	"        node, which checks it against cluster.ca_file and spreads "
	"it to\n"
	"        every member; root, pmgtmd's user or control.admin_group "
	"only\n";

/* Reads @path whole into @buf (at most @cap bytes); 0 or the exit code
 * after saying why. */
static int
read_record(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	int e;

	*len = 0;
	if (!f) {
		e = errno;
		cli_err("%s: %s", path, strerror(e));
		return cli_exit_code(-e);
	}
	*len = fread(buf, 1, cap, f);
	e = ferror(f) ? EIO : 0;
	if (!e && *len == cap && fgetc(f) != EOF)
		e = EFBIG;
	fclose(f);
	if (e == EFBIG)
		cli_err("%s: larger than a revocation (%zu bytes at most)",
			path, cap - 1);
	else if (e)
		cli_err("%s: %s", path, strerror(e));
	else if (*len == 0)
		cli_err("%s: empty, not a revocation", path);
	return e || *len == 0 ? CTL_ERROR : CTL_OK;
}

/* What the revocation says, read without its CA (the daemon checks the
 * signature): "node lb1 in cluster prod, key 0123...". */
static int
describe(const char *path, const uint8_t *buf, size_t len, char *out,
	 size_t cap)
{
	struct gsp_record r;
	char at[CMN_TIME_MAX], id[2 * sizeof(r.rv_key_id) + 1];

	if (gsp_record_decode(buf, len, &r) || r.kind != GSP_REC_REVOKE) {
		cli_err("%s: not a revocation (a file made by pmgtmctl cert "
			"revoke)",
			path);
		return CTL_ERROR;
	}
	cmn_time_format(r.gen, at, sizeof(at));
	if (r.rv_any_key) {
		snprintf(out, cap,
			 "node %s in cluster %s, every key certified up to %s",
			 r.subject, r.rv_cluster, at);
	} else {
		sodium_bin2hex(id, sizeof(id), r.rv_key_id,
			       sizeof(r.rv_key_id));
		snprintf(out, cap, "node %s in cluster %s, key %s, from %s",
			 r.subject, r.rv_cluster, id, at);
	}
	return CTL_OK;
}

static int
send_record(const char *sock, const uint8_t *rec, size_t len,
	    struct cli_reply *reply)
{
	struct ctl_buf b;
	msgpack_packer pk;
	int rc;

	ctl_buf_init(&b, CTL_FRAME_MAX);
	ctl_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 1);
	cmn_pack_str(&pk, "record");
	msgpack_pack_bin_with_body(&pk, rec, len);
	if (b.err) {
		cli_err("revoke: cannot encode the request");
		rc = CTL_ERROR;
	} else {
		rc = cli_ask("revoke", sock, "revoke", b.data, b.len, reply);
	}
	ctl_buf_fini(&b);
	return rc;
}

int
cli_revoke_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t rec[REVOCATION_MAX + 1];
	char what[256];
	const char *sock = NULL;
	struct cli_reply reply;
	bool json = false;
	size_t len;
	int o, rc;

	cli_opts_reset();
	while ((o = getopt_long(argc, argv, ":js:h", lo, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			fputs(cli_revoke_usage, stdout);
			return CTL_OK;
		default:
			return cli_opts_error("revoke", o, argv);
		}
	}
	if (optind == argc)
		return cli_missing("revoke", "FILE", cli_revoke_usage);
	if (optind + 1 != argc) {
		cli_err("revoke: unexpected argument '%s'", argv[optind + 1]);
		return CTL_ERROR;
	}
	if ((rc = read_record(argv[optind], rec, sizeof(rec), &len)) ||
	    (rc = describe(argv[optind], rec, len, what, sizeof(what))) ||
	    (rc = send_record(sock, rec, len, &reply)))
		return rc;
	if (json) {
		rc = cli_json_line(reply.resp.data);
	} else {
		const msgpack_object *v = ctl_map_get(reply.resp.data, "new");
		bool fresh = v && v->type == MSGPACK_OBJECT_BOOLEAN &&
			     v->via.boolean;

		printf("revoked %s: %s\n", what,
		       fresh ? "taken, spreading to the cluster"
			     : "this node held it already");
	}
	cli_reply_fini(&reply);
	return cli_flush("revoke", rc);
}
