/*
 * pmgtmctl internals shared by the command files: error output, the command
 * table entry (cli/main.c), and the plumbing of the commands that ask the
 * daemon (cli/common.c).
 *
 * A command is a function called with the arguments from its own name on
 * (argv[0] is "ca", "cert", "members", ...) that returns the process exit
 * code. To add one, write it in its own cli/ file, declare it here and add
 * a line to the table in cli/main.c.
 */
#ifndef PMGTM_CLI_CLI_H
#define PMGTM_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/ctl_proto.h"

struct cli_reply;
struct msgpack_object;

/* Exit codes are enum ctl_code's: the daemon's response code is the
 * command's exit code. */

typedef int (*cli_command_fn)(int argc, char **argv);

struct cli_command {
	const char *name;
	cli_command_fn run;
	const char *usage; /* one or more lines, each starting "pmgtmctl " */
};

/* Prints "pmgtmctl: " and the message, and a newline, on stderr. */
__attribute__((format(printf, 1, 2))) void cli_err(const char *fmt, ...);

/* The exit code for a failure with negative errno @rc: CTL_REFUSED for
 * "not found" (-ENOENT), "refused" (-EPERM, a key file open to others) and
 * "would replace" (-EEXIST), CTL_ERROR for everything else. */
int cli_exit_code(int rc);

/* Option parsing with getopt_long() over a command's own argv (argv[0] is
 * the command or verb): call cli_opts_reset() first; pass an optstring
 * starting with ':' and hand '?' and ':' results to cli_opts_error(),
 * which prints what was wrong and returns CTL_ERROR. */
void cli_opts_reset(void);
int cli_opts_error(const char *cmd, int o, char **argv);

/* "pmgtmctl: CMD: OPT is required" and @usage on stderr; CTL_ERROR. */
int cli_missing(const char *cmd, const char *opt, const char *usage);

/* --- cli/common.c: asking the daemon and printing what it says --- */

/* Sends control command @method with @args (one packed msgpack map, or
 * NULL) to the daemon at socket @sock (the -s value or NULL, see
 * cli_ctl_socket()). Returns 0 with an ok @reply (release it with
 * cli_reply_fini()), else the exit code after saying why on stderr
 * ("pmgtmctl: CMD: the daemon's message"), with nothing to release. */
int cli_ask(const char *cmd, const char *sock, const char *method,
	    const uint8_t *args, size_t args_len, struct cli_reply *reply);

/* @data as one line of JSON (cli/json.h) and a newline on stdout: CTL_OK,
 * or CTL_ERROR when it could not be written. */
int cli_json_line(const struct msgpack_object *data);

/* Flushes stdout before exiting: @rc, or CTL_ERROR after "CMD: cannot
 * write the output" (a full disk or a closed pipe must not exit 0). */
int cli_flush(const char *cmd, int rc);

/* Prints the data of an ok response for people; returns the exit code. */
typedef int (*cli_print_fn)(const struct msgpack_object *data);

/*
 * A command that only asks: "pmgtmctl CMD [--json] [-s SOCKET]" with CMD
 * (argv[0]) also the control command, sent without arguments. Prints the
 * response's data with @human, or with --json as cli_json_line() does;
 * --help prints @usage. Returns the exit code.
 */
int cli_listing(int argc, char **argv, const char *usage, cli_print_fn human);

/* Writes the @n bytes at @s to @f with control characters (C0 and DEL)
 * replaced by '?', so nothing in a response can drive the terminal. */
void cli_put_safe(FILE *f, const char *s, size_t n);

/* The same into the string of length @len in @buf (@cap bytes), cut
 * where the buffer ends; returns the new length. */
size_t cli_safe_append(char *buf, size_t len, size_t cap, const char *s,
		       size_t n);

/* Whether @o is a measure as the daemon sends one (an unsigned integer or
 * a float), and its value. */
bool cli_is_number(const struct msgpack_object *o);
double cli_number(const struct msgpack_object *o);

/* Columns on screen: UTF-8 characters, not bytes (a reason may hold
 * accents); every character is taken as one column wide. */
size_t cli_text_width(const char *s);

/* A table cell on stdout: @s padded to @width columns and two spaces, or
 * followed by a newline when it is the @last of its row. */
void cli_put_cell(const char *s, size_t width, bool last);

/* cli/ca.c: "ca init", and "cert issue" / "cert verify"; cli/cert.c:
 * "cert show" and "cert revoke" (argv[0] is the verb). */
int cli_ca_main(int argc, char **argv);
int cli_cert_main(int argc, char **argv);
int cli_cert_show(int argc, char **argv);
int cli_cert_revoke(int argc, char **argv);
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

/* cli/revoke.c: "revoke FILE", a revocation handed to the local daemon. */
int cli_revoke_main(int argc, char **argv);
extern const char cli_revoke_usage[];

/* cli/reach.c: "reachability", the matrix the local daemon holds. */
int cli_reach_main(int argc, char **argv);
extern const char cli_reach_usage[];

#endif
