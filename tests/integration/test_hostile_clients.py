#!/usr/bin/python3
"""Hostile TCP clients against real pmgtmd processes (127.0.0.150-159).

  - no-read: connections with a 4 KiB receive buffer pipeline thousands of
    queries and never read; the daemon's peak RSS grows by a few MiB at
    most, and UDP and a fresh TCP connection are still answered;
  - slowloris: dripping connections fill dns.tcp_max_connections; a fresh
    well-behaved client is still answered (the least recently active
    connection makes room), and a connection that never completes a
    message is closed after dns.tcp_idle_timeout however often it sends
    a byte;
  - per source: many connections from one address do not push out another
    address's connection, nor keep a third address out;
  - /metrics: 70 dripping clients from one address do not stop a scrape
    from another, and every dripping request is cut by the request
    deadline (10 s) at the latest.

    /usr/bin/python3 tests/integration/test_hostile_clients.py \\
        --pmgtmd build/pmgtmd

The nodes listen on 127.0.0.150 and .151; clients bind their sockets to
127.0.0.152-159 to be several sources. Prints "ok - ..." / "FAIL - ..."
lines, then "N passed, N failed"; exits 1 if anything failed.
"""

import argparse
import os
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dnsmsg  # noqa: E402
from pmgtmnode import Node, Zone, port_free  # noqa: E402

GLOBAL_TIMEOUT = 90
ZONE = Zone('api.example.com', 30, ['lb1.api.example.com 127.0.0.150'],
            dict(rname='hostmaster.example.com', serial=1, refresh=1200,
                 retry=180, expire=1209600, minimum=20))
HOG_IP, SLOW_IP = '127.0.0.150', '127.0.0.151'
SRC = ['127.0.0.%d' % i for i in range(152, 160)]
SLOW_MAX, SLOW_IDLE = 32, 3  # hc2: tcp_max_connections, tcp_idle_timeout
RSS_BOUND_KB = 10 * 1024
METRICS_DEADLINE = 10  # NODE_METRICS_TIMEOUT_S

failed = 0
passed = 0


def check(cond, desc, detail=''):
    global failed, passed
    if cond:
        passed += 1
        print('ok - %s' % desc, flush=True)
    else:
        failed += 1
        print('FAIL - %s%s' % (desc, ': %s' % detail if detail else ''),
              flush=True)
    return cond


class MetricsNode(Node):
    """A node with a /metrics section."""

    def __init__(self, *a, metrics=None, **kw):
        super().__init__(*a, **kw)
        self.metrics = metrics

    def config_lines(self):
        lines = super().config_lines()
        if self.metrics:
            lines += ['metrics:', '  listen: "%s:%d"' % self.metrics]
        return lines


