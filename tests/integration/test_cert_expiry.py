#!/usr/bin/python3
"""Certificate expiry in sight, on three real pmgtmd processes
(127.0.0.236-238): lb1 and lb2 hold 90-day certificates, lb3 a 10-day
one. Checks, against what `pmgtmctl cert show --json` reads from each
node.cert:
  - pmgtmctl status: this node's key id, expiry with days left, and when
    it was issued ("renewed"); --json: the same as typed fields;
  - pmgtmctl members --json: every member's cert_not_before,
    cert_not_after (numbers), key_id (string) and revoked (false);
  - /metrics: pmgtm_cert_expiry_timestamp_seconds{member} for every
    member, this node included, pmgtm_revoked_members 0, and promtool
    check metrics passes;
  - pmgtmctl revoke is a write: run as nobody (setpriv, when root) it is
    refused with exit 2 before the record reaches the cluster.

Usage: test_cert_expiry.py --pmgtmd PATH --pmgtmctl PATH [--promtool PATH]
Traffic goes only to 127.0.0.236-238; every process is stopped at the end.
"""
import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cluster  # noqa: E402  (the three-node harness)

BASE = 235  # 127.0.0.236..238
PORT = 9153
DAY = 86400

passed = 0
failed = 0


def check(ok, what, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('ok - ' + what)
    else:
        failed += 1
        print('FAIL - ' + what + (': ' + str(detail) if detail else ''))
    sys.stdout.flush()


def extra(i):
    return 'metrics:\n  listen: "127.0.0.%d:%d"\n' % (BASE + i, PORT)


def cert_show(ctl, path):
    out = subprocess.run([ctl, 'cert', 'show', '--json', path],
                         capture_output=True, text=True, timeout=10)
    return json.loads(out.stdout)


def scrape(ip):
    try:
        with urllib.request.urlopen('http://%s:%d/metrics' % (ip, PORT),
                                    timeout=5) as r:
            return r.read().decode()
    except OSError:
        return None


SAMPLE = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')


def samples(text, name):
    """{label text: value} of family @name."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and m.group(1) == name:
            out[m.group(2) or ''] = float(m.group(3))
    return out


def scenario(c, ctl, promtool):
    # lb3's certificate is renewed for 10 days, for the same key.
    lb3 = os.path.join(c.dir, 'lb3')
    test_cluster.run(ctl, 'cert', 'issue', '--ca-key',
                     os.path.join(c.dir, 'ca', 'ca.key'), '--cluster',
                     'test', '--name', 'lb3', '--out-dir', lb3,
                     '--node-key', os.path.join(lb3, 'node.key'),
                     '--force', '--valid', '10d')
    certs = {'lb%d' % i: cert_show(ctl, os.path.join(c.dir, 'lb%d' % i,
                                                       'node.cert'))
             for i in (1, 2, 3)}
    check(certs['lb3']['days_left'] in (9, 10) and
          certs['lb1']['days_left'] in (89, 90),
          'cert show: lb1 valid 90 days, lb3 10 days',
          {k: v['days_left'] for k, v in certs.items()})
    for i in (1, 2, 3):
        c.start(i)
    t = c.wait(lambda: all((c.states(i) or {}).get('lb%d' % j) == 'alive'
                           for i in (1, 2, 3) for j in (1, 2, 3)), 20)
    check(t is not None, 'three nodes alive everywhere')
    if t is None:
        return

    # status, text and JSON
    out = c.ctl(1, 'status')
    me = certs['lb1']
    check(out.returncode == 0 and re.search(
        r'^cert key: +%s$' % me['key_id'], out.stdout, re.M),
        'status: this node\'s key id', out.stdout + out.stderr)
    check(re.search(r'^expires: +%s \(in (89|90) days\)$' %
                    re.escape(me['not_after_time']), out.stdout, re.M),
          'status: not_after in RFC 3339 and days left', out.stdout)
    check(re.search(r'^renewed: +%s \(issued\)$' %
                    re.escape(me['not_before_time']), out.stdout, re.M),
          'status: not_before labelled renewed', out.stdout)
    out = c.ctl(3, 'status', '--json')
    st = json.loads(out.stdout) if out.returncode == 0 else {}
    cert = st.get('cert') or {}
    want = certs['lb3']
    check(cert.get('key_id') == want['key_id'] and
          cert.get('not_after') == want['not_after'] and
          cert.get('not_before') == want['not_before'] and
          cert.get('not_after_time') == want['not_after_time'] and
          cert.get('days_left') in (9, 10) and cert.get('revoked') is False,
          'status --json on lb3: its 10-day certificate, typed', cert)

    # members, JSON and text
    ms = c.members(2) or {}
    ok = len(ms) == 3
    for name, m in ms.items():
        w = certs[name]
        ok = ok and m.get('cert_not_after') == w['not_after'] and \
            m.get('cert_not_before') == w['not_before'] and \
            isinstance(m.get('cert_not_after'), int) and \
            m.get('key_id') == w['key_id'] and m.get('revoked') is False
    check(ok, 'members --json on lb2: every member\'s certificate times, '
          'key id and revoked', ms)
    out = c.ctl(2, 'members')
    check(out.returncode == 0 and 'revoked' not in out.stdout and
          out.stdout.count(' alive ') == 3,
          'members: no member shown revoked', out.stdout)

    # metrics
    text = scrape(c.ip(1))
    check(text is not None, 'lb1: /metrics answers')
    if text is None:
        return
    exp = samples(text, 'pmgtm_cert_expiry_timestamp_seconds')
    want = {'member="lb%d"' % i: float(certs['lb%d' % i]['not_after'])
            for i in (1, 2, 3)}
    check(exp == want, 'pmgtm_cert_expiry_timestamp_seconds for every '
          'member, lb1 included', exp)
    check('# TYPE pmgtm_cert_expiry_timestamp_seconds gauge' in text and
          '# TYPE pmgtm_revoked_members gauge' in text,
          'the certificate families are gauges')
    check(samples(text, 'pmgtm_revoked_members') == {'': 0.0},
          'pmgtm_revoked_members 0', samples(text, 'pmgtm_revoked_members'))
    if promtool and os.access(promtool, os.X_OK):
        r = subprocess.run([promtool, 'check', 'metrics'], input=text,
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, 'promtool check metrics', r.stdout +
              r.stderr)
    revoke_needs_admin(c, ctl)


def revoke_needs_admin(c, ctl):
    """nobody, in the socket's group (so it may read), may not revoke."""
    if os.geteuid() != 0 or not shutil.which('setpriv'):
        print('# skipped: revoke as nobody needs root and setpriv')
        return
    rev = os.path.join(c.dir, 'rev')
    os.makedirs(rev)
    for d in (c.dir, os.path.join(c.dir, 'lb1'), rev):
        os.chmod(d, os.stat(d).st_mode | stat.S_IXOTH | stat.S_IXGRP |
                 (stat.S_IROTH if d == rev else 0))
    path = os.path.join(rev, 'lb3.rev')
    test_cluster.run(ctl, 'cert', 'revoke', '--ca-key',
                     os.path.join(c.dir, 'ca', 'ca.key'), '--cluster',
                     'test', '--name', 'lb3', '--out', path)
    gid = os.stat(c.sock(1)).st_gid
    out = subprocess.run(['setpriv', '--reuid=65534', '--regid=%d' % gid,
                          '--clear-groups', ctl, '-s', c.sock(1), 'revoke',
                          path], capture_output=True, text=True, timeout=30)
    check(out.returncode == 2 and
          'permission denied: revoke needs root' in out.stderr,
          'revoke as nobody: refused, exit 2', out.stdout + out.stderr)
    with open(c.logs[1]) as f:
        logged = any('control command refused' in line and
                     'cmd=revoke' in line for line in f)
    check(logged, 'lb1 logs the refused revoke')
    ms = c.members(1) or {}
    check(all(m.get('revoked') is False for m in ms.values()),
          'nothing revoked after the refusal', ms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    ap.add_argument('--promtool', default='/usr/bin/promtool')
    args = ap.parse_args()

    c = test_cluster.Cluster(args.pmgtmd, args.pmgtmctl, base=BASE,
                             extra=extra)
    try:
        scenario(c, args.pmgtmctl, args.promtool)
    finally:
        c.stop_all()
        if failed:
            c.dump_logs()
        shutil.rmtree(c.dir, ignore_errors=True)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
