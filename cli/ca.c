/*
 * The cluster identity commands, which work on files and need no daemon:
 *
 *   ca init     a new cluster CA key pair (ca.key, ca.pub)
 *   cert issue  a node key pair and its certificate signed by the CA
 *   cert verify checks a certificate against the CA public key
 *   (cert show and cert revoke are in cli/cert.c)
 *
 * Formats in gossip/cert.h; file handling in common/keyfile.c.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "gossip/cert.h"
#include "gossip/error.h"
#include "common/keyfile.h"
#include "common/parse.h"

const char cli_ca_usage[] =
	"  pmgtmctl ca init --dir DIR [--force]\n"
	"        create the cluster CA: DIR/ca.key (secret, mode 0600) and "
	"DIR/ca.pub\n";

const char cli_cert_usage[] =
	"  pmgtmctl cert issue --ca-key FILE --cluster NAME --name NODE "
	"--out-dir DIR\n"
	"                      [--valid DURATION | --days N] [--ca-pub FILE]\n"
	"                      [--node-key FILE] [--force]\n"
	"        a node key (DIR/node.key, mode 0600) and its certificate\n"
	"        (DIR/node.cert) for cluster NAME (cluster.name), valid for\n"
	"        DURATION (90d, 12h, 30s; default 90d, at most 1096d);\n"
	"        --ca-pub checks the CA key against the cluster's public key;\n"
	"        --node-key renews the certificate of an existing key\n"
	"  pmgtmctl cert verify --ca-pub FILE --cert FILE [--key FILE] "
	"[--name NODE]\n"
	"                       [--cluster NAME] [--at TIME]\n"
	"        check that the CA signed the certificate and that it is "
	"valid now\n"
	"        (or at the given time), for that key and node name\n"
	"  pmgtmctl cert show FILE [--json]\n"
	"        what a certificate says: cluster, node, key id, issuer CA "
	"key id,\n"
	"        validity, and whether it is valid now (no CA key needed)\n"
	"  pmgtmctl cert revoke --ca-key FILE --cluster NAME --name NODE "
	"--out FILE\n"
	"                       [--key-id ID] [--at TIME] [--force]\n"
	"        a revocation signed by the CA: the key ID of NODE (cert "
	"show), or\n"
	"        without --key-id every key of NODE certified up to TIME "
	"(RFC 3339\n"
	"        or unix seconds; default now); hand it to a node with "
	"pmgtmctl revoke\n";

/* Room for error lines from common/keyfile.c (paths included). */
#define ERR_MAX (PATH_MAX + 256)

/* Reports a failure from common/keyfile.c and returns the exit code. */
static int
report(int rc, const char *err)
{
	if (rc == -EEXIST)
		cli_err("%s; pass --force to replace it", err);
	else
		cli_err("%s", err);
	return cli_exit_code(rc);
}

