#!/usr/bin/env bash
# pmgtmd --check-config on real files: a good cluster node's setup (CA,
# key, certificate and cluster keys made with pmgtmctl) exits 0, and each
# broken setup of a table exits 1 naming the offending file at the
# config's FILE:LINE:COL; one setup with several faults reports them all.
# A plain start runs the same checks: it refuses a broken setup with the
# same lines, and a good one starts, creating node.state_dir (mode 0700).
#
# usage: test_check_config.sh [PATH_TO_PMGTMD [PATH_TO_PMGTMCTL]]
#        (default: build/pmgtmd, build/pmgtmctl)
# The one start listens on 127.0.0.232 (DNS 5353, gossip 7946) for a few
# seconds. Run as root (as CI does); works as any user.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
pmgtmd=${1:-${PMGTMD:-$top/build/pmgtmd}}
ctl=${2:-${PMGTMCTL:-$(dirname "$pmgtmd")/pmgtmctl}}
for b in "$pmgtmd" "$ctl"; do
	if [ ! -x "$b" ]; then
		echo "$b not found (build it, or pass its path)" >&2
		exit 1
	fi
done
pmgtmd=$(cd "$(dirname "$pmgtmd")" && pwd)/$(basename "$pmgtmd")
ctl=$(cd "$(dirname "$ctl")" && pwd)/$(basename "$ctl")
work=$(mktemp -d /tmp/test_check_config.XXXXXX)
W=$work # short, for the expected lines
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon"
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
ko() { failed=$((failed + 1)); echo "FAIL - $1"; }
# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else ko "$name"; fi
}

# --- the files ----------------------------------------------------------
quiet() { "$@" >/dev/null 2>&1 || { echo "setup failed: $*" >&2; exit 1; }; }
quiet "$ctl" ca init --dir ca
quiet "$ctl" ca init --dir ca2
quiet "$ctl" cert issue --cluster prod --ca-key ca/ca.key --name lb1 \
	--out-dir lb1
quiet "$ctl" cert issue --cluster prod --ca-key ca/ca.key --name lb2 \
	--out-dir lb2
quiet "$ctl" cert issue --cluster test --ca-key ca/ca.key --name lb1 \
	--out-dir test-lb1
quiet "$ctl" cert issue --cluster prod --ca-key ca2/ca.key --name lb1 \
	--out-dir ca2-lb1 --node-key lb1/node.key
quiet "$ctl" cert issue --cluster prod --ca-key ca/ca.key --name lb1 \
	--out-dir short-lb1 --node-key lb1/node.key --valid 1s
quiet "$ctl" key generate --out cluster1.key
quiet "$ctl" key generate --out cluster2.key
cp lb1/node.key open.key && chmod 644 open.key
cp cluster2.key open-cluster.key && chmod 640 open-cluster.key
printf 'not a certificate\n' >junk.cert
cat ca/ca.pub ca2/ca.pub >both.pub
mkdir state
touch state-file

# config NAME KEY=VALUE...: writes NAME.yaml, the good config with the
# given values replaced (key, cert, ca, ck1, ck2, state, extra).
config() {
	local name=$1 key=lb1/node.key cert=lb1/node.cert ca=ca/ca.pub
	local ck1=cluster1.key ck2=cluster2.key state=state extra=""
	shift
	for kv in "$@"; do
		local "${kv%%=*}=${kv#*=}"
	done
	cat >"$name.yaml" <<EOF
node:
  name: lb1
  addresses: [127.0.0.232]
  ns_name: lb1.example.com
  state_dir: $work/$state
  key_file: $work/$key
  cert_file: $work/$cert
dns:
  listen: ["127.0.0.232:5353"]
  zones:
    - name: api.example.com
cluster:
  name: prod
  listen: "127.0.0.232:7946"
  ca_file: $work/$ca
  encrypt_keys:
    - $work/$ck1
    - $work/$ck2
$extra
EOF
}

