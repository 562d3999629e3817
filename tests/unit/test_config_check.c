/*
 * node_config_check(): each broken setup of a cluster node (key,
 * certificate, CA file, cluster keys, state_dir, unknown keys) built for
 * real in a temporary directory, checked, and the exact
 * "FILE:LINE:COL: KEY: message" asserted; then several faults at once,
 * all reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "common/file_write.h"
#include "common/keyfile.h"
#include "gossip/cert.h"
#include "gossip/seal.h"
#include "node/config/check.h"
#include "node/config/config.h"

#define NOW 1764241200u /* 2025-11-27T11:00:00Z */
#define DAY 86400u

static uint8_t ca_pk[GSP_PK_LEN], ca_sk[GSP_SK_LEN];
static uint8_t ca2_pk[GSP_PK_LEN], ca2_sk[GSP_SK_LEN];
static uint8_t node_pk[GSP_PK_LEN], node_sk[GSP_SK_LEN];
static uint8_t other_pk[GSP_PK_LEN], other_sk[GSP_SK_LEN];

/* One setup: a directory of good files and the config naming them. */
struct setup {
	char dir[64];
	char state[128], key[128], cert[128], ca[128], ck[2][128];
	char extra_node[128];  /* more lines under node: */
	char extra_clust[128]; /* more lines under cluster: */
	char yaml[128];
};

static void
path(char *out, const struct setup *s, const char *name)
{
	snprintf(out, 128, "%s/%s", s->dir, name);
}

static void
save_cert(const char *file, const char *cluster, const char *name,
	  const uint8_t *pk, uint64_t at, uint64_t life, const uint8_t *sk)
{
	struct gsp_cert c;
	char err[256];

	assert_int_equal(gsp_cert_issue(&c, cluster, name, pk, at, life, sk),
			 0);
	assert_int_equal(
		node_cert_save(file, &c, NODE_WRITE_FORCE, err, sizeof(err)),
		0);
}

static void
save_cluster_key(const char *file, uint8_t fill)
{
	uint8_t k[GSP_KEY_LEN];
	char text[NODE_KEYTEXT_MAX], err[256];
	int n;

	memset(k, fill, sizeof(k));
	n = node_keytext_format(NODE_CLUSTER_KEY_HEADER, k, sizeof(k), text,
				sizeof(text));
	assert_true(n > 0);
	assert_int_equal(node_file_write(file, text, (size_t)n, 0600,
					 NODE_WRITE_FORCE, err, sizeof(err)),
			 0);
}

static void
write_text(const char *file, const char *text, mode_t mode)
{
	char err[256];

	assert_int_equal(node_file_write(file, text, strlen(text), mode,
					 NODE_WRITE_FORCE, err, sizeof(err)),
			 0);
}

