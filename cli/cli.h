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

#include <stddef.h>
#include <stdint.h>

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

/* Option parsing with getopt_long() over a command's own argv (argv[0] is
 * the command or verb): call cli_opts_reset() first; pass an optstring
 * starting with ':' and hand '?' and ':' results to cli_opts_error(),
 * which prints what was wrong and returns CLI_ERROR. */
void cli_opts_reset(void);
int cli_opts_error(const char *cmd, int o, char **argv);

/* "pmgtmctl: CMD: OPT is required" and @usage on stderr; CLI_ERROR. */
int cli_missing(const char *cmd, const char *opt, const char *usage);

/* A decimal number, digits only, at most @max: 0 or -EINVAL. */
int cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Unix seconds as RFC 3339 UTC ("2026-11-27T11:00:00Z") in @buf (32 bytes
 * are enough), or "@SECONDS" when out of the calendar's range. */
const char *cli_fmt_time(uint64_t t, char *buf, size_t cap);

/* cli/ca.c: "ca init", and "cert issue" / "cert verify". */
int cli_ca_main(int argc, char **argv);
int cli_cert_main(int argc, char **argv);
extern const char cli_ca_usage[];
extern const char cli_cert_usage[];

/* cli/key.c: "key generate" (cluster encryption keys). */
int cli_key_main(int argc, char **argv);
extern const char cli_key_usage[];

/* cli/members.c: "members" and "status", asked of the local daemon. */
int cli_members_main(int argc, char **argv);
int cli_status_main(int argc, char **argv);
extern const char cli_members_usage[];
extern const char cli_status_usage[];

/* cli/drain.c: "drain" and "undrain", asked of the local daemon, which
 * signs and gossips the intent. */
int cli_drain_main(int argc, char **argv);
int cli_undrain_main(int argc, char **argv);
extern const char cli_drain_usage[];
extern const char cli_undrain_usage[];

/* cli/reach.c: "reachability", the matrix the local daemon holds. */
int cli_reach_main(int argc, char **argv);
extern const char cli_reach_usage[];

#endif
