/*
 * pmgtmd: the pmgtm node daemon.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/config.h"
#include "node/daemon.h"
#include "node/log/log.h"
#include "node/dns/view_build.h"
#include "dns/view.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: pmgtmd -c FILE [--check-config]\n"
		   "       pmgtmd --version\n"
		   "\n"
		   "  -c, --config FILE   configuration (YAML)\n"
		   "      --check-config  validate the configuration and exit "
		   "0 (valid) or 1\n"
		   "  -V, --version       print the version\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int check = 0, o;

	while ((o = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'V':
			printf("pmgtmd %s\n", PMGTM_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 1;
	}

	struct node_config *cfg = NULL;
	char err[512];
	if (node_config_load(path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "pmgtmd: %s\n", err);
		return 1;
	}
	if (check) {
		struct dns_view *v = NULL;
		if (node_view_build(cfg, NULL, 0, NULL, &v, err, sizeof(err))) {
			fprintf(stderr, "pmgtmd: %s: %s\n", path, err);
			node_config_free(cfg);
			return 1;
		}
		dns_view_free(v);
		printf("%s: ok\n", path);
		node_config_free(cfg);
		return 0;
	}
	node_log_setup(cfg->log.level, cfg->log.format);
	/* A peer that resets a TCP connection must cost an EPIPE on that
	 * connection, not the process. */
	signal(SIGPIPE, SIG_IGN);
	return node_daemon_run(cfg);
}
