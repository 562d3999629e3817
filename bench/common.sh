# shellcheck shell=bash
# Shared by bench/dnsperf.sh and bench/callgrind.sh (sourced, not run).
#
# Expects: TMP (the run's temp dir), PMGTMD (binary). Defines the zone, the
# per-server addresses, config writers, start-up checks and /proc readers.
# All servers listen on 127.0.0.61-63 only.

ZONE=api.example.com
ANSWER=127.0.0.1 # the A record every name answers with
TTL=30

# server -> listen address and port (all on loopback).
declare -A ADDR=([pmgtmd]=127.0.0.61 [knot]=127.0.0.62 [nsd]=127.0.0.63)
declare -A PORT=([pmgtmd]=5300 [knot]=5301 [nsd]=5302)

log() { printf '%s\n' "$*" >&2; }

write_zonefile() { # $1: file, $2: address of the NS glue
	cat >"$1" <<EOF
\$ORIGIN $ZONE.
\$TTL $TTL
@	IN SOA	lb1.$ZONE. hostmaster.$ZONE. 1 3600 600 86400 $TTL
@	IN NS	lb1.$ZONE.
lb1	IN A	$2
@	IN A	$ANSWER
*	IN A	$ANSWER
EOF
}

# write_queries FILE N: N distinct names below the zone, plus the apex after
# every 10th name.
write_queries() {
	awk -v n="$2" -v z="$ZONE" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "w%04d.%s A\n", i, z
			if (i % 10 == 9) printf "%s A\n", z
		}
	}' >"$1"
}

# config_SERVER DIR: writes the server's config (and zone) under DIR and
# prints the command line (one word per line) that runs it in the foreground.
config_pmgtmd() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/pmgtmd.yaml" <<EOF
node:
  name: bench
  addresses: [$ANSWER]
dns:
  listen: ["${ADDR[pmgtmd]}:${PORT[pmgtmd]}"]
  zones:
    - name: $ZONE
      ttl: $TTL
      ns: ["lb1.$ZONE ${ADDR[pmgtmd]}"]
log:
  level: warn
EOF
	printf '%s\n' "$PMGTMD" -c "$d/pmgtmd.yaml"
}

config_knot() {
	local d=$1
	mkdir -p "$d/run" "$d/db" "$d/zones"
	write_zonefile "$d/zones/$ZONE.zone" "${ADDR[knot]}"
	# Knot 3.2 has no built-in rate limiting (only mod-rrl, not loaded here).
	cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d/run"
    pidfile: "$d/run/knot.pid"
    user: root:root
    listen: ${ADDR[knot]}@${PORT[knot]}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$d/run/knot.sock"
database:
    storage: "$d/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$d/zones"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $ZONE
    file: "$ZONE.zone"
EOF
	printf '%s\n' knotd -c "$d/knot.conf"
}

config_nsd() {
	local d=$1
	mkdir -p "$d/xfr"
	write_zonefile "$d/$ZONE.zone" "${ADDR[nsd]}"
	# minimal-responses: like the other two, no NS RRset added to answers.
	# database "" and zonefiles-write 0: nothing is written back.
	cat >"$d/nsd.conf" <<EOF
server:
    server-count: 1
    ip-address: ${ADDR[nsd]}@${PORT[nsd]}
    do-ip6: no
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "$d"
    database: ""
    zonefiles-write: 0
    zonefiles-check: no
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    xfrdir: "$d/xfr"
    pidfile: "$d/nsd.pid"
    logfile: "$d/nsd.log"
    verbosity: 0
    hide-version: yes
    minimal-responses: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: $ZONE
    zonefile: "$d/$ZONE.zone"
EOF
	printf '%s\n' nsd -d -c "$d/nsd.conf"
}

server_binary() { # $1: server
	case $1 in
	pmgtmd) echo "$PMGTMD" ;;
	knot) command -v knotd || echo knotd ;;
	nsd) command -v nsd || echo nsd ;;
	esac
}

server_version() { # $1: server
	case $1 in
	pmgtmd) timeout 2 "$PMGTMD" --version </dev/null 2>/dev/null | head -n 1 || true ;;
	knot) knotd -V 2>/dev/null | head -n 1 || true ;;
	nsd) nsd -v 2>&1 | head -n 1 || true ;;
	esac
}

