#!/usr/bin/env bash
# Runs every pmgtm test: formatting, a -Werror build with unit, purity and
# integration tests, the end-to-end tests with real resolvers, the same unit
# and integration tests under ASan+UBSan, and a short fuzz run of every
# decoder. Run as root (the integration tests bind 127.0.0.x:53).
# FUZZ_SECONDS (default 30) sets the length of each fuzz run.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
passed=0
failed=0
failures=()

stage() { printf '\n=== %s ===\n' "$*"; }
ok() { passed=$((passed + 1)); echo "ok - $1"; }
ko() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL - $1"; }

# ctest's summary: count its tests into ours.
run_ctest() {
	local dir=$1 label=$2 out
	out=$(cd "$dir" && ctest --output-on-failure --timeout 300 2>&1)
	echo "$out"
	local total fails
	total=$(echo "$out" | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' | tail -1)
	fails=$(echo "$out" | sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' | tail -1)
	if [ -z "$total" ]; then
		ko "$label: ctest did not run"
		return
	fi
	passed=$((passed + total - fails))
	failed=$((failed + fails))
	[ "$fails" -eq 0 ] || failures+=("$label: $fails ctest failures")
}

stage "dependencies"
bash deploy/install-deps.sh || { echo "FAIL - installing dependencies"; exit 1; }

stage "formatting (clang-format)"
bad=$(git ls-files '*.c' '*.h' 2>/dev/null | while read -r f; do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -z "$bad" ]; then ok "clang-format"; else ko "clang-format: $bad"; fi

stage "build (-Werror) and tests"
if cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPMGTM_WERROR=ON >/dev/null &&
	cmake --build build -j2; then
	ok "build"
	run_ctest build "release"
else
	ko "build"
fi

stage "end to end: real resolvers in network namespaces (tests/e2e)"
if [ -x build/pmgtmd ]; then
	out=$(python3 tests/e2e/e2e.py --pmgtmd build/pmgtmd \
		--pmgtmctl build/pmgtmctl --out build/e2e-results.md 2>&1)
	rc=$?
	echo "$out"
	if [ $rc -eq 77 ]; then
		echo "skipped: $(echo "$out" | head -1)"
	else
		n_ok=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
		n_ko=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
		passed=$((passed + ${n_ok:-0}))
		if [ $rc -ne 0 ]; then
			failed=$((failed + ${n_ko:-1}))
			failures+=("e2e: $(echo "$out" | grep -c '^FAIL') failures")
		fi
	fi
else
	ko "e2e: no build"
fi

stage "ASan+UBSan build and tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPMGTM_SANITIZE=ON >/dev/null &&
	cmake --build build-asan -j2; then
	ok "sanitizer build"
	run_ctest build-asan "asan+ubsan"
else
	ko "sanitizer build"
fi

stage "fuzzing (${FUZZ_SECONDS}s per decoder)"
if CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DPMGTM_FUZZ=ON \
	-DPMGTM_SANITIZE=ON >/dev/null && cmake --build build-fuzz -j2; then
	for f in $(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//'); do
		corpus=$(mktemp -d)
		cp tests/fuzz/corpus/"$f"/* "$corpus"/ 2>/dev/null || true
		if (cd build-fuzz && ./tests/"$f" -max_total_time="$FUZZ_SECONDS" \
			-print_final_stats=1 "$corpus" >"$f.log" 2>&1); then
			ok "$f ($(grep -o 'stat::number_of_executed_units: [0-9]*' build-fuzz/$f.log | awk '{print $2}') runs)"
		else
			tail -40 "build-fuzz/$f.log"
			ko "$f"
		fi
		rm -rf "$corpus"
	done
else
	ko "fuzz build"
fi

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
