#!/usr/bin/env bash
# Benchmark: pmgtmd vs Knot vs NSD serving the equivalent wildcard zone on
# loopback, measured with dnsperf. Not a test: it never fails on numbers.
#
#   bench/dnsperf.sh [PMGTMD_BINARY] [--json FILE] [--kv FILE]
#                    [--servers pmgtmd,knot,nsd]
#
# Environment: PMGTMD (binary, default build/pmgtmd), DURATION (seconds per
# measured run, default 10), WARMUP (seconds before each run, default 1),
# REPEAT (rounds; a round measures each server once; medians reported,
# default 3), CLIENTS (dnsperf -c, default 4), OUTSTANDING (dnsperf -q,
# default 100), NAMES (distinct query names, default 10000), SERVER_CPU
# (default 0), CLIENT_CPU (default 1), WAIT_QUIET (seconds in all to wait
# for idle CPUs before the measurements, default 0), RATE (dnsperf -Q:
# queries/s offered, default 0 = as fast as it can), KEEP_TMP=1 keeps the
# temp dir.
#
# All traffic goes to 127.0.0.61-63 only. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

JSON_OUT=""
KV_OUT=""
SERVERS="pmgtmd,knot,nsd"
POS_PMGTMD=""
while [ $# -gt 0 ]; do
	case "$1" in
	--json) JSON_OUT=${2:?--json needs a file}; shift 2 ;;
	--json=*) JSON_OUT=${1#--json=}; shift ;;
	--kv) KV_OUT=${2:?--kv needs a file}; shift 2 ;;
	--kv=*) KV_OUT=${1#--kv=}; shift ;;
	--servers) SERVERS=${2:?--servers needs a list}; shift 2 ;;
	--servers=*) SERVERS=${1#--servers=}; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
	-*) echo "unknown option: $1" >&2; exit 2 ;;
	*) POS_PMGTMD=$1; shift ;;
	esac
done