# dig server $1 for name $2: NOERROR, aa, and A $ANSWER in the answer.
# Prints the response size on success, the reason and dig's output if not.
check_answer() {
	local s=$1 name=$2 out
	out=$(timeout 10 dig +norec +time=3 +tries=1 -p "${PORT[$s]}" @"${ADDR[$s]}" "$name" A 2>&1) || {
		echo "dig $name failed: $out"
		return 1
	}
	grep -q 'status: NOERROR' <<<"$out" || { echo "$name: not NOERROR"; echo "$out"; return 1; }
	grep -Eq 'flags:[a-z ]* aa[ ;]' <<<"$out" || { echo "$name: no aa flag"; echo "$out"; return 1; }
	grep -Eq "^$name\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+$ANSWER\$" <<<"$out" || {
		echo "$name: answer is not A $ANSWER"
		echo "$out"
		return 1
	}
	sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\)/\1/p' <<<"$out"
}

check_all_answers() { # $1: server; prints "name:sizeB ..." or the failure
	local s=$1 name out sizes=""
	for name in "$ZONE" "w0042.$ZONE" "x.y.w9999.$ZONE"; do
		out=$(check_answer "$s" "$name") || { echo "$out"; return 1; }
		sizes+="$name:${out}B "
	done
	echo "$sizes"
}

wait_ready() { # $1: server, $2: pid, $3: seconds (default 10)
	local s=$1 p=$2
	for _ in $(seq $((${3:-10} * 10))); do
		kill -0 "$p" 2>/dev/null || return 1
		if timeout 2 dig +norec +time=1 +tries=1 -p "${PORT[$s]}" @"${ADDR[$s]}" "$ZONE" SOA 2>/dev/null |
			grep -q 'status:'; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

alive() { # $@: pids; true while one of them runs (zombies do not count)
	local p st
	for p in "$@"; do
		st=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | cut -d' ' -f1) || continue
		[ -n "$st" ] && [ "$st" != Z ] && return 0
	done
	return 1
}

# stop_pid PID [SECONDS]: TERM to PID, then up to SECONDS (default 5) for it
# and the processes it had started to go; KILL to what is left. Reaps PID.
stop_pid() {
	local p=$1 tree
	tree=$(proc_tree "$p")
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq $((${2:-5} * 10))); do
		# shellcheck disable=SC2086
		alive $tree || break
		sleep 0.1
	done
	# shellcheck disable=SC2086
	alive $tree && kill -KILL $tree 2>/dev/null
	wait "$p" 2>/dev/null || true
}

# The process and every process below it (NSD forks xfrd and a server child).
proc_tree() {
	local p=$1 c
	echo "$p"
	# Each children file lists pids followed by a space.
	while read -r -d ' ' c; do
		proc_tree "$c"
	done < <(cat /proc/"$p"/task/*/children 2>/dev/null)
}

cpu_ticks() { # utime+stime of the whole tree (all threads), in clock ticks
	local p t=0 v
	for p in $(proc_tree "$1"); do
		# After the ")" closing comm: state is $1, utime $12, stime $13.
		v=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{ print $12 + $13 }') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

mem_kib() { # "RSS PSS" in KiB, summed over the tree
	local p rss=0 pss=0 v
	for p in $(proc_tree "$1"); do
		v=$(awk '/^VmRSS:/ { print $2 }' /proc/"$p"/status 2>/dev/null) || v=0
		rss=$((rss + ${v:-0}))
		v=$(awk '/^Pss:/ { print $2 }' /proc/"$p"/smaps_rollup 2>/dev/null) || v=0
		pss=$((pss + ${v:-0}))
	done
	echo "$rss $pss"
}

show_logs() { # $1: dir of a server's files
	local f
	for f in "$1"/err.log "$1"/out.log "$1"/nsd.log; do
		[ -s "$f" ] || continue
		log "   --- $(basename "$f") (last lines):"
		tail -n 15 "$f" | sed 's/^/   /' >&2
	done
}

# cpu_busy_ticks CPU...: ticks those CPUs were not idle (user, nice, system,
# irq, softirq, and steal by the hypervisor), summed.
cpu_busy_ticks() {
	awk -v l=" $* " '$1 ~ /^cpu[0-9]/ && index(l, " " substr($1, 4) " ") { t += $2 + $3 + $4 + $7 + $8 + $9 }
		END { print t + 0 }' /proc/stat
}