# want NAME EXIT TEXT...: runs pmgtmd --check-config on NAME.yaml; passes
# when it exits EXIT and each TEXT is a line of stderr, after the
# config's path and a colon ("6:13: node.key_file: ...").
want() {
	local name=$1 exit=$2 rc line missing=""
	shift 2
	"$pmgtmd" -c "$work/$name.yaml" --check-config >out 2>err
	rc=$?
	for line in "$@"; do
		grep -qxF -- "$work/$name.yaml:$line" err ||
			missing="$missing [$line]"
	done
	if [ "$rc" -ne "$exit" ]; then
		ko "$name: exit $rc, wanted $exit: $(head -c 600 err)"
	elif [ -n "$missing" ]; then
		ko "$name: stderr lacks$missing: $(head -c 600 err)"
	else
		ok "$name"
	fi
}

# The key id of a ca.pub (gsp_key_id()): BLAKE2b with an 8-byte output.
ca_id() {
	sed -n 2p "$1" | python3 -c 'import base64, hashlib, sys
print(hashlib.blake2b(base64.b64decode(sys.stdin.read()),
                      digest_size=8).hexdigest())'
}

# --- the table ----------------------------------------------------------
config good
want good 0
check "good: prints '$W/good.yaml: ok'" grep -qxF "$work/good.yaml: ok" out

config key-missing key=none.key
want key-missing 1 "6:13: node.key_file: $W/none.key: No such file or directory"
config key-dir key=state
want key-dir 1 "6:13: node.key_file: $W/state: not a regular file (a directory)"
config key-0644 key=open.key
want key-0644 1 "6:13: node.key_file: key file $W/open.key is readable by group or others (mode 0644); chmod 600 it"
config key-is-ca-key key=ca/ca.key
want key-is-ca-key 1 "6:13: node.key_file: $W/ca/ca.key: this is the CA secret key, not a node secret key; keep it off the nodes"
config key-is-ca-pub key=ca/ca.pub
want key-is-ca-pub 1 "6:13: node.key_file: $W/ca/ca.pub: this is a CA public key (it belongs in cluster.ca_file), not a node secret key"
config key-is-cluster-key key=cluster1.key
want key-is-cluster-key 1 "6:13: node.key_file: $W/cluster1.key: this is a cluster key (it belongs in cluster.encrypt_keys), not a node secret key"
config key-is-cert key=lb1/node.cert
want key-is-cert 1 "6:13: node.key_file: $W/lb1/node.cert: this is a node certificate (it belongs in node.cert_file), not a node secret key"

config cert-missing cert=none.cert
want cert-missing 1 "7:14: node.cert_file: $W/none.cert: No such file or directory"
config cert-junk cert=junk.cert
want cert-junk 1 "7:14: node.cert_file: $W/junk.cert: not a valid pmgtm certificate"
config cert-other-key cert=lb2/node.cert
want cert-other-key 1 \
	"7:14: node.cert_file: $W/lb2/node.cert: certifies another key than the one in $W/lb1/node.key (node.key_file)" \
	"7:14: node.cert_file: $W/lb2/node.cert: issued to node 'lb2', not 'lb1' (node.name)"
config cert-other-cluster cert=test-lb1/node.cert key=test-lb1/node.key
want cert-other-cluster 1 "7:14: node.cert_file: $W/test-lb1/node.cert: issued for cluster 'test', not 'prod' (cluster.name)"
config cert-other-ca cert=ca2-lb1/node.cert
want cert-other-ca 1 "7:14: node.cert_file: $W/ca2-lb1/node.cert: not signed by any CA key of $W/ca/ca.pub (cluster.ca_file): it names CA key $(ca_id ca2/ca.pub), the file holds $(ca_id ca/ca.pub)"
config ca-rotation cert=ca2-lb1/node.cert ca=both.pub
want ca-rotation 0

config ca-missing ca=none.pub
want ca-missing 1 "15:12: cluster.ca_file: $W/none.pub: No such file or directory"
config ca-is-ca-key ca=ca/ca.key
want ca-is-ca-key 1 "15:12: cluster.ca_file: $W/ca/ca.key: this is the CA secret key; give ca.pub, keep ca.key off the nodes"
config ca-is-node-key ca=lb1/node.key
want ca-is-node-key 1 "15:12: cluster.ca_file: $W/lb1/node.key: this is a node secret key (it belongs in node.key_file), not a CA public key"

