#!/usr/bin/python3
"""A bounded stub-resolver load: asks a recursive resolver for distinct
names at a steady rate and prints one JSON line per query.

Usage: client.py SERVER PREFIX RATE SECONDS [TIMEOUT [ATTEMPTS]]
Names are PREFIX-N.api.example.com (N counts up), or, when PREFIX starts
with '=', always the one name PREFIX.api.example.com (what the resolver may
answer from its cache). Type A, RD set. Like the C library's stub
resolver (resolv.conf defaults: timeout 5 s, attempts 2), a query not
answered within TIMEOUT is sent again, up to ATTEMPTS times in all. Each
line:
  {"n": N, "t": first send time (epoch s), "lat": seconds since or null,
   "tries": attempts used,
   "rcode": "NOERROR" | "SERVFAIL" | ... | "TIMEOUT", "addrs": [...]}
It stops by itself after SECONDS plus ATTEMPTS x TIMEOUT.
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
    attempts = int(sys.argv[6]) if len(sys.argv) > 6 else 2
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((server, 53))
    s.setblocking(False)
    out = sys.stdout
    pending = {}  # qid -> (n, name, t_wall, t_mono of first send, try, t_try)
    start = time.monotonic()
    n = 0
    qid = 0
    while True:
        now = time.monotonic()
        if now - start < seconds:
            due = int((now - start) * rate) + 1
            while n < due:
                qid = (qid + 1) & 0xffff
                name = '%s.%s' % (prefix[1:], ZONE) if \
                    prefix.startswith('=') else '%s-%d.%s' % (prefix, n, ZONE)
                s.send(dnsmsg.query(name, 'A', qid=qid, edns=True))
                t = time.monotonic()
                pending[qid] = (n, name, time.time(), t, 1, t)
                n += 1
        elif not pending:
            break
        # Ask again (new id) what waited too long, or give up on it.
        for k, (qn, name, tw, tm, tries, tt) in list(pending.items()):
            if now - tt <= timeout:
                continue
            del pending[k]
            if tries < attempts:
                qid = (qid + 1) & 0xffff
                s.send(dnsmsg.query(name, 'A', qid=qid, edns=True))
                pending[qid] = (qn, name, tw, tm, tries + 1, now)
                continue
            out.write(json.dumps({'n': qn, 't': tw, 'lat': None,
                                  'tries': tries, 'rcode': 'TIMEOUT',
                                  'addrs': []}) + '\n')
        if now - start >= seconds + attempts * timeout + 1:
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
                                  'tries': p[4], 'rcode': m.rcode,
                                  'addrs': addrs}) + '\n')
    out.flush()


if __name__ == '__main__':
    main()
