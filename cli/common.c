/*
 * What the commands that ask the daemon share: the call and its refusal,
 * the --json line, the final flush, and printing the daemon's text so
 * that nothing in a response can drive the terminal.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/ctl_client.h"
#include "cli/json.h"

int
cli_ask(const char *cmd, const char *sock, const char *method,
	const uint8_t *args, size_t args_len, struct cli_reply *reply)
{
	if (cli_ctl_call(cli_ctl_socket(sock), method, args, args_len,
			 CLI_CTL_TIMEOUT_MS, reply))
		return CTL_ERROR;
	if (!reply->resp.ok) {
		cli_err("%s: %s", cmd, reply->resp.error);
		int rc = cli_reply_exit(reply);
		cli_reply_fini(reply);
		return rc;
	}
	return 0;
}

int
cli_json_line(const msgpack_object *data)
{
	int rc = cli_json_print(stdout, data, false) ? CTL_ERROR : CTL_OK;

	putchar('\n');
	return rc;
}

int
cli_flush(const char *cmd, int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		cli_err("%s: cannot write the output", cmd);
		return CTL_ERROR;
	}
	return rc;
}

int
cli_listing(int argc, char **argv, const char *usage, cli_print_fn human)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL;
	bool json = false;
	struct cli_reply reply;
	int o, rc;

	cli_opts_reset();
	while ((o = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			printf("usage:\n%s", usage);
			return CTL_OK;
		default:
			return cli_opts_error(argv[0], o, argv);
		}
	}
	if (optind < argc) {
		cli_err("%s: unexpected argument '%s'", argv[0], argv[optind]);
		return CTL_ERROR;
	}
	rc = cli_ask(argv[0], sock, argv[0], NULL, 0, &reply);
	if (!rc) {
		rc = json ? cli_json_line(reply.resp.data)
			  : human(reply.resp.data);
		cli_reply_fini(&reply);
	}
	return cli_flush(argv[0], rc);
}

void
cli_put_safe(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

size_t
cli_safe_append(char *buf, size_t len, size_t cap, const char *s, size_t n)
{
	for (size_t i = 0; i < n && len + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[len++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[len] = '\0';
	return len;
}

bool
cli_is_number(const msgpack_object *o)
{
	return o && (o->type == MSGPACK_OBJECT_FLOAT64 ||
		     o->type == MSGPACK_OBJECT_FLOAT32 ||
		     o->type == MSGPACK_OBJECT_POSITIVE_INTEGER);
}

double
cli_number(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (double)o->via.u64
							  : o->via.f64;
}

size_t
cli_text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void
cli_put_cell(const char *s, size_t width, bool last)
{
	fputs(s, stdout);
	if (last) {
		putchar('\n');
		return;
	}
	for (size_t w = cli_text_width(s); w < width + 2; w++)
		putchar(' ');
}