static int
join(char *out, const char *dir, const char *file)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, file) >= PATH_MAX) {
		cli_err("%s/%s: path too long", dir, file);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int
mkdir_one(const char *dir, mode_t mode)
{
	struct stat st;

	if (mkdir(dir, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return -ENOTDIR;
}

/* Creates @dir unless it exists, with its missing parents (like mkdir -p):
 * the parents with mode 0755 less the umask, @dir itself with mode 0700,
 * as it will hold a secret key. */
static int
ensure_dir(const char *dir)
{
	char p[PATH_MAX];
	size_t i, n = strlen(dir);
	int rc = 0;

	if (n >= sizeof(p)) {
		cli_err("%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	memcpy(p, dir, n + 1);
	for (i = 1; i + 1 < n && rc == 0; i++) {
		if (p[i] != '/' || p[i - 1] == '/')
			continue;
		p[i] = '\0';
		rc = mkdir_one(p, 0755);
		p[i] = '/';
	}
	if (rc == 0)
		rc = mkdir_one(dir, 0700);
	if (rc)
		cli_err("cannot create directory %s: %s", dir, strerror(-rc));
	return rc;
}

/* Without --force, refuses before writing anything when @path exists, so
 * a pair of files is never left half replaced. */
static int
refuse_existing(const char *path)
{
	if (access(path, F_OK) != 0)
		return 0;
	cli_err("%s already exists; pass --force to replace it", path);
	return -EEXIST;
}

static int
init_sodium(void)
{
	if (sodium_init() < 0) {
		cli_err("libsodium failed to initialise");
		return -1;
	}
	return 0;
}

static int
now_seconds(uint64_t *now)
{
	time_t t = time(NULL);

	if (t < 0) {
		cli_err("cannot read the clock");
		return -1;
	}
	*now = (uint64_t)t;
	return 0;
}

static int
ca_init(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	char key_path[PATH_MAX], pub_path[PATH_MAX], err[ERR_MAX];
	char b64[sodium_base64_ENCODED_LEN(GSP_PK_LEN,
					   sodium_base64_VARIANT_ORIGINAL)];
	uint8_t pk[GSP_PK_LEN], sk[GSP_SK_LEN];
	int flags = 0, o, rc;

	cli_opts_reset();
	while ((o = getopt_long(argc, argv, ":d:fh", lo, NULL)) != -1) {
		switch (o) {
		case 'd':
			dir = optarg;
			break;
		case 'f':
			flags |= NODE_WRITE_FORCE;
			break;
		case 'h':
			fputs(cli_ca_usage, stdout);
			return CTL_OK;
		default:
			return cli_opts_error("ca init", o, argv);
		}
	}
	if (optind != argc) {
		cli_err("ca init: unexpected argument '%s'", argv[optind]);
		return CTL_ERROR;
	}
	if (!dir)
		return cli_missing("ca init", "--dir", cli_ca_usage);
	if (init_sodium() || join(key_path, dir, "ca.key") ||
	    join(pub_path, dir, "ca.pub"))
		return CTL_ERROR;
	if ((rc = ensure_dir(dir)) != 0)
		return CTL_ERROR;
	if (!(flags & NODE_WRITE_FORCE) &&
	    (refuse_existing(key_path) || refuse_existing(pub_path)))
		return CTL_REFUSED;

	crypto_sign_keypair(pk, sk);
	rc = node_ca_key_save(key_path, sk, flags, err, sizeof(err));
	sodium_memzero(sk, sizeof(sk));
	if (rc)
		return report(rc, err);
	rc = node_ca_pub_save(pub_path, pk, flags, err, sizeof(err));
	if (rc) {
		/* a key without its public half is no use to anyone */
		if (!(flags & NODE_WRITE_FORCE))
			unlink(key_path);
		return report(rc, err);
	}
	sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk),
			  sodium_base64_VARIANT_ORIGINAL);
	printf("wrote %s (secret, mode 0600) and %s\n"
	       "CA public key: %s\n"
	       "Keep ca.key offline; copy ca.pub to every node "
	       "(cluster.ca_file).\n",
	       key_path, pub_path, b64);
	return CTL_OK;
}

int
cli_ca_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "init"))
		return ca_init(argc - 1, argv + 1);
	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(cli_ca_usage, stdout);
		return CTL_OK;
	}
	if (argc >= 2)
		cli_err("ca: unknown subcommand '%s'", argv[1]);
	else
		cli_err("ca: a subcommand is required");
	fprintf(stderr, "usage:\n%s", cli_ca_usage);
	return CTL_ERROR;
}

struct issue {
	const char *ca_key, *ca_pub, *cluster, *name, *out_dir, *node_key;
	uint64_t life; /* seconds */
	int flags;
};

