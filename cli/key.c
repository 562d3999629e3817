/*
 * pmgtmctl key generate: a cluster encryption key (cluster.encrypt_keys),
 * 32 random bytes in a key file of type pmgtm-cluster-key-v1, mode 0600.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "cli/cli.h"
#include "gossip/seal.h"
#include "common/keyfile.h"

const char cli_key_usage[] =
	"pmgtmctl key generate --out FILE [--force]\n"
	"        a cluster encryption key for cluster.encrypt_keys (mode "
	"0600);\n"
	"        copy it to every node, add it as the last key, then move "
	"it\n"
	"        first once every node has it\n";

int
cli_key_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	char text[NODE_KEYTEXT_MAX], err[512];
	uint8_t key[GSP_KEY_LEN];
	int flags = 0, o;

	if (argc < 2 || strcmp(argv[1], "generate") != 0) {
		fputs(cli_key_usage, stderr);
		return CTL_ERROR;
	}
	argc--;
	argv++;
	cli_opts_reset();
	while ((o = getopt_long(argc, argv, ":o:fh", lo, NULL)) != -1) {
		switch (o) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			flags |= NODE_WRITE_FORCE;
			break;
		case 'h':
			fputs(cli_key_usage, stdout);
			return CTL_OK;
		default:
			return cli_opts_error("key generate", o, argv);
		}
	}
	if (!out)
		return cli_missing("key generate", "--out", cli_key_usage);
	if (sodium_init() < 0) {
		cli_err("key generate: cannot initialise libsodium");
		return CTL_ERROR;
	}
	randombytes_buf(key, sizeof(key));
	int n = node_keytext_format(NODE_CLUSTER_KEY_HEADER, key, sizeof(key),
				    text, sizeof(text));
	sodium_memzero(key, sizeof(key));
	int rc = n < 0 ? n
		       : node_file_write(out, text, (size_t)n, 0600, flags, err,
					 sizeof(err));
	sodium_memzero(text, sizeof(text));
	if (rc) {
		cli_err("key generate: %s", n < 0 ? "cannot format" : err);
		return cli_exit_code(rc);
	}
	printf("wrote %s (secret, mode 0600)\n", out);
	return CTL_OK;
}
