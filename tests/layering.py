#!/usr/bin/env python3
"""The include arrows between pmgtm's rooms, checked.

Every .c and .h file belongs to the room of its directory. A file may
include its own room, the rooms listed for it below, and the system
headers its room is allowed; anything else fails the check with the file,
the line and the arrow it draws. Adding an arrow is a design decision:
change ROOMS here and the room's README together.

    python3 tests/layering.py [source dir]
"""
import os
import re
import sys

# room -> rooms it may include. A room is a directory relative to the
# top; node/ itself (daemon.c, main.c) is the composition root.
NODE_ROOMS = ["node/config", "node/log", "node/net", "node/dns",
              "node/cluster", "node/control", "node/health", "node/obs"]
ROOMS = {
    "dns": [],
    "gossip": [],
    "common": ["gossip"],
    "cli": ["common", "gossip"],
    "node/log": ["common"],
    "node/net": ["common"],
    "node/config": ["common", "node/log", "dns", "gossip"],
    "node/dns": ["common", "node/log", "node/config", "node/net", "dns"],
    "node/cluster": ["common", "node/log", "node/config", "node/net",
                     "gossip"],
    "node/health": ["common", "node/log", "node/config", "node/cluster",
                    "gossip"],
    "node/control": ["common", "node/log", "node/config", "node/net",
                     "node/cluster", "gossip", "dns"],
    "node/obs": ["common", "node/log", "node/config", "node/dns",
                 "node/cluster", "node/health", "gossip", "dns"],
    "node": ["common", "gossip", "dns"] + NODE_ROOMS,
}

# System headers only some rooms may use: the pure core and what pmgtmctl
# links stay free of the daemon's libraries.
SYSTEM = {
    "uv.h": ["node"] + NODE_ROOMS,
    "cyaml/cyaml.h": ["node/config"],
    "yaml.h": ["node/config"],
    "microhttpd.h": ["node/obs"],
    "systemd/sd-daemon.h": ["node/obs"],
    "systemd/sd-journal.h": ["node/log"],
}

# Header-only types every room may use, the pure cores included.
SHARED = {"common/ip.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def room_of(path):
    d = os.path.dirname(path)
    while d and d not in ROOMS:
        d = os.path.dirname(d)
    return d or None


def check(top):
    errors = []
    for base in sorted(ROOMS):
        root = os.path.join(top, base)
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            if not name.endswith((".c", ".h")):
                continue
            rel = os.path.join(base, name)
            with open(os.path.join(top, rel), encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    kind, inc = m.groups()
                    if kind == "<":
                        rooms = SYSTEM.get(inc)
                        if rooms is not None and base not in rooms:
                            errors.append(f"{rel}:{n}: <{inc}> is not for {base}/")
                        continue
                    target = room_of(inc)
                    if inc in SHARED:
                        continue
                    if target is None:
                        errors.append(f"{rel}:{n}: \"{inc}\" is in no room")
                    elif target != base and target not in ROOMS[base]:
                        errors.append(f"{rel}:{n}: {base}/ -> {target}/ "
                                      f"(\"{inc}\") is not an allowed arrow")
    return errors


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else "."
    errors = check(top)
    for e in errors:
        print(e)
    if errors:
        print(f"layering: {len(errors)} include(s) outside the allowed arrows")
        return 1
    print(f"layering: {len(ROOMS)} rooms, every include follows an allowed arrow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