/* Loads the CA secret key and, with --ca-pub, checks it is that CA's. */
static int
issue_load_ca(const struct issue *is, uint8_t ca_sk[GSP_SK_LEN])
{
	uint8_t pk[GSP_PK_LEN];
	char err[ERR_MAX];
	int rc;

	rc = node_ca_key_load(is->ca_key, ca_sk, err, sizeof(err));
	if (rc)
		return report(rc, err);
	if (!is->ca_pub)
		return CTL_OK;
	rc = node_ca_pub_load(is->ca_pub, pk, err, sizeof(err));
	if (rc)
		return report(rc, err);
	if (memcmp(pk, ca_sk + GSP_SK_LEN - GSP_PK_LEN, GSP_PK_LEN)) {
		cli_err("%s is not the secret key of the CA in %s", is->ca_key,
			is->ca_pub);
		return CTL_REFUSED;
	}
	return CTL_OK;
}

static int
issue_write(const struct issue *is, const uint8_t ca_sk[GSP_SK_LEN])
{
	char key_path[PATH_MAX], cert_path[PATH_MAX], err[ERR_MAX];
	char nb[CMN_TIME_MAX], na[CMN_TIME_MAX];
	uint8_t sk[GSP_SK_LEN];
	struct gsp_cert c;
	uint64_t now;
	int rc;

	if (join(key_path, is->out_dir, "node.key") ||
	    join(cert_path, is->out_dir, "node.cert") || now_seconds(&now))
		return CTL_ERROR;
	if (ensure_dir(is->out_dir))
		return CTL_ERROR;
	if (!(is->flags & NODE_WRITE_FORCE) &&
	    ((!is->node_key && refuse_existing(key_path)) ||
	     refuse_existing(cert_path)))
		return CTL_REFUSED;

	if (is->node_key) {
		rc = node_key_load(is->node_key, sk, err, sizeof(err));
		if (rc)
			return report(rc, err);
	} else {
		uint8_t pk[GSP_PK_LEN];

		crypto_sign_keypair(pk, sk);
	}
	struct gsp_trust trust;
	gsp_trust_one(&trust, ca_sk + GSP_SK_LEN - GSP_PK_LEN, is->cluster);
	rc = gsp_cert_issue(&c, is->cluster, is->name,
			    sk + GSP_SK_LEN - GSP_PK_LEN, now, is->life, ca_sk);
	if (rc == 0 && gsp_cert_verify(&c, &trust, now) != 0)
		rc = -EINVAL;
	if (rc) {
		sodium_memzero(sk, sizeof(sk));
		cli_err("cert issue: cannot issue a certificate: %s",
			gsp_strerror(rc));
		return CTL_ERROR;
	}
	if (!is->node_key) {
		rc = node_key_save(key_path, sk, is->flags, err, sizeof(err));
		if (rc) {
			sodium_memzero(sk, sizeof(sk));
			return report(rc, err);
		}
	}
	sodium_memzero(sk, sizeof(sk));
	rc = node_cert_save(cert_path, &c, is->flags, err, sizeof(err));
	if (rc) {
		if (!is->node_key && !(is->flags & NODE_WRITE_FORCE))
			unlink(key_path);
		return report(rc, err);
	}
	if (is->node_key)
		printf("wrote %s for the key in %s\n", cert_path, is->node_key);
	else
		printf("wrote %s (secret, mode 0600) and %s\n", key_path,
		       cert_path);
	printf("node %s, valid from %s until %s\n", c.name,
	       cmn_time_format(c.not_before, nb, sizeof(nb)),
	       cmn_time_format(c.not_after, na, sizeof(na)));
	return CTL_OK;
}

