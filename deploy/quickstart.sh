#!/usr/bin/env bash
# The local demo: install what pmgtm needs, build it, make a cluster CA and
# three node certificates, start three nodes on 127.0.0.11-13 (DNS :53,
# gossip :7946, /metrics :9153), each authoritative for api.example.com,
# then walk through them: dig each node, members, drain lb2 from lb1 with
# --wait, dig again, reachability, a /metrics excerpt, undrain --wait.
#
#   sudo ./deploy/quickstart.sh          stops everything it started at the
#                                        end (also on error or Ctrl-C)
#   sudo ./deploy/quickstart.sh --keep   leaves the nodes running and prints
#                                        how to stop them (RUN/stop.sh)
#
# --once is accepted and ignored (stopping at the end is the default).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: sudo $0 [--keep]"
	echo "  --keep  leave the three nodes running; prints the stop command"
}
keep=0
for arg in "$@"; do
	case $arg in
	--keep) keep=1 ;;
	--once) ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && exit 2 ;;
	esac
done
if [ "$(id -u)" -ne 0 ]; then
	echo "quickstart: run as root (the nodes bind port 53): sudo $0 $*" >&2
	exit 1
fi

step() { printf '\n== %s\n' "$*"; }

# Refuse to start next to something that already holds our ports (a cluster
# left running with --keep, a local resolver on 0.0.0.0:53...).
ips=(127.0.0.11 127.0.0.12 127.0.0.13)
busy=$(ss -Hlntu 2>/dev/null | awk '{print $5}' |
	grep -E '^(127\.0\.0\.1[123]|0\.0\.0\.0|\*|\[::\]):(53|7946|9153)$' |
	sort -u | tr '\n' ' ' || true)
if [ -n "$busy" ]; then
	echo "quickstart: already in use: $busy" >&2
	for s in /tmp/pmgtm-quickstart.*/stop.sh; do
		[ -e "$s" ] && echo "  a cluster left running with --keep? stop it: $s" >&2
	done
	exit 1
fi

step "installing dependencies (deploy/install-deps.sh)"
bash deploy/install-deps.sh
echo "ok"
step "building into build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "ok: build/pmgtmd, build/pmgtmctl"
ctl=$PWD/build/pmgtmctl
pmgtmd=$PWD/build/pmgtmd

run=$(mktemp -d /tmp/pmgtm-quickstart.XXXXXX)
chmod 755 "$run"

# stop.sh stops the nodes listed in $run/pids (only while they are still
# these pmgtmd processes), bounded: SIGTERM (a graceful leave), up to 10 s,
# then SIGKILL; then removes $run. Used at the end and printed by --keep.
cat >"$run/stop.sh" <<EOF
#!/bin/sh
# Stops the pmgtm quickstart cluster in $run and removes that directory.
ours() { tr '\\0' ' ' 2>/dev/null <"/proc/\$1/cmdline" | grep -qF "$run/lb"; }
pids=\$(cat "$run/pids" 2>/dev/null)
for p in \$pids; do ours "\$p" && kill "\$p"; done
n=0
while [ \$n -lt 100 ]; do
	left=
	for p in \$pids; do ours "\$p" && left="\$left \$p"; done
	[ -z "\$left" ] && break
	sleep 0.1
	n=\$((n + 1))
done
for p in \$left; do ours "\$p" && kill -9 "\$p"; done
rm -rf "$run"
EOF
chmod 755 "$run/stop.sh"
: >"$run/pids"

stop_all() { sh "$run/stop.sh"; }
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo >&2
	echo "quickstart: $*" >&2
	for i in 1 2 3; do
		echo "--- last lines of $run/lb$i.log" >&2
		grep -v 'msg="control command"' "$run/lb$i.log" 2>/dev/null |
			tail -n 12 >&2 || true
	done
	exit 1
}

step "a cluster CA and three node certificates in $run"
$ctl ca init --dir "$run/ca" >/dev/null
for i in 1 2 3; do
	ip=${ips[i - 1]}
	$ctl cert issue --ca-key "$run/ca/ca.key" --cluster quickstart \
		--name lb$i \
		--out-dir "$run/lb$i" >/dev/null
	mkdir -p "$run/lb$i/state"
	# ttl 5: drain/undrain --wait waits one zone TTL after lb2 applied it
	cat >"$run/lb$i.yaml" <<YAML
node:
  name: lb$i
  addresses: [$ip]
  ns_name: lb$i.api.example.com
  state_dir: $run/lb$i/state
  key_file: $run/lb$i/node.key
  cert_file: $run/lb$i/node.cert
dns:
  listen: ["$ip:53"]
  zones:
    - name: api.example.com
      ttl: 5
      soa: { rname: hostmaster.example.com, serial: 1 }
cluster:
  name: quickstart
  listen: "$ip:7946"
  seeds: ["127.0.0.11:7946"]
  ca_file: $run/ca/ca.pub
  profile: lan
control:
  socket: $run/lb$i/control.sock
metrics:
  listen: "$ip:9153"
log:
  level: info
YAML
	echo "lb$i: $ip  config $run/lb$i.yaml  log $run/lb$i.log"
