#!/usr/bin/python3
"""GET /metrics on three real pmgtmd processes (127.0.0.91-93, port 9153).

  - every node: 200 with the 0.0.4 content type, `promtool check metrics`
    passes, every documented family is there, label values come
    from bounded sets only (no query name, no client address);
  - DNS counters move with dig queries (UDP, TCP, outside the zone);
  - cluster families: three members alive, peers reachable, gossip
    packets counted, a health check up;
  - drain lb2 from lb1: pmgtm_drained 1 on lb2 (serving 0), and
    pmgtm_member_drained{member="lb2"} 1 on lb1;
  - a real Prometheus scrapes the three nodes every second: every target
    up, and its query API gives the values the nodes show;
  - 404 for other paths, 405 with Allow for other methods, HEAD works;
  - 200 concurrent scrapes while dig keeps getting answers; no
    descriptor left behind;
  - 64 idle connections (the limit) from 8 addresses: a scrape waits,
    DNS answers; the server drops them after its 10 s idle timeout, then
    serves the scrape;
  - SIGTERM: the node exits 0 with its event loop closed cleanly.

Usage: test_metrics.py --pmgtmd PATH --pmgtmctl PATH [--promtool PATH]
       [--prometheus PATH]
Traffic goes only to 127.0.0.0/8; Prometheus and every node are stopped
at the end, also on failure.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cluster  # noqa: E402
from test_cluster import Cluster  # noqa: E402

check = test_cluster.check
BASE = 90  # 127.0.0.91..93
PORT = 9153
PROM = ('127.0.0.1', 19090)
ZONE = 'api.example.com'
CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

FAMILIES = [
    'pmgtm_build_info', 'pmgtm_dns_requests_total',
    'pmgtm_dns_responses_total', 'pmgtm_dns_cookies_total',
    'pmgtm_drained', 'pmgtm_serving',
    'pmgtm_members', 'pmgtm_member_drained',
    'pmgtm_cert_expiry_timestamp_seconds', 'pmgtm_revoked_members',
    'pmgtm_peer_reachable',
    'pmgtm_peer_rtt_seconds', 'pmgtm_gossip_packets_total',
    'pmgtm_gossip_rejected_total', 'pmgtm_gossip_oom_drops_total',
    'pmgtm_health_check_up',
    'pmgtm_config_last_reload_successful',
    'pmgtm_config_last_reload_success_timestamp_seconds',
    'process_cpu_seconds_total', 'process_resident_memory_bytes',
    'process_virtual_memory_bytes', 'process_open_fds', 'process_max_fds',
    'process_start_time_seconds',
]


def extra(i):
    y = 'metrics:\n  listen: "127.0.0.9%d:%d"\n' % (i, PORT)
    if i == 3:
        y += ('health_checks:\n'
              '  - { name: payload, type: exec, target: "true",\n'
              '      interval: 500ms, timeout: 1s, rise: 1, fall: 3 }\n')
    return y


# ---- HTTP and the exposition format ----

def fetch(ip, path='/metrics', method='GET', body=None, timeout=10):
    """(status, headers dict with lower-case names, body text)."""
    conn = http.client.HTTPConnection(ip, PORT, timeout=timeout)
    try:
        conn.request(method, path, body=body)
        r = conn.getresponse()
        data = r.read().decode('utf-8')
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def scrape(ip):
    try:
        status, _, body = fetch(ip)
    except OSError:
        return None
    return body if status == 200 else None


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n'
                  else m.group(1), v)


def parse(text):
    """{(name, ((label, value), ...)): float} and the TYPE'd families."""
    samples, families = {}, set()
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            families.add(line.split()[2])
            continue
        if not line or line.startswith('#'):
            continue
        m = LINE.match(line)
        if not m:
            raise ValueError('bad line: ' + line)
        labels = tuple((k, unescape(v)) for k, v in
                       LABEL.findall((m.group(2) or '{}')[1:-1]))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples, families


def value(samples, name, **labels):
    for (n, ls), v in samples.items():
        if n == name and dict(ls) == labels:
            return v
    return None


def metric(ip, name, **labels):
    text = scrape(ip)
    return value(parse(text)[0], name, **labels) if text else None


def promtool_check(promtool, text):
    r = subprocess.run([promtool, 'check', 'metrics'], input=text,
                       capture_output=True, text=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).strip()


