#!/usr/bin/python3
"""Drain any node from any node: three real pmgtmd processes on 127.0.0.x.

  - drain lb2 from lb1: dig @lb2 answers with lb1's and lb3's addresses
    (redirect) within a second; members shows who drained it and why;
  - min_active refuses a drain (exit 2) unless --force;
  - SIGKILL lb2 and restart: it never answers with its own address;
  - undrain from lb3: lb2 answers with its own address again; undrain of
    a node not drained is a no-op; --ttl expires on its own; --wait waits
    for every member, the target and one zone TTL;
  - refuse and silent modes: REFUSED, and no answer at all;
  - auto-drain: lb2's TCP health target stops -> lb2 drains itself; it
    comes back -> lb2 undrains itself, also when it came back while lb2
    was down.

Usage: test_drain.py --pmgtmd PATH --pmgtmctl PATH
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cluster  # noqa: E402
from test_cluster import Cluster  # noqa: E402

check = test_cluster.check
TTL = 2  # zone TTL for these tests, so --wait and TTL waits stay short


def dig_full(server, name='www.api.example.com', qtype='A', timeout=1):
    out = subprocess.run(['dig', '+norec', '+time=%d' % timeout, '+tries=1',
                          '-p', '5353', '@' + server, name, qtype],
                         capture_output=True, text=True, timeout=10)
    status = None
    for line in out.stdout.splitlines():
        if 'status:' in line:
            status = line.split('status:')[1].split(',')[0].strip()
    answers = sorted(line.split()[-1] for line in out.stdout.splitlines()
                     if line and not line.startswith(';') and
                     '\tA\t' in line)
    return status, answers


def wait_answers(server, want, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        _, got = dig_full(server)
        if got == want:
            return time.time() - t0
        time.sleep(0.02)
    return None


def zone_yaml(i, health_port=None):
    y = ''
    if health_port and i == 2:
        y += '''health_checks:
  - {{ name: lb, type: tcp, target: "127.0.0.1:{p}", interval: 200ms,
      timeout: 100ms, rise: 2, fall: 2 }}
'''.format(p=health_port)
    return y


def make(args, base, mode, extra=None):
    c = Cluster(args.pmgtmd, args.pmgtmctl, base=base, extra=extra,
                drain_mode=mode)
    # Short TTLs and min_active 2 for these tests.
    for i in range(1, 4):
        path = os.path.join(c.dir, 'lb%d' % i, 'pmgtm.yaml')
        with open(path) as f:
            text = f.read()
        text = text.replace('ttl: 30', 'ttl: %d' % TTL)
        text = text.replace('  profile: lan', '  profile: lan\n  min_active: 2')
        with open(path, 'w') as f:
            f.write(text)
    for i in range(1, 4):
        c.start(i)
    everyone = {'lb%d' % i: 'alive' for i in range(1, 4)}
    t = c.wait(lambda: test_cluster.all_see(c, everyone, range(1, 4)), 15)
    check(t is not None, '[%s] three nodes alive everywhere' % mode)
    return c


class Target:
    """lb2's health target: a TCP listener that accepts and closes."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.thread = None

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', self.port))
        self.sock.listen(64)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        sock = self.sock
        while True:
            try:
                conn, _ = sock.accept()
                conn.close()
            except OSError:
                return

    def stop(self):
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None
            self.thread.join(timeout=5)


