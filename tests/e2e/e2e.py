#!/usr/bin/python3
"""pmgtm end to end, with the real machinery of the DNS: a fake root, the
parent zones, three pmgtmd nodes and a real recursive resolver (Unbound,
BIND 9, PowerDNS Recursor in turn), each host in its own network namespace
on a private bridge (10.99.0.0/24); see lab.py for the map.

Scenarios, for each resolver, each with the resolver restarted (empty
cache): steady state, a node killed, a drain in each drain mode and the
undrain, a one-way partition between two nodes, 20 % loss on one node's
link, and a dnsperf burst of new names right after a drain.

Usage: e2e.py --pmgtmd PATH --pmgtmctl PATH [--resolvers unbound,bind,pdns]
              [--only SCENARIO,...] [--out RESULTS.md] [--json FILE]
Root only (namespaces, nftables): exits 77 with a message otherwise.
Prints ok/FAIL lines and "N passed, N failed"; exit status 1 on a failure.
Everything it starts is stopped and every namespace deleted at the end,
also on failure or Ctrl-C.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import time

import lab as L
import report
import scenarios
import servers
import topo

SKIP = 77


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    ap.add_argument('--resolvers', default='unbound,bind,pdns')
    ap.add_argument('--only', default='')
    ap.add_argument('--out', help='write the results table (Markdown)')
    ap.add_argument('--json', help='write the result rows (JSON)')
    ap.add_argument('--keep', action='store_true',
                    help='keep the run directory (logs, client output)')
    args = ap.parse_args()

    if os.geteuid() != 0:
        print('SKIP: the end-to-end tests need root (network namespaces, '
              'nftables); run them as root')
        return SKIP
    kinds = [k for k in args.resolvers.split(',') if k]
    missing = [t for t in ['ip', 'nft', 'dig', 'dnsperf', 'nsd', 'knotd'] +
               [servers.RESOLVERS[k][1][0] for k in kinds]
               if shutil.which(t) is None]
    if missing:
        print('FAIL - missing tools: %s (deploy/install-deps.sh installs '
              'them)' % ' '.join(missing))
        return 1
    only = [s for s in args.only.split(',') if s]

    # SIGTERM (a CI timeout, say) tears down like Ctrl-C.
    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    ck = scenarios.Checks()
    lab = L.Lab(args.pmgtmd, args.pmgtmctl, keep=args.keep)
    rows = []
    t0 = time.time()
    try:
        lab.setup()
        ck.check(True, 'lab: root, parent zones and a three-node cluster up '
                 '(%.1f s)' % (time.time() - t0))
        for kind in kinds:
            rows += scenarios.run_all(lab, kind, ck, only)
    except KeyboardInterrupt:
        ck.check(False, 'interrupted')
    except Exception as e:
        ck.check(False, 'lab', repr(e))
    finally:
        if ck.failed:
            for name in list(lab.procs) + ['lb1', 'lb2', 'lb3']:
                tail = lab.log(name).splitlines()[-15:]
                if tail:
                    print('# ---- %s (last lines)' % name)
                    for line in tail:
                        print('#   ' + line)
        stopped_dir = lab.dir
        lab.teardown()
        left = topo.our_namespaces()
        ck.check(not left, 'teardown: no namespace left', str(left))
        if args.keep:
            print('# run directory kept: ' + stopped_dir)

    versions = {
        'pmgtmd': servers.version([args.pmgtmd, '--version']),
        'Unbound': servers.version(['unbound', '-V']),
        'BIND 9': servers.version(['named', '-v']),
        'PowerDNS Recursor': servers.version(['pdns_recursor', '--version']),
        'Knot DNS': servers.version(['knotd', '-V']),
        'NSD': servers.version(['nsd', '-v']),
        'kernel': platform.release(),
    }
    meta = {'date': time.strftime('%Y-%m-%d'), 'versions': versions,
            'ttl': servers.TTL, 'rate': scenarios.RATE,
            'seconds': round(time.time() - t0)}
    if args.out:
        with open(args.out, 'w') as f:
            f.write(report.markdown(rows, meta))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'meta': meta, 'rows': rows}, f, indent=1)
    print(report.text(rows))
    print('%d passed, %d failed' % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


if __name__ == '__main__':
    sys.exit(main())