def dig(ip, name='www.' + ZONE, qtype='A', tcp=False):
    cmd = ['dig', '+norec', '+time=1', '+tries=1', '-p', '5353', '@' + ip,
           name, qtype]
    if tcp:
        cmd.insert(1, '+tcp')
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    m = re.search(r'status: (\w+)', out.stdout)
    return m.group(1) if m else None


# ---- Prometheus ----

def die_with_parent():
    try:
        import ctypes
        ctypes.CDLL('libc.so.6').prctl(1, signal.SIGKILL)  # PDEATHSIG
    except OSError:
        pass


class Prometheus:
    def __init__(self, binary, workdir, targets):
        self.dir = os.path.join(workdir, 'prometheus')
        os.makedirs(os.path.join(self.dir, 'data'))
        self.cfg = os.path.join(self.dir, 'prometheus.yml')
        with open(self.cfg, 'w') as f:
            f.write('global:\n  scrape_interval: 1s\n'
                    '  scrape_timeout: 1s\n'
                    'scrape_configs:\n  - job_name: pmgtm\n'
                    '    static_configs:\n      - targets: [%s]\n' %
                    ', '.join('"%s"' % t for t in targets))
        self.log = open(os.path.join(self.dir, 'log'), 'w')
        self.proc = subprocess.Popen(
            [binary, '--config.file=' + self.cfg,
             '--storage.tsdb.path=' + os.path.join(self.dir, 'data'),
             '--web.listen-address=%s:%d' % PROM],
            stdout=self.log, stderr=self.log, preexec_fn=die_with_parent)

    def get(self, path, **params):
        url = 'http://%s:%d%s' % (PROM + (path,))
        if params:
            url += '?' + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.loads(r.read().decode())
        except (OSError, ValueError):
            return None

    def query(self, q):
        """{instance: value} of an instant query, or None."""
        r = self.get('/api/v1/query', query=q)
        if not r or r.get('status') != 'success':
            return None
        return {s['metric'].get('instance'): float(s['value'][1])
                for s in r['data']['result']}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def dump_log(self):
        with open(self.log.name) as f:
            for line in f.readlines()[-20:]:
                print('#   prometheus: ' + line.rstrip())


def wait_for(pred, timeout, step=0.1):
    t0 = time.time()
    while time.time() - t0 < timeout:
        got = pred()
        if got:
            return got
        time.sleep(step)
    return None


# ---- scenarios ----

def check_node(c, i, promtool):
    ip = c.ip(i)
    status, headers, body = fetch(ip)
    check(status == 200 and headers.get('content-type') == CONTENT_TYPE,
          'lb%d: GET /metrics 200 with %s' % (i, CONTENT_TYPE),
          '%s %s' % (status, headers.get('content-type')))
    rc, out = promtool_check(promtool, body)
    check(rc == 0, 'lb%d: promtool check metrics passes' % i, out)
    samples, families = parse(body)
    missing = [f for f in FAMILIES if f not in families]
    check(not missing, 'lb%d: every documented family is there' % i,
          str(missing))
    members = {'lb1', 'lb2', 'lb3'}
    allowed = {
        'zone': {'', ZONE}, 'member': members, 'peer': members,
        'proto': {'udp', 'tcp'}, 'direction': {'sent', 'received'},
        'state': {'alive', 'suspect', 'dead', 'left'},
        'check': {'payload'}, 'version': None, 'qtype': None,
        'rcode': None, 'reason': None, 'type': None,
        'result': {'none', 'client', 'valid', 'invalid'},
        'le': None,  # histogram bucket bounds: fixed in the code
    }
    bad = sorted({'%s=%s' % (k, v) for (_, ls) in samples for k, v in ls
                  if k not in allowed or
                  (allowed[k] is not None and v not in allowed[k])})
    check(not bad, 'lb%d: label values from bounded sets only' % i,
          str(bad[:10]))
    check(value(samples, 'pmgtm_build_info', version='0.1.0') == 1,
          'lb%d: pmgtm_build_info{version="0.1.0"} 1' % i)
    return samples


