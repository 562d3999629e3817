#!/bin/sh
# Fails when pmgtmctl needs one of the daemon's libraries: the CLI links
# common/ and the gossip core only, so it installs and runs without libuv,
# libcyaml, libyaml, libmicrohttpd or libsystemd. pmgtmctl is linked with
# --no-as-needed, so its NEEDED entries are every library on its link line,
# not only those the linker found a use for.
#
#   tests/pmgtmctl_deps.sh path/to/pmgtmctl
bin=${1:?usage: pmgtmctl_deps.sh PMGTMCTL}
if command -v readelf >/dev/null 2>&1; then
	needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
else
	needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }')
fi
if [ -z "$needed" ]; then
	echo "pmgtmctl_deps: cannot read the NEEDED entries of $bin"
	exit 1
fi
bad=$(echo "$needed" | grep -E '^lib(uv|cyaml|yaml|microhttpd|systemd)[.-]')
if [ -n "$bad" ]; then
	echo "pmgtmctl needs the daemon's libraries:"
	echo "$bad"
	exit 1
fi
echo "pmgtmctl_deps: pmgtmctl needs only" $needed
