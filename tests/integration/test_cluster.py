#!/usr/bin/python3
"""Three real pmgtmd processes form a signed gossip cluster on 127.0.0.x.

Checks, with pmgtmctl over each node's control socket:
  - every node sees every member alive, with its addresses and NS name;
  - the NS set (no static ns list) is every member's NS name on every node;
  - kill -9 of one node: dead on the others within the documented bound;
  - restarted: alive again everywhere, with a higher generation;
  - a key file readable by others: pmgtmd refuses to start, clearly;
  - SIGTERM: the node leaves ("left" on the others).
Gossip is sealed with a cluster key (pmgtmctl key generate).

Usage: test_cluster.py --pmgtmd PATH --pmgtmctl PATH
Traffic goes only to 127.0.0.0/8; every process is stopped at the end.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NODES = 3
BASE = 40  # 127.0.0.41..43
DEAD_BOUND_S = 8.0  # lan: ~1 s probe + 0.5 s timeout + 2.5 s suspicion + margin

passed = 0
failed = 0


def check(ok, what, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('ok - ' + what)
    else:
        failed += 1
        print('FAIL - ' + what + (': ' + detail if detail else ''))
    sys.stdout.flush()


class Cluster:
    """Three nodes lb1..lb3 on 127.0.0.(base+i); @extra(i) adds YAML."""

    def __init__(self, pmgtmd, pmgtmctl, base=BASE, extra=None,
                 drain_mode='redirect'):
        self.pmgtmd = pmgtmd
        self.pmgtmctl = pmgtmctl
        self.base = base
        self.extra = extra or (lambda i: '')
        self.drain_mode = drain_mode
        self.dir = tempfile.mkdtemp(prefix='pmgtm-cluster-')
        self.procs = {}
        self.logs = {}
        ca = os.path.join(self.dir, 'ca')
        run(pmgtmctl, 'ca', 'init', '--dir', ca)
        # Every packet sealed with a cluster key.
        self.key = os.path.join(self.dir, 'cluster.key')
        run(pmgtmctl, 'key', 'generate', '--out', self.key)
        for i in range(1, NODES + 1):
            name = 'lb%d' % i
            run(pmgtmctl, 'cert', 'issue', '--ca-key',
                os.path.join(ca, 'ca.key'), '--cluster', 'test',
                '--name', name, '--out-dir',
                os.path.join(self.dir, name))
            self.write_config(i)

    def ip(self, i):
        return '127.0.0.%d' % (self.base + i)

    def sock(self, i):
        return os.path.join(self.dir, 'lb%d' % i, 'control.sock')

    def write_config(self, i):
        d = os.path.join(self.dir, 'lb%d' % i)
        os.makedirs(os.path.join(d, 'state'), exist_ok=True)
        with open(os.path.join(d, 'pmgtm.yaml'), 'w') as f:
            f.write('''node:
  name: lb{i}
  addresses: [{ip}]
  ns_name: lb{i}.api.example.com
  state_dir: {d}/state
  key_file: {d}/node.key
  cert_file: {d}/node.cert
dns:
  listen: ["{ip}:5353"]
  drain_mode: {mode}
  zones:
    - name: api.example.com
      ttl: 30
cluster:
  name: test
  listen: "{ip}:7946"
  seeds: ["{seed}:7946"]
  ca_file: {ca}/ca.pub
  profile: lan
  encrypt_keys: [{key}]
control:
  socket: {sock}
log:
  level: debug
{extra}'''.format(i=i, ip=self.ip(i), d=d, seed=self.ip(1),
           mode=self.drain_mode, extra=self.extra(i),
           ca=os.path.join(self.dir, 'ca'), sock=self.sock(i),
           key=self.key))

    def start(self, i):
        cfg = os.path.join(self.dir, 'lb%d' % i, 'pmgtm.yaml')
        log = open(os.path.join(self.dir, 'lb%d.log' % i), 'a')
        self.logs[i] = log.name
        self.procs[i] = subprocess.Popen([self.pmgtmd, '-c', cfg],
                                         stdout=log, stderr=log)

    def kill(self, i, sig=signal.SIGKILL):
        p = self.procs.pop(i, None)
        if p:
            p.send_signal(sig)
            p.wait(timeout=10)
            return p.returncode
        return None

    def members(self, i):
        try:
            out = subprocess.run(
                [self.pmgtmctl, '-s', self.sock(i), 'members', '--json'],
                capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return None
        if out.returncode != 0:
            return None
        try:
            return {m['name']: m for m in json.loads(out.stdout)['members']}
        except (ValueError, KeyError):
            return None

    def ctl(self, i, *args):
        return subprocess.run([self.pmgtmctl, '-s', self.sock(i)] +
                              list(args), capture_output=True, text=True,
                              timeout=60)

    def states(self, i):
        m = self.members(i)
        return {k: v['state'] for k, v in m.items()} if m else None

    def wait(self, pred, timeout):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if pred():
                return time.time() - t0
            time.sleep(0.1)
        return None

    def stop_all(self):
        for i in list(self.procs):
            self.kill(i, signal.SIGKILL)

    def dump_logs(self):
        for i, path in sorted(self.logs.items()):
            print('# ---- lb%d log (last 30 lines)' % i)
            with open(path) as f:
                for line in f.readlines()[-30:]:
                    print('#   ' + line.rstrip())


def run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


def dig(server, name, qtype):
    out = subprocess.run(['dig', '+norec', '+short', '+time=1', '+tries=1',
                          '-p', '5353', '@' + server, name, qtype],
                         capture_output=True, text=True, timeout=10)
    return sorted(out.stdout.split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    args = ap.parse_args()

    c = Cluster(args.pmgtmd, args.pmgtmctl)
    try:
        scenario(c)
    finally:
        c.stop_all()
        if failed:
            c.dump_logs()
        shutil.rmtree(c.dir, ignore_errors=True)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


def all_see(c, want, nodes):
    for i in nodes:
        s = c.states(i)
        if s is None:
            return False
        for name, state in want.items():
            if s.get(name) != state:
                return False
    return True


def scenario(c):
    everyone = {'lb%d' % i: 'alive' for i in range(1, NODES + 1)}
    for i in range(1, NODES + 1):
        c.start(i)
    t = c.wait(lambda: all_see(c, everyone, range(1, NODES + 1)), 15)
    check(t is not None, 'three nodes: every member alive everywhere'
          + (' after %.1f s' % t if t else ''), str(c.states(1)))

    m = c.members(2) or {}
    lb3 = m.get('lb3', {})
    check(lb3.get('addresses') == [c.ip(3)] and lb3.get('generation', 0) > 0,
          'members --json: lb3 with its address and generation', str(lb3))

    want_ns = ['lb%d.api.example.com.' % i for i in range(1, NODES + 1)]
    got = [dig(c.ip(i), 'api.example.com', 'NS') for i in range(1, NODES + 1)]
    check(all(g == want_ns for g in got),
          'NS set = every member NS name, identical on every node', str(got))
    got = [dig(c.ip(i), 'lb3.api.example.com', 'A')
           for i in range(1, NODES + 1)]
    check(all(g == [c.ip(3)] for g in got),
          'lb3.api.example.com A = lb3 address (learned by gossip) '
          'on every node', str(got))

    # A plain (unsealed) packet to a sealed cluster is refused and counted.
    import socket
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b'PG\x01\x92\xc4\x00\xc4\x00', (c.ip(2), 7946))
    u.close()
    rejected = {}
    for _ in range(20):
        out = subprocess.run([c.pmgtmctl, '-s', c.sock(2), 'status',
                              '--json'], capture_output=True, text=True,
                             timeout=5)
        try:
            rejected = json.loads(out.stdout)['gossip']['rejected']
        except (ValueError, KeyError, TypeError):
            rejected = {}
        if rejected.get('not_encrypted', 0) >= 1:
            break
        time.sleep(0.1)
    check(rejected.get('not_encrypted', 0) >= 1,
          'a plain packet to the sealed cluster: rejected and counted',
          str(rejected))

    gen_before = lb3.get('generation', 0)
    c.kill(3)
    t = c.wait(lambda: all_see(c, {'lb3': 'dead'}, [1, 2]), 30)
    check(t is not None and t < DEAD_BOUND_S,
          'kill -9 lb3: dead on lb1 and lb2 in %s s (bound %.0f s)'
          % ('%.1f' % t if t else 'never', DEAD_BOUND_S),
          str(c.states(1)))

    c.start(3)
    t = c.wait(lambda: all_see(c, everyone, range(1, NODES + 1)), 20)
    check(t is not None, 'lb3 restarted: alive everywhere again'
          + (' after %.1f s' % t if t else ''), str(c.states(1)))
    gen_after = (c.members(1) or {}).get('lb3', {}).get('generation', 0)
    check(gen_after > gen_before,
          'restarted lb3 has a higher generation (%s > %s)'
          % (gen_after, gen_before))

    # A key file that others can read: refused, with a clear message.
    key = os.path.join(c.dir, 'lb2', 'node.key')
    c.kill(2)
    os.chmod(key, 0o644)
    cfg = os.path.join(c.dir, 'lb2', 'pmgtm.yaml')
    out = subprocess.run([c.pmgtmd, '-c', cfg], capture_output=True,
                         text=True, timeout=20)
    check(out.returncode != 0 and 'readable by group or others' in out.stderr,
          'node.key mode 0644: pmgtmd refuses to start', out.stderr[-300:])
    os.chmod(key, 0o600)
    c.start(2)
    t = c.wait(lambda: all_see(c, everyone, range(1, NODES + 1)), 20)
    check(t is not None, 'lb2 back with a private key: alive everywhere')

    rc = c.kill(1, signal.SIGTERM)
    check(rc == 0, 'SIGTERM: pmgtmd exits 0 (got %s)' % rc)
    t = c.wait(lambda: all_see(c, {'lb1': 'left'}, [2, 3]), 10)
    check(t is not None, 'SIGTERM lb1: "left" on lb2 and lb3',
          str(c.states(2)))


if __name__ == '__main__':
    sys.exit(main())