def dns_counters(c):
    ip = c.ip(1)
    key = dict(zone=ZONE, proto='udp', qtype='A')
    before = parse(scrape(ip))[0]
    statuses = [dig(ip) for _ in range(5)]
    statuses.append(dig(ip, qtype='AAAA', tcp=True))
    statuses.append(dig(ip, name='www.example.net'))
    after = parse(scrape(ip))[0]

    def delta(name, **labels):
        return (value(after, name, **labels) or 0) - \
            (value(before, name, **labels) or 0)
    check(statuses[:6] == ['NOERROR'] * 6 and statuses[6] == 'REFUSED',
          'dig: five A over UDP, an AAAA over TCP, a name outside the zone',
          str(statuses))
    check(delta('pmgtm_dns_requests_total', **key) == 5,
          'pmgtm_dns_requests_total{zone,udp,A} +5',
          str(delta('pmgtm_dns_requests_total', **key)))
    check(delta('pmgtm_dns_requests_total', zone=ZONE, proto='tcp',
                qtype='AAAA') == 1,
          'pmgtm_dns_requests_total{zone,tcp,AAAA} +1')
    check(delta('pmgtm_dns_responses_total', zone=ZONE,
                rcode='NOERROR') == 6,
          'pmgtm_dns_responses_total{zone,NOERROR} +6')
    check(delta('pmgtm_dns_requests_total', zone='', proto='udp',
                qtype='A') == 1 and
          delta('pmgtm_dns_responses_total', zone='', rcode='REFUSED') == 1,
          'a query outside every zone: counted under zone=""')
    cookies = sum(delta('pmgtm_dns_cookies_total', result=r)
                  for r in ('none', 'client', 'valid', 'invalid'))
    check(cookies == 7, 'pmgtm_dns_cookies_total: +7, one per query',
          str(cookies))
    check('example.net' not in scrape(ip),
          'the query name never shows up in /metrics')


def cluster_families(c):
    def all_good():
        s = parse(scrape(c.ip(1)) or '')[0]
        ok = (value(s, 'pmgtm_members', state='alive') == 3 and
              value(s, 'pmgtm_peer_reachable', peer='lb2') == 1 and
              value(s, 'pmgtm_peer_reachable', peer='lb3') == 1 and
              (value(s, 'pmgtm_peer_rtt_seconds', peer='lb2') or 0) > 0)
        return s if ok else None
    s = wait_for(all_good, 10)
    check(s is not None, 'lb1: 3 members alive, lb2 and lb3 reachable '
          'with an RTT')
    s = s or {}
    check(value(s, 'pmgtm_peer_reachable', peer='lb1') is None,
          'lb1: no peer series about itself')
    check((value(s, 'pmgtm_gossip_packets_total', direction='sent',
                 type='ping') or 0) > 0 and
          (value(s, 'pmgtm_gossip_packets_total', direction='received',
                 type='ack') or 0) > 0,
          'lb1: gossip pings sent and acks received are counted')
    check(value(s, 'pmgtm_gossip_rejected_total', reason='decode') == 0,
          'lb1: gossip rejections by reason, at 0')
    check(value(s, 'pmgtm_gossip_oom_drops_total') == 0,
          'lb1: gossip drops for lack of memory, at 0')
    up = wait_for(lambda: metric(c.ip(3), 'pmgtm_health_check_up',
                                 check='payload') == 1, 5)
    check(up, 'lb3: pmgtm_health_check_up{check="payload"} 1')
    s3 = parse(scrape(c.ip(3)))[0]
    check(value(s3, 'pmgtm_config_last_reload_successful') == 1 and
          abs(value(s3, 'pmgtm_config_last_reload_success_timestamp_seconds')
              - time.time()) < 120 and
          abs(value(s3, 'process_start_time_seconds') - time.time()) < 120,
          'lb3: reload status and start time')


def drain(c):
    out = c.ctl(1, 'drain', 'lb2', '--reason', 'metrics test')
    check(out.returncode == 0, 'pmgtmctl drain lb2 (on lb1)', out.stderr)
    t = wait_for(lambda: metric(c.ip(2), 'pmgtm_drained') == 1 and
                 metric(c.ip(1), 'pmgtm_member_drained', member='lb2') == 1,
                 5)
    check(t, 'pmgtm_drained 1 on lb2, pmgtm_member_drained{member="lb2"} '
          '1 on lb1')
    s2 = parse(scrape(c.ip(2)))[0]
    s1 = parse(scrape(c.ip(1)))[0]
    check(value(s2, 'pmgtm_serving') == 0 and value(s1, 'pmgtm_serving') == 1
          and value(s1, 'pmgtm_drained') == 0,
          'pmgtm_serving 0 on lb2, 1 on lb1; lb1 not drained')
    check(all(value(s1, 'pmgtm_member_drained', member=m) == 0
              for m in ('lb1', 'lb3')),
          'lb1: pmgtm_member_drained 0 for lb1 and lb3')