static int
setup(void **state)
{
	struct setup *s = calloc(1, sizeof(*s));
	char err[256], p[128];

	assert_non_null(s);
	snprintf(s->dir, sizeof(s->dir), "/tmp/test_config_check.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	path(s->state, s, "state");
	assert_int_equal(mkdir(s->state, 0700), 0);
	path(s->key, s, "node.key");
	path(s->cert, s, "node.cert");
	path(s->ca, s, "ca.pub");
	path(s->ck[0], s, "cluster1.key");
	path(s->ck[1], s, "cluster2.key");
	path(s->yaml, s, "pmgtm.yaml");
	assert_int_equal(node_key_save(s->key, node_sk, 0, err, sizeof(err)),
			 0);
	path(p, s, "other.key");
	assert_int_equal(node_key_save(p, other_sk, 0, err, sizeof(err)), 0);
	assert_int_equal(node_ca_pub_save(s->ca, ca_pk, 0, err, sizeof(err)),
			 0);
	path(p, s, "ca.key");
	assert_int_equal(node_ca_key_save(p, ca_sk, 0, err, sizeof(err)), 0);
	path(p, s, "ca2.pub");
	assert_int_equal(node_ca_pub_save(p, ca2_pk, 0, err, sizeof(err)), 0);
	save_cert(s->cert, "prod", "lb1", node_pk, NOW, 90 * DAY, ca_sk);
	save_cluster_key(s->ck[0], 1);
	save_cluster_key(s->ck[1], 2);
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct setup *s = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
	free(s);
	return 0;
}

/*
 * The config, with the values of each file key at fixed columns:
 *   line 5 state_dir col 14, 6 key_file col 13, 7 cert_file col 14,
 *   line 15 ca_file col 12, 17 and 18 encrypt_keys[0], [1] col 7;
 * extra lines go after line 7 (node) and after line 18 (cluster).
 */
static void
write_config(const struct setup *s)
{
	FILE *f = fopen(s->yaml, "w");

	assert_non_null(f);
	fprintf(f,
		"node:\n"
		"  name: lb1\n"
		"  addresses: [127.0.0.232]\n"
		"  ns_name: lb1.example.com\n"
		"  state_dir: %s\n"
		"  key_file: %s\n"
		"  cert_file: %s\n"
		"%s"
		"dns:\n"
		"  listen: [\"127.0.0.232:5353\"]\n"
		"  zones:\n"
		"    - name: api.example.com\n"
		"cluster:\n"
		"  name: prod\n"
		"  listen: \"127.0.0.232:7946\"\n"
		"  ca_file: %s\n"
		"  encrypt_keys:\n"
		"    - %s\n"
		"    - %s\n"
		"%s",
		s->state, s->key, s->cert, s->extra_node, s->ca, s->ck[0],
		s->ck[1], s->extra_clust);
	assert_int_equal(fclose(f), 0);
}

/* Loads and checks the setup; returns the error count, output in @out. */
static int
run_check(struct setup *s, char **out)
{
	struct node_config *cfg = NULL;
	char err[512] = "";
	size_t len;
	FILE *f;
	int n;

	write_config(s);
	if (node_config_load_flags(s->yaml, NODE_CONFIG_SKIP_UNKNOWN, &cfg, err,
				   sizeof(err)))
		fail_msg("%s", err);
	f = open_memstream(out, &len);
	assert_non_null(f);
	n = node_config_check_at(cfg, s->yaml, NOW, f);
	fclose(f);
	node_config_free(cfg);
	return n;
}

/* @want is what follows "DIR/pmgtm.yaml:", with "@" for the setup's
 * directory. */
static void
assert_line(const struct setup *s, const char *out, const char *want)
{
	char full[1024], *at;
	const char *w;
	size_t o;

	o = (size_t)snprintf(full, sizeof(full), "%s:", s->yaml);
	for (w = want; *w && o + 70 < sizeof(full); w++)
		if (*w == '@')
			o += (size_t)snprintf(full + o, sizeof(full) - o, "%s",
					      s->dir);
		else
			full[o++] = *w;
	full[o] = '\0';
	at = strstr(out, full);
	if (!at)
		fail_msg("wanted a line\n  %s\ngot:\n%s", full, out);
	assert_true(at == out || at[-1] == '\n');
}

static void
check_one(struct setup *s, const char *want)
{
	char *out = NULL;
	int n = run_check(s, &out);

	assert_line(s, out, want);
	if (n != 1)
		fail_msg("%d errors, wanted 1:\n%s", n, out);
	free(out);
}

static void
test_good(void **state)
{
	struct setup *s = *state;
	char *out = NULL;

	assert_int_equal(run_check(s, &out), 0);
	assert_string_equal(out, "");
	free(out);
}

static void
test_key_file(void **state)
{
	struct setup *s = *state;

	strcpy(s->key, s->dir);
	strcat(s->key, "/none.key");
	check_one(s, "6:13: node.key_file: @/none.key: No such file or "
		     "directory");
	strcpy(s->key, s->dir);
	check_one(s, "6:13: node.key_file: @: not a regular file (a "
		     "directory)");
	path(s->key, s, "node.key");
	assert_int_equal(chmod(s->key, 0644), 0);
	check_one(s, "6:13: node.key_file: key file @/node.key is readable "
		     "by group or others (mode 0644); chmod 600 it");
	assert_int_equal(chmod(s->key, 0620), 0);
	check_one(s, "6:13: node.key_file: key file @/node.key is writable "
		     "by group or others (mode 0620); chmod 600 it");
	assert_int_equal(chmod(s->key, 0600), 0);
}

static void
test_key_file_kinds(void **state)
{
	struct setup *s = *state;

	path(s->key, s, "ca.key");
	check_one(s, "6:13: node.key_file: @/ca.key: this is the CA secret "
		     "key, not a node secret key; keep it off the nodes");
	path(s->key, s, "ca.pub");
	check_one(s, "6:13: node.key_file: @/ca.pub: this is a CA public key "
		     "(it belongs in cluster.ca_file), not a node secret key");
	path(s->key, s, "cluster1.key");
	check_one(s, "6:13: node.key_file: @/cluster1.key: this is a cluster "
		     "key (it belongs in cluster.encrypt_keys), not a node "
		     "secret key");
	path(s->key, s, "node.cert");
	check_one(s, "6:13: node.key_file: @/node.cert: this is a node "
		     "certificate (it belongs in node.cert_file), not a node "
		     "secret key");
	path(s->key, s, "junk");
	write_text(s->key, "hello\n", 0600);
	check_one(s, "6:13: node.key_file: @/junk: not a pmgtm key file (the "
		     "first line should be 'pmgtm-node-secret-key-v1')");
}

static void
test_cert_file(void **state)
{
	struct setup *s = *state;

	path(s->cert, s, "none.cert");
	check_one(s, "7:14: node.cert_file: @/none.cert: No such file or "
		     "directory");
	path(s->cert, s, "junk");
	write_text(s->cert, "\x99\x02hello", 0644);
	check_one(s, "7:14: node.cert_file: @/junk: not a valid pmgtm "
		     "certificate");
	path(s->cert, s, "node.key");
	check_one(s, "7:14: node.cert_file: @/node.key: this is a node secret "
		     "key (it belongs in node.key_file), not a node "
		     "certificate");
	path(s->cert, s, "node.cert");
}

static void
test_cert_contents(void **state)
{
	struct setup *s = *state;

	save_cert(s->cert, "prod", "lb1", other_pk, NOW, 90 * DAY, ca_sk);
	check_one(s, "7:14: node.cert_file: @/node.cert: certifies another key "
		     "than the one in @/node.key (node.key_file)");
	save_cert(s->cert, "prod", "lb2", node_pk, NOW, 90 * DAY, ca_sk);
	check_one(s, "7:14: node.cert_file: @/node.cert: issued to node "
		     "'lb2', not 'lb1' (node.name)");
	save_cert(s->cert, "test", "lb1", node_pk, NOW, 90 * DAY, ca_sk);
	check_one(s, "7:14: node.cert_file: @/node.cert: issued for cluster "
		     "'test', not 'prod' (cluster.name)");
	save_cert(s->cert, "prod", "lb1", node_pk, NOW - 100 * DAY, 30 * DAY,
		  ca_sk);
	check_one(s, "7:14: node.cert_file: @/node.cert: expired at "
		     "2025-09-18T11:00:00Z (it is 2025-11-27T11:00:00Z)");
	save_cert(s->cert, "prod", "lb1", node_pk, NOW + DAY, 30 * DAY, ca_sk);
	check_one(s, "7:14: node.cert_file: @/node.cert: not valid before "
		     "2025-11-28T10:55:00Z (it is 2025-11-27T11:00:00Z)");
	save_cert(s->cert, "prod", "lb1", node_pk, NOW, 90 * DAY, ca_sk);
}

static void
test_cert_ca(void **state)
{
	struct setup *s = *state;
	char want[256], id2[GSP_KEY_ID_TEXT], id1[GSP_KEY_ID_TEXT];
	char text[3 * NODE_KEYTEXT_MAX], *out = NULL;
	int n;

	gsp_key_id_text(ca_pk, id1);
	gsp_key_id_text(ca2_pk, id2);
	save_cert(s->cert, "prod", "lb1", node_pk, NOW, 90 * DAY, ca2_sk);
	snprintf(want, sizeof(want),
		 "7:14: node.cert_file: @/node.cert: not signed by any CA key "
		 "of @/ca.pub (cluster.ca_file): it names CA key %s, the file "
		 "holds %s",
		 id2, id1);
	check_one(s, want);

	/* During a CA rotation ca_file holds both keys: then it verifies. */
	n = node_keytext_format(GSP_CA_PK_HEADER, ca_pk, GSP_PK_LEN, text,
				sizeof(text));
	assert_true(n > 0);
	text[n++] = '\n';
	assert_true(node_keytext_format(GSP_CA_PK_HEADER, ca2_pk, GSP_PK_LEN,
					text + n,
					sizeof(text) - (size_t)n) > 0);
	path(s->ca, s, "both.pub");
	write_text(s->ca, text, 0644);
	assert_int_equal(run_check(s, &out), 0);
	free(out);
	path(s->ca, s, "ca.pub");
	save_cert(s->cert, "prod", "lb1", node_pk, NOW, 90 * DAY, ca_sk);
}

static void
test_ca_file(void **state)
{
	struct setup *s = *state;

	/* Without the CA key, the certificate's signature is not looked
	 * at: one error, the CA file's. */
	path(s->ca, s, "none.pub");
	check_one(s, "15:12: cluster.ca_file: @/none.pub: No such file or "
		     "directory");
	path(s->ca, s, "ca.key");
	check_one(s, "15:12: cluster.ca_file: @/ca.key: this is the CA secret "
		     "key; give ca.pub, keep ca.key off the nodes");
	path(s->ca, s, "node.key");
	check_one(s, "15:12: cluster.ca_file: @/node.key: this is a node "
		     "secret key (it belongs in node.key_file), not a CA "
		     "public key");
	path(s->ca, s, "ca.pub");
}

static void
test_encrypt_keys(void **state)
{
	struct setup *s = *state;

	path(s->ck[1], s, "none.key");
	check_one(s, "18:7: cluster.encrypt_keys[1]: @/none.key: No such file "
		     "or directory");
	path(s->ck[1], s, "node.key");
	check_one(s, "18:7: cluster.encrypt_keys[1]: @/node.key: this is a "
		     "node secret key (it belongs in node.key_file), not a "
		     "cluster key");
	path(s->ck[1], s, "cluster2.key");
	assert_int_equal(chmod(s->ck[0], 0640), 0);
	check_one(s, "17:7: cluster.encrypt_keys[0]: key file @/cluster1.key "
		     "is readable by group or others (mode 0640); chmod 600 "
		     "it");
	assert_int_equal(chmod(s->ck[0], 0600), 0);
	write_text(s->ck[1], NODE_CLUSTER_KEY_HEADER "\nAAAA\n", 0600);
	check_one(s, "18:7: cluster.encrypt_keys[1]: @/cluster2.key: the "
		     "second line is not the base64 of a 32-byte key");
	save_cluster_key(s->ck[1], 2);
}

static void
test_state_dir(void **state)
{
	struct setup *s = *state;
	struct node_config *cfg = NULL;
	char *out = NULL, err[256];
	struct stat st;

	path(s->state, s, "new-state");
	assert_int_equal(run_check(s, &out), 0);
	assert_line(s, out,
		    "5:14: node.state_dir: note: @/new-state does "
		    "not exist; pmgtmd will create it (mode 0700) "
		    "when it starts");
	free(out);
	/* ...and it does. */
	assert_int_equal(node_config_load(s->yaml, &cfg, err, sizeof(err)), 0);
	assert_int_equal(node_state_dir_make(cfg, err, sizeof(err)), 0);
	node_config_free(cfg);
	assert_int_equal(stat(s->state, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(run_check(s, &out), 0);
	assert_string_equal(out, "");
	free(out);

	path(s->state, s, "none/state");
	check_one(s, "5:14: node.state_dir: @/none/state does not exist, nor "
		     "does its parent directory @/none");
	path(s->state, s, "node.cert");
	check_one(s, "5:14: node.state_dir: @/node.cert: not a directory");
	path(s->state, s, "state");
}

/* As another user than root: a state_dir the user cannot write. The
 * check runs in a child that drops to uid and gid 65534. */
static void
test_state_dir_not_writable(void **state)
{
	struct setup *s = *state;
	struct node_config *cfg = NULL;
	char err[512], *out = NULL;
	size_t len;
	int status;
	bool ok;
	pid_t pid;
	FILE *f;

	if (geteuid() != 0)
		skip();
	/* The directory may be crossed, the state_dir (0700, root's) not
	 * written. */
	assert_int_equal(chmod(s->dir, 0711), 0);
	write_config(s);
	assert_int_equal(node_config_load(s->yaml, &cfg, err, sizeof(err)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		f = open_memstream(&out, &len);
		node_config_check_at(cfg, s->yaml, NOW, f);
		fclose(f);
		/* The key is root's too: only the state_dir line counts. */
		ok = strstr(out, "5:14: node.state_dir: ") &&
		     strstr(out, "/state: not writable by uid 65534");
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	node_config_free(cfg);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_unknown_keys(void **state)
{
	struct setup *s = *state;
	char *out = NULL;

	strcpy(s->extra_node, "  key_fil: x\n  colour: blue\n");
	strcpy(s->extra_clust, "  min_actve: 2\n  seeds: []\n  sedes: []\n");
	assert_int_equal(run_check(s, &out), 4);
	assert_line(s, out,
		    "8:3: node.key_fil: unknown key; did you mean "
		    "'key_file'?");
	assert_line(s, out, "9:3: node.colour: unknown key");
	assert_line(s, out,
		    "21:3: cluster.min_actve: unknown key; did you "
		    "mean 'min_active'?");
	assert_line(s, out,
		    "23:3: cluster.sedes: unknown key; did you mean "
		    "'seeds'?");
	assert_null(strstr(out, "colour: unknown key;"));
	free(out);
	s->extra_node[0] = s->extra_clust[0] = '\0';
}

/* Everything wrong at once: every fault is reported, each at its key. */
static void
test_all_at_once(void **state)
{
	struct setup *s = *state;
	char *out = NULL;

	strcpy(s->extra_clust, "  profil: lan\n");
	assert_int_equal(chmod(s->key, 0644), 0);
	path(s->ca, s, "ca.key");
	save_cert(s->cert, "test", "lb2", node_pk, NOW - 100 * DAY, 30 * DAY,
		  ca_sk);
	path(s->ck[0], s, "ca.pub");
	path(s->state, s, "none/state");
	assert_int_equal(run_check(s, &out), 8);
	assert_line(s, out,
		    "19:3: cluster.profil: unknown key; did you mean "
		    "'profile'?");
	assert_line(s, out,
		    "6:13: node.key_file: key file @/node.key is "
		    "readable by group or others (mode 0644); chmod "
		    "600 it");
	assert_line(s, out,
		    "15:12: cluster.ca_file: @/ca.key: this is the CA "
		    "secret key; give ca.pub, keep ca.key off the "
		    "nodes");
	assert_line(s, out,
		    "7:14: node.cert_file: @/node.cert: issued to "
		    "node 'lb2', not 'lb1' (node.name)");
	assert_line(s, out,
		    "7:14: node.cert_file: @/node.cert: issued for "
		    "cluster 'test', not 'prod' (cluster.name)");
	assert_line(s, out, "7:14: node.cert_file: @/node.cert: expired at");
	assert_line(s, out,
		    "17:7: cluster.encrypt_keys[0]: @/ca.pub: this is "
		    "a CA public key (it belongs in cluster.ca_file), "
		    "not a cluster key");
	assert_line(s, out,
		    "5:14: node.state_dir: @/none/state does not "
		    "exist, nor does its parent directory @/none");
	free(out);
}

/* A file that did not load: only its unknown keys, nothing else. */
static void
test_no_config(void **state)
{
	struct setup *s = *state;
	char *out = NULL;
	size_t len;
	FILE *f;

	strcpy(s->extra_node, "  key_fil: x\n");
	write_config(s);
	f = open_memstream(&out, &len);
	assert_int_equal(node_config_check_at(NULL, s->yaml, NOW, f), 1);
	fclose(f);
	assert_line(s, out,
		    "8:3: node.key_fil: unknown key; did you mean "
		    "'key_file'?");
	free(out);
	s->extra_node[0] = '\0';
}

static void
seed_keys(uint8_t pk[], uint8_t sk[], uint8_t fill)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, fill, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file_kinds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cert_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cert_contents, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cert_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encrypt_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_state_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_state_dir_not_writable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_config, setup,
						teardown),
	};

	if (sodium_init() < 0)
		return 1;
	seed_keys(ca_pk, ca_sk, 1);
	seed_keys(ca2_pk, ca2_sk, 2);
	seed_keys(node_pk, node_sk, 3);
	seed_keys(other_pk, other_sk, 4);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