PMGTMD=${POS_PMGTMD:-${PMGTMD:-$ROOT/build/pmgtmd}}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
REPEAT=${REPEAT:-3}
CLIENTS=${CLIENTS:-4}
OUTSTANDING=${OUTSTANDING:-100}
NAMES=${NAMES:-10000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
WAIT_QUIET=${WAIT_QUIET:-0}
RATE=${RATE:-0}

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
declare -A PID=() STATUS=() RESULT=()

for tool in dnsperf dig taskset awk getconf; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool (deploy/install-deps.sh)" >&2; exit 1; }
done
for v in DURATION WARMUP REPEAT CLIENTS OUTSTANDING NAMES SERVER_CPU CLIENT_CPU WAIT_QUIET RATE; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
if [ "$REPEAT" -lt 1 ] || [ "$DURATION" -lt 1 ]; then echo "DURATION and REPEAT must be >= 1" >&2; exit 2; fi
IFS=, read -r -a SERVER_LIST <<<"$SERVERS"
for s in "${SERVER_LIST[@]}"; do
	[ -n "${ADDR[$s]:-}" ] || { echo "unknown server: $s (pmgtmd, knot, nsd)" >&2; exit 2; }
done

CLK_TCK=$(getconf CLK_TCK)
CPUS=("$SERVER_CPU" "$CLIENT_CPU")
NCPU=$(getconf _NPROCESSORS_ONLN)
if [ "$SERVER_CPU" -ge "$NCPU" ] || [ "$CLIENT_CPU" -ge "$NCPU" ]; then
	echo "warning: only $NCPU CPUs; pinning to CPU 0 for both server and dnsperf" >&2
	SERVER_CPU=0 CLIENT_CPU=0 CPUS=(0)
fi

TMP=$(mktemp -d /tmp/pmgtm-bench.XXXXXX)
CLIENT_PID=""
cleanup() {
	local rc=$? s
	trap - EXIT INT TERM
	[ -n "$CLIENT_PID" ] && stop_pid "$CLIENT_PID" 2
	for s in "${!PID[@]}"; do kill -TERM "${PID[$s]}" 2>/dev/null || true; done
	for s in "${!PID[@]}"; do stop_pid "${PID[$s]}" 5; done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "temp dir kept: $TMP" >&2
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- inputs
write_queries "$TMP/queries.txt" "$NAMES"
NQUERYLINES=$(wc -l <"$TMP/queries.txt")

# ---------------------------------------------------------------- servers
start_server() { # $1: server; sets PID[$1]
	local s=$1 d=$TMP/$1 bin cmd=()
	mkdir -p "$d"
	bin=$(server_binary "$s")
	if [ ! -x "$bin" ] && ! command -v "$bin" >/dev/null; then
		echo "binary not found or not executable: $bin" >"$d/err.log"
		return 1
	fi
	mapfile -t cmd < <("config_$s" "$d")
	taskset -c "$SERVER_CPU" "${cmd[@]}" </dev/null >"$d/out.log" 2>"$d/err.log" &
	PID[$s]=$!
}

fail_server() { # $1: server, $2: reason
	local s=$1
	STATUS[$s]="FAILED: $2"
	log "!! $s: $2"
	show_logs "$TMP/$s"
	if [ -n "${PID[$s]:-}" ]; then
		stop_pid "${PID[$s]}" 2
		unset "PID[$s]"
	fi
}

# ---------------------------------------------------------------- dnsperf
# In the background + wait, so that a signal to this script is handled at
# once (bash runs traps only after a foreground command ends).
run_dnsperf() { # $1: server, $2: seconds, $3: output file
	local s=$1 rc=0 rate=()
	[ "$RATE" -gt 0 ] && rate=(-Q "$RATE")
	timeout $(($2 + 30)) taskset -c "$CLIENT_CPU" dnsperf -s "${ADDR[$s]}" -p "${PORT[$s]}" \
		-d "$TMP/queries.txt" -l "$2" -c "$CLIENTS" -q "$OUTSTANDING" -t 2 "${rate[@]}" \
		>"$3" 2>&1 &
	CLIENT_PID=$!
	wait "$CLIENT_PID" || rc=$?
	CLIENT_PID=""
	return "$rc"
}

dp_field() { # $1: file, $2: label → the first number after "label:"
	sed -n "s/^ *$2: *\([0-9.]*\).*/\1/p" "$1" | head -n 1
}

# User+sys of this shell's reaped children so far, in ms. `times` must run in
# this shell, not in a $(...) subshell, hence the file.
child_cpu_ms() {
	times >"$TMP/times"
	awk 'NR == 2 {
		split($1, u, /[ms]/); split($2, y, /[ms]/)
		printf "%d\n", (u[1] * 60 + u[2] + y[1] * 60 + y[2]) * 1000 }' "$TMP/times"
}

# wait_quiet: with WAIT_QUIET=N, waits (N seconds in all over the whole run,
# at most) until the CPUs are less than 15 % busy over 2 s.
QUIET_LEFT=$WAIT_QUIET
wait_quiet() {
	local b0 b1 pct
	while [ "$QUIET_LEFT" -gt 0 ]; do
		b0=$(cpu_busy_ticks "${CPUS[@]}")
		sleep 2
		b1=$(cpu_busy_ticks "${CPUS[@]}")
		pct=$(((b1 - b0) * 100 / (2 * CLK_TCK)))
		[ "$pct" -lt 15 ] && return 0
		[ "$QUIET_LEFT" = "$WAIT_QUIET" ] && log "   machine busy ($pct% of one CPU): waiting up to ${WAIT_QUIET}s in all for quiet"
		QUIET_LEFT=$((QUIET_LEFT - 2))
		[ "$QUIET_LEFT" -le 0 ] && log "   WAIT_QUIET used up: measuring on a busy machine"
	done
	return 0
}

# measure SERVER ROUND: a warm-up and a measured dnsperf run; fills
# RESULT[server,round,*].
measure() {
	local s=$1 r=$2 out=$TMP/$1/dnsperf.$2.txt t0 t1 o0 o1 c0 c1 w0 w1 runtime comp lost sent qps noerr
	wait_quiet
	if [ "$WARMUP" -gt 0 ]; then
		run_dnsperf "$s" "$WARMUP" "$TMP/$s/warmup.$r.txt" || true
	fi
	t0=$(cpu_ticks "${PID[$s]}")
	o0=$(cpu_busy_ticks "${CPUS[@]}")
	child_cpu_ms >"$TMP/c0"
	w0=$(date +%s%3N)
	if ! run_dnsperf "$s" "$DURATION" "$out"; then
		log "!! $s: dnsperf failed:"
		sed 's/^/   /' "$out" >&2
		return 1
	fi
	w1=$(date +%s%3N)
	t1=$(cpu_ticks "${PID[$s]}")
	o1=$(cpu_busy_ticks "${CPUS[@]}")
	child_cpu_ms >"$TMP/c1"
	c0=$(cat "$TMP/c0")
	c1=$(cat "$TMP/c1")
	kill -0 "${PID[$s]}" 2>/dev/null || { log "!! $s died during the run"; return 1; }
	sent=$(dp_field "$out" 'Queries sent')
	comp=$(dp_field "$out" 'Queries completed')
	lost=$(dp_field "$out" 'Queries lost')
	qps=$(dp_field "$out" 'Queries per second')
	noerr=$(sed -n 's/.*Response codes:.*NOERROR \([0-9]*\).*/\1/p' "$out" | head -n 1)
	if [ -z "$comp" ] || [ -z "$qps" ] || [ "${comp:-0}" -eq 0 ]; then
		log "!! $s: no completed queries:"
		sed 's/^/   /' "$out" >&2
		return 1
	fi
	if [ "${noerr:-0}" != "$comp" ]; then
		log "!! $s: not every response was NOERROR:"
		grep 'Response codes' "$out" | sed 's/^/   /' >&2
	fi
	# dnsperf's run time is the load phase; after it dnsperf waits up to
	# -t 2 s for lost queries (spinning), so the window can be longer.
	runtime=$(dp_field "$out" 'Run time (s)')
	RESULT[$s,$r,sent]=$sent
	RESULT[$s,$r,comp]=$comp
	RESULT[$s,$r,lost]=$lost
	RESULT[$s,$r,qps]=$qps
	RESULT[$s,$r,cpu_us]=$(((t1 - t0) * 1000000 / CLK_TCK))
	RESULT[$s,$r,client_ms]=$((c1 - c0))
	RESULT[$s,$r,run_ms]=$(awk -v t="${runtime:-$DURATION}" 'BEGIN { printf "%d", t * 1000 }')
	RESULT[$s,$r,window_ms]=$((w1 - w0))
	RESULT[$s,$r,resp]=$(sed -n 's/.*Average packet size:.*response \([0-9]*\).*/\1/p' "$out")
	RESULT[$s,$r,lat]=$(dp_field "$out" 'Average Latency (s)')
	# Derived: the server's % of its CPU over the run time; dnsperf's over
	# the window; others = busy time of the two CPUs spent by neither
	# (other processes, interrupts, hypervisor steal), % of one CPU.
	local d1 d2 d3 d4 d5
	read -r d1 d2 d3 d4 d5 < <(
		awk -v l="$lost" -v n="$sent" -v c="$comp" -v us="${RESULT[$s,$r,cpu_us]}" \
			-v cl="${RESULT[$s,$r,client_ms]}" -v run="${RESULT[$s,$r,run_ms]}" \
			-v win="${RESULT[$s,$r,window_ms]}" -v busy=$((o1 - o0)) -v hz="$CLK_TCK" 'BEGIN {
			o = busy * 1000 / hz - us / 1000 - cl
			if (o < 0) o = 0
			if (win < 1) win = 1
			if (run < 1) run = 1
			printf "%.4f %.4f %.1f %.1f %.1f\n", (n ? 100 * l / n : 0), us / c, us / 10 / run,
				cl * 100 / win, o * 100 / win }')
	RESULT[$s,$r,lost_pct]=$d1
	RESULT[$s,$r,cpu_us_per_q]=$d2
	RESULT[$s,$r,srv_cpu_pct]=$d3
	RESULT[$s,$r,cli_cpu_pct]=$d4
	RESULT[$s,$r,other_pct]=$d5
	awk -v s="$s" -v r="$r" -v q="$qps" -v c="$comp" -v l="$lost" -v sent="$sent" \
		-v us="${RESULT[$s,$r,cpu_us]}" -v lat="${RESULT[$s,$r,lat]:-0}" -v cpus="${CPUS[*]}" \
		-v upq="${RESULT[$s,$r,cpu_us_per_q]}" -v sp="${RESULT[$s,$r,srv_cpu_pct]}" \
		-v cp="${RESULT[$s,$r,cli_cpu_pct]}" -v op="${RESULT[$s,$r,other_pct]}" 'BEGIN {
		printf "   %-6s round %d: %7.0f qps, %d/%d completed, %d lost, latency %.3f ms, " \
			"server CPU %.2f s (%.0f%%) = %.3f us/query, dnsperf CPU %.0f%%, others on CPUs %s: %.0f%%\n",
			s, r, q, c, sent, l, lat * 1000, us / 1e6, sp, upq, cp, cpus, op }' >&2
}