done

step "starting lb1-lb3"
for i in 1 2 3; do
	# own session: the nodes do not see the terminal's Ctrl-C; the trap
	# above stops them
	setsid "$pmgtmd" -c "$run/lb$i.yaml" </dev/null >"$run/lb$i.log" 2>&1 &
	echo $! >>"$run/pids"
done
read -r -a pids <<<"$(tr '\n' ' ' <"$run/pids")"

# Bounded wait (20 s in all): every node running, serving and seeing
# three alive members.
ready() {
	local i=$1 sock=$run/lb$1/control.sock
	$ctl -s "$sock" status --json 2>/dev/null | grep -q '"serving": *true' &&
		[ "$($ctl -s "$sock" members --json 2>/dev/null |
			grep -o '"state": *"alive"' | wc -l)" = 3 ]
}
n=0
for i in 1 2 3; do
	until ready $i; do
		for j in 1 2 3; do
			kill -0 "${pids[j - 1]}" 2>/dev/null || fail "lb$j exited"
		done
		[ $n -lt 200 ] || fail "lb$i not serving with 3 alive members after 20 s"
		sleep 0.1
		n=$((n + 1))
	done
done
echo "pids ${pids[*]}: all serving, each sees 3 alive members"
sleep 1.5 # one probe round, so members shows round-trip times

on() { # on lbN pmgtmctl ARGS...: runs it on that node, showing the command
	local node=$1
	shift
	local shown=pmgtmctl a
	for a in "$@"; do
		case $a in *' '*) shown+=" \"$a\"" ;; *) shown+=" $a" ;; esac
	done
	echo "[$node]\$ $shown"
	$ctl -s "$run/$node/control.sock" "$@"
}
digs() {
	for i in 1 2 3; do
		ip=${ips[i - 1]}
		printf 'dig @%s www.api.example.com A  ->  %-24s (id.server: %s)\n' \
			"$ip" "$(dig +short +time=2 +tries=1 @"$ip" www.api.example.com A |
				tr '\n' ' ')" \
			"$(dig +short +time=2 +tries=1 @"$ip" id.server CH TXT)"
	done
}
ns() {
	printf 'dig @127.0.0.11 api.example.com NS       ->  %s\n' \
		"$(dig +short +time=2 +tries=1 @127.0.0.11 api.example.com NS |
			sort | tr '\n' ' ')"
}

step "each node answers api.example.com with its own address"
digs
ns

step "the cluster as lb1 sees it"
on lb1 members

step "drain lb2 from lb1, waiting until every node has it and one TTL passed"
on lb1 drain lb2 --reason "quickstart demo" --wait --timeout 60s ||
	fail "drain lb2 --wait failed"

step "lb2 still answers, with the addresses of the active members (drain_mode redirect)"
digs
echo
on lb3 members

step "reachability: who reaches whom, as each observer publishes it"
# observers publish every 10 s (profile lan): wait (bounded) for all three
n=0
while [ "$($ctl -s "$run/lb1/control.sock" reachability --json |
	grep -o '"age_s"' | wc -l)" -lt 3 ] && [ $n -lt 150 ]; do
	sleep 0.1
	n=$((n + 1))
done
on lb1 reachability

step "/metrics on lb2 (excerpt)"
url=http://127.0.0.12:9153/metrics
pat='^pmgtm_(ready|serving|drained|members|member_drained|peer_reachable)[ {]|zone="api.example.com",rcode="NOERROR"'
echo "\$ curl -s $url | grep -E '$pat'"
if command -v curl >/dev/null; then
	metrics=$(curl -s --max-time 5 "$url") || fail "GET $url failed"
else # no curl: plain HTTP/1.0 over bash's /dev/tcp
	exec 3<>/dev/tcp/127.0.0.12/9153 || fail "cannot connect to $url"
	printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.12\r\n\r\n' >&3
	metrics=$(timeout 5 cat <&3 | tr -d '\r' | sed '1,/^$/d')
	exec 3<&-
fi
grep -E "$pat" <<<"$metrics" || fail "no pmgtm_ metrics at $url"
echo "... $(grep -c '^[a-z]' <<<"$metrics") samples in all"

step "undrain lb2 from lb3, waiting again"
on lb3 undrain lb2 --wait --timeout 60s || fail "undrain lb2 --wait failed"
echo
digs

if [ $keep = 1 ]; then
	trap - EXIT INT TERM
	step "the cluster keeps running (--keep)"
	echo "nodes:   lb1-lb3 on 127.0.0.11-13, pids ${pids[*]}"
	echo "run dir: $run (configs, logs lbN.log, sockets lbN/control.sock)"
	echo "try:     $ctl -s $run/lb1/control.sock members"
	echo "         dig @127.0.0.12 www.api.example.com A"
	echo "         curl -s http://127.0.0.11:9153/metrics"
	echo "stop:    ${SUDO_USER:+sudo }$run/stop.sh"
else
	step "stopping lb1-lb3 and removing $run (--keep leaves them running)"
	stop_all
	trap - EXIT
	echo "done"
fi
