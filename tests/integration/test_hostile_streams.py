#!/usr/bin/python3
"""Hostile TCP push-pull streams and a misused state_dir, against real
pmgtmd processes on 127.0.0.171-172 (clients bind 127.0.0.174-179, the
health target listens on 127.0.0.170).

  (d) stale '.intents.XXXXXX' and '.generation.XXXXXX' temporaries left
      by a crash are gone once the node has started; other files stay;
  (c) a second pmgtmd on the same state_dir exits non-zero with "in use by
      another pmgtmd (pid N)" and leaves the generation file unchanged;
      --check-config on the same config still works;
  (b) 400 idle connections to lb2's gossip port while lb2 runs with
      RLIMIT_NOFILE 256 and a tcp health check: lb2 does not drain itself;
  (a) 100 connections each announcing a 4 MiB-1 frame and sending what
      fits in 1 s (never the last byte): lb2's peak RSS grows by less than
      64 MiB, it still answers DNS and its control socket, and lb1 and lb2
      still see each other alive.

Usage: test_hostile_streams.py --pmgtmd PATH --pmgtmctl PATH
Every process and socket is closed at the end; every wait is bounded.
"""
import argparse
import ctypes
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsmsg  # noqa: E402
import test_cluster  # noqa: E402
from test_cluster import Cluster, check  # noqa: E402

BASE = 170  # lb1 127.0.0.171, lb2 127.0.0.172
TARGET_IP, TARGET_PORT = '127.0.0.170', 7999
SOURCES = ['127.0.0.%d' % i for i in range(174, 180)]
NOFILE = 256
RSS_BOUND_MB = 64
FRAME = (4 << 20) - 1


def lb2_extra(i):
    if i != 2:
        return ''
    return '''health_checks:
  - {{ name: payload, type: tcp, target: "{ip}:{p}", interval: 200ms,
      timeout: 150ms, rise: 2, fall: 2 }}
'''.format(ip=TARGET_IP, p=TARGET_PORT)


