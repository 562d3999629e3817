"""The end-to-end scenarios, each run against one resolver with a fresh
cache. Each returns result rows for the table and records its checks.

Times are wall-clock (time.time()) on both sides: the client runs on the
same machine, in another namespace.
"""

import json
import re
import time

import lab as L
import servers

RATE = 40  # client queries per second (each a name never asked before)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, ok, what, detail=''):
        if ok:
            self.passed += 1
            print('ok - ' + what, flush=True)
        else:
            self.failed += 1
            self.failures.append(what)
            print('FAIL - %s%s' % (what, ': ' + detail if detail else ''),
                  flush=True)
        return ok


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def summary(rows, lab):
    """Queries, failures and latency of a client run."""
    ips = {lab.ip(lb) for lb in L.LBS}
    bad = [r for r in rows if r['rcode'] != 'NOERROR' or not r['addrs'] or
           not set(r['addrs']) <= ips]
    lat = [r['lat'] for r in rows if r['lat'] is not None]
    by_node = {lb: sum(1 for r in rows if lab.ip(lb) in r['addrs'])
               for lb in L.LBS}
    return {
        'queries': len(rows),
        'failed': len(bad),
        'failures': sorted({r['rcode'] for r in bad}),
        'retried': sum(1 for r in rows if r.get('tries', 1) > 1),
        'p50': pct(lat, 50),
        'p99': pct(lat, 99),
        'max': max(lat) if lat else None,
        'by_node': by_node,
    }


def clean(s, rate, seconds):
    """No failed query, and the client really sent about what it should
    have (an empty run must not pass)."""
    return s['failed'] == 0 and s['queries'] >= int(rate * seconds * 0.95)


def got(rows, ip):
    """(send time, receive time) of every answer that carried @ip."""
    return [(r['t'], r['t'] + r['lat']) for r in rows
            if r['lat'] is not None and ip in r['addrs']]


def switch_over(rows, ip, t_drain, t_undrain):
    """Seconds from the drain command until the last answer carrying the
    drained address (received before the undrain); 0.0 if none came."""
    late = [rx for tx, rx in got(rows, ip) if t_drain <= rx and
            tx < t_undrain]
    return max(late) - t_drain if late else 0.0


def comeback(rows, ip, t_undrain):
    """Seconds from the undrain command until the first answer, to a query
    sent after it, carrying the address; None if none did."""
    back = [rx for tx, rx in got(rows, ip) if tx >= t_undrain]
    return min(back) - t_undrain if back else None


def row(kind, scenario, mode, s, **extra):
    r = {'resolver': kind, 'scenario': scenario, 'mode': mode}
    r.update(s)
    r.update(extra)
    return r


def sec(v):
    return 'never' if v is None else '%.3f' % v


def sleep_until(t):
    d = t - time.time()
    if d > 0:
        time.sleep(d)


# ----------------------------------------------------------------- steady

def steady(lab, kind, ck):
    rows = lab.client('steady-' + kind, RATE, 5).results()
    s = summary(rows, lab)
    ck.check(s['queries'] >= 5 * RATE - 1 and s['failed'] == 0,
             '%s steady: %d distinct names, all answered with a node address'
             % (kind, s['queries']), str(s))
    return [row(kind, 'steady state', '-', s)]


# ------------------------------------------------------------------- kill

def preferred(lab, kind):
    """The node this resolver sends most queries to (BIND and PowerDNS
    stick to the fastest one): the node a failure or a drain must hit to
    mean anything. Returns (node, the other two)."""
    rows = lab.client('pick-%s-%d' % (kind, time.time()), 20, 2).results()
    by = summary(rows, lab)['by_node']
    best = max(L.LBS, key=lambda lb: (by[lb], lb == 'lb2'))
    return best, [lb for lb in L.LBS if lb != best]


def kill(lab, kind, ck):
    victim, _ = preferred(lab, kind)
    c = lab.client('kill-' + kind, RATE, 14)
    time.sleep(3)
    lab.kill_node(victim)
    rows = c.results()
    s = summary(rows, lab)
    ck.check(clean(s, RATE, 14),
             '%s kill -9 %s (the node it preferred): no client query failed '
             '(%d queries)' % (kind, victim, s['queries']), str(s))
    lab.start_node(victim)
    ck.check(lab.wait(lab.cluster_healthy, 30) is not None,
             '%s: %s restarted and alive everywhere' % (kind, victim))
    return [row(kind, '%s killed (SIGKILL)' % victim, '-', s)]