def prometheus(c, binary, workdir):
    targets = ['%s:%d' % (c.ip(i), PORT) for i in (1, 2, 3)]
    p = Prometheus(binary, workdir, targets)
    ok = False
    try:
        up = wait_for(lambda: (p.query('up') or {}) if
                      len(p.query('up') or {}) == 3 and
                      all(v == 1 for v in p.query('up').values())
                      else None, 30, 0.5)
        check(up is not None, 'Prometheus: the three targets are up',
              str(p.query('up')))
        r = p.get('/api/v1/targets') or {}
        errs = [t.get('lastError') for t in
                r.get('data', {}).get('activeTargets', [])]
        check(len(errs) == 3 and not any(errs),
              'Prometheus: no scrape error on any target', str(errs))
        want = {targets[0]: 0, targets[1]: 1, targets[2]: 0}
        got = wait_for(lambda: p.query('pmgtm_drained') == want and
                       p.query('pmgtm_drained'), 10, 0.5)
        check(got is not None, 'Prometheus: pmgtm_drained is 1 on lb2 only',
              str(p.query('pmgtm_drained')))
        q = p.query('pmgtm_member_drained{member="lb2"}')
        check(q == {t: 1 for t in targets},
              'Prometheus: every node says lb2 is drained', str(q))
        q = p.query('sum(pmgtm_members{state="alive"})')
        check(q == {None: 9}, 'Prometheus: 3 x 3 alive members', str(q))
        q = p.query('pmgtm_dns_requests_total{instance="%s",zone="%s",'
                    'proto="udp",qtype="A"}' % (targets[0], ZONE))
        check(q and q.get(targets[0], 0) >= 5,
              'Prometheus: lb1 DNS counter as the node shows it', str(q))
        ok = True
    finally:
        p.stop()
        if not ok or test_cluster.failed:
            p.dump_log()


def errors(c):
    ip = c.ip(1)
    for path in ('/', '/metricsx', '/metrics/x'):
        status, _, _ = fetch(ip, path)
        check(status == 404, 'GET %s: 404' % path, str(status))
    for method, body in (('POST', 'x=1'), ('PUT', ''), ('DELETE', None)):
        status, headers, _ = fetch(ip, '/metrics', method, body)
        check(status == 405 and headers.get('allow') == 'GET, HEAD',
              '%s /metrics: 405 with Allow: GET, HEAD' % method,
              '%s %s' % (status, headers.get('allow')))
    status, headers, body = fetch(ip, '/metrics', 'HEAD')
    check(status == 200 and body == '' and
          headers.get('content-type') == CONTENT_TYPE,
          'HEAD /metrics: 200, no body')


def concurrent(c, n=200):
    ip = c.ip(1)
    fds_before = metric(ip, 'process_open_fds')
    results = []
    lock = threading.Lock()
    start = threading.Barrier(n + 1)
    stop_dig = threading.Event()
    digs = []

    def scraper():
        start.wait()
        try:
            status, _, body = fetch(ip, timeout=20)
            ok = status == 200 and body.endswith('\n') and \
                'process_open_fds' in body
        except OSError as e:
            ok = repr(e)
        with lock:
            results.append(ok)

    def digger():
        while not stop_dig.is_set():
            digs.append(dig(ip))

    threads = [threading.Thread(target=scraper) for _ in range(n)]
    for t in threads:
        t.start()
    d = threading.Thread(target=digger)
    d.start()
    t0 = time.time()
    start.wait()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.time() - t0
    time.sleep(0.5)  # dig on after the burst too
    stop_dig.set()
    d.join(timeout=10)
    good = sum(1 for r in results if r is True)
    check(good == n, '%d concurrent scrapes: %d got 200 in %.2f s' %
          (n, good, elapsed), str([r for r in results if r is not True][:5]))
    check(digs and all(s == 'NOERROR' for s in digs),
          'dig answered all %d queries during the scrapes' % len(digs),
          str([s for s in digs if s != 'NOERROR'][:5]))
    # Connections close once answered: descriptors back where they were.
    settled = wait_for(lambda: (metric(ip, 'process_open_fds') or 1e9) <=
                       fds_before + 2, 10, 0.2)
    check(settled, 'no descriptor left open after the burst (%s before)' %
          fds_before, str(metric(ip, 'process_open_fds')))


