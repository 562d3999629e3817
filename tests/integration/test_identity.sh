#!/usr/bin/env bash
# The cluster identity from the operator's side: pmgtmctl ca init, cert
# issue and cert verify on real files. Checks file modes, refusals (exit
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
check "node.cert is an array of 6 (0x96)" \
	[ "$(head -c 1 nodes/lb1/node.cert | od -An -tx1 | tr -d ' ')" = 96 ]
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
