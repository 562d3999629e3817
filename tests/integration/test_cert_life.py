#!/usr/bin/python3
"""The certificate life cycle on three real pmgtmd processes.

With a drain of lb3 (issued by lb1) in force throughout:
  - every certificate renewed in turn (pmgtmctl cert issue --node-key, then
    SIGHUP): each peer holds the new one within 3 s, no member is ever
    suspected, no record is refused (old_version aside: copies of a
    superseded record still in flight, dropped in normal operation too);
  - lb2 re-keyed (a new key and certificate, SIGHUP): peers take the new key
    at once;
  - lb2 revoked (pmgtmctl cert revoke on the "admin host", pmgtmctl revoke
    handed to lb1 only): lb1 and lb3 show it revoked within 2 s and refuse
    its packets; lb2 re-keyed afterwards is a member again;
  - the CA rotated (both CA keys, every node re-issued under the new CA,
    then the new key only): no suspicion, no refused record, the drain
    still in force, and a node restarted afterwards rejoins with it.

Usage: test_cert_life.py --pmgtmd PATH --pmgtmctl PATH
Traffic goes only to 127.0.0.241-243; every process is stopped at the end.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cluster  # noqa: E402
from test_cluster import Cluster, check  # noqa: E402

BASE = 240  # 127.0.0.241..243


def ctl_ok(c, *args):
    r = subprocess.run([c.pmgtmctl] + list(args), capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        print('# %s: %s' % (' '.join(args[:3]), r.stdout + r.stderr))
    return r.returncode == 0


def issue(c, i, ca='ca', new_key=False, valid='2h'):
    """A certificate for lb<i> from @ca, written into the node's files."""
    d = os.path.join(c.dir, 'lb%d' % i)
    args = ['cert', 'issue', '--ca-key', os.path.join(c.dir, ca, 'ca.key'),
            '--cluster', 'test', '--name', 'lb%d' % i, '--valid', valid,
            '--force']
    if new_key:
        out = os.path.join(c.dir, 'new-lb%d' % i)
        ok = ctl_ok(c, *(args + ['--out-dir', out]))
        for f in ('node.key', 'node.cert'):
            shutil.copy(os.path.join(out, f), os.path.join(d, f))
        os.chmod(os.path.join(d, 'node.key'), 0o600)
        return ok
    return ctl_ok(c, *(args + ['--node-key', os.path.join(d, 'node.key'),
                               '--out-dir', d]))


def cert_of(c, i):
    r = subprocess.run([c.pmgtmctl, 'cert', 'show', '--json',
                        os.path.join(c.dir, 'lb%d' % i, 'node.cert')],
                       capture_output=True, text=True, timeout=10)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {}


def hup(c, i):
    c.procs[i].send_signal(signal.SIGHUP)


def status(c, i):
    r = c.ctl(i, 'status', '--json')
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {}


def rejected(c, nodes):
    """Records and packets refused, but for old_version: a copy of an
    older record still in flight when a newer one arrived, which gossip
    drops in normal operation too."""
    n = 0
    for i in nodes:
        g = status(c, i).get('gossip') or {}
        r = {k: v for k, v in (g.get('rejected') or {}).items()
             if v and k != 'old_version'}
        n += sum(r.values())
        if r:
            print('# lb%d refused: %s' % (i, r))
    return n


class Watch:
    """Counts members seen suspect, dead or revoked while polling."""

    def __init__(self, c):
        self.c = c
        self.bad = []

    def poll(self, nodes, allow=()):
        for i in nodes:
            for name, m in (self.c.members(i) or {}).items():
                if name in allow:
                    continue
                if m.get('state') != 'alive':
                    self.bad.append('lb%d saw %s %s' % (i, name,
                                                        m.get('state')))

    def wait(self, pred, timeout, nodes=(1, 2, 3), allow=()):
        t0 = time.time()
        while time.time() - t0 < timeout:
            self.poll(nodes, allow)
            if pred():
                return time.time() - t0
            time.sleep(0.1)
        return None


def member(c, i, name):
    return (c.members(i) or {}).get(name) or {}


def drained_everywhere(c, nodes=(1, 2, 3)):
    return all(member(c, i, 'lb3').get('drained') is True for i in nodes)


