#!/usr/bin/python3
"""How long a drain takes to leave the node: command -> first datagram.

Two pmgtmd nodes, lb1 on 127.0.0.220 and lb2 on 127.0.0.221 (gossip on
port 7946, no cluster encryption so the intent is visible on the wire).
N times, alternately draining and undraining lb2 with a reason that is
unique to the run, this script sends the drain command to lb1's control
socket itself (no pmgtmctl process in the measurement) and a raw socket on
lo timestamps, in the kernel, the first UDP datagram from lb1 to lb2 that
carries that reason. It prints the median, p90 and max of

  command -> datagram   request written to the socket -> intent on the wire
  command -> reply      request written -> pmgtmd's answer read

A benchmark, not a test: it never fails because of a number. Root (for
the raw socket); traffic stays on 127.0.0.220-221.

Usage: drain_latency.py [--pmgtmd PATH] [--pmgtmctl PATH] [-n N]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

IPS = ['127.0.0.220', '127.0.0.221']
GOSSIP_PORT = 7946
SO_TIMESTAMPNS = 35
ETH_P_ALL = 0x0003


def run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


def mp_str(s):
    b = s.encode()
    if len(b) < 32:
        return bytes([0xa0 | len(b)]) + b
    return bytes([0xd9, len(b)]) + b


def mp_map(d):
    out = bytes([0x80 | len(d)])
    for k, v in d.items():
        out += mp_str(k)
        if isinstance(v, bool):
            out += b'\xc3' if v else b'\xc2'
        elif isinstance(v, dict):
            out += mp_map(v)
        else:
            out += mp_str(v)
    return out


def request(sock_path, body):
    """One control request; returns (t_sent, t_reply, reply bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path)
    frame = struct.pack('>I', len(body)) + body
    t0 = time.time()
    s.sendall(frame)
    hdr = b''
    while len(hdr) < 4:
        hdr += s.recv(4 - len(hdr))
    n = struct.unpack('>I', hdr)[0]
    data = b''
    while len(data) < n:
        data += s.recv(n - len(data))
    t1 = time.time()
    s.close()
    return t0, t1, data