def blackhole(lab, kind, ck):
    """The host goes silent (power, network): every packet to it dropped,
    so no ICMP port-unreachable tells the resolver to move on, unlike
    after a SIGKILL."""
    victim, _ = preferred(lab, kind)
    c = lab.client('hole-' + kind, RATE, 14)
    time.sleep(3)
    lab.topo.nft_reset(victim)
    lab.topo.nft_rule(victim, 'in', 'drop')
    rows = c.results()
    s = summary(rows, lab)
    ck.check(clean(s, RATE, 14),
             '%s %s silent (all its packets dropped): no client query failed '
             '(%d queries, %d retried by the stub)' % (
                 kind, victim, s['queries'], s['retried']), str(s))
    lab.topo.nft_clear(victim)
    ck.check(lab.wait(lab.cluster_healthy, 30) is not None,
             '%s: %s reachable and alive everywhere again' % (kind, victim))
    return [row(kind, '%s host down (all packets dropped)' % victim, '-', s)]


# ------------------------------------------------------------------ drain

def drain(lab, kind, ck, mode):
    lab.set_drain_mode(mode)
    lab.start_resolver(kind)
    target, (by, back_by) = preferred(lab, kind)
    ip = lab.ip(target)
    t0 = time.time()
    c = lab.client('drain-%s-%s' % (mode, kind), RATE, 17)
    # And one name asked over and over, which the resolver caches for TTL.
    cc = lab.client('=www', 10, 17, tag='drain-%s-%s-www' % (mode, kind))
    sleep_until(t0 + 3)
    t_drain = time.time()
    r = lab.ctl(by, 'drain', target, '--wait', '--reason', 'e2e ' + mode)
    ck.check(r.returncode == 0, '%s %s: drain %s from %s (--wait)' %
             (kind, mode, target, by), r.stdout + r.stderr)
    sleep_until(t_drain + 7)
    # How soon the node's own answers are back: poll it from the client.
    poll = lab.poll(ip, 'back.' + servers.ZONE, ip, 5)
    time.sleep(0.3)
    t_undrain = time.time()
    r = lab.ctl(back_by, 'undrain', target)
    ck.check(r.returncode == 0, '%s %s: undrain %s from %s' %
             (kind, mode, target, back_by), r.stdout + r.stderr)
    t_own = poll.when()
    t_own = None if t_own is None else t_own - t_undrain
    ck.check(t_own is not None and t_own < 1.0,
             '%s %s: %s answers with its own address again at once after '
             'the undrain (%s s)' % (kind, mode, target, sec(t_own)))
    rows = c.results()
    rows_www = cc.results()
    s = summary(rows + rows_www, lab)
    sw = switch_over(rows, ip, t_drain, t_undrain)
    sw_www = switch_over(rows_www, ip, t_drain, t_undrain)
    back = comeback(rows + rows_www, ip, t_undrain)
    during = summary([x for x in rows + rows_www
                      if t_drain <= x['t'] < t_undrain], lab)
    ck.check(max(sw, sw_www) <= servers.TTL + 1,
             '%s %s: no client got %s later than TTL+1 s after the drain '
             '(new names: last %.2f s, cached name: last %.2f s)' %
             (kind, mode, target, sw, sw_www))
    if mode == 'redirect':
        ck.check(clean(s, RATE + 10, 17),
                 '%s redirect: no client query failed '
                 '(%d queries)' % (kind, s['queries']), str(s))
        ck.check(during['max'] is not None and during['max'] < 1.0,
                 '%s redirect: no query waited for a timeout while drained '
                 '(max %.3f s)' % (kind, during['max'] or -1))
    return [row(kind, 'drain %s (preferred)' % target, mode, s, switch=sw,
                switch_www=sw_www, back=back, own_back=t_own)]


# -------------------------------------------------------------- partition

def cell(m, observer, target):
    for o in (m or {}).get('observers', []):
        if o.get('name') == observer:
            for p in o.get('peers', []):
                if p.get('name') == target:
                    return p
    return None


