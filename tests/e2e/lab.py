"""The end-to-end lab: a fake root (NSD), the parent zone (Knot), three
pmgtmd nodes and one recursive resolver, each in its own network namespace
on one private bridge, and a client namespace that queries the resolver.

    10.99.0.2    root     NSD, zone "."       (delegates example.com)
    10.99.0.3    parent   Knot, example.com   (delegates api.example.com
                                                to lb1-3 with glue)
    10.99.0.11   lb1 \\
    10.99.0.12   lb2  >   pmgtmd, api.example.com, signed + sealed gossip
    10.99.0.13   lb3 /
    10.99.0.53   res      unbound | named | pdns_recursor (root hints: .2)
    10.99.0.100  cli      client.py, dig, dnsperf
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import servers
import topo

HOSTS = {'root': 2, 'parent': 3, 'lb1': 11, 'lb2': 12, 'lb3': 13,
         'res': 53, 'cli': 100}
LBS = ['lb1', 'lb2', 'lb3']
HERE = os.path.dirname(os.path.abspath(__file__))


class Lab:
    def __init__(self, pmgtmd, pmgtmctl, keep=False):
        self.pmgtmd = os.path.abspath(pmgtmd)
        self.pmgtmctl = os.path.abspath(pmgtmctl)
        self.keep = keep
        self.dir = tempfile.mkdtemp(prefix='pmgtm-e2e-')
        self.topo = topo.Topology(HOSTS)
        self.procs = {}  # name -> Popen
        self.drain_mode = 'redirect'
        self.resolver = None

    # ------------------------------------------------------------ helpers
    def path(self, *p):
        return os.path.join(self.dir, *p)

    def ip(self, host):
        return self.topo.ip(host)

    def start(self, name, host, cmd):
        log = open(self.path(name + '.log'), 'ab')
        self.procs[name] = self.topo.popen(host, cmd, stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=log)
        log.close()
        return self.procs[name]

    def stop(self, name, sig=signal.SIGTERM, timeout=5):
        p = self.procs.pop(name, None)
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        return p.returncode

    def log(self, name):
        try:
            with open(self.path(name + '.log'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def dig(self, server, name, qtype='A', norec=True, timeout=2):
        cmd = ['dig', '+short', '+time=%d' % timeout, '+tries=1',
               '@' + server, name, qtype]
        if norec:
            cmd.insert(1, '+norec')
        r = self.topo.run('cli', *cmd, check=False, timeout=timeout + 5)
        return sorted(r.stdout.split()) if r.returncode == 0 else None

    def ctl(self, lb, *args, timeout=60):
        return subprocess.run(
            [self.pmgtmctl, '-s', self.path(lb, 'control.sock')] + list(args),
            capture_output=True, text=True, timeout=timeout)

    def members(self, lb):
        try:
            r = self.ctl(lb, 'members', '--json', timeout=5)
            return {m['name']: m for m in json.loads(r.stdout)['members']}
        except (subprocess.TimeoutExpired, ValueError, KeyError):
            return None

    def reach(self, lb):
        try:
            r = self.ctl(lb, 'reachability', '--json', timeout=5)
            return json.loads(r.stdout)
        except (subprocess.TimeoutExpired, ValueError):
            return None

    @staticmethod
    def wait(pred, timeout, step=0.1):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if pred():
                return time.monotonic() - t0
            time.sleep(step)
        return None

    # ------------------------------------------------------------- set-up
    def setup(self):
        self.topo.build()
        hints = servers.write(self.path('root.hints'),
                              servers.root_hints(self.topo))
        self.hints = hints
        self.start('nsd', 'root', servers.nsd_cmd(self.topo, self.path('nsd')))
        self.start('knot', 'parent',
                   servers.knot_cmd(self.topo, self.path('knot'), LBS))
        run = [self.pmgtmctl]
        subprocess.run(run + ['ca', 'init', '--dir', self.path('ca')],
                       check=True, capture_output=True)
        subprocess.run(run + ['key', 'generate', '--out',
                              self.path('cluster.key')],
                       check=True, capture_output=True)
        for lb in LBS:
            subprocess.run(run + ['cert', 'issue', '--ca-key',
                                  self.path('ca', 'ca.key'), '--cluster',
                                  'e2e', '--name', lb,
                                  '--out-dir', self.path(lb)],
                           check=True, capture_output=True)
            os.makedirs(self.path(lb, 'state'), exist_ok=True)
            self.write_config(lb)
        for lb in LBS:
            self.start_node(lb)
        for host, name in (('root', '.'), ('parent', 'example.com')):
            if self.wait(lambda: self.dig(self.ip(host), name, 'SOA'), 10) \
                    is None:
                raise RuntimeError('%s server does not answer' % host)
        if self.wait(self.cluster_healthy, 20) is None:
            raise RuntimeError('the pmgtm cluster did not form')

    def write_config(self, lb):
        servers.write(self.path(lb, 'pmgtm.yaml'), servers.pmgtm_config(
            self.topo, self.path(lb), LBS.index(lb), LBS, self.drain_mode,
            self.dir))

    def start_node(self, lb):
        self.start(lb, lb, [self.pmgtmd, '-c', self.path(lb, 'pmgtm.yaml')])

    def kill_node(self, lb):
        return self.stop(lb, signal.SIGKILL)

    def states(self, lb):
        m = self.members(lb)
        return {k: v['state'] for k, v in m.items()} if m else None

    def cluster_healthy(self):
        """Every node sees every node alive and answers with its address."""
        for lb in LBS:
            s = self.states(lb)
            if not s or any(s.get(o) != 'alive' for o in LBS):
                return False
            if self.dig(self.ip(lb), 'probe.' + servers.ZONE, timeout=1) != \
                    [self.ip(lb)]:
                return False
        return True

    def set_drain_mode(self, mode):
        """Rewrite every node's dns.drain_mode and SIGHUP it; waits for the
        'config reloaded' line."""
        self.drain_mode = mode
        for lb in LBS:
            before = self.log(lb).count('config reloaded')
            self.write_config(lb)
            self.procs[lb].send_signal(signal.SIGHUP)
            if self.wait(lambda: self.log(lb).count('config reloaded') >
                         before, 10) is None:
                raise RuntimeError('%s did not reload' % lb)

    # ----------------------------------------------------------- resolver
    def start_resolver(self, kind):
        """(Re)starts resolver @kind with an empty cache; returns once it
        resolves a name under the zone (which also primes the delegation,
        like a resolver already in service)."""
        self.stop_resolver()
        d = self.path('res-' + kind)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        cmd = servers.RESOLVERS[kind][0](self.ip('res'), d, self.hints)
        self.start('resolver', 'res', cmd)
        self.resolver = kind
        lbs = {self.ip(lb) for lb in LBS}
        n = [0]

        def ready():
            n[0] += 1
            a = self.dig(self.ip('res'), 'warm-%d.%s' % (n[0], servers.ZONE),
                         norec=False, timeout=2)
            return bool(a) and set(a) <= lbs
        if self.wait(ready, 30, step=0.2) is None:
            raise RuntimeError('%s does not resolve: %s' % (
                kind, self.log('resolver')[-2000:]))

    def stop_resolver(self):
        if 'resolver' in self.procs:
            self.stop('resolver', timeout=10)

    # --------------------------------------------------------------- load
    def client(self, prefix, rate, seconds, timeout=5.0, tag=None):
        """Starts client.py in the client namespace; returns a handle whose
        results() waits for it and parses its lines."""
        out = open(self.path('client-%s.jsonl' % (tag or prefix)), 'w+')
        p = self.topo.popen('cli', ['python3', os.path.join(HERE, 'client.py'),
                                    self.ip('res'), prefix, str(rate),
                                    str(seconds), str(timeout)],
                            stdout=out, stderr=subprocess.DEVNULL)
        return ClientRun(p, out)

    def poll(self, server, name, want, seconds):
        """Starts poll.py in the client namespace: when() gives the time of
        the first answer from @server carrying @want, or None."""
        p = self.topo.popen('cli', ['python3', os.path.join(HERE, 'poll.py'),
                                    server, name, want, str(seconds)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
        return PollRun(p, seconds)

    # ------------------------------------------------------------ teardown
    def teardown(self):
        for name in list(self.procs):
            self.stop(name, timeout=3)
        topo.teardown()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


class ClientRun:
    def __init__(self, proc, out):
        self.proc = proc
        self.out = out

    def results(self, timeout=120):
        self.proc.wait(timeout)
        self.out.seek(0)
        rows = [json.loads(l) for l in self.out if l.strip()]
        self.out.close()
        rows.sort(key=lambda r: r['n'])
        return rows


class PollRun:
    def __init__(self, proc, seconds):
        self.proc = proc
        self.seconds = seconds

    def when(self):
        out, _ = self.proc.communicate(timeout=self.seconds + 10)
        try:
            return float(out.strip()) if self.proc.returncode == 0 else None
        except ValueError:
            return None
