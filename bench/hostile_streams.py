#!/usr/bin/python3
"""Memory of one pmgtmd under a push-pull flood (a benchmark, not a test:
it never fails because of a number).

Starts a one-node cluster on 127.0.0.170 (gossip :7946, DNS :5353), then
opens CONNS TCP connections to its gossip port from 127.0.0.174-179 in
turn; each announces a frame of 4 MiB - 1 bytes and sends what fits in
FLOOD_S seconds, never the last byte (so no frame completes and nothing is
authenticated). Prints VmRSS before, VmRSS and VmHWM at the end of the
flood, VmRSS once the node's stream timeout (10 s) has passed, and the
node's "gossip stream refused" log lines.

  bench/hostile_streams.py --pmgtmd build/pmgtmd --pmgtmctl build/pmgtmctl
  CONNS=100 FLOOD_S=1 bench/hostile_streams.py ...

Everything it starts lives in a temp dir and is stopped on exit; every
step is bounded in time.
"""
import argparse
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

IP = '127.0.0.170'
SOURCES = ['127.0.0.%d' % i for i in range(174, 180)]
FRAME = (4 << 20) - 1
CONNS = int(os.environ.get('CONNS', '100'))
FLOOD_S = float(os.environ.get('FLOOD_S', '1'))


def mem(pid):
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmRSS', 'VmHWM'):
                out[k] = int(v.split()[0]) // 1024
    return out


def node(tmp, pmgtmctl):
    run = lambda *a: subprocess.run(a, check=True, capture_output=True,
                                    timeout=30)
    run(pmgtmctl, 'ca', 'init', '--dir', tmp + '/ca')
    run(pmgtmctl, 'cert', 'issue', '--ca-key', tmp + '/ca/ca.key',
        '--cluster', 'bench', '--name', 'lb1', '--out-dir', tmp)
    os.mkdir(tmp + '/state')
    cfg = tmp + '/pmgtm.yaml'
    with open(cfg, 'w') as f:
        f.write('''node:
  name: lb1
  addresses: [{ip}]
  ns_name: lb1.api.example.com
  state_dir: {d}/state
  key_file: {d}/node.key
  cert_file: {d}/node.cert
dns:
  listen: ["{ip}:5353"]
  zones:
    - name: api.example.com
cluster:
  name: bench
  listen: "{ip}:7946"
  ca_file: {d}/ca/ca.pub
  profile: lan
  startup_sync_timeout: 0s
control:
  socket: {d}/control.sock
log:
  level: warn
'''.format(ip=IP, d=tmp))
    return cfg


def flood():
    conns, left = [], {}
    for k in range(CONNS):
        s = socket.socket()
        s.settimeout(1)
        try:
            s.bind((SOURCES[k % len(SOURCES)], 0))
            s.connect((IP, 7946))
            s.setblocking(False)
            s.send(FRAME.to_bytes(4, 'big'))
        except OSError:
            s.close()
            continue
        conns.append(s)
        left[s] = FRAME - 1
    chunk, sent = b'\xa5' * 65536, 0
    end = time.monotonic() + FLOOD_S
    while left and time.monotonic() < end:
        _, w, _ = select.select([], list(left), [], 0.05)
        for s in w:
            try:
                n = s.send(chunk[:min(len(chunk), left[s])])
            except OSError:
                n = 0
            if n <= 0:
                del left[s]
                continue
            sent += n
            left[s] -= n
            if not left[s]:
                del left[s]
    return conns, sent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='pmgtm-bench-streams-')
    proc, conns = None, []
    try:
        cfg = node(tmp, args.pmgtmctl)
        log = open(tmp + '/pmgtmd.log', 'w')
        proc = subprocess.Popen([args.pmgtmd, '-c', cfg], stdout=log,
                                stderr=log)
        for _ in range(100):  # up to 10 s for the gossip port
            try:
                socket.create_connection((IP, 7946), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)
        before = mem(proc.pid)
        conns, sent = flood()
        time.sleep(0.5)  # the socket buffers drain into the daemon
        during = mem(proc.pid)
        for s in conns:
            s.close()
        time.sleep(11)  # past the 10 s stream timeout
        after = mem(proc.pid)
        print('%s: %d connections, %.0f MiB sent in %.1f s' % (
            args.pmgtmd, len(conns), sent / 1048576.0, FLOOD_S))
        print('  VmRSS before %d MiB | end of flood: VmRSS %d MiB, '
              'VmHWM %d MiB | 11 s later: VmRSS %d MiB' % (
                  before['VmRSS'], during['VmRSS'], during['VmHWM'],
                  after['VmRSS']))
        with open(tmp + '/pmgtmd.log', errors='replace') as f:
            for line in f:
                if 'gossip stream refused' in line:
                    print('  log: ' + line.strip())
    finally:
        for s in conns:
            s.close()
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