class Target:
    """The health target: a TCP listener that accepts and closes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((TARGET_IP, TARGET_PORT))
        self.sock.listen(64)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
                conn.close()
            except OSError:
                return

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)


def limited():
    """preexec: die with the test, and few file descriptors."""
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def start_limited(c, i):
    cfg = os.path.join(c.dir, 'lb%d' % i, 'pmgtm.yaml')
    log = open(os.path.join(c.dir, 'lb%d.log' % i), 'a')
    c.logs[i] = log.name
    c.procs[i] = subprocess.Popen([c.pmgtmd, '-c', cfg], stdout=log,
                                  stderr=log, preexec_fn=limited)


def proc_mem_kb(pid):
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmRSS', 'VmHWM'):
                out[k] = int(v.split()[0])
    return out


def log_text(c, i):
    with open(c.logs[i], errors='replace') as f:
        return f.read()


def open_conns(n, ip, port, timeout=2.0):
    """@n TCP connections from SOURCES in turn; those that fail are
    skipped (a full backlog, a reset)."""
    conns = []
    for k in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     b'\x01\x00\x00\x00\x00\x00\x00\x00')  # RST on close
        s.settimeout(timeout)
        try:
            s.bind((SOURCES[k % len(SOURCES)], 0))
            s.connect((ip, port))
        except OSError:
            s.close()
            continue
        conns.append(s)
    return conns


def close_all(conns):
    for s in conns:
        try:
            s.close()
        except OSError:
            pass


def flood(conns, seconds):
    """Announces a FRAME-byte frame on every connection and sends what
    fits in @seconds, never the last byte. Returns the bytes sent."""
    chunk = b'\xa5' * 65536
    left = {}
    for s in conns:
        s.setblocking(False)
        try:
            s.send(FRAME.to_bytes(4, 'big'))
            left[s] = FRAME - 1
        except OSError:
            pass
    sent = 0
    end = time.monotonic() + seconds
    while left and time.monotonic() < end:
        _, w, _ = select.select([], list(left), [], 0.05)
        for s in w:
            try:
                n = s.send(chunk[:min(len(chunk), left[s])])
            except OSError:
                n = -1
            if n <= 0:
                del left[s]
                continue
            sent += n
            left[s] -= n
            if not left[s]:
                del left[s]
    return sent


def answers_dns(ip):
    q = dnsmsg.query('api.example.com', 'SOA', edns=False)
    return dnsmsg.udp_exchange(ip, 5353, q, 1.0) is not None


def sees_alive(c, i, name):
    m = c.members(i) or {}
    return (m.get(name) or {}).get('state') == 'alive'


def drained(c, i, name):
    m = c.members(i) or {}
    return bool((m.get(name) or {}).get('drained'))


def stale_temps(c):
    """(d) before the start: temporaries a crash would leave behind."""
    state = os.path.join(c.dir, 'lb2', 'state')
    made = ['.intents.Ab3xZ9', '.intents.000000', '.generation.q1W2e3']
    keep = ['.intents.notours', 'intents.Ab3xZ9', 'notes.txt']
    for name in made + keep:
        with open(os.path.join(state, name), 'wb') as f:
            f.write(b'x' * 4096)
    return state, made, keep


def scenario(c, args):
    state, made, keep = stale_temps(c)
    c.start(1)
    start_limited(c, 2)
    t = c.wait(lambda: sees_alive(c, 1, 'lb2') and sees_alive(c, 2, 'lb1'),
               15)
    check(t is not None, 'lb1 and lb2 alive on each other')
    pid = c.procs[2].pid

    # (d)
    left = [n for n in made if os.path.exists(os.path.join(state, n))]
    kept = [n for n in keep if os.path.exists(os.path.join(state, n))]
    check(not left and kept == keep,
          '(d) stale temporaries removed at start-up, other files kept',
          'left %s, kept %s' % (left, kept))
    said = [line for line in log_text(c, 2).splitlines()
            if 'removed stale temporary files' in line]
    check(len(said) == 1 and 'count=%d' % len(made) in said[0],
          '(d) the start-up log says how many were removed', str(said))

    # (c)
    gen = os.path.join(state, 'generation')
    with open(gen, 'rb') as f:
        before = f.read()
    mtime = os.stat(gen).st_mtime_ns
    cfg = os.path.join(c.dir, 'lb2', 'pmgtm.yaml')
    try:
        out = subprocess.run([args.pmgtmd, '-c', cfg], capture_output=True,
                             text=True, timeout=20)
        rc, err = out.returncode, out.stderr
    except subprocess.TimeoutExpired as e:
        rc, err = 'timeout', str(e.stderr)
    with open(gen, 'rb') as f:
        after = f.read()
    want = 'is in use by another pmgtmd (pid %d)' % pid
    check(rc not in (0, 'timeout') and want in err,
          '(c) second pmgtmd on the same state_dir: exit %s, "%s"'
          % (rc, want), err[-300:])
    check(after == before and os.stat(gen).st_mtime_ns == mtime,
          '(c) the generation file is unchanged',
          '%r -> %r' % (before, after))
    check(c.procs[2].poll() is None and sees_alive(c, 1, 'lb2'),
          '(c) the first lb2 runs on, alive on lb1')
    out = subprocess.run([args.pmgtmd, '-c', cfg, '--check-config'],
                         capture_output=True, text=True, timeout=20)
    check(out.returncode == 0, '(c) --check-config takes no lock: exit 0',
          out.stdout + out.stderr)

    # Another process cannot bind lb2's gossip port, even asking for
    # SO_REUSEADDR: it would take lb2's datagrams, or send as lb2.
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((c.ip(2), 7946))
        bound = True
    except OSError:
        bound = False
    sock.close()
    check(not bound, "(c) another process cannot bind lb2's gossip UDP "
          "port with SO_REUSEADDR")

    # (b)
    conns = open_conns(400, c.ip(2), 7946, timeout=0.5)
    time.sleep(3.0)  # fall 2 at 200 ms: a dozen attempts
    on2, on1 = drained(c, 2, 'lb2'), drained(c, 1, 'lb2')
    close_all(conns)
    text = log_text(c, 2)
    check(not on2 and not on1 and 'auto-drain' not in text,
          '(b) %d idle gossip connections at RLIMIT_NOFILE %d: lb2 does '
          'not drain itself' % (len(conns), NOFILE),
          '\n'.join(line for line in text.splitlines()
                    if 'health' in line or 'drain' in line)[-600:])
    check(c.procs[2].poll() is None and answers_dns(c.ip(2)),
          '(b) lb2 still runs and answers DNS')

    # (a)
    time.sleep(0.5)
    base = proc_mem_kb(pid)['VmRSS']
    conns = open_conns(100, c.ip(2), 7946)
    sent = flood(conns, 1.0)
    time.sleep(0.5)  # what is in the socket buffers reaches the daemon
    mem = proc_mem_kb(pid)
    grew = (max(mem['VmHWM'], mem['VmRSS']) - base) / 1024.0
    dns_ok = answers_dns(c.ip(2))
    ctl = c.ctl(2, 'status')
    alive = c.wait(lambda: sees_alive(c, 1, 'lb2') and
                   sees_alive(c, 2, 'lb1'), 10)
    close_all(conns)
    print('# flood: %d connections, %.1f MiB sent; lb2 VmRSS %d kB before, '
          'VmRSS %d kB VmHWM %d kB after' % (len(conns), sent / 1048576.0,
                                             base, mem['VmRSS'],
                                             mem['VmHWM']))
    check(grew < RSS_BOUND_MB,
          '(a) 100 x 4 MiB frames: peak RSS grew %.1f MiB (bound %d MiB)'
          % (grew, RSS_BOUND_MB))
    check(dns_ok, '(a) lb2 answers DNS during the flood')
    check(ctl.returncode == 0, '(a) lb2 answers its control socket',
          ctl.stdout + ctl.stderr)
    check(alive is not None, '(a) lb1 and lb2 still see each other alive')
    check(c.procs[2].poll() is None, '(a) lb2 still runs')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    args = ap.parse_args()

    # Under ASan freed memory waits in a quarantine, which RSS counts:
    # keep it small so RSS measures the daemon's own holdings.
    os.environ['ASAN_OPTIONS'] = ':'.join(filter(None, [
        os.environ.get('ASAN_OPTIONS'), 'quarantine_size_mb=1']))
    target = Target()
    c = Cluster(args.pmgtmd, args.pmgtmctl, base=BASE, extra=lb2_extra)
    try:
        scenario(c, args)
    finally:
        c.stop_all()
        target.stop()
        if test_cluster.failed:
            c.dump_logs()
        shutil.rmtree(c.dir, ignore_errors=True)
    print('%d passed, %d failed' % (test_cluster.passed, test_cluster.failed))
    return 1 if test_cluster.failed else 0


if __name__ == '__main__':
    sys.exit(main())
