#!/usr/bin/env bash
# Installs everything pmgtm needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are left alone.
set -euo pipefail

PKGS=(
	# build
	build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
	# libraries
	libuv1-dev libsodium-dev libmsgpack-dev libcmocka-dev libcyaml-dev
	# libcyaml-dev does not depend on it, yet its .pc links -lyaml and
	# node/config/schema.c uses yaml.h directly for error positions
	libyaml-dev
	libmicrohttpd-dev libsystemd-dev
	# tools the tests and benchmarks use
	dnsutils knot-dnsutils dnsperf knot nsd iproute2 nftables procps
	valgrind python3 python3-yaml prometheus
	# the end-to-end tests' recursive resolvers, and ping for their set-up
	unbound bind9 pdns-recursor iputils-ping
	# the quickstart's /metrics excerpt
	curl
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# knot, nsd and the resolvers start system services on install;
	# policy-rc.d keeps them from grabbing port 53 on the host.
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The packaged servers are only started by hand, by the benchmark and tests.
for svc in knot nsd unbound named pdns-recursor prometheus \
	prometheus-node-exporter; do
	systemctl disable --now "$svc" >/dev/null 2>&1 || true
	# Without systemd as init, the package's init script may have run.
	[ -d /run/systemd/system ] || service "$svc" stop >/dev/null 2>&1 || true
done