def shows_cut(m):
    a, b = cell(m, 'lb1', 'lb3'), cell(m, 'lb2', 'lb3')
    split = [s for s in (m or {}).get('split_views', [])
             if s.get('target') == 'lb3']
    return (a is not None and a.get('reachable') is False and
            b is not None and b.get('reachable') is True and
            split and split[0].get('unreachable_from') == ['lb1'])


def partition(lab, kind, ck):
    c = lab.client('part-' + kind, RATE, 12)
    time.sleep(2)
    lab.topo.nft_reset('lb1')
    lab.topo.nft_rule('lb1', 'out', 'ip daddr %s drop' % lab.ip('lb3'))
    seen = lab.wait(lambda: all(shows_cut(lab.reach(lb)) for lb in L.LBS), 15,
                    step=0.2)
    ck.check(seen is not None, '%s partition lb1->lb3: every node\'s '
             'reachability shows it (%s s)' % (
                 kind, '%.1f' % seen if seen is not None else 'never'),
             '' if seen is not None else
             json.dumps({lb: lab.reach(lb) for lb in L.LBS}))
    split = re.compile(r'msg="split view" .*\btarget=lb3\b')
    logged = [lb for lb in L.LBS if split.search(lab.log(lb))]
    ck.check(logged == L.LBS, '%s partition: the split view is logged on '
             'every node' % kind, 'logged on %s' % logged)
    lab.topo.nft_clear('lb1')
    rows = c.results()
    s = summary(rows, lab)
    ck.check(clean(s, RATE, 12), '%s partition: no client query failed (%d)' %
             (kind, s['queries']), str(s))
    dead = [(lb, st) for lb in L.LBS for st in [lab.states(lb)]
            if st and 'dead' in st.values()]
    ck.check(not dead, '%s partition: nobody declared dead' % kind, str(dead))
    healed = lab.wait(lambda: not any(
        shows_cut(lab.reach(lb)) for lb in L.LBS), 15, step=0.2)
    ck.check(healed is not None, '%s partition healed everywhere' % kind)
    return [row(kind, 'one-way cut lb1->lb3', '-', s,
                detect=seen)]


# ------------------------------------------------------------------- loss

def loss(lab, kind, ck):
    lossy, _ = preferred(lab, kind)
    lab.topo.nft_reset(lossy)
    for chain in ('in', 'out'):
        lab.topo.nft_rule(lossy, chain, 'numgen random mod 100 < 20 drop')
    c = lab.client('loss-' + kind, RATE, 20)
    t_end = time.time() + 20
    worst = {}
    while time.time() < t_end:
        for lb in L.LBS:
            for m, st in (lab.states(lb) or {}).items():
                if st != 'alive':
                    worst.setdefault(st, set()).add('%s saw %s' % (lb, m))
        time.sleep(0.5)
    rows = c.results()
    lab.topo.nft_clear(lossy)
    s = summary(rows, lab)
    ck.check('dead' not in worst, '%s 20%% loss on %s: no member declared '
             'dead' % (kind, lossy), str(worst))
    ck.check(clean(s, RATE, 20), '%s 20%% loss on %s: no client query failed '
             '(%d)' % (kind, lossy, s['queries']), str(s))
    sus = sorted(worst.get('suspect', []))
    return [row(kind, '20%% loss on %s (preferred)' % lossy, '-', s,
                note='briefly suspect: %s' % ', '.join(sus) if sus else '')]


# ------------------------------------------------------------------ burst

DNSPERF_RE = re.compile(r'^> (\S+) (\S+) (\S+) (\d+\.\d+)$')


