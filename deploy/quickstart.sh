#!/usr/bin/env bash
# The main job: build pmgtm, start three nodes on 127.0.0.11-13:53, each
# authoritative for api.example.com, and query them with dig. Each answers
# with its own address; NS names get their member's address everywhere.
# Run as root. Interactive: keeps the nodes up until Ctrl-C. Otherwise (or
# with --once) stops them after the demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null

run=$(mktemp -d /tmp/pmgtm-quickstart.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$run"
}
trap cleanup EXIT INT TERM

for i in 1 2 3; do
	ip=127.0.0.1$i
	cat >"$run/lb$i.yaml" <<YAML
node:
  name: lb$i
  addresses: [$ip]
  ns_name: lb$i.api.example.com
dns:
  listen: ["$ip:53"]
  zones:
    - name: api.example.com
      ttl: 30
      ns: ["lb1.api.example.com 127.0.0.11", "lb2.api.example.com 127.0.0.12",
           "lb3.api.example.com 127.0.0.13"]
      soa: { rname: hostmaster.example.com, serial: 1 }
log:
  level: info
YAML
	build/pmgtmd -c "$run/lb$i.yaml" 2>"$run/lb$i.log" &
	pids+=($!)
done

# Wait until every node answers (bounded).
for i in 1 2 3; do
	for _ in $(seq 50); do
		dig +short +time=1 +tries=1 @127.0.0.1$i api.example.com A \
			>/dev/null 2>&1 && break
		sleep 0.1
	done
done

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
echo "== the delegation, identical on every node"
dig +norec +noall +answer +additional @127.0.0.11 api.example.com NS
echo
echo "== lb2.api.example.com asked at lb3 (a member's NS name: its address)"
dig +short @127.0.0.13 lb2.api.example.com A
echo
echo "Nodes run standalone for now: membership, 'pmgtmctl members' and drains"
echo "arrive with the cluster (gossip) work."

if [ -t 0 ] && [ "${1:-}" != "--once" ]; then
	echo
	echo "Three nodes are up on 127.0.0.11-13:53 (logs in $run). Ctrl-C stops them."
	wait
fi