static int
cert_issue(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca-key", required_argument, NULL, 'k' },
		{ "ca-pub", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "valid", required_argument, NULL, 'V' },
		{ "node-key", required_argument, NULL, 'K' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct issue is = { .life = GSP_CERT_VALID_DEFAULT };
	uint64_t days;
	uint8_t ca_sk[GSP_SK_LEN];
	int o, rc;

	cli_opts_reset();
	while ((o = getopt_long(argc, argv, ":k:p:n:c:o:d:V:K:fh", lo, NULL)) !=
	       -1) {
		switch (o) {
		case 'k':
			is.ca_key = optarg;
			break;
		case 'p':
			is.ca_pub = optarg;
			break;
		case 'n':
			is.name = optarg;
			break;
		case 'o':
			is.out_dir = optarg;
			break;
		case 'c':
			is.cluster = optarg;
			break;
		case 'd':
			if (cmn_u64_parse(optarg, GSP_CERT_VALID_MAX / 86400,
					  &days) ||
			    days == 0) {
				cli_err("cert issue: --days must be a whole "
					"number from 1 to %llu",
					(unsigned long long)(GSP_CERT_VALID_MAX /
							     86400));
				return CTL_ERROR;
			}
			is.life = days * 86400;
			break;
		case 'V':
			if (cmn_lifetime_parse(optarg, &is.life) ||
			    is.life > GSP_CERT_VALID_MAX) {
				cli_err("cert issue: --valid '%s': a duration "
					"such as 90d, 12h or 30s, from 1s to "
					"%llud",
					optarg,
					(unsigned long long)(GSP_CERT_VALID_MAX /
							     86400));
				return CTL_ERROR;
			}
			break;
		case 'K':
			is.node_key = optarg;
			break;
		case 'f':
			is.flags |= NODE_WRITE_FORCE;
			break;
		case 'h':
			fputs(cli_cert_usage, stdout);
			return CTL_OK;
		default:
			return cli_opts_error("cert issue", o, argv);
		}
	}
	if (optind != argc) {
		cli_err("cert issue: unexpected argument '%s'", argv[optind]);
		return CTL_ERROR;
	}
	if (!is.ca_key)
		return cli_missing("cert issue", "--ca-key", cli_cert_usage);
	if (!is.cluster)
		return cli_missing("cert issue", "--cluster", cli_cert_usage);
	if (!is.name)
		return cli_missing("cert issue", "--name", cli_cert_usage);
	if (!gsp_name_valid(is.cluster)) {
		cli_err("cert issue: invalid cluster name '%s': 1-63 "
			"characters of a-z, 0-9 and '-'",
			is.cluster);
		return CTL_ERROR;
	}
	if (!is.out_dir)
		return cli_missing("cert issue", "--out-dir", cli_cert_usage);
	if (!gsp_name_valid(is.name)) {
		cli_err("cert issue: invalid node name '%s': 1-63 characters "
			"of a-z, 0-9 and '-'",
			is.name);
		return CTL_ERROR;
	}
	if (init_sodium())
		return CTL_ERROR;
	rc = issue_load_ca(&is, ca_sk);
	if (rc == CTL_OK)
		rc = issue_write(&is, ca_sk);
	sodium_memzero(ca_sk, sizeof(ca_sk));
	return rc;
}

struct verify {
	const char *ca_pub, *cert, *key, *name, *cluster;
	uint64_t now;
	int have_now;
};

static int
verify_run(const struct verify *v)
{
	uint8_t ca_pk[GSP_PK_LEN], sk[GSP_SK_LEN];
	char err[ERR_MAX], nb[CMN_TIME_MAX], na[CMN_TIME_MAX], at[CMN_TIME_MAX];
	char b64[sodium_base64_ENCODED_LEN(GSP_PK_LEN,
					   sodium_base64_VARIANT_ORIGINAL)];
	struct gsp_cert c;
	uint64_t now = v->now;
	int rc;

	if (!v->have_now && now_seconds(&now))
		return CTL_ERROR;
	if ((rc = node_ca_pub_load(v->ca_pub, ca_pk, err, sizeof(err))) ||
	    (rc = node_cert_load(v->cert, &c, err, sizeof(err))))
		return report(rc, err);
	cmn_time_format(c.not_before, nb, sizeof(nb));
	cmn_time_format(c.not_after, na, sizeof(na));
	struct gsp_trust trust;
	gsp_trust_one(&trust, ca_pk, v->cluster);
	rc = gsp_cert_verify(&c, &trust, now);
	if (rc == GSP_ECERTSIG) {
		cli_err("%s: %s (%s)", v->cert, gsp_strerror(rc), v->ca_pub);
		return CTL_REFUSED;
	}
	if (rc == GSP_ECERTCLUSTER) {
		cli_err("%s: issued for cluster '%s', not '%s'", v->cert,
			c.cluster, v->cluster);
		return CTL_REFUSED;
	}
	if (rc == GSP_ECERTEXPIRED) {
		cmn_time_format(now, at, sizeof(at));
		if (now < c.not_before)
			cli_err("%s: not valid before %s (it is %s)", v->cert,
				nb, at);
		else
			cli_err("%s: expired at %s (it is %s)", v->cert, na,
				at);
		return CTL_REFUSED;
	}
	if (rc) {
		cli_err("%s: %s", v->cert, gsp_strerror(rc));
		return CTL_ERROR;
	}
	if (v->name && strcmp(v->name, c.name)) {
		cli_err("%s: issued to node '%s', not '%s'", v->cert, c.name,
			v->name);
		return CTL_REFUSED;
	}
	if (v->key) {
		rc = node_key_load(v->key, sk, err, sizeof(err));
		if (rc)
			return report(rc, err);
		rc = memcmp(sk + GSP_SK_LEN - GSP_PK_LEN, c.pk, GSP_PK_LEN);
		sodium_memzero(sk, sizeof(sk));
		if (rc) {
			cli_err("%s: certifies another key than the one in %s",
				v->cert, v->key);
			return CTL_REFUSED;
		}
	}
	sodium_bin2base64(b64, sizeof(b64), c.pk, sizeof(c.pk),
			  sodium_base64_VARIANT_ORIGINAL);
	printf("%s: ok\nnode %s, key %s\nvalid from %s until %s\n", v->cert,
	       c.name, b64, nb, na);
	return CTL_OK;
}

static int
cert_verify(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca-pub", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "at", required_argument, NULL, 'a' },
		{ "cluster", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify v = { 0 };
	int o;

	cli_opts_reset();
	while ((o = getopt_long(argc, argv, ":p:c:k:n:a:C:h", lo, NULL)) !=
	       -1) {
		switch (o) {
		case 'p':
			v.ca_pub = optarg;
			break;
		case 'c':
			v.cert = optarg;
			break;
		case 'k':
			v.key = optarg;
			break;
		case 'n':
			v.name = optarg;
			break;
		case 'C':
			v.cluster = optarg;
			break;
		case 'a':
			if (cmn_time_parse(optarg, &v.now)) {
				cli_err("cert verify: --at takes RFC 3339 "
					"(2026-11-27T11:00:00Z) or unix "
					"seconds");
				return CTL_ERROR;
			}
			v.have_now = 1;
			break;
		case 'h':
			fputs(cli_cert_usage, stdout);
			return CTL_OK;
		default:
			return cli_opts_error("cert verify", o, argv);
		}
	}
	if (optind != argc) {
		cli_err("cert verify: unexpected argument '%s'", argv[optind]);
		return CTL_ERROR;
	}
	if (!v.ca_pub)
		return cli_missing("cert verify", "--ca-pub", cli_cert_usage);
	if (!v.cert)
		return cli_missing("cert verify", "--cert", cli_cert_usage);
	if (init_sodium())
		return CTL_ERROR;
	return verify_run(&v);
}

int
cli_cert_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "issue"))
		return cert_issue(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return cert_verify(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return cli_cert_show(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "revoke"))
		return cli_cert_revoke(argc - 1, argv + 1);
	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(cli_cert_usage, stdout);
		return CTL_OK;
	}
	if (argc >= 2)
		cli_err("cert: unknown subcommand '%s'", argv[1]);
	else
		cli_err("cert: a subcommand is required");
	fprintf(stderr, "usage:\n%s", cli_cert_usage);
	return CTL_ERROR;
}