def status_kb(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return 0


def connect(ip, port, src, rcvbuf=None, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((ip, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def wire(name='api.example.com', qtype='A'):
    q = dnsmsg.query(name, qtype)
    return q, struct.pack('!H', len(q)) + q


def tcp_ask(s, timeout=2.0):
    """One query on @s: True if answered NOERROR with the right ID."""
    q, w = wire()
    try:
        s.settimeout(timeout)
        s.sendall(w)
        m = dnsmsg.parse(dnsmsg.tcp_read_msg(s, timeout))
        return m.id == struct.unpack('!H', q[:2])[0] and \
            m.rcode == 'NOERROR'
    except (OSError, EOFError, ValueError):
        return False


def fresh_tcp(ip, port, src, timeout=2.0):
    try:
        s = connect(ip, port, src, timeout=timeout)
    except OSError as e:
        return False, 'connect: %s' % e
    t0 = time.monotonic()
    try:
        return tcp_ask(s, timeout), '%.2f s' % (time.monotonic() - t0)
    finally:
        s.close()


def udp_ok(ip, port):
    q, _ = wire()
    return dnsmsg.udp_exchange(ip, port, q, 1.0) is not None


def is_closed(s):
    """Whether the peer has closed @s (EOF or reset), without blocking."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        return s.recv(65536, socket.MSG_DONTWAIT) == b''
    except BlockingIOError:
        return False
    except OSError:
        return True


class Dripper:
    """Sends one byte on each socket every @every seconds from a thread and
    notes when the server closed each one."""

    def __init__(self, socks, every, byte=b'\x00'):
        self.socks = list(socks)
        self.t0 = time.monotonic()
        self.closed = {}  # index: seconds after start
        self.every = every
        self.byte = byte
        self.stop = threading.Event()
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while not self.stop.wait(self.every):
            for i, s in enumerate(self.socks):
                if i in self.closed:
                    continue
                if is_closed(s):
                    self.closed[i] = time.monotonic() - self.t0
                    continue
                try:
                    s.send(self.byte, socket.MSG_DONTWAIT)
                except OSError:
                    self.closed[i] = time.monotonic() - self.t0

    def finish(self):
        self.stop.set()
        self.th.join(5)
        for s in self.socks:
            s.close()


# ---------------------------------------------------------------- DNS TCP

def test_no_read(n, port):
    """Four connections, 4 KiB receive buffer, 20000 queries each."""
    pid = n.proc.pid
    for _ in range(20):  # warm up: the first answers allocate for good
        fresh_tcp(HOG_IP, port, SRC[7])
    base = status_kb(pid, 'VmRSS')
    hogs = [connect(HOG_IP, port, SRC[i], rcvbuf=4096) for i in range(4)]
    _, one = wire()
    blob = one * 20000
    sent = [0] * len(hogs)
    for s in hogs:
        s.setblocking(False)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 4.0 and min(sent) < len(blob):
        progress = False
        for i, s in enumerate(hogs):
            try:
                k = s.send(blob[sent[i]:sent[i] + 65536])
                sent[i] += k
                progress = progress or k > 0
            except BlockingIOError:
                pass
            except OSError:
                sent[i] = len(blob)
        if not progress:
            time.sleep(0.05)
    time.sleep(0.5)
    try:
        hwm = status_kb(pid, 'VmHWM')
        grew = hwm - base
        queries = sum(sent) // len(one)
        check(n.alive() and grew < RSS_BOUND_KB,
              'no-read: 4 connections sent %d queries; peak RSS grew by '
              '%d KiB (< %d)' % (queries, grew, RSS_BOUND_KB),
              'base %d KiB, VmHWM %d KiB' % (base, hwm))
        check(udp_ok(HOG_IP, port), 'no-read: UDP still answered')
        ok, why = fresh_tcp(HOG_IP, port, SRC[5])
        check(ok, 'no-read: a fresh TCP connection still answered', why)
    finally:
        for s in hogs:
            s.close()


def test_slowloris(port):
    """Fills the cap of hc2 with dripping connections from four sources."""
    socks = []
    for i in range(SLOW_MAX):
        try:
            s = connect(SLOW_IP, port, SRC[i % 4])
            s.send(b'\xff\xff')  # a 65535-byte message, never finished
            socks.append(s)
        except OSError:
            break
    d = Dripper(socks, 0.3)
    try:
        time.sleep(0.8)
        open_now = sum(1 for i in range(len(socks)) if i not in d.closed)
        ok, why = fresh_tcp(SLOW_IP, port, SRC[4])
        check(ok, 'slowloris: %d dripping connections (the cap is %d); a '
              'fresh TCP query is answered' % (open_now, SLOW_MAX), why)
        check(udp_ok(SLOW_IP, port), 'slowloris: UDP still answered')
        deadline = SLOW_IDLE + 3
        while time.monotonic() - d.t0 < deadline and \
                len(d.closed) < len(socks):
            time.sleep(0.1)
        late = [t for t in d.closed.values() if t > SLOW_IDLE + 1.5]
        check(len(d.closed) == len(socks) and not late,
              'slowloris: every dripping connection closed within %d s '
              '(tcp_idle_timeout %d s) though it sends a byte every 0.3 s'
              % (SLOW_IDLE + 1, SLOW_IDLE),
              '%d of %d closed, last after %s s' % (
                  len(d.closed), len(socks),
                  '%.1f' % max(d.closed.values()) if d.closed else '-'))
    finally:
        d.finish()


def test_per_source(port):
    b = connect(SLOW_IP, port, SRC[5])
    flood = []
    try:
        check(tcp_ask(b), 'per-source: a connection from %s answered'
              % SRC[5])
        for _ in range(SLOW_MAX + 8):
            try:
                flood.append(connect(SLOW_IP, port, SRC[6], timeout=1.0))
            except OSError:
                break
        time.sleep(0.3)
        alive = sum(1 for s in flood if not is_closed(s))
        check(alive <= max(8, SLOW_MAX // 8),
              'per-source: %s opened %d connections, at most %d stay open'
              % (SRC[6], len(flood), max(8, SLOW_MAX // 8)),
              '%d open' % alive)
        check(tcp_ask(b), 'per-source: %s\'s older connection still '
              'answered after the flood' % SRC[5])
        ok, why = fresh_tcp(SLOW_IP, port, SRC[7])
        check(ok, 'per-source: a fresh connection from %s answered'
              % SRC[7], why)
    finally:
        b.close()
        for s in flood:
            s.close()


# ---------------------------------------------------------------- /metrics

def scrape(ip, port, src, timeout=4.0):
    try:
        s = connect(ip, port, src, timeout=timeout)
    except OSError as e:
        return 'connect: %s' % e
    try:
        s.settimeout(timeout)
        s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n'
                  b'Connection: close\r\n\r\n')
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.split(b'\r\n', 1)[0].decode('latin-1')
    except OSError as e:
        return repr(e)
    finally:
        s.close()


def metrics_drip_start(ip, port):
    socks = []
    for _ in range(70):
        try:
            s = connect(ip, port, SRC[0], timeout=1.0)
            s.send(b'G')
            socks.append(s)
        except OSError:
            pass
    return Dripper(socks, 1.0, b'E')


def test_metrics(d, ip, port):
    time.sleep(max(0, 1.0 - (time.monotonic() - d.t0)))
    status = scrape(ip, port, SRC[1])
    check(status.startswith('HTTP/1.1 200'),
          '/metrics: 70 dripping connections from %s; a scrape from %s '
          'gets 200' % (SRC[0], SRC[1]), status)


def test_metrics_deadline(d):
    # All but 8 of them go after a second of waiting (the per-address
    # rule); the 8 the server kept must go at the request deadline.
    limit = METRICS_DEADLINE + 4
    while time.monotonic() - d.t0 < limit and len(d.closed) < len(d.socks):
        time.sleep(0.2)
    late = max(d.closed.values()) if d.closed else None
    check(len(d.closed) == len(d.socks),
          '/metrics: every dripping connection closed within %d s (a '
          'request must be complete %d s after the connection opens)'
          % (limit, METRICS_DEADLINE),
          '%d of %d closed, last after %s s' % (
              len(d.closed), len(d.socks),
              '%.1f' % late if late else '-'))


# ---------------------------------------------------------------- main

def pick_port(ips, want):
    for port in [want, 10053, 20053, 30053]:
        if all(port_free(ip, port) for ip in ips):
            return port
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()

    port = pick_port([HOG_IP, SLOW_IP], 53)
    mport = pick_port([SLOW_IP], 9153)
    if port is None or mport is None:
        check(False, 'free ports on %s and %s' % (HOG_IP, SLOW_IP))
        print('%d passed, %d failed' % (passed, failed))
        return 1
    tmp = tempfile.mkdtemp(prefix='pmgtm-hostile-')
    hc1 = Node('hc1', [HOG_IP], [HOG_IP], port, [ZONE], tmp)
    hc2 = MetricsNode('hc2', [SLOW_IP], [SLOW_IP], port, [ZONE], tmp,
                      dns_extra=['  tcp_max_connections: %d' % SLOW_MAX,
                                 '  tcp_idle_timeout: %ds' % SLOW_IDLE],
                      metrics=(SLOW_IP, mport))

    def on_alarm(signum, frame):
        raise TimeoutError('global timeout of %d s' % GLOBAL_TIMEOUT)

    # Under ASan freed memory waits in a quarantine, which RSS counts.
    os.environ['ASAN_OPTIONS'] = ':'.join(filter(None, [
        os.environ.get('ASAN_OPTIONS'), 'quarantine_size_mb=1']))
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(GLOBAL_TIMEOUT)
    t0 = time.monotonic()
    drip = None
    try:
        for n in (hc1, hc2):
            n.start(args.pmgtmd)
        for n in (hc1, hc2):
            ok, why = n.wait_ready()
            if not check(ok, '%s ready' % n.name, why):
                raise RuntimeError('node did not start')
        # The /metrics drip runs while the DNS tests do.
        drip = metrics_drip_start(SLOW_IP, mport)
        test_metrics(drip, SLOW_IP, mport)
        test_no_read(hc1, port)
        test_slowloris(port)
        test_per_source(port)
        test_metrics_deadline(drip)
        for n in (hc1, hc2):
            check(n.alive(), '%s still running' % n.name)
    except Exception as e:
        check(False, 'the run finished', repr(e))
    finally:
        signal.alarm(0)
        if drip:
            drip.finish()
        for n in (hc1, hc2):
            n.stop()
        if failed:
            for n in (hc1, hc2):
                print('# ---- log of %s ----' % n.name)
                for line in n.log(30).splitlines():
                    print('# ' + line)
        if args.keep or failed:
            print('# configs and logs kept in %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print('# %.1f s' % (time.monotonic() - t0))
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
