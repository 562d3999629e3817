/*
 * pmgtmd: the pmgtm node daemon.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/config/check.h"
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
		   "      --check-config  check the configuration and the "
		   "files it names\n"
		   "                      (keys, certificate, CA, cluster "
		   "keys, state_dir), print\n"
		   "                      every error as FILE:LINE:COL: KEY: "
		   "message and exit\n"
		   "                      0 (valid) or 1; pmgtmd runs the "
		   "same checks at start\n"
		   "  -V, --version       print the version\n");
}

/* The DNS view the daemon will serve first, built once to see that it
 * can be. */
static int
view_check(const struct node_config *cfg, const char *path)
{
	struct dns_view *v = NULL;
	char err[512];

	if (node_view_build(cfg, NULL, 0, NULL, &v, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	dns_view_free(v);
	return 0;
}

/*
 * Loads @path and checks everything the daemon will need from it: the
 * values, the unknown keys, the files it names and the first DNS view.
 * Every error goes to stderr at once, then a summary; --check-config and
 * a start run the same checks, so a start-up error always names its file.
 * Returns the config, or NULL when anything failed.
 */
static struct node_config *
checked_load(const char *path)
{
	struct node_config *cfg = NULL;
	char err[512];
	int errors = 0;

	if (node_config_load_flags(path, NODE_CONFIG_SKIP_UNKNOWN, &cfg, err,
				   sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		errors++;
	}
	errors += node_config_check(cfg, path, stderr);
	if (cfg && !errors)
		errors += view_check(cfg, path);
	if (!errors)
		return cfg;
	fprintf(stderr, "pmgtmd: %s: %d error%s\n", path, errors,
		errors == 1 ? "" : "s");
	node_config_free(cfg);
	return NULL;
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

	struct node_config *cfg = checked_load(path);

	if (!cfg)
		return 1;
	if (check) {
		printf("%s: ok\n", path);
		node_config_free(cfg);
		return 0;
	}
	char err[512];
	if (node_state_dir_make(cfg, err, sizeof(err))) {
		fprintf(stderr, "pmgtmd: %s: %s\n", path, err);
		node_config_free(cfg);
		return 1;
	}
	node_log_setup(cfg->log.level, cfg->log.format);
	/* A peer that resets a TCP connection must cost an EPIPE on that
	 * connection, not the process. */
	signal(SIGPIPE, SIG_IGN);
	return node_daemon_run(cfg);
}