def burst(lab, kind, ck, qps=300, seconds=8):
    lab.set_drain_mode('redirect')
    lab.start_resolver(kind)
    names = lab.path('burst-%s.txt' % kind)
    with open(names, 'w') as f:
        for i in range(qps * seconds + qps):
            f.write('burst-%s-%d.%s A\n' % (kind, i, servers.ZONE))
    target, (by, back_by) = preferred(lab, kind)
    c = lab.client('burst-' + kind, 20, 14)
    time.sleep(2)
    t_drain = time.time()
    r = lab.ctl(by, 'drain', target, '--wait', '--reason', 'e2e burst')
    ck.check(r.returncode == 0, '%s burst: drain %s' % (kind, target),
             r.stderr)
    perf = lab.topo.run('cli', 'dnsperf', '-s', lab.ip('res'), '-d', names,
                        '-Q', str(qps), '-l', str(seconds), '-n', '1',
                        '-t', '5', '-v', check=False, timeout=seconds + 30)
    t_undrain = time.time()
    lab.ctl(back_by, 'undrain', target, '--wait')
    rows = c.results()
    lat, rcodes = [], {}
    for line in perf.stdout.splitlines():
        m = DNSPERF_RE.match(line.strip())
        if m:
            rcodes[m.group(1)] = rcodes.get(m.group(1), 0) + 1
            lat.append(float(m.group(4)))
    sent = re.search(r'Queries sent:\s+(\d+)', perf.stdout)
    lost = re.search(r'Queries lost:\s+(\d+)', perf.stdout)
    sent = int(sent.group(1)) if sent else 0
    lost = int(lost.group(1)) if lost else -1
    ok = rcodes.get('NOERROR', 0)
    ck.check(sent >= qps * seconds * 0.9 and lost == 0 and ok == sent,
             '%s burst: %d new names at %d/s right after the drain, all '
             'NOERROR' % (kind, sent, qps),
             'sent %d lost %d rcodes %s\n%s' % (sent, lost, rcodes,
                                                perf.stdout[-600:]))
    ck.check(lat and max(lat) < 1.0, '%s burst: no lookup stalled (max '
             '%.3f s)' % (kind, max(lat) if lat else -1))
    s = summary(rows, lab)
    sw = switch_over(rows, lab.ip(target), t_drain, t_undrain)
    ck.check(sw <= servers.TTL + 1 and clean(s, 20, 14),
             '%s burst: client saw no failure, %s gone within TTL+1 s '
             '(last %.2f s)' % (kind, target, sw), str(s))
    perf_s = {'queries': sent, 'failed': sent - ok + max(lost, 0),
              'failures': sorted(k for k in rcodes if k != 'NOERROR'),
              'p50': pct(lat, 50), 'p99': pct(lat, 99),
              'max': max(lat) if lat else None}
    return [row(kind, 'dnsperf %d/s after drain of %s' % (qps, target),
                'redirect', perf_s,
                switch=sw)]


def run_all(lab, kind, ck, only=None):
    """Every scenario against resolver @kind, each with a fresh cache."""
    plan = [
        ('steady', lambda: steady(lab, kind, ck)),
        ('kill', lambda: kill(lab, kind, ck)),
        ('hostdown', lambda: blackhole(lab, kind, ck)),
        ('redirect', lambda: drain(lab, kind, ck, 'redirect')),
        ('refuse', lambda: drain(lab, kind, ck, 'refuse')),
        ('silent', lambda: drain(lab, kind, ck, 'silent')),
        ('partition', lambda: partition(lab, kind, ck)),
        ('loss', lambda: loss(lab, kind, ck)),
        ('burst', lambda: burst(lab, kind, ck)),
    ]
    rows = []
    for name, fn in plan:
        if only and name not in only:
            continue
        t0 = time.time()
        try:
            if name not in ('redirect', 'refuse', 'silent', 'burst'):
                lab.set_drain_mode('redirect')
                lab.start_resolver(kind)
            rows += fn()
        except Exception as e:  # a broken scenario fails, the rest go on
            ck.check(False, '%s %s: ran' % (kind, name), repr(e))
        print('# %s %s: %.1f s' % (kind, name, time.time() - t0), flush=True)
        # No pmgtmd may have exited by itself (the kill scenario restarts
        # its victim).
        for lb in L.LBS:
            p = lab.procs.get(lb)
            if p is not None and p.poll() is not None:
                ck.check(False, '%s %s: %s still running' % (kind, name, lb),
                         'exit status %s' % p.returncode)
                lab.procs.pop(lb)
        # Back to a clean cluster: every node up, undrained, no rules.
        for lb in L.LBS:
            lab.topo.nft_clear(lb)
            if lb not in lab.procs:
                lab.start_node(lb)
        m = lab.members('lb1') or {}
        for lb in L.LBS:
            if m.get(lb, {}).get('drained'):
                lab.ctl('lb1', 'undrain', lb, '--wait', timeout=30)
        if lab.wait(lab.cluster_healthy, 30) is None:
            ck.check(False, '%s after %s: cluster healthy again' %
                     (kind, name))
    return rows
