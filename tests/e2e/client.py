#!/usr/bin/python3
"""A bounded stub-resolver load: asks a recursive resolver for distinct
names at a steady rate and prints one JSON line per query.

Usage: client.py SERVER PREFIX RATE SECONDS [TIMEOUT]
Names are PREFIX-N.api.example.com (N counts up), type A, RD set; one
attempt per query, like a stub whose own retry has not fired yet. Each line:
  {"n": N, "t": send time (epoch s), "lat": seconds or null,
   "rcode": "NOERROR" | "SERVFAIL" | ... | "TIMEOUT", "addrs": [...]}
It stops by itself after SECONDS plus TIMEOUT (default 5 s).
"""
import json
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'integration'))
import dnsmsg  # noqa: E402

ZONE = 'api.example.com'


def main():
    server, prefix = sys.argv[1], sys.argv[2]
    rate, seconds = float(sys.argv[3]), float(sys.argv[4])
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((server, 53))
    s.setblocking(False)
    out = sys.stdout
    pending = {}  # qid -> (n, name, t_wall, t_mono)
    start = time.monotonic()
    n = 0
    qid = 0
    while True:
        now = time.monotonic()
        if now - start < seconds:
            due = int((now - start) * rate) + 1
            while n < due:
                qid = (qid + 1) & 0xffff
                name = '%s-%d.%s' % (prefix, n, ZONE)
                s.send(dnsmsg.query(name, 'A', qid=qid, edns=True))
                pending[qid] = (n, name, time.time(), time.monotonic())
                n += 1
        elif not pending:
            break
        # Expire what waited too long.
        for k, (qn, _, tw, tm) in list(pending.items()):
            if now - tm > timeout:
                del pending[k]
                out.write(json.dumps({'n': qn, 't': tw, 'lat': None,
                                      'rcode': 'TIMEOUT', 'addrs': []}) +
                          '\n')
        if now - start >= seconds + timeout + 1:
            break
        r, _, _ = select.select([s], [], [], 0.002)
        if not r:
            continue
        while True:
            try:
                buf = s.recv(4096)
            except (BlockingIOError, ConnectionRefusedError):
                break
            t = time.monotonic()
            try:
                m = dnsmsg.parse(buf)
            except dnsmsg.ParseError:
                continue
            p = pending.get(m.id)
            if p is None or not m.question or \
                    m.question[0][0].lower().rstrip('.') != p[1]:
                continue
            del pending[m.id]
            addrs = sorted(rr.text for rr in m.answer if rr.type == 'A')
            out.write(json.dumps({'n': p[0], 't': p[2], 'lat': t - p[3],
                                  'rcode': m.rcode, 'addrs': addrs}) + '\n')
    out.flush()


if __name__ == '__main__':
    main()