# ---------------------------------------------------------------- main
log "== pmgtm DNS benchmark: zone $ZONE, $NQUERYLINES query lines ($NAMES names, every 11th line the apex)"
log "   dnsperf -c $CLIENTS -q $OUTSTANDING$([ "$RATE" -gt 0 ] && echo " -Q $RATE"), ${DURATION}s x $REPEAT rounds (+${WARMUP}s warm-up each), server on CPU $SERVER_CPU, dnsperf on CPU $CLIENT_CPU"
log "   pmgtmd: $PMGTMD"
log "   $(uname -srm), $NCPU CPUs, CLK_TCK=$CLK_TCK, load: $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A VERSION=()
for s in "${SERVER_LIST[@]}"; do
	STATUS[$s]=ok
	if ! start_server "$s"; then
		fail_server "$s" "could not start"
		continue
	fi
	VERSION[$s]=$(server_version "$s")
	if ! wait_ready "$s" "${PID[$s]}" 10; then
		if kill -0 "${PID[$s]}" 2>/dev/null; then
			fail_server "$s" "no answer on ${ADDR[$s]}:${PORT[$s]} within 10 s"
		else
			fail_server "$s" "exited during start-up"
		fi
		continue
	fi
	if ! out=$(check_all_answers "$s"); then
		log "$out"
		fail_server "$s" "wrong answer (see above)"
		continue
	fi
	log "   $s: ready on ${ADDR[$s]}:${PORT[$s]}, pid ${PID[$s]}, ${VERSION[$s]:-?}; answers ok: $out"
