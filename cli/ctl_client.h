/*
 * pmgtmctl's side of the control protocol (common/ctl_proto.h): one
 * request, one response, over the daemon's unix socket.
 */
#ifndef PMGTM_CLI_CTL_CLIENT_H
#define PMGTM_CLI_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ctl_proto.h"

#define CLI_CTL_SOCKET_DEFAULT "/run/pmgtm/control.sock"
#define CLI_CTL_TIMEOUT_MS 5000

/* The socket path: @opt (from -s) when set, else $PMGTM_SOCKET when set
 * and not empty, else CLI_CTL_SOCKET_DEFAULT. */
const char *cli_ctl_socket(const char *opt);

/* A response and the bytes it points into. */
struct cli_reply {
	uint8_t *body;
	struct ctl_response resp;
};

/*
 * Sends @cmd with @args (one packed msgpack map, or NULL) to the daemon
 * at @path and waits up to @timeout_ms in all for the response. Returns
 * 0 with @reply filled (the daemon's verdict is reply->resp.code; release
 * with cli_reply_fini()), or -1 after printing why on stderr:
 *   pmgtmctl: cannot connect to PATH: No such file or directory (is
 *   pmgtmd running?)
 */
__attribute__((warn_unused_result)) int
cli_ctl_call(const char *path, const char *cmd, const uint8_t *args,
	     size_t args_len, int timeout_ms, struct cli_reply *reply);

void cli_reply_fini(struct cli_reply *reply);

/* The exit code for a response: its code when 0, 1 or 2, else 1. */
int cli_reply_exit(const struct cli_reply *reply);

#endif
