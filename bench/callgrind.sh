#!/usr/bin/env bash
# Instructions per query under valgrind --tool=callgrind: a repeatable figure
# on a noisy machine, where dnsperf.sh's CPU times move by 10-20 %.
#
#   bench/callgrind.sh [PMGTMD_BINARY] [--servers pmgtmd,knot,nsd] [--kv FILE]
#
# For each server, two runs under callgrind, each: start, wait until it
# answers, check three answers, then either send QUERIES queries with dnsperf
# (loaded run) or sleep as long as the loaded run's queries took (idle run),
# then SIGTERM. Instructions per query =
#   (Ir of the loaded run - Ir of the idle run) / queries completed
# so start-up, the readiness checks, shutdown and timers cancel out.
#
# Environment: PMGTMD (default build/pmgtmd), QUERIES (default 20000),
# OUTSTANDING (dnsperf -q, default 1: one query at a time, so no batching
# and no loss; raise it to see batching), SERVER_CPU (0), CLIENT_CPU (1),
# KEEP_TMP=1 keeps the temp dir (with the callgrind.out files, for
# callgrind_annotate). Default servers: pmgtmd only.
#
# All traffic goes to 127.0.0.61-63 only. Takes about a minute per server.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

SERVERS=pmgtmd
KV_OUT=""
POS_PMGTMD=""
while [ $# -gt 0 ]; do
	case "$1" in
	--servers) SERVERS=${2:?--servers needs a list}; shift 2 ;;
	--servers=*) SERVERS=${1#--servers=}; shift ;;
	--kv) KV_OUT=${2:?--kv needs a file}; shift 2 ;;
	--kv=*) KV_OUT=${1#--kv=}; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
	-*) echo "unknown option: $1" >&2; exit 2 ;;
	*) POS_PMGTMD=$1; shift ;;
	esac
done

