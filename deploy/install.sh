#!/usr/bin/env bash
# Installs a built pmgtm on this host for systemd:
#
#   /usr/local/bin/pmgtmd, /usr/local/bin/pmgtmctl
#   /usr/local/lib/systemd/system/pmgtmd.service     (deploy/systemd)
#   /usr/local/lib/sysusers.d/pmgtm.conf             the pmgtm system user
#   /etc/pmgtm/                                      config dir (0755)
#   /etc/pmgtm/pmgtm.yaml.example                    every key, commented
#   /usr/local/share/doc/pmgtm/                      README, fleet examples,
#                                                    Prometheus files
#
# usage: sudo deploy/install.sh [BUILD_DIR]     (default: build)
#        DESTDIR=/tmp/root deploy/install.sh    stage into a directory only
#                                               (no user, no systemctl)
#
# Build first: cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
# cmake --build build. Safe to run again to upgrade: an existing
# /etc/pmgtm/pmgtm.yaml and keys are never overwritten (only their owner
# and mode are fixed), and a running pmgtmd is left to `systemctl restart`.
# It does not enable or start the service: the node needs its config,
# key and certificate first (the script prints the steps).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
root=${DESTDIR:-}

for b in pmgtmd pmgtmctl; do
	if [ ! -x "$build/$b" ]; then
		echo "install.sh: $build/$b not found; build first (see the header)" >&2
		exit 1
	fi
done
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root (or set DESTDIR to stage the files)" >&2
	exit 1
fi

bin=$root/usr/local/bin
unitdir=$root/usr/local/lib/systemd/system
sysusersdir=$root/usr/local/lib/sysusers.d
etc=$root/etc/pmgtm
doc=$root/usr/local/share/doc/pmgtm

install -d -m 0755 "$bin" "$unitdir" "$sysusersdir" "$etc" "$doc" \
	"$doc/fleet" "$doc/prometheus"
# install(1) writes a new file and renames it: a running pmgtmd keeps the
# old binary until it is restarted.
install -m 0755 "$build/pmgtmd" "$build/pmgtmctl" "$bin/"
install -m 0644 "$top/deploy/systemd/pmgtmd.service" "$unitdir/pmgtmd.service"
install -m 0644 "$top/deploy/systemd/pmgtm.sysusers" "$sysusersdir/pmgtm.conf"
install -m 0644 "$top/deploy/examples/pmgtm.yaml" "$etc/pmgtm.yaml.example"
install -m 0644 "$top/README.md" "$doc/README.md"
install -m 0644 "$top"/deploy/examples/fleet/* "$doc/fleet/"
install -m 0644 "$top"/deploy/prometheus/* "$doc/prometheus/"

if [ -n "$root" ]; then
	echo "staged in $root (no user created, systemd not told)"
	exit 0
fi

# The static pmgtm user and group.
if command -v systemd-sysusers >/dev/null; then
	systemd-sysusers "$sysusersdir/pmgtm.conf"
elif ! getent passwd pmgtm >/dev/null; then
	adduser --system --group --home /var/lib/pmgtm --no-create-home \
		--shell /usr/sbin/nologin pmgtm
fi

# The daemon (user pmgtm) reads the config and the certificates and must
# be the only one able to read the secret keys (pmgtmd refuses a key file
# that is group or world readable).
for f in "$etc"/node.key "$etc"/cluster*.key; do
	[ -e "$f" ] || continue
	chown pmgtm:pmgtm "$f"
	chmod 0600 "$f"
done
if [ -e "$etc/pmgtm.yaml" ]; then
	chgrp pmgtm "$etc/pmgtm.yaml"
	chmod 0640 "$etc/pmgtm.yaml"
fi
if [ -e "$etc/ca.key" ]; then
	echo "warning: $etc/ca.key: the CA key signs node certificates; keep" \
		"it offline, not on the nodes" >&2
fi

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
fi

cat <<MSG
pmgtm installed. pmgtmd $("$bin/pmgtmd" --version | cut -d' ' -f2).

Next, on this node (README, "Running a fleet under systemd"):
  1. /etc/pmgtm/pmgtm.yaml     from /usr/local/share/doc/pmgtm/fleet/lbN.yaml
                               or /etc/pmgtm/pmgtm.yaml.example (root:pmgtm 0640)
  2. /etc/pmgtm/ca.pub, node.key (pmgtm 0600), node.cert, cluster.key (pmgtm 0600)
     from the CA host: pmgtmctl cert issue --ca-key ca.key --cluster NAME --name NODE --out-dir DIR
  3. pmgtmd -c /etc/pmgtm/pmgtm.yaml --check-config
  4. systemctl enable --now pmgtmd && pmgtmctl members
  Operators who may run pmgtmctl: usermod -aG pmgtm USER
MSG
