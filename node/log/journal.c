#include "node/log/journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef PMGTM_HAVE_SYSTEMD
/* CODE_FILE= and friends would always name node_journal_send. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#endif

/* Fields journald or journal readers interpret (systemd.journal-fields(7));
 * names starting with '_' are journald's own and refused from clients. */
static const char *const reserved[] = {
	"MESSAGE",
	"MESSAGE_ID",
	"PRIORITY",
	"ERRNO",
	"TID",
	"UNIT",
	"USER_UNIT",
	"INVOCATION_ID",
	"USER_INVOCATION_ID",
	"DOCUMENTATION",
	NULL,
};
static const char *const reserved_prefixes[] = {
	"SYSLOG_", "CODE_", "OBJECT_", "COREDUMP_", NULL,
};

static bool
is_reserved(const char *name)
{
	for (size_t i = 0; reserved[i]; i++)
		if (strcmp(name, reserved[i]) == 0)
			return true;
	for (size_t i = 0; reserved_prefixes[i]; i++)
		if (strncmp(name, reserved_prefixes[i],
			    strlen(reserved_prefixes[i])) == 0)
			return true;
	return false;
}

size_t
node_journal_field_name(const char *key, char out[NODE_JOURNAL_NAME_MAX + 1])
{
	static const char prefix[] = "PMGTM_";
	char name[NODE_JOURNAL_NAME_MAX + 1];
	size_t n;

	for (n = 0; key[n] && n < NODE_JOURNAL_NAME_MAX; n++) {
		char c = key[n];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9'))
			c = '_';
		name[n] = c;
	}
	name[n] = '\0';
	if (n > 0 && name[0] >= 'A' && name[0] <= 'Z' && !is_reserved(name)) {
		memcpy(out, name, n + 1);
		return n;
	}
	size_t p = sizeof(prefix) - 1;
	if (n > NODE_JOURNAL_NAME_MAX - p)
		n = NODE_JOURNAL_NAME_MAX - p;
	memcpy(out, prefix, p);
	memcpy(out + p, name, n);
	out[p + n] = '\0';
	return p + n;
}

/* A decimal number, digits only (no sign, no spaces). */
static bool
parse_decimal(const char *s, char **end, uintmax_t *v)
{
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoumax(s, end, 10);
	return errno == 0;
}

bool
node_journal_stream_match(const char *env, dev_t dev, ino_t ino)
{
	uintmax_t d, i;
	char *end;

	if (!env || !parse_decimal(env, &end, &d) || *end != ':')
		return false;
	if (!parse_decimal(end + 1, &end, &i) || *end != '\0')
		return false;
	return d == (uintmax_t)dev && i == (uintmax_t)ino;
}

bool
node_journal_detect(void)
{
#ifdef PMGTM_HAVE_SYSTEMD
	const char *env = getenv("JOURNAL_STREAM");
	struct stat st;

	if (!env || fstat(STDERR_FILENO, &st) != 0 ||
	    !node_journal_stream_match(env, st.st_dev, st.st_ino))
		return false;
	/* sd_journal_sendv() reports success when this socket is missing,
	 * and every event would be lost. */
	return access(NODE_JOURNAL_SOCKET, F_OK) == 0;
#else
	return false;
#endif
}

#ifdef PMGTM_HAVE_SYSTEMD
/* "NAME=value" for the iovecs, which must each hold one whole field. */
struct arena {
	char buf[8192];
	size_t used;
};

/* Appends name=value to the arena, the value cut to what room is left.
 * Returns false (and adds nothing) when not even "name=" fits. */
static bool
put_field(struct arena *a, struct iovec *iov, const char *name, size_t nlen,
	  const char *value)
{
	size_t room = sizeof(a->buf) - a->used;
	if (nlen + 1 > room)
		return false;
	size_t vlen = strlen(value);
	if (vlen > room - nlen - 1)
		vlen = room - nlen - 1;
	char *p = a->buf + a->used;
	memcpy(p, name, nlen);
	p[nlen] = '=';
	memcpy(p + nlen + 1, value, vlen);
	iov->iov_base = p;
	iov->iov_len = nlen + 1 + vlen;
	a->used += iov->iov_len;
	return true;
}
#endif

int
node_journal_send(int priority, const char *message, const char *const *kv,
		  size_t n)
{
#ifdef PMGTM_HAVE_SYSTEMD
	static char ident[] = "SYSLOG_IDENTIFIER=pmgtmd";
	struct iovec iov[3 + NODE_JOURNAL_MAX_FIELDS];
	char prio[] = "PRIORITY=0";
	struct arena a;
	size_t k = 0;

	if (priority < 0 || priority > 7)
		return -EINVAL;
	a.used = 0;
	prio[sizeof(prio) - 2] = (char)('0' + priority);
	iov[k++] = (struct iovec){ prio, sizeof(prio) - 1 };
	iov[k++] = (struct iovec){ ident, sizeof(ident) - 1 };
	if (!put_field(&a, &iov[k++], "MESSAGE", 7, message))
		return -ENOBUFS;
	if (n > NODE_JOURNAL_MAX_FIELDS)
		n = NODE_JOURNAL_MAX_FIELDS;
	for (size_t i = 0; i < n; i++) {
		char name[NODE_JOURNAL_NAME_MAX + 1];
		size_t len = node_journal_field_name(kv[2 * i], name);
		if (!put_field(&a, &iov[k], name, len, kv[2 * i + 1]))
			break;
		k++;
	}
	return sd_journal_sendv(iov, (int)k);
#else
	(void)priority;
	(void)message;
	(void)kv;
	(void)n;
	return -ENOSYS;
#endif
}