class Capture(threading.Thread):
    """Kernel timestamps of datagrams lb1 -> lb2, by the token they carry."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.sock.bind(('lo', 0))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.settimeout(0.2)
        self.want = None
        self.seen = {}
        self.cond = threading.Condition()
        self.stop = False
        src, dst = (socket.inet_aton(ip) for ip in IPS)
        self.match = (src, dst)

    def run(self):
        while not self.stop:
            try:
                data, anc, _, _ = self.sock.recvmsg(65600, 64)
            except socket.timeout:
                continue
            if len(data) < 14 + 28 or data[12:14] != b'\x08\x00':
                continue
            ip = data[14:]
            ihl = (ip[0] & 0x0f) * 4
            if ip[9] != 17 or (ip[12:16], ip[16:20]) != self.match:
                continue
            sport = struct.unpack('>H', ip[ihl:ihl + 2])[0]
            if sport != GOSSIP_PORT:
                continue
            ts = None
            for level, kind, val in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack('qq', val[:16])
                    ts = sec + nsec / 1e9
            with self.cond:
                tok = self.want
                if tok and tok not in self.seen and tok in ip:
                    self.seen[tok] = ts
                    self.cond.notify_all()

    def wait(self, tok, timeout):
        with self.cond:
            self.cond.wait_for(lambda: tok in self.seen, timeout)
            return self.seen.get(tok)


def write_config(d, i, ca):
    nd = os.path.join(d, 'lb%d' % (i + 1))
    os.makedirs(os.path.join(nd, 'state'), exist_ok=True)
    with open(os.path.join(nd, 'pmgtm.yaml'), 'w') as f:
        f.write('''node:
  name: lb{n}
  addresses: [{ip}]
  ns_name: lb{n}.api.example.com
  state_dir: {nd}/state
  key_file: {nd}/node.key
  cert_file: {nd}/node.cert
dns:
  listen: ["{ip}:5353"]
  zones:
    - name: api.example.com
      ttl: 30
cluster:
  name: bench
  listen: "{ip}:{port}"
  seeds: ["{seed}:{port}"]
  ca_file: {ca}/ca.pub
  profile: lan
control:
  socket: {nd}/control.sock
log:
  level: warn
'''.format(n=i + 1, ip=IPS[i], nd=nd, ca=ca, port=GOSSIP_PORT,
           seed=IPS[0]))
    return os.path.join(nd, 'pmgtm.yaml'), os.path.join(nd, 'control.sock')


def wait_joined(pmgtmctl, sock, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        r = subprocess.run([pmgtmctl, '-s', sock, 'members', '--json'],
                           capture_output=True, text=True, timeout=10)
        if r.returncode == 0:
            ms = json.loads(r.stdout).get('members', [])
            if len([m for m in ms if m.get('state') == 'alive']) == 2:
                return True
        time.sleep(0.1)
    return False


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', default=os.path.join(top, 'build/pmgtmd'))
    ap.add_argument('--pmgtmctl',
                    default=os.path.join(top, 'build/pmgtmctl'))
    ap.add_argument('-n', type=int, default=200)
    a = ap.parse_args()

    d = tempfile.mkdtemp(prefix='pmgtm-bench-drain-')
    procs = []
    try:
        ca = os.path.join(d, 'ca')
        run(a.pmgtmctl, 'ca', 'init', '--dir', ca)
        socks = []
        for i in range(2):
            run(a.pmgtmctl, 'cert', 'issue', '--ca-key',
                os.path.join(ca, 'ca.key'), '--cluster', 'bench',
                '--name', 'lb%d' % (i + 1),
                '--out-dir', os.path.join(d, 'lb%d' % (i + 1)))
            cfg, sock = write_config(d, i, ca)
            socks.append(sock)
            log = open(os.path.join(d, 'lb%d.log' % (i + 1)), 'w')
            procs.append(subprocess.Popen([a.pmgtmd, '-c', cfg],
                                          stdout=log, stderr=log))
        if not wait_joined(a.pmgtmctl, socks[0]):
            print("FAILED: the two nodes did not join", file=sys.stderr)
            for i in range(2):
                with open(os.path.join(d, "lb%d.log" % (i + 1))) as f:
                    sys.stderr.write(f.read()[-2000:])
            return 1
        cap = Capture()
        cap.start()
        wire, reply, lost = [], [], 0
        run_id = os.urandom(4).hex()
        for i in range(a.n):
            tok = 'bench-%s-%d' % (run_id, i)
            with cap.cond:
                cap.want = tok.encode()
            body = mp_map({'cmd': 'drain', 'args': {
                'target': 'lb2', 'drained': i % 2 == 0, 'reason': tok}})
            t0, t1, data = request(socks[0], body)
            if b'\xa2ok\xc3' not in data:
                print('FAILED: drain refused: %r' % data, file=sys.stderr)
                return 1
            ts = cap.wait(tok.encode(), 2)
            if ts is None:
                lost += 1
            else:
                wire.append((ts - t0) * 1000)
            reply.append((t1 - t0) * 1000)
            # Past the peer's own write of the intent (both nodes share
            # one disk), and spread over the gossip round.
            time.sleep(0.05 + (i % 7) * 0.007)
        cap.stop = True
        print('drains: %d (%d with no datagram seen within 2 s)'
              % (a.n, lost))
        for name, xs in (('command -> datagram', wire),
                         ('command -> reply', reply)):
            if xs:
                print('%-20s median %.3f ms  p90 %.3f ms  max %.3f ms'
                      % (name, pct(xs, 0.5), pct(xs, 0.9), max(xs)))
        return 0
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
