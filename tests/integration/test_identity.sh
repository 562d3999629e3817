#!/usr/bin/env bash
# The cluster identity from the operator's side: pmgtmctl ca init, cert
# issue, cert verify, cert show and cert revoke on real files, and what
# pmgtmctl revoke refuses before asking a daemon. Checks file modes, refusals (exit
# 2), errors (exit 1) and that a certificate from another CA, an expired
# one or one for another key does not verify.
#
# usage: test_identity.sh [PATH_TO_PMGTMCTL]   (default: build/pmgtmctl)
# Run as root (as CI does); works as any user.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
ctl=${1:-${PMGTMCTL:-$top/build/pmgtmctl}}
if [ ! -x "$ctl" ]; then
	echo "pmgtmctl not found at $ctl (build it, or pass its path)" >&2
	exit 1
fi
work=$(mktemp -d /tmp/test_identity.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
ko() { failed=$((failed + 1)); echo "FAIL - $1"; }

# run NAME WANT_EXIT [GREP_STDERR] -- COMMAND...: checks the exit code and,
# if given, a fixed string on stderr. Output is kept in $work/out, $work/err.
run() {
	local name=$1 want=$2 pat="" rc
	shift 2
	if [ "$1" != "--" ]; then
		pat=$1
		shift
	fi
	shift
	"$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		ko "$name (exit $rc, wanted $want): $(head -c 300 "$work/err")"
	elif [ -n "$pat" ] && ! grep -qF -- "$pat" "$work/err"; then
		ko "$name: stderr lacks '$pat': $(head -c 300 "$work/err")"
	else
		ok "$name"
	fi
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else ko "$name"; fi
}

mode() { stat -c %a "$1"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }

# --- ca init -----------------------------------------------------------
run "ca init" 0 -- "$ctl" ca init --dir ca/a
check "ca.key mode 0600" [ "$(mode ca/a/ca.key)" = 600 ]
check "ca.pub exists" [ -s ca/a/ca.pub ]
check "ca dir mode 0700" [ "$(mode ca/a)" = 700 ]
check "ca.key header" [ "$(head -1 ca/a/ca.key)" = pmgtm-ca-secret-key-v1 ]
check "ca.pub header" [ "$(head -1 ca/a/ca.pub)" = pmgtm-ca-public-key-v1 ]
check "ca.key is 64 bytes of base64" \
	[ "$(sed -n 2p ca/a/ca.key | base64 -d | wc -c)" = 64 ]
check "ca.pub is 32 bytes of base64" \
	[ "$(sed -n 2p ca/a/ca.pub | base64 -d | wc -c)" = 32 ]
check "ca.pub is the public half of ca.key" [ \
	"$(sed -n 2p ca/a/ca.key | base64 -d | tail -c 32 | base64)" = \
	"$(sed -n 2p ca/a/ca.pub)" ]
before=$(sum ca/a/ca.key)
run "ca init refuses to replace" 2 "already exists; pass --force" -- \
	"$ctl" ca init --dir ca/a
check "refused ca init left ca.key alone" [ "$(sum ca/a/ca.key)" = "$before" ]
run "ca init --force replaces" 0 -- "$ctl" ca init --dir ca/a --force
check "forced ca init made a new key" [ "$(sum ca/a/ca.key)" != "$before" ]
(umask 000 && "$ctl" ca init --dir ca/b >/dev/null 2>&1)
check "ca.key is 0600 even with umask 000" [ "$(mode ca/b/ca.key)" = 600 ]
run "ca init without --dir" 1 "--dir is required" -- "$ctl" ca init
run "ca with an unknown verb" 1 "unknown subcommand" -- "$ctl" ca frob

# --- cert issue --------------------------------------------------------
run "cert issue" 0 -- "$ctl" cert issue --cluster t --ca-key ca/a/ca.key --name lb1 \
	--out-dir nodes/lb1 --ca-pub ca/a/ca.pub
check "node.key mode 0600" [ "$(mode nodes/lb1/node.key)" = 600 ]
check "node.cert exists" [ -s nodes/lb1/node.cert ]
check "node.key header" \
	[ "$(head -1 nodes/lb1/node.key)" = pmgtm-node-secret-key-v1 ]
check "node.cert is format 2 (0x98 0x02)" \
	[ "$(head -c 2 nodes/lb1/node.cert | od -An -tx1 | tr -d ' ')" = 9802 ]
check "no temporary files left" \
	[ -z "$(find ca nodes -name '.*' -type f)" ]
run "cert issue for lb2 (30 days)" 0 -- "$ctl" cert issue --cluster t \
	--ca-key ca/a/ca.key --name lb2 --out-dir nodes/lb2 --days 30
run "cert issue refuses to replace" 2 "already exists" -- "$ctl" cert issue --cluster t \
	--ca-key ca/a/ca.key --name lb1 --out-dir nodes/lb1
run "cert issue: invalid name" 1 "invalid node name" -- "$ctl" cert issue --cluster t \
	--ca-key ca/a/ca.key --name LB_1 --out-dir nodes/x
run "cert issue: --days 0" 1 "--days" -- "$ctl" cert issue --cluster t \
	--ca-key ca/a/ca.key --name lb9 --out-dir nodes/x --days 0
run "cert issue: missing CA key" 2 "No such file" -- "$ctl" cert issue --cluster t \
	--ca-key ca/none/ca.key --name lb9 --out-dir nodes/x
run "cert issue: node key given as CA key" 1 "this is a node secret key" -- \
	"$ctl" cert issue --cluster t --ca-key nodes/lb1/node.key --name lb9 --out-dir nodes/x
run "cert issue: CA key of another CA than --ca-pub" 2 \
	"is not the secret key of the CA" -- "$ctl" cert issue --cluster t \
	--ca-key ca/b/ca.key --ca-pub ca/a/ca.pub --name lb9 --out-dir nodes/x
check "refusals wrote nothing" [ ! -e nodes/x/node.key ]
run "cert issue: unknown option" 1 "unknown option" -- "$ctl" cert issue --cluster t \
	--ca-key ca/a/ca.key --name lb9 --out-dir nodes/x --colour

chmod 644 ca/a/ca.key
run "cert issue refuses a CA key readable by others" 2 \
	"is readable by group or others (mode 0644); chmod 600 it" -- \
	"$ctl" cert issue --cluster t --ca-key ca/a/ca.key --name lb9 --out-dir nodes/x
chmod 600 ca/a/ca.key
run "cert issue: a CA public key given as --ca-key is named, not chmod'ed" \
	1 "ca/a/ca.pub: this is a CA public key, not a CA secret key" -- \
	"$ctl" cert issue --cluster t --ca-key ca/a/ca.pub --name lb9 \
	--out-dir nodes/x
check "... and says nothing of its mode" sh -c '! grep -q chmod "$1"' _ \
	"$work/err"
run "cert issue without --cluster" 1 "--cluster is required" -- "$ctl" \
	cert issue --ca-key ca/a/ca.key --name lb9 --out-dir nodes/x

# --- cert verify -------------------------------------------------------
run "verify lb1" 0 -- "$ctl" cert verify --ca-pub ca/a/ca.pub \
	--cert nodes/lb1/node.cert --key nodes/lb1/node.key --name lb1
check "verify prints the node" grep -q "node lb1" "$work/out"
run "cert from another CA fails" 2 "not signed by this cluster's CA" -- \
	"$ctl" cert verify --ca-pub ca/b/ca.pub --cert nodes/lb1/node.cert
run "cert for another name fails" 2 "issued to node 'lb1', not 'lb2'" -- \
	"$ctl" cert verify --ca-pub ca/a/ca.pub --cert nodes/lb1/node.cert \
	--name lb2
run "cert for another key fails" 2 "certifies another key" -- \
	"$ctl" cert verify --ca-pub ca/a/ca.pub --cert nodes/lb1/node.cert \
	--key nodes/lb2/node.key
now=$(date +%s)
run "expired cert fails" 2 "expired at" -- "$ctl" cert verify \
	--ca-pub ca/a/ca.pub --cert nodes/lb2/node.cert --at $((now + 31 * 86400))
run "cert valid within its 30 days" 0 -- "$ctl" cert verify \
	--ca-pub ca/a/ca.pub --cert nodes/lb2/node.cert --at $((now + 29 * 86400))
run "cert not yet valid fails" 2 "not valid before" -- "$ctl" cert verify \
	--ca-pub ca/a/ca.pub --cert nodes/lb2/node.cert --at $((now - 3600))
run "cert valid within the clock skew allowance" 0 -- "$ctl" cert verify \
	--ca-pub ca/a/ca.pub --cert nodes/lb2/node.cert --at $((now - 200))

chmod 640 nodes/lb1/node.key
run "verify refuses a node key readable by group" 2 \
	"is readable by group or others (mode 0640); chmod 600 it" -- \
	"$ctl" cert verify --ca-pub ca/a/ca.pub --cert nodes/lb1/node.cert \
	--key nodes/lb1/node.key
chmod 600 nodes/lb1/node.key

head -c 50 nodes/lb1/node.cert >truncated.cert
run "truncated cert is an error" 1 "not a valid pmgtm certificate" -- \
	"$ctl" cert verify --ca-pub ca/a/ca.pub --cert truncated.cert
cp nodes/lb1/node.cert tampered.cert
printf 'x' | dd of=tampered.cert bs=1 seek=10 conv=notrunc status=none
run "tampered cert fails" 2 "not signed by this cluster's CA" -- \
	"$ctl" cert verify --ca-pub ca/a/ca.pub --cert tampered.cert
run "missing cert" 2 "No such file" -- "$ctl" cert verify \
	--ca-pub ca/a/ca.pub --cert nodes/none/node.cert
run "CA secret key given as ca.pub" 1 "this is a CA secret key" -- \
	"$ctl" cert verify --ca-pub ca/a/ca.key --cert nodes/lb1/node.cert

# --- cert show ---------------------------------------------------------
# key ids: the first 8 bytes of BLAKE2b-64 of the public key, in hex
key_id() { python3 -c 'import base64,hashlib,sys
pk = base64.b64decode(open(sys.argv[1]).read().split()[1])
print(hashlib.blake2b(pk[-32:], digest_size=8).hexdigest())' "$1"; }
lb1_id=$(key_id nodes/lb1/node.key)
ca_id=$(key_id ca/a/ca.pub)
run "cert show" 0 -- "$ctl" cert show nodes/lb1/node.cert
check "cert show: cluster" grep -qx "cluster: *t" "$work/out"
check "cert show: name" grep -qx "name: *lb1" "$work/out"
check "cert show: key id" grep -qx "key id: *$lb1_id" "$work/out"
check "cert show: issuer CA key id" grep -qx "issuer CA: *$ca_id" "$work/out"
check "cert show: not_after in RFC 3339" \
	grep -qE "^not after: +20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" \
	"$work/out"
check "cert show: valid, 90 days" \
	grep -qE "^status: +valid, expires in (89|90) days$" "$work/out"
run "cert show --json" 0 -- "$ctl" cert show --json nodes/lb2/node.cert
check "cert show --json: typed fields" python3 -c '
import json, sys, time
d = json.load(open(sys.argv[1]))
now = time.time()
assert d["cluster"] == "t" and d["name"] == "lb2", d
assert d["key_id"] == sys.argv[2] and d["ca_id"] == sys.argv[3], d
assert isinstance(d["not_after"], int) and isinstance(d["not_before"], int)
assert abs(d["not_after"] - (now + 30 * 86400)) < 600, d
assert abs(d["not_before"] - (now - 300)) < 600, d
assert d["not_after_time"] == time.strftime("%Y-%m-%dT%H:%M:%SZ",
					     time.gmtime(d["not_after"])), d
assert d["valid"] is True and d["state"] == "valid", d
assert d["days_left"] in (29, 30), d
' "$work/out" "$(key_id nodes/lb2/node.key)" "$ca_id"
run "cert issue for lb3 (2 s)" 0 -- "$ctl" cert issue --cluster t \
	--ca-key ca/a/ca.key --name lb3 --out-dir nodes/lb3 --valid 2s
sleep 3
run "cert show: an expired cert is shown, not refused" 0 -- \
	"$ctl" cert show nodes/lb3/node.cert
check "cert show: expired" \
	grep -qx "status: *expired less than a day ago" "$work/out"
run "cert show --json: expired" 0 -- "$ctl" cert show nodes/lb3/node.cert --json
check "cert show --json: valid false, state expired" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False and d["state"] == "expired", d
assert d["days_left"] == 0 and d["not_after"] < d["now"], d
' "$work/out"
run "cert show: a key is not a certificate" 1 "not a valid pmgtm certificate" \
	-- "$ctl" cert show nodes/lb1/node.key
run "cert show: missing file" 2 "No such file" -- "$ctl" cert show nope.cert
run "cert show without a file" 1 "FILE is required" -- "$ctl" cert show

# --- cert revoke -------------------------------------------------------
run "cert revoke (every key of lb2, now)" 0 -- "$ctl" cert revoke \
	--ca-key ca/a/ca.key --cluster t --name lb2 --out revoke-lb2
check "cert revoke wrote a file" [ -s revoke-lb2 ]
check "cert revoke: mode 0644" [ "$(mode revoke-lb2)" = 644 ]
check "cert revoke: says every key" grep -q "node lb2, every key" "$work/out"
run "cert revoke (one key, at a time)" 0 -- "$ctl" cert revoke \
	--ca-key ca/a/ca.key --cluster t --name lb1 --key-id "$lb1_id" \
	--at 2026-11-27T11:00:00Z --out revoke-lb1
check "cert revoke: names the key and time" \
	grep -q "key $lb1_id, from 2026-11-27T11:00:00Z" "$work/out"
check "cert revoke: the record carries the key id" python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
assert bytes.fromhex(sys.argv[2]) in b and b"lb1" in b, b
' revoke-lb1 "$lb1_id"
check "cert revoke: revocations differ" [ "$(sum revoke-lb1)" != "$(sum revoke-lb2)" ]
run "cert revoke refuses to replace" 2 "already exists; pass --force" -- \
	"$ctl" cert revoke --ca-key ca/a/ca.key --cluster t --name lb2 \
	--out revoke-lb2
run "cert revoke --force" 0 -- "$ctl" cert revoke --ca-key ca/a/ca.key \
	--cluster t --name lb2 --out revoke-lb2 --force --at 1800000000
run "cert revoke: a CA public key as --ca-key" 1 \
	"this is a CA public key, not a CA secret key" -- "$ctl" cert revoke \
	--ca-key ca/a/ca.pub --cluster t --name lb2 --out revoke-x
run "cert revoke: bad key id" 1 "16 hex digits" -- "$ctl" cert revoke \
	--ca-key ca/a/ca.key --cluster t --name lb2 --key-id abc --out revoke-x
run "cert revoke: bad time" 1 "RFC 3339" -- "$ctl" cert revoke \
	--ca-key ca/a/ca.key --cluster t --name lb2 --at 2026-02-30T00:00:00Z \
	--out revoke-x
run "cert revoke without --cluster" 1 "--cluster is required" -- "$ctl" \
	cert revoke --ca-key ca/a/ca.key --name lb2 --out revoke-x
run "cert revoke: invalid node name" 1 "invalid node name" -- "$ctl" \
	cert revoke --ca-key ca/a/ca.key --cluster t --name LB2 --out revoke-x
check "refused revocations wrote nothing" [ ! -e revoke-x ]

# --- revoke (what pmgtmctl checks before asking a daemon) ----------------
run "revoke: not a revocation" 1 "not a revocation" -- "$ctl" revoke \
	nodes/lb1/node.cert -s "$work/none.sock"
run "revoke: missing file" 2 "No such file" -- "$ctl" revoke nope \
	-s "$work/none.sock"
head -c 5000 /dev/zero >big.rev
run "revoke: too large" 1 "larger than a revocation" -- "$ctl" revoke \
	big.rev -s "$work/none.sock"
run "revoke: no daemon" 1 "cannot connect to $work/none.sock" -- "$ctl" \
	revoke revoke-lb1 -s "$work/none.sock"
run "revoke without a file" 1 "FILE is required" -- "$ctl" revoke

# --- renewal: a new certificate for the same key ------------------------
run "renewal without --force is refused" 2 "node.cert already exists" -- \
	"$ctl" cert issue --cluster t --ca-key ca/a/ca.key --name lb1 --out-dir nodes/lb1 \
	--node-key nodes/lb1/node.key
keysum=$(sum nodes/lb1/node.key)
run "renewal with --force" 0 -- "$ctl" cert issue --cluster t --ca-key ca/a/ca.key \
	--name lb1 --out-dir nodes/lb1 --node-key nodes/lb1/node.key --force \
	--days 730
check "renewal kept the key" [ "$(sum nodes/lb1/node.key)" = "$keysum" ]
run "renewed cert matches the key" 0 -- "$ctl" cert verify \
	--ca-pub ca/a/ca.pub --cert nodes/lb1/node.cert --key nodes/lb1/node.key \
	--at $((now + 700 * 86400))

# --- the command line itself --------------------------------------------
run "--version" 0 -- "$ctl" --version
run "--help" 0 -- "$ctl" --help
run "unknown command" 1 "unknown command" -- "$ctl" frobnicate
run "no command" 1 -- "$ctl"

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