PMGTMD=${POS_PMGTMD:-${PMGTMD:-$ROOT/build/pmgtmd}}
QUERIES=${QUERIES:-20000}
OUTSTANDING=${OUTSTANDING:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

for tool in valgrind dnsperf dig taskset awk; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool (deploy/install-deps.sh)" >&2; exit 1; }
done
for v in QUERIES OUTSTANDING SERVER_CPU CLIENT_CPU; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a non-negative integer" >&2; exit 2; }
done
if [ "$QUERIES" -lt 100 ] || [ "$OUTSTANDING" -lt 1 ]; then echo "QUERIES >= 100, OUTSTANDING >= 1" >&2; exit 2; fi
IFS=, read -r -a SERVER_LIST <<<"$SERVERS"
for s in "${SERVER_LIST[@]}"; do
	[ -n "${ADDR[$s]:-}" ] || { echo "unknown server: $s (pmgtmd, knot, nsd)" >&2; exit 2; }
done
if [ "$(getconf _NPROCESSORS_ONLN)" -lt 2 ]; then SERVER_CPU=0 CLIENT_CPU=0; fi

TMP=$(mktemp -d /tmp/pmgtm-callgrind.XXXXXX)
CUR_PID="" CLIENT_PID=""
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$CLIENT_PID" ] && stop_pid "$CLIENT_PID" 2
	[ -n "$CUR_PID" ] && stop_pid "$CUR_PID" 2
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

# QUERIES lines: the same names as dnsperf.sh (apex after every 10th).
write_queries "$TMP/all.txt" "$QUERIES"
head -n "$QUERIES" "$TMP/all.txt" >"$TMP/queries.txt"

# run_once SERVER KIND SLEEP: one callgrind run ("loaded" or "idle"); sets
# RUN_IR, RUN_COMP and RUN_MS. The idle run sleeps SLEEP ms. Runs in this
# shell (never in $(...)), so that the cleanup trap knows CUR_PID.
run_once() {
	local s=$1 kind=$2 sleep_ms=$3 d=$TMP/$1/$2 cmd=() comp ms t0 t1 out rc
	mkdir -p "$d"
	mapfile -t cmd < <("config_$s" "$d")
	# --trace-children=no: NSD only forks (followed anyway), nobody execs.
	taskset -c "$SERVER_CPU" valgrind --tool=callgrind --dump-instr=no \
		--callgrind-out-file="$d/callgrind.out.%p" --log-file="$d/valgrind.log" \
		"${cmd[@]}" </dev/null >"$d/out.log" 2>"$d/err.log" &
	CUR_PID=$!
	if ! wait_ready "$s" "$CUR_PID" 60; then
		log "!! $s ($kind): no answer within 60 s under valgrind"
		show_logs "$d"
		[ -s "$d/valgrind.log" ] && tail -n 20 "$d/valgrind.log" | sed 's/^/   /' >&2
		stop_pid "$CUR_PID" 2
		CUR_PID=""
		return 1
	fi
	if ! out=$(check_all_answers "$s"); then
		log "!! $s ($kind): wrong answer:"
		log "$out"
		stop_pid "$CUR_PID" 2
		CUR_PID=""
		return 1
	fi
	t0=$(date +%s%3N)
	if [ "$kind" = loaded ]; then
		# Background + wait: a signal to this script is handled at once.
		timeout 600 taskset -c "$CLIENT_CPU" dnsperf -s "${ADDR[$s]}" -p "${PORT[$s]}" \
			-d "$TMP/queries.txt" -n 1 -c 1 -q "$OUTSTANDING" -t 5 >"$d/dnsperf.txt" 2>&1 &
		CLIENT_PID=$!
		rc=0
		wait "$CLIENT_PID" || rc=$?
		CLIENT_PID=""
		if [ "$rc" -ne 0 ]; then
			log "!! $s: dnsperf failed:"
			sed 's/^/   /' "$d/dnsperf.txt" >&2
			stop_pid "$CUR_PID" 2
			CUR_PID=""
			return 1
		fi
		comp=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' "$d/dnsperf.txt")
	else
		sleep "$(awk -v ms="$sleep_ms" 'BEGIN { printf "%.3f", ms / 1000 }')" &
		wait $! || true
		comp=0
	fi
	t1=$(date +%s%3N)
	ms=$((t1 - t0))
	# Let the server exit by itself: callgrind writes its file at exit.
	stop_pid "$CUR_PID" 60
	CUR_PID=""
	shopt -s nullglob
	local files=("$d"/callgrind.out.*)
	shopt -u nullglob
	if [ ${#files[@]} -eq 0 ]; then
		log "!! $s ($kind): no callgrind output (killed?)"
		tail -n 20 "$d/valgrind.log" | sed 's/^/   /' >&2
		return 1
	fi
	# "summary:" (or "totals:") holds the Ir total of each process.
	RUN_IR=$(awk '/^(summary|totals):/ { v[FILENAME] = $2 } END { for (f in v) t += v[f]; printf "%.0f", t }' "${files[@]}")
	RUN_COMP=${comp:-0}
	RUN_MS=$ms
}

log "== callgrind: $QUERIES queries per loaded run, dnsperf -c 1 -q $OUTSTANDING; $(valgrind --version)"
log "   pmgtmd: $PMGTMD"
declare -A RES=()
for s in "${SERVER_LIST[@]}"; do
	if [ "$s" = pmgtmd ] && [ ! -x "$PMGTMD" ]; then
		RES[$s]="FAILED: binary not found: $PMGTMD"
		log "!! pmgtmd: binary not found or not executable: $PMGTMD"
		continue
	fi
	if ! run_once "$s" loaded 0; then
		RES[$s]="FAILED: loaded run (see above)"
		continue
	fi
	ir_l=$RUN_IR comp=$RUN_COMP ms=$RUN_MS
	log "   $s loaded: $ir_l Ir, $comp queries completed in $ms ms"
	if [ "${comp:-0}" -eq 0 ]; then
		RES[$s]="FAILED: no query completed"
		continue
	fi
	if ! run_once "$s" idle "$ms"; then
		RES[$s]="FAILED: idle run (see above)"
		continue
	fi
	ir_i=$RUN_IR ms_i=$RUN_MS
	log "   $s idle:   $ir_i Ir, slept $ms_i ms"
	RES[$s]=$(awk -v l="$ir_l" -v i="$ir_i" -v c="$comp" 'BEGIN { printf "%.0f %.0f %d %.0f", l, i, c, (l - i) / c }')
done

echo
printf 'callgrind: instructions per query (%s queries, dnsperf -q %s)\n' "$QUERIES" "$OUTSTANDING"
printf '%-7s %15s %15s %9s %11s\n' server "Ir loaded" "Ir idle" queries "Ir/query"
for s in "${SERVER_LIST[@]}"; do
	case ${RES[$s]:-} in
	FAILED*) printf '%-7s %s\n' "$s" "${RES[$s]}" ;;
	*)
		read -r l i c q <<<"${RES[$s]}"
		printf '%-7s %15s %15s %9s %11s\n' "$s" "$l" "$i" "$c" "$q"
		;;
	esac
done
echo
echo "Ir counts user-space instructions of the server only (not the kernel's"
echo "socket work): compare with dnsperf.sh's CPU us/query for the whole cost."

if [ -n "$KV_OUT" ]; then
	{
		echo "queries=$QUERIES"
		echo "outstanding=$OUTSTANDING"
		for s in "${SERVER_LIST[@]}"; do
			case ${RES[$s]:-} in
			FAILED*) echo "$s.status=${RES[$s]}" ;;
			*)
				read -r l i c q <<<"${RES[$s]}"
				echo "$s.status=ok"
				echo "$s.ir_loaded=$l"
				echo "$s.ir_idle=$i"
				echo "$s.queries=$c"
				echo "$s.ir_per_query=$q"
				;;
			esac
		done
	} >"$KV_OUT"
	log "wrote $KV_OUT"
fi