done

for r in $(seq "$REPEAT"); do
	for s in "${SERVER_LIST[@]}"; do
		[ "${STATUS[$s]}" = ok ] || continue
		if ! measure "$s" "$r"; then
			fail_server "$s" "measurement failed (see above)"
		fi
	done
done

# Medians over the rounds, per server.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
per_round() { # $1: server, $2: round, $3: metric
	echo "${RESULT[$1,$2,$3]}"
}
declare -A FINAL=()
for s in "${SERVER_LIST[@]}"; do
	[ "${STATUS[$s]}" = ok ] || continue
	for k in qps lost_pct cpu_us_per_q srv_cpu_pct cli_cpu_pct other_pct; do
		FINAL[$s,$k]=$(for r in $(seq "$REPEAT"); do per_round "$s" "$r" "$k"; done | median)
	done
	FINAL[$s,cpu_range]=$(for r in $(seq "$REPEAT"); do per_round "$s" "$r" cpu_us_per_q; done |
		sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f-%.3f", lo, hi }')
	read -r rss pss < <(mem_kib "${PID[$s]}")
	FINAL[$s,rss_kib]=$rss
	FINAL[$s,pss_kib]=$pss
	FINAL[$s,resp]=${RESULT[$s,1,resp]}
done

echo
printf 'DNS benchmark: %s s x %s rounds (medians), dnsperf -c %s -q %s%s, %s names\n' \
	"$DURATION" "$REPEAT" "$CLIENTS" "$OUTSTANDING" "$([ "$RATE" -gt 0 ] && echo " -Q $RATE")" "$NAMES"
printf '%-7s %8s %7s %12s %13s %8s %8s %7s %7s %7s %6s  %s\n' server qps "lost%" "CPU us/query" \
	"(min-max)" "RSS KiB" "PSS KiB" "srvCPU%" "cliCPU%" "others%" "resp B" status
for s in "${SERVER_LIST[@]}"; do
	if [ "${STATUS[$s]}" = ok ]; then
		awk -v s="$s" -v q="${FINAL[$s,qps]}" -v l="${FINAL[$s,lost_pct]}" -v c="${FINAL[$s,cpu_us_per_q]}" \
			-v rg="${FINAL[$s,cpu_range]}" -v rss="${FINAL[$s,rss_kib]}" -v pss="${FINAL[$s,pss_kib]}" \
			-v b="${FINAL[$s,resp]}" -v sc="${FINAL[$s,srv_cpu_pct]}" -v cc="${FINAL[$s,cli_cpu_pct]}" -v o="${FINAL[$s,other_pct]}" 'BEGIN {
			printf "%-7s %8.0f %7.3f %12.3f %13s %8d %8d %7.0f %7.0f %7.0f %6s  ok\n", s, q, l, c, rg, rss, pss, sc, cc, o, b }'
	else
		printf '%-7s %8s %7s %12s %13s %8s %8s %7s %7s %7s %6s  %s\n' "$s" - - - - - - - - - - "${STATUS[$s]}"
	fi