config ck-missing ck2=none.key
want ck-missing 1 "18:7: cluster.encrypt_keys[1]: $W/none.key: No such file or directory"
config ck-is-node-key ck2=lb1/node.key
want ck-is-node-key 1 "18:7: cluster.encrypt_keys[1]: $W/lb1/node.key: this is a node secret key (it belongs in node.key_file), not a cluster key"
config ck-0640 ck1=open-cluster.key
want ck-0640 1 "17:7: cluster.encrypt_keys[0]: key file $W/open-cluster.key is readable by group or others (mode 0640); chmod 600 it"

config state-new state=new-state
want state-new 0 "5:14: node.state_dir: note: $W/new-state does not exist; pmgtmd will create it (mode 0700) when it starts"
check "--check-config creates nothing" [ ! -e new-state ]
config state-no-parent state=none/state
want state-no-parent 1 "5:14: node.state_dir: $W/none/state does not exist, nor does its parent directory $W/none"
config state-file state=state-file
want state-file 1 "5:14: node.state_dir: $W/state-file: not a directory"

config typos extra="  min_actve: 2
  sedes: []"
want typos 1 "19:3: cluster.min_actve: unknown key; did you mean 'min_active'?" \
	"20:3: cluster.sedes: unknown key; did you mean 'seeds'?"

config everything key=open.key cert=test-lb1/node.cert ca=ca/ca.key \
	ck2=lb1/node.key state=none/state extra="  profil: lan"
want everything 1 \
	"19:3: cluster.profil: unknown key; did you mean 'profile'?" \
	"6:13: node.key_file: key file $W/open.key is readable by group or others (mode 0644); chmod 600 it" \
	"15:12: cluster.ca_file: $W/ca/ca.key: this is the CA secret key; give ca.pub, keep ca.key off the nodes" \
	"7:14: node.cert_file: $W/test-lb1/node.cert: issued for cluster 'test', not 'prod' (cluster.name)" \
	"18:7: cluster.encrypt_keys[1]: $W/lb1/node.key: this is a node secret key (it belongs in node.key_file), not a cluster key" \
	"5:14: node.state_dir: $W/none/state does not exist, nor does its parent directory $W/none"
check "everything: the summary counts 6 errors" \
	grep -qxF "pmgtmd: $W/everything.yaml: 6 errors" err

# Valid for one second from its issue, at the top of the run.
sleep 2
config cert-expired cert=short-lb1/node.cert
want cert-expired 1
if grep -qE "^$W/cert-expired.yaml:7:14: node.cert_file: $W/short-lb1/node.cert: expired at [0-9TZ:-]+ \(it is [0-9TZ:-]+\)$" err; then
	ok "cert-expired: says when"
else
	ko "cert-expired: $(head -c 600 err)"
fi

# --- a start runs the same checks ---------------------------------------
timeout 10 "$pmgtmd" -c "$work/ca-is-ca-key.yaml" >out 2>err
rc=$?
if [ "$rc" -eq 1 ] && grep -qxF "$W/ca-is-ca-key.yaml:15:12: cluster.ca_file: $W/ca/ca.key: this is the CA secret key; give ca.pub, keep ca.key off the nodes" err; then
	ok "a start refuses a broken setup with the same line"
else
	ko "start with ca_file = ca.key: exit $rc: $(head -c 600 err)"
fi

config start state=var/state
mkdir var
"$pmgtmd" -c "$work/start.yaml" >start.out 2>&1 &
daemon=$!
for _ in $(seq 50); do
	[ -e var/state/lock ] && break
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.1
done
if [ -e var/state/lock ] && [ "$(stat -c %a var/state)" = 700 ]; then
	ok "a start creates node.state_dir with mode 0700"
else
	ko "no var/state/lock with mode 0700: $(head -c 600 start.out)"
fi
kill "$daemon" 2>/dev/null
wait "$daemon"
daemon=

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