def redirect_scenarios(args, port):
    target = Target(port)
    target.start()
    c = make(args, 50, 'redirect', extra=lambda i: zone_yaml(i, port))
    try:
        ip = {i: c.ip(i) for i in range(1, 4)}
        others = sorted([ip[1], ip[3]])
        check(dig_full(ip[2])[1] == [ip[2]], 'lb2 answers with its own address')

        t0 = time.time()
        out = c.ctl(1, 'drain', 'lb2', '--reason', 'kernel upgrade')
        t = wait_answers(ip[2], others, 5)
        check(out.returncode == 0 and t is not None and t < 1.0,
              'drain lb2 on lb1: dig @lb2 gets lb1+lb3 (redirect) %s after '
              'pmgtmctl returned' % ('%.3f s' % t if t is not None else
                                     'never'),
              out.stdout + out.stderr)
        # lb3 learns it by gossip too (bounded; timing is checked above).
        c.wait(lambda: ((c.members(3) or {}).get('lb2') or {}).get(
            'drained') is True, 3.0)
        m = c.members(3) or {}
        d = (m.get('lb2') or {}).get('drain') or {}
        check(m.get('lb2', {}).get('drained') is True and
              d.get('by') == 'lb1' and d.get('reason') == 'kernel upgrade'
              and d.get('user'),
              'members on lb3: lb2 drained by lb1 (user %s): %s' %
              (d.get('user'), d.get('reason')), str(m.get('lb2')))
        check(dig_full(ip[1])[1] == [ip[1]],
              'lb1 still answers with its own address')

        out = c.ctl(3, 'drain', 'lb1')
        check(out.returncode == 2 and 'min_active' in out.stdout +
              out.stderr, 'drain lb1 with min_active 2: refused, exit 2',
              out.stdout + out.stderr)
        out = c.ctl(3, 'drain', 'lb1', '--force')
        check(out.returncode == 0, 'drain lb1 --force: accepted')
        out = c.ctl(3, 'undrain', 'lb1')
        check(out.returncode == 0, 'undrain lb1')

        # SIGKILL lb2 and restart: never its own address.
        c.kill(2)
        c.start(2)
        seen_own, answered = False, 0
        t0 = time.time()
        while time.time() - t0 < 4:
            status, got = dig_full(ip[2])
            if got:
                answered += 1
            if ip[2] in got:
                seen_own = True
            time.sleep(0.02)
        check(answered > 0 and not seen_own,
              'lb2 killed and restarted while drained: %d answers, never '
              'its own address' % answered)

        out = c.ctl(3, 'undrain', 'lb2')
        t = wait_answers(ip[2], [ip[2]], 5)
        check(out.returncode == 0 and t is not None and t < 1.0,
              'undrain lb2 on lb3: own address again after %s' %
              ('%.3f s' % t if t is not None else 'never'))
        out = c.ctl(1, 'undrain', 'lb2')
        check(out.returncode == 0 and 'not drained' in out.stdout +
              out.stderr, 'undrain of a node not drained: a no-op, said so',
              out.stdout + out.stderr)

        out = c.ctl(1, 'drain', 'lb2', '--ttl', '2s')
        t1 = wait_answers(ip[2], others, 3)
        t2 = wait_answers(ip[2], [ip[2]], 6)
        check(out.returncode == 0 and t1 is not None and t2 is not None,
              'drain --ttl 2s: drained, then back on its own')

        t0 = time.time()
        out = c.ctl(3, 'drain', 'lb2', '--wait', '--timeout', '30s')
        took = time.time() - t0
        check(out.returncode == 0 and took >= TTL,
              'drain --wait: returned after %.1f s (members + target + '
              'one TTL of %d s)' % (took, TTL), out.stdout + out.stderr)
        out = c.ctl(3, 'undrain', 'lb2', '--wait', '--timeout', '30s')
        check(out.returncode == 0, 'undrain --wait')

        # Auto-drain: the health target goes away, then comes back.
        target.stop()
        t = wait_answers(ip[2], others, 10)
        d = {}
        for _ in range(30):  # lb1 hears of it a moment after lb2 applied it
            m = c.members(1) or {}
            d = (m.get('lb2') or {}).get('drain') or {}
            if d:
                break
            time.sleep(0.1)
        check(t is not None and d.get('by') == 'lb2' and
              'lb' in (d.get('reason') or ''),
              'health target down: lb2 drained itself (%s)' %
              d.get('reason'), str(m.get('lb2')))
        # A reload while auto-drained: the checks keep their state, the
        # node stays drained.
        c.procs[2].send_signal(signal.SIGHUP)
        time.sleep(1.5)
        check(dig_full(ip[2])[1] == others,
              'SIGHUP while auto-drained: still drained')
        target.start()
        t = wait_answers(ip[2], [ip[2]], 10)
        check(t is not None, 'health target back: lb2 undrained itself')

        # A restart while auto-drained, the target back meanwhile: the
        # new checks pass from the start and never change state, yet lb2
        # undrains once they have run.
        target.stop()
        t = wait_answers(ip[2], others, 10)
        check(t is not None, 'health target down again: lb2 drained itself')
        c.kill(2)
        target.start()
        c.start(2)
        t = wait_answers(ip[2], [ip[2]], 10)
        check(t is not None,
              'restarted while auto-drained, target back: lb2 undrained '
              'itself after %s' % ('%.1f s' % t if t is not None else 'never'))

        # An operator's drain is never undone by a passing health check.
        out = c.ctl(1, 'drain', 'lb2', '--reason', 'operator')
        time.sleep(1.5)
        check(dig_full(ip[2])[1] == others,
              'an operator drain stays while the health check passes')
        c.ctl(1, 'undrain', 'lb2')
    finally:
        target.stop()
        c.stop_all()
        if test_cluster.failed:
            c.dump_logs()
        shutil.rmtree(c.dir, ignore_errors=True)


def mode_scenario(args, base, mode):
    c = make(args, base, mode)
    try:
        ip2 = c.ip(2)
        c.ctl(1, 'drain', 'lb2')
        time.sleep(1.0)
        status, got = dig_full(ip2)
        if mode == 'refuse':
            check(status == 'REFUSED' and not got,
                  '[refuse] drained lb2 answers REFUSED', str(status))
        else:
            check(status is None,
                  '[silent] drained lb2 does not answer', str(status))
        out = subprocess.run(['dig', '+short', '+time=1', '+tries=1', '-p',
                              '5353', '@' + ip2, 'id.server', 'CH', 'TXT'],
                             capture_output=True, text=True, timeout=10)
        check(out.stdout.strip() == '"lb2"',
              '[%s] id.server still answers' % mode, out.stdout)
        c.ctl(3, 'undrain', 'lb2')
        t = wait_answers(ip2, [ip2], 5)
        check(t is not None, '[%s] undrained: own address again' % mode)
    finally:
        c.stop_all()
        if test_cluster.failed:
            c.dump_logs()
        shutil.rmtree(c.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    args = ap.parse_args()
    redirect_scenarios(args, 18081)
    mode_scenario(args, 60, 'refuse')
    mode_scenario(args, 70, 'silent')
    print('%d passed, %d failed' % (test_cluster.passed, test_cluster.failed))
    return 1 if test_cluster.failed else 0


if __name__ == '__main__':
    sys.exit(main())
