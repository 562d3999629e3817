#!/usr/bin/python3
"""Reachability matrix and split views: three real pmgtmd processes.

  - healthy: every node's matrix (pmgtmctl reachability --json) has every
    observer's row, every cell reachable, no split view;
  - nftables drops UDP from lb1 (127.0.0.81) to lb3's gossip port, one
    direction only: within 15 s every node's matrix shows lb1's row with
    lb3 unreachable and lb2's row with lb3 reachable, a split view for lb3
    (reachable from lb2, not from lb1), lb3 still alive in members, and
    each node logged exactly one "split view" line about lb3;
  - the rule deleted: the matrix heals on every node and each logs a
    "split view healed" line about lb3.

Needs root (nftables). The rules live in their own table, inet
pmgtm_test_reach, deleted at the end whatever happens (and before the
start, in case a killed run left it). Traffic goes only to 127.0.0.0/8.

Usage: test_reach.py --pmgtmd PATH --pmgtmctl PATH
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cluster  # noqa: E402
from test_cluster import Cluster  # noqa: E402

check = test_cluster.check
BASE = 80  # 127.0.0.81..83
TABLE = 'pmgtm_test_reach'
CUT_BOUND_S = 15.0
HEAL_BOUND_S = 15.0
SETTLE_S = 5.0  # after the cut shows: time for a flap to show in the logs
NAMES = ['lb1', 'lb2', 'lb3']


def nft(*args, check_rc=True):
    return subprocess.run(['nft'] + list(args), capture_output=True,
                          text=True, timeout=10, check=check_rc)


def cut(src, dst):
    """Drops UDP from @src to @dst port 7946 (lb3's gossip), nothing else."""
    nft('add', 'table', 'inet', TABLE)
    nft('add', 'chain', 'inet', TABLE, 'out',
        '{ type filter hook output priority 0 ; policy accept ; }')
    nft('add', 'rule', 'inet', TABLE, 'out', 'ip', 'saddr', src, 'ip',
        'daddr', dst, 'udp', 'dport', '7946', 'drop')


def uncut():
    nft('delete', 'table', 'inet', TABLE, check_rc=False)


def cut_state():
    """For failure reports: whether our rule is still in place (another
    program flushing the ruleset would heal the cut behind our back)."""
    out = nft('list', 'table', 'inet', TABLE, check_rc=False)
    return 'rule in place' if 'drop' in out.stdout else \
        'rule GONE: ' + (out.stderr.strip() or out.stdout.strip())


def matrix(c, i):
    """Node @i's reachability data, or None."""
    try:
        out = c.ctl(i, 'reachability', '--json')
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        return None
    try:
        return json.loads(out.stdout)
    except ValueError:
        return None


def is_number(v):
    """A JSON number: pmgtmctl --json prints 1.0 as 1."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def cell(m, observer, target):
    """The cell of @observer's row about @target, or None."""
    for o in m.get('observers', []):
        if o.get('name') != observer:
            continue
        for p in o.get('peers', []):
            if p.get('name') == target:
                return p
    return None


def row(m, observer):
    for o in m.get('observers', []):
        if o.get('name') == observer:
            return o
    return None


def all_reachable(m):
    """Every observer's row, fresh, every cell reachable with an RTT, no
    split view."""
    if m is None or m.get('split_views') != []:
        return False
    for obs in NAMES:
        r = row(m, obs)
        if r is None or r.get('stale'):
            return False
        for t in NAMES:
            if t == obs:
                continue
            p = cell(m, obs, t)
            # Measured, not only presumed (a peer not yet probed since
            # it joined counts as reachable without an RTT).
            if p is None or p.get('reachable') is not True or \
                    p.get('path') != 'direct' or \
                    not is_number(p.get('rtt_ms')):
                return False
    return True


def split_for(m, target):
    for s in m.get('split_views', []):
        if s.get('target') == target:
            return s
    return None


def shows_cut(m):
    if m is None:
        return False
    a, b = cell(m, 'lb1', 'lb3'), cell(m, 'lb2', 'lb3')
    s = split_for(m, 'lb3')
    return (a is not None and a.get('reachable') is False and
            b is not None and b.get('reachable') is True and
            s is not None and s.get('reachable_from') == ['lb2'] and
            s.get('unreachable_from') == ['lb1'])


SPLIT_RE = re.compile(r'msg="split view" .*\btarget=lb3\b')
SPLIT_EXACT_RE = re.compile(r'msg="split view" target=lb3 '
                            r'reachable_from=lb2 unreachable_from=lb1\b')
HEALED_RE = re.compile(r'msg="split view healed" .*\btarget=lb3\b')


def count_lines(c, i, regex):
    with open(c.logs[i]) as f:
        return sum(1 for line in f if regex.search(line))


def wait_all(c, pred, timeout):
    """Seconds until @pred holds for every node's matrix, or None."""
    return c.wait(lambda: all(pred(matrix(c, i)) for i in range(1, 4)),
                  timeout)


def scenario(c):
    for i in range(1, 4):
        c.start(i)
    everyone = {n: 'alive' for n in NAMES}
    t = c.wait(lambda: test_cluster.all_see(c, everyone, range(1, 4)), 15)
    check(t is not None, 'three nodes alive everywhere')
    if t is None:
        return

    t = wait_all(c, all_reachable, 15)
    check(t is not None, 'healthy: every node holds every row, all '
          'reachable, no split view', json.dumps(matrix(c, 1)))
    m = matrix(c, 1) or {}
    p = cell(m, 'lb1', 'lb2') or {}
    check(row(m, 'lb1') is not None and row(m, 'lb1').get('self') is True and
          is_number(p.get('rtt_ms')) and
          0 <= p.get('loss', -1) <= 1 and
          is_number(p.get('last_ack_s')),
          'healthy: own row live, with RTT, loss and last ack',
          json.dumps(p))
    out = c.ctl(1, 'reachability')
    check(out.returncode == 0 and 'no split views' in out.stdout and
          re.search(r'^lb1\s+-\s+\d+(\.\d+)?ms\s+\d+(\.\d+)?ms\s*$',
                    out.stdout, re.M) is not None,
          'healthy: the table has RTTs, "-" on the diagonal',
          out.stdout + out.stderr)
    before = {i: count_lines(c, i, SPLIT_RE) for i in range(1, 4)}
    check(all(v == 0 for v in before.values()),
          'no split view logged before the cut', str(before))

    cut(c.ip(1), c.ip(3))
    t0 = time.time()
    t = wait_all(c, shows_cut, CUT_BOUND_S)
    check(t is not None,
          'cut lb1 -> lb3: every node shows lb1 not reaching lb3, lb2 '
          'reaching it, split view lb3 (%s)' %
          ('%.1f s' % t if t is not None else 'timeout'),
          cut_state() + ': ' +
          json.dumps([matrix(c, i) for i in range(1, 4)]))
    for i in range(1, 4):
        m = matrix(c, i) or {}
        a = cell(m, 'lb1', 'lb3') or {}
        check(a.get('rtt_ms') is None and a.get('path') == 'indirect' and
              a.get('loss', 0) > 0,
              'lb%d: lb1 -> lb3 reached only through lb2, no RTT, loss > 0'
              % i, json.dumps(a))
        st = c.states(i) or {}
        check(st.get('lb3') == 'alive', 'lb%d: lb3 still alive' % i,
              str(st))
    out = c.ctl(2, 'reachability')
    check(out.returncode == 0 and
          'split view: lb3 reachable from lb2, not from lb1' in out.stdout
          and re.search(r'^lb1\s+-\s+\S+\s+UNREACH\(i\)\s*$', out.stdout,
                        re.M) is not None,
          'the table shows UNREACH(i) and the split view',
          out.stdout + out.stderr)
    # Still split a few seconds later, and no flapping in the logs.
    time.sleep(max(0.0, SETTLE_S - (time.time() - t0 - (t or 0))))
    ms = [matrix(c, i) for i in range(1, 4)]
    check(all(shows_cut(m) for m in ms),
          'the split view stays while the cut does',
          cut_state() + ': ' + json.dumps(ms))
    counts = {i: (count_lines(c, i, SPLIT_RE),
                  count_lines(c, i, SPLIT_EXACT_RE)) for i in range(1, 4)}
    check(all(v == (1, 1) for v in counts.values()),
          'each node logged exactly one "split view" line about lb3 '
          '(reachable_from=lb2 unreachable_from=lb1)',
          '(about lb3, with those lists) per node: ' + str(counts))

    uncut()
    t = wait_all(c, all_reachable, HEAL_BOUND_S)
    check(t is not None, 'rule deleted: the matrix heals everywhere (%s)' %
          ('%.1f s' % t if t is not None else 'timeout'),
          json.dumps([matrix(c, i) for i in range(1, 4)]))
    t = c.wait(lambda: all(count_lines(c, i, HEALED_RE) >= 1
                           for i in range(1, 4)), 5)
    healed = {i: count_lines(c, i, HEALED_RE) for i in range(1, 4)}
    check(t is not None and all(v == 1 for v in healed.values()),
          'each node logged "split view healed" about lb3', str(healed))
    out = c.ctl(3, 'reachability')
    check(out.returncode == 0 and 'no split views' in out.stdout and
          'UNREACH' not in out.stdout, 'the table is clean again',
          out.stdout)


def dump_reach_lines(c):
    pat = re.compile(r'split view|reachability changed|member state')
    for i, path in sorted(c.logs.items()):
        print('# ---- lb%d reachability lines' % i)
        with open(path) as f:
            for line in f:
                if pat.search(line):
                    print('#   ' + line.rstrip())


def on_signal(signum, frame):
    raise KeyboardInterrupt('signal %d' % signum)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print('FAIL - needs root (nftables)')
        print('0 passed, 1 failed')
        return 1
    # Ctrl-C, a timeout or kill -TERM unwinds through the finally below.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    uncut()  # left over by a run killed with -9
    c = Cluster(args.pmgtmd, args.pmgtmctl, base=BASE)
    try:
        scenario(c)
    except KeyboardInterrupt as e:
        check(False, 'interrupted', str(e))
    finally:
        uncut()
        c.stop_all()
        if test_cluster.failed:
            c.dump_logs()
            dump_reach_lines(c)
        shutil.rmtree(c.dir, ignore_errors=True)
    gone = nft('list', 'table', 'inet', TABLE, check_rc=False)
    check(gone.returncode != 0, 'nft table %s deleted' % TABLE)
    print('%d passed, %d failed' % (test_cluster.passed, test_cluster.failed))
    return 1 if test_cluster.failed else 0


if __name__ == '__main__':
    sys.exit(main())