def limit_and_timeout(c, limit=64, idle_timeout=10, per_ip=8):
    """64 idle connections fill the endpoint; a scrape waits in the
    backlog until the server drops them after its idle timeout. They come
    from 127.0.0.150-157, 8 each: past 8 stalled connections an address
    would lose its oldest after a second."""
    ip = c.ip(1)
    idle = []
    for i in range(limit):
        src = ('127.0.0.%d' % (150 + i // per_ip), 0)
        s = socket.create_connection((ip, PORT), timeout=5,
                                     source_address=src)
        idle.append(s)
    time.sleep(0.3)
    t0 = time.time()
    result = {}

    def late():
        try:
            result['status'] = fetch(ip, timeout=idle_timeout + 10)[0]
        except OSError as e:
            result['status'] = repr(e)
        result['t'] = time.time() - t0
    th = threading.Thread(target=late)
    th.start()
    time.sleep(1)
    check('status' not in result and dig(ip) == 'NOERROR',
          'at %d connections a scrape waits; DNS still answers' % limit,
          str(result))
    closed = 0
    for s in idle:
        s.settimeout(max(0.1, idle_timeout + 5 - (time.time() - t0)))
        try:
            closed += s.recv(1) == b''
        except OSError:
            pass
        s.close()
    th.join(timeout=idle_timeout + 15)
    check(closed == limit and result.get('status') == 200 and
          idle_timeout - 1 < result.get('t', 0) < idle_timeout + 5,
          'idle connections closed by the server after ~%d s; the waiting '
          'scrape then served' % idle_timeout,
          '%d closed, %s' % (closed, result))


def sigterm(c):
    p = c.procs.pop(3)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    with open(c.logs[3]) as f:
        log = f.read()
    check(rc == 0 and 'handles open' not in log,
          'SIGTERM with /metrics open: exit 0, event loop closed cleanly',
          'rc=%s' % rc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    ap.add_argument('--promtool', default=shutil.which('promtool') or
                    '/usr/bin/promtool')
    ap.add_argument('--prometheus', default=shutil.which('prometheus') or
                    '/usr/bin/prometheus')
    args = ap.parse_args()
    for tool in (args.promtool, args.prometheus):
        if not os.access(tool, os.X_OK):
            print('FAIL - %s not found (apt-get install prometheus)' % tool)
            print('0 passed, 1 failed')
            return 1

    c = Cluster(args.pmgtmd, args.pmgtmctl, base=BASE, extra=extra)
    workdir = tempfile.mkdtemp(prefix='pmgtm-metrics-')
    try:
        for i in (1, 2, 3):
            c.start(i)
        everyone = {'lb%d' % i: 'alive' for i in (1, 2, 3)}
        t = c.wait(lambda: test_cluster.all_see(c, everyone, (1, 2, 3)), 15)
        check(t is not None, 'three nodes alive everywhere')
        ready = wait_for(lambda: all(metric(c.ip(i), 'pmgtm_serving') == 1
                                     for i in (1, 2, 3)), 10)
        check(ready, 'pmgtm_serving 1 on every node once synced')
        for i in (1, 2, 3):
            check_node(c, i, args.promtool)
        dns_counters(c)
        cluster_families(c)
        drain(c)
        prometheus(c, args.prometheus, workdir)
        errors(c)
        concurrent(c)
        limit_and_timeout(c)
        sigterm(c)
    except Exception as e:  # a node that does not answer, say
        check(False, 'the scenario ran to its end', repr(e))
    finally:
        c.stop_all()
        if test_cluster.failed:
            c.dump_logs()
        shutil.rmtree(c.dir, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    print('%d passed, %d failed' % (test_cluster.passed, test_cluster.failed))
    return 1 if test_cluster.failed else 0


if __name__ == '__main__':
    sys.exit(main())