def scenario(c):
    for i in (1, 2, 3):
        c.start(i)
    up = c.wait(lambda: all(
        (c.states(i) or {}) == {'lb1': 'alive', 'lb2': 'alive',
                                'lb3': 'alive'} for i in (1, 2, 3)), 20)
    check(up is not None, 'three nodes alive')
    out = c.ctl(1, 'drain', 'lb3', '--reason', 'disk swap')
    check(out.returncode == 0 and c.wait(lambda: drained_everywhere(c), 5) is not None,
          'lb3 drained by lb1 on every node', out.stdout + out.stderr)

    w = Watch(c)
    rej0 = rejected(c, (1, 2, 3))
    renewed = True
    for i in (1, 2, 3):
        ok = issue(c, i, valid='3h')
        want = cert_of(c, i).get('not_after')
        hup(c, i)
        t = w.wait(lambda: all(member(c, v, 'lb%d' % i).get(
            'cert_not_after') == want for v in (1, 2, 3)), 3)
        renewed = renewed and ok and want and t is not None
        if t is None:
            print('# lb%d renewal not seen everywhere' % i)
    w.wait(lambda: False, 2)
    check(renewed, 'every certificate renewed under SIGHUP: each peer '
          'holds the new one within 3 s')
    check(not w.bad, 'no member suspected during the renewals',
          '; '.join(w.bad[:5]))
    check(rejected(c, (1, 2, 3)) == rej0,
          'no record refused during the renewals (%d)' %
          (rejected(c, (1, 2, 3)) - rej0))
    st = status(c, 2)
    want = cert_of(c, 2).get('not_after')
    check(want and (st.get('cert') or {}).get('not_after') == want,
          'status shows the renewed certificate', json.dumps(st)[:300])

    # A new key for lb2.
    issue(c, 2, new_key=True, valid='3h')
    kid = cert_of(c, 2).get('key_id')
    hup(c, 2)
    t = w.wait(lambda: all(member(c, v, 'lb2').get('key_id') == kid
                           for v in (1, 3)), 3)
    check(kid and t is not None and not w.bad,
          're-keyed lb2: peers hold its new key within 3 s, no suspicion',
          '; '.join(w.bad[:5]))
    check(drained_everywhere(c), 'the drain of lb3 is still in force')

    # A revocation from another CA: refused, said once, nothing revoked.
    ctl_ok(c, 'ca', 'init', '--dir', os.path.join(c.dir, 'rogue'))
    fake = os.path.join(c.dir, 'rogue.revoked')
    ctl_ok(c, 'cert', 'revoke', '--ca-key',
           os.path.join(c.dir, 'rogue', 'ca.key'), '--cluster', 'test',
           '--name', 'lb2', '--out', fake)
    out = c.ctl(1, 'revoke', fake)
    err = out.stdout + out.stderr
    check(out.returncode == 2 and err.count('revocation refused') == 1 and
          'not signed by a CA' in err and
          member(c, 1, 'lb2').get('revoked') is False,
          'a revocation from another CA is refused, with one clear line',
          err)

    # Revoke lb2: handed to lb1 only.
    rv = os.path.join(c.dir, 'lb2.revoked')
    ok = ctl_ok(c, 'cert', 'revoke', '--ca-key',
                os.path.join(c.dir, 'ca', 'ca.key'), '--cluster', 'test',
                '--name', 'lb2', '--out', rv)
    out = c.ctl(1, 'revoke', rv)
    t = c.wait(lambda: all(member(c, v, 'lb2').get('revoked') is True
                           for v in (1, 3)), 2)
    check(ok and out.returncode == 0 and t is not None,
          'revocation given to lb1: lb1 and lb3 show lb2 revoked in %s' %
          ('%.2f s' % t if t is not None else 'never'),
          out.stdout + out.stderr)
    seen = c.wait(lambda: member(c, 3, 'lb2').get('state') in
                  ('suspect', 'dead'), 15)
    refused = sum(((status(c, v).get('gossip') or {}).get('rejected') or
                   {}).get('revoked', 0) for v in (1, 3))
    check(seen is not None and refused > 0,
          'lb2 refused (%d packets counted revoked) and no longer alive' %
          refused)
    with open(c.logs[2]) as f:
        log2 = f.read()
    check('own certificate revoked' in log2, 'lb2 logged its revocation')
    again = c.ctl(3, 'revoke', rv)
    check(again.returncode == 0, 'the same revocation again: a no-op',
          again.stdout + again.stderr)

    # Re-keyed after the revocation: a member again.
    time.sleep(1.1)
    issue(c, 2, new_key=True, valid='3h')
    hup(c, 2)
    t = c.wait(lambda: all(
        member(c, v, 'lb2').get('state') == 'alive' and
        member(c, v, 'lb2').get('revoked') is False for v in (1, 3)), 10)
    check(t is not None, 'lb2 re-keyed after its revocation: alive and not '
          'revoked on lb1 and lb3')

    # CA rotation.
    ctl_ok(c, 'ca', 'init', '--dir', os.path.join(c.dir, 'ca2'))
    pub = os.path.join(c.dir, 'ca', 'ca.pub')
    with open(pub) as f:
        old = f.read()
    with open(os.path.join(c.dir, 'ca2', 'ca.pub')) as f:
        new = f.read()
    w = Watch(c)
    rej0 = rejected(c, (1, 2, 3))
    with open(pub, 'w') as f:
        f.write(old + '\n' + new)
    for i in (1, 2, 3):
        hup(c, i)
    w.wait(lambda: False, 2)
    rotated = True
    for i in (1, 2, 3):
        rotated = issue(c, i, ca='ca2', valid='3h') and rotated
        want = cert_of(c, i).get('not_after')
        hup(c, i)
        rotated = rotated and w.wait(lambda: all(
            member(c, v, 'lb%d' % i).get('cert_not_after') == want
            for v in (1, 2, 3)), 3) is not None
    with open(pub, 'w') as f:
        f.write(new)
    for i in (1, 2, 3):
        hup(c, i)
    w.wait(lambda: False, 3)
    check(rotated and not w.bad and rejected(c, (1, 2, 3)) == rej0,
          'CA rotated (both keys, re-issued, new key only): no suspicion, '
          'no refused record', '; '.join(w.bad[:5]) +
          ' refused %d' % (rejected(c, (1, 2, 3)) - rej0))
    check(drained_everywhere(c), 'the drain issued under the old CA is '
          'still in force everywhere')
    c.kill(3, signal.SIGTERM)
    c.start(3)
    t = c.wait(lambda: drained_everywhere(c) and all(
        member(c, v, 'lb3').get('state') == 'alive' for v in (1, 2, 3)), 15)
    check(t is not None, 'lb3 restarted after the rotation (its drain '
          'from its state file): alive everywhere, still drained')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    args = ap.parse_args()

    c = Cluster(args.pmgtmd, args.pmgtmctl, base=BASE)
    try:
        scenario(c)
    finally:
        c.stop_all()
        if test_cluster.failed:
            c.dump_logs()
        shutil.rmtree(c.dir, ignore_errors=True)
    print('%d passed, %d failed' % (test_cluster.passed, test_cluster.failed))
    return 1 if test_cluster.failed else 0


if __name__ == '__main__':
    sys.exit(main())
