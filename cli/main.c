/*
 * pmgtmctl: the operator's command line. main() only dispatches: the first
 * argument names a command of the table below, which gets the rest.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_command commands[] = {
	{ "ca", cli_ca_main, cli_ca_usage },
	{ "cert", cli_cert_main, cli_cert_usage },
	{ "key", cli_key_main, cli_key_usage },
	{ "members", cli_members_main, cli_members_usage },
	{ "drain", cli_drain_main, cli_drain_usage },
	{ "undrain", cli_undrain_main, cli_undrain_usage },
	{ "reachability", cli_reach_main, cli_reach_usage },
	{ "status", cli_status_main, cli_status_usage },
	{ "revoke", cli_revoke_main, cli_revoke_usage },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("pmgtmctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_exit_code(int rc)
{
	if (rc == 0)
		return CTL_OK;
	if (rc == -ENOENT || rc == -EPERM || rc == -EEXIST)
		return CTL_REFUSED;
	return CTL_ERROR;
}

void
cli_opts_reset(void)
{
	optind = 0;
	opterr = 0;
}

int
cli_opts_error(const char *cmd, int o, char **argv)
{
	const char *arg = argv[optind - 1];

	if (o == ':')
		cli_err("%s: option '%s' needs a value", cmd, arg);
	else if (optopt)
		cli_err("%s: unknown option '-%c'", cmd, optopt);
	else
		cli_err("%s: unknown option '%s'", cmd, arg);
	return CTL_ERROR;
}

int
cli_missing(const char *cmd, const char *opt, const char *usage)
{
	cli_err("%s: %s is required", cmd, opt);
	fprintf(stderr, "usage:\n%s", usage);
	return CTL_ERROR;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: pmgtmctl [-s SOCKET] COMMAND [ARGS...]\n"
		   "       pmgtmctl --version | --help\n\n"
		   "commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fputs(commands[i].usage, f);
	fprintf(f, "\ncommands that ask pmgtmd use the control socket given by "
		   "-s SOCKET\n(before or after the command), else "
		   "$PMGTM_SOCKET, else\n/run/pmgtm/control.sock\n");
	fprintf(f, "\nexit status: 0 ok, 1 error, 2 not found or refused\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	/* "-s SOCKET" before the command reaches the command through the
	 * environment, where it looks for the socket anyway. */
	while (argc >= 3 &&
	       (!strcmp(argv[1], "-s") || !strcmp(argv[1], "--socket"))) {
		if (setenv("PMGTM_SOCKET", argv[2], 1)) {
			cli_err("%s", strerror(errno));
			return CTL_ERROR;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return CTL_ERROR;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("pmgtmctl %s\n", PMGTM_VERSION);
		return CTL_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return CTL_OK;
	}
	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	cli_err("unknown command '%s' (try pmgtmctl --help)", argv[1]);
	return CTL_ERROR;
}
