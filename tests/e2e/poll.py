#!/usr/bin/python3
"""Asks one authoritative server for a name every 20 ms until an answer
carries the wanted address; prints the wall-clock time (epoch s) of that
answer, or exits 1 after SECONDS.

Usage: poll.py SERVER NAME ADDRESS SECONDS
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'integration'))
import dnsmsg  # noqa: E402


def main():
    server, name, want, seconds = sys.argv[1], sys.argv[2], sys.argv[3], \
        float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((server, 53))
    s.settimeout(0.02)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qid = dnsmsg.new_id()
        s.send(dnsmsg.query(name, 'A', qid=qid, flags=0))
        t_next = time.monotonic() + 0.02
        while time.monotonic() < t_next:
            try:
                m = dnsmsg.parse(s.recv(4096))
            except (socket.timeout, ConnectionRefusedError):
                break
            except dnsmsg.ParseError:
                continue
            if m.id == qid and [rr.text for rr in m.answer
                                if rr.type == 'A'] == [want]:
                print('%.6f' % time.time())
                return 0
    return 1


if __name__ == '__main__':
    sys.exit(main())
