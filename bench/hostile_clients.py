#!/usr/bin/python3
"""pmgtmd's memory and service under hostile DNS-over-TCP clients.

    sudo bench/hostile_clients.py --pmgtmd build/pmgtmd [--queries 20000]

A benchmark, not a test: it prints a table and never fails because of a
number. One pmgtmd with the default TCP limits (tcp_max_connections 512,
tcp_idle_timeout 10s) listens on 127.0.0.150:5300; clients bind to
127.0.0.152-159, `dig +tcp` asks from 127.0.0.151. Three scenarios, each
on a fresh process:

  no-read x1    one connection, SO_RCVBUF 4096, pipelines --queries A
                queries and never reads
  no-read x60   the same on 60 connections
  slowloris     512 connections each send a 2-byte length (65535) and
                then one byte every 4 s; after 6 s a fresh dig +tcp asks;
                the closed count is taken after 12 s

Columns: queries the clients got into the socket, RSS before, peak RSS
(VmHWM) and its growth, connections the server had closed when
measured, and whether a fresh `dig +tcp` was answered (and how fast).
Everything started is stopped on exit; each step is bounded in time.
"""

import argparse
import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tests', 'integration'))
import dnsmsg  # noqa: E402

IP, DIG_SRC, PORT = '127.0.0.150', '127.0.0.151', 5300
SRC = ['127.0.0.%d' % i for i in range(152, 160)]
CONFIG = """node:
  name: bench
  addresses: [127.0.0.1]
  state_dir: %s
dns:
  listen: ["%s:%d"]
  zones:
    - name: api.example.com
      ns: ["lb1.api.example.com 127.0.0.1"]
control:
  socket: %s
log:
  level: warn
"""


def kb(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return 0


def start(binary, tmp):
    os.makedirs(os.path.join(tmp, 'state'), exist_ok=True)
    path = os.path.join(tmp, 'pmgtm.yaml')
    with open(path, 'w') as f:
        f.write(CONFIG % (os.path.join(tmp, 'state'), IP, PORT,
                          os.path.join(tmp, 'control.sock')))
    log = open(os.path.join(tmp, 'pmgtmd.log'), 'ab')
    p = subprocess.Popen([binary, '-c', path], stdin=subprocess.DEVNULL,
                         stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    q = dnsmsg.query('api.example.com', 'A')
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError('pmgtmd exited: see %s' % tmp)
        if dnsmsg.udp_exchange(IP, PORT, q, 0.2) is not None:
            return p
        time.sleep(0.05)
    p.kill()
    raise RuntimeError('pmgtmd did not answer')


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def dig_tcp():
    t0 = time.monotonic()
    r = subprocess.run(['dig', '@' + IP, '-p', str(PORT), '-b', DIG_SRC,
                        '+tcp', '+tries=1', '+time=3', 'api.example.com',
                        'A'], capture_output=True, text=True, timeout=10)
    dt = time.monotonic() - t0
    if 'status: NOERROR' in r.stdout:
        return 'yes (%.2f s)' % dt
    for line in r.stdout.splitlines():
        if line.startswith(';;') and ('reset' in line or 'timed out' in line
                                      or 'refused' in line):
            return 'no (%s)' % line.strip(';; ')[:40]
    return 'no'


def closed(s):
    s.setblocking(False)
    try:
        return s.recv(65536, socket.MSG_PEEK) == b''
    except (BlockingIOError, TimeoutError):
        return False
    except OSError:
        return True


def no_read(p, n, queries):
    q = dnsmsg.query('api.example.com', 'A')
    one = struct.pack('!H', len(q)) + q
    blob = one * queries
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind((SRC[i % len(SRC)], 0))
        s.connect((IP, PORT))
        s.setblocking(False)
        socks.append(s)
    sent = [0] * n
    t0 = time.monotonic()
    while time.monotonic() - t0 < 8 and min(sent) < len(blob):
        moved = False
        for i, s in enumerate(socks):
            if sent[i] >= len(blob):
                continue
            try:
                k = s.send(blob[sent[i]:sent[i] + 65536])
                sent[i] += k
                moved = moved or k > 0
            except BlockingIOError:
                pass
            except OSError:
                sent[i] = len(blob)
        if not moved:
            time.sleep(0.05)
    time.sleep(1.0)
    gone = sum(1 for s in socks if closed(s))
    answered = dig_tcp()
    for s in socks:
        s.close()
    return sum(sent) // len(one), gone, answered


def slowloris(p, n):
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((SRC[i % len(SRC)], 0))
        s.settimeout(2)
        try:
            s.connect((IP, PORT))
            s.send(b'\xff\xff')
        except OSError:
            s.close()
            continue
        socks.append(s)
    t0 = time.monotonic()
    next_drip = t0 + 4
    answered = None
    while time.monotonic() - t0 < 12:
        if time.monotonic() >= next_drip:
            for s in socks:
                try:
                    s.send(b'\x00', socket.MSG_DONTWAIT)
                except OSError:
                    pass
            next_drip += 4
        if answered is None and time.monotonic() - t0 >= 6:
            answered = dig_tcp()
        time.sleep(0.05)
    gone = sum(1 for s in socks if closed(s))
    for s in socks:
        s.close()
    return 0, gone, answered


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--queries', type=int, default=20000,
                    help='queries per no-read connection (default 20000)')
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)),
                                                hard))
    rows = []
    for name, run in (('no-read x1', lambda p: no_read(p, 1, args.queries)),
                      ('no-read x60',
                       lambda p: no_read(p, 60, args.queries)),
                      ('slowloris x512', lambda p: slowloris(p, 512))):
        tmp = tempfile.mkdtemp(prefix='pmgtm-bench-hostile-')
        p = start(os.path.abspath(args.pmgtmd), tmp)
        try:
            before = kb(p.pid, 'VmRSS')
            sent, gone, answered = run(p)
            peak = kb(p.pid, 'VmHWM')
            alive = p.poll() is None
            rows.append((name, sent, before, peak, peak - before, gone,
                         answered if alive else 'DIED'))
        finally:
            stop(p)
            shutil.rmtree(tmp, ignore_errors=True)
    head = ('scenario', 'queries', 'RSS before', 'peak RSS', 'growth',
            'closed by server', 'fresh dig +tcp')
    print('| ' + ' | '.join(head) + ' |')
    print('|' + '---|' * len(head))
    for r in rows:
        print('| %s | %d | %d KiB | %d KiB | %+d KiB | %d | %s |' % r)
    return 0


if __name__ == '__main__':
    sys.exit(main())
