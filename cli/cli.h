/*
 * pmgtmctl internals shared by the command files: exit codes, error
 * output and the command table entry.
 *
 * A command is a function called with the arguments from its own name on
 * (argv[0] is "ca", "cert", "members", ...) that returns the process exit
 * code. To add one, write it in its own cli/ file, declare it here and add
 * a line to the table in cli/main.c.
 */
#ifndef PMGTM_CLI_CLI_H
#define PMGTM_CLI_CLI_H

/* Exit codes (SPEC §5). */
#define CLI_OK 0
#define CLI_ERROR 1
#define CLI_REFUSED 2 /* not found, or refused by policy */

typedef int (*cli_command_fn)(int argc, char **argv);

struct cli_command {
	const char *name;
	cli_command_fn run;
	const char *usage; /* one or more lines, each starting "pmgtmctl " */
};

/* Prints "pmgtmctl: " and the message, and a newline, on stderr. */
__attribute__((format(printf, 1, 2))) void cli_err(const char *fmt, ...);

/* The exit code for a failure with negative errno @rc: CLI_REFUSED for
 * "not found" (-ENOENT), "refused" (-EPERM, a key file open to others) and
 * "would replace" (-EEXIST), CLI_ERROR for everything else. */
int cli_exit_code(int rc);

/* cli/ca.c: "ca init", and "cert issue" / "cert verify". */
int cli_ca_main(int argc, char **argv);
int cli_cert_main(int argc, char **argv);
extern const char cli_ca_usage[];
extern const char cli_cert_usage[];

#endif