done

ratio_line() { # $1: the other server
	local o=$1
	[ "${STATUS[pmgtmd]:-}" = ok ] && [ "${STATUS[$o]:-}" = ok ] || return 0
	awk -v o="$o" -v q1="${FINAL[pmgtmd,qps]}" -v q2="${FINAL[$o,qps]}" \
		-v c1="${FINAL[pmgtmd,cpu_us_per_q]}" -v c2="${FINAL[$o,cpu_us_per_q]}" 'BEGIN {
		printf "pmgtmd/%-4s  qps x%.2f (higher is better)   CPU/query x%.2f (lower is better)\n", o, q1 / q2, c1 / c2 }'
}
echo
ratio_line nsd
ratio_line knot
cat <<'EOF'

CPU us/query = server utime+stime during the run / queries completed: the
figure to compare. qps is capped by the client: when cliCPU% is near 100 and
srvCPU% is not, dnsperf is the bottleneck, not the server. others% = busy
time of the two CPUs that neither took (other processes, steal...): above a
few %, the machine was busy and the numbers are noisy. RSS sums VmRSS over
the server's processes (NSD forks: shared pages count twice); PSS does not.
EOF

# ---------------------------------------------------------------- outputs
if [ -n "$KV_OUT" ]; then
	{
		echo "duration=$DURATION"
		echo "repeat=$REPEAT"
		echo "clients=$CLIENTS"
		echo "outstanding=$OUTSTANDING"
		echo "rate=$RATE"
		echo "names=$NAMES"
		for s in "${SERVER_LIST[@]}"; do
			echo "$s.status=${STATUS[$s]}"
			[ "${STATUS[$s]}" = ok ] || continue
			for k in qps lost_pct cpu_us_per_q rss_kib pss_kib srv_cpu_pct cli_cpu_pct other_pct; do
				echo "$s.$k=${FINAL[$s,$k]}"
			done
		done
	} >"$KV_OUT"
	log "wrote $KV_OUT"
fi
if [ -n "$JSON_OUT" ]; then
	{
		printf '{\n  "duration_s": %s, "repeat": %s, "clients": %s, "outstanding": %s, "rate": %s, "names": %s,\n' \
			"$DURATION" "$REPEAT" "$CLIENTS" "$OUTSTANDING" "$RATE" "$NAMES"
		printf '  "servers": {'
		sep=""
		for s in "${SERVER_LIST[@]}"; do
			st=${STATUS[$s]//\"/\'}
			ver=${VERSION[$s]:-}
			printf '%s\n    "%s": {"status": "%s", "version": "%s"' "$sep" "$s" "$st" "${ver//\"/\'}"
			if [ "${STATUS[$s]}" = ok ]; then
				printf ', "qps": %s, "lost_pct": %s, "cpu_us_per_query": %s, "rss_kib": %s, "pss_kib": %s, "server_cpu_pct": %s, "client_cpu_pct": %s, "others_cpu_pct": %s,\n      "runs": [' \
					"${FINAL[$s,qps]}" "${FINAL[$s,lost_pct]}" "${FINAL[$s,cpu_us_per_q]}" "${FINAL[$s,rss_kib]}" \
					"${FINAL[$s,pss_kib]}" "${FINAL[$s,srv_cpu_pct]}" "${FINAL[$s,cli_cpu_pct]}" "${FINAL[$s,other_pct]}"
				for r in $(seq "$REPEAT"); do
					[ "$r" -gt 1 ] && printf ', '
					printf '{"sent": %s, "completed": %s, "lost": %s, "qps": %s, "server_cpu_us": %s, "client_cpu_ms": %s, "run_ms": %s, "window_ms": %s, "others_cpu_pct": %s}' \
						"${RESULT[$s,$r,sent]}" "${RESULT[$s,$r,comp]}" "${RESULT[$s,$r,lost]}" "${RESULT[$s,$r,qps]}" \
						"${RESULT[$s,$r,cpu_us]}" "${RESULT[$s,$r,client_ms]}" "${RESULT[$s,$r,run_ms]}" \
						"${RESULT[$s,$r,window_ms]}" "${RESULT[$s,$r,other_pct]}"
				done
				printf ']'
			fi
			printf '}'
			sep=","
		done
		printf '\n  }\n}\n'
	} >"$JSON_OUT"
	log "wrote $JSON_OUT"
fi
