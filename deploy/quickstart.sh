#!/usr/bin/env bash
# The main job: build pmgtm, make a cluster CA and three node certificates,
# start three nodes on 127.0.0.11-13 (DNS on :53, gossip on :7946), each
# authoritative for api.example.com, then show that each answers with its
# own address and that they know each other (pmgtmctl members).
# Run as root. Interactive: keeps the nodes up until Ctrl-C. Otherwise (or
# with --once) stops them after the demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
ctl=build/pmgtmctl

run=$(mktemp -d /tmp/pmgtm-quickstart.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$run"
}
trap cleanup EXIT INT TERM

$ctl ca init --dir "$run/ca" >/dev/null
for i in 1 2 3; do
	ip=127.0.0.1$i
	$ctl cert issue --ca-key "$run/ca/ca.key" --name lb$i \
		--out-dir "$run/lb$i" >/dev/null
	mkdir -p "$run/lb$i/state"
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
      ttl: 30
      soa: { rname: hostmaster.example.com, serial: 1 }
cluster:
  name: quickstart
  listen: "$ip:7946"
  seeds: ["127.0.0.11:7946"]
  ca_file: $run/ca/ca.pub
  profile: lan
control:
  socket: $run/lb$i/control.sock
log:
  level: info
YAML
	build/pmgtmd -c "$run/lb$i.yaml" 2>"$run/lb$i.log" &
	pids+=($!)
done

# Wait until every node answers and sees three alive members (bounded).
for i in 1 2 3; do
	for _ in $(seq 100); do
		n=$($ctl -s "$run/lb$i/control.sock" members --json 2>/dev/null |
			grep -o '"state":"alive"' | wc -l || true)
		[ "$n" = 3 ] && break
		sleep 0.1
	done
done

sleep 1.5 # one probe round, so members shows round-trip times

echo "== each node answers api.example.com with its own address"
for i in 1 2 3; do
	printf 'dig @127.0.0.1%s www.api.example.com A  ->  %s\n' "$i" \
		"$(dig +short @127.0.0.1$i www.api.example.com A)"
done
echo
echo "== which node answered (CH TXT id.server)"
for i in 1 2 3; do
	printf 'dig @127.0.0.1%s id.server CH TXT  ->  %s\n' "$i" \
		"$(dig +short @127.0.0.1$i id.server CH TXT)"
done
echo
echo "== the delegation, learned by gossip, identical on every node"
dig +norec +noall +answer +additional @127.0.0.12 api.example.com NS
echo
echo "== pmgtmctl members (on lb2)"
$ctl -s "$run/lb2/control.sock" members
echo
echo "== pmgtmctl status (on lb3)"
$ctl -s "$run/lb3/control.sock" status
echo
echo "== drain lb2 from lb1: lb2 keeps answering, with the active members' addresses"
$ctl -s "$run/lb1/control.sock" drain lb2 --reason "quickstart demo"
sleep 0.5
printf 'dig @127.0.0.12 www.api.example.com A  ->  %s\n' \
	"$(dig +short @127.0.0.12 www.api.example.com A | sort | tr '\n' ' ')"
echo
echo "== pmgtmctl members (on lb3): who drained lb2, and why"
$ctl -s "$run/lb3/control.sock" members
echo
echo "== undrain lb2 from lb3"
$ctl -s "$run/lb3/control.sock" undrain lb2
sleep 0.5
printf 'dig @127.0.0.12 www.api.example.com A  ->  %s\n' \
	"$(dig +short @127.0.0.12 www.api.example.com A)"

if [ -t 0 ] && [ "${1:-}" != "--once" ]; then
	echo
	echo "Three nodes are up on 127.0.0.11-13 (logs and sockets in $run)."
	echo "Try: $ctl -s $run/lb1/control.sock members --json"
	echo "Ctrl-C stops them."
	wait
fi
