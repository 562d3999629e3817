"""Network namespaces for the end-to-end tests: one private bridge, one
namespace per host, each with one veth on the bridge and one address in
10.99.0.0/24. Nothing here routes anywhere else: the namespaces have no
default route, so every packet stays between the hosts the test made.

Teardown deletes every namespace it created (their processes are killed
first), and a stale topology from an interrupted run is removed before a
new one is built.
"""

import os
import signal
import subprocess
import time

PREFIX = 'pe-'  # every namespace this test makes starts with it
SUBNET = '10.99.0.'
BRIDGE_NS = PREFIX + 'br'


def sh(*cmd, check=True, timeout=30, ns=None, **kw):
    """Run a command (in namespace @ns if given); returns CompletedProcess."""
    full = list(cmd)
    if ns:
        full = ['ip', 'netns', 'exec', ns] + full
    r = subprocess.run(full, capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError('%s: exit %d: %s' % (' '.join(full), r.returncode,
                                                  r.stderr.strip()))
    return r


def our_namespaces():
    r = sh('ip', 'netns', 'list', check=False)
    return [l.split()[0] for l in r.stdout.splitlines()
            if l.split() and l.split()[0].startswith(PREFIX)]


def kill_in_ns(ns):
    """SIGKILL every process whose network namespace is @ns."""
    r = sh('ip', 'netns', 'pids', ns, check=False)
    for p in r.stdout.split():
        try:
            os.kill(int(p), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def teardown():
    for ns in our_namespaces():
        kill_in_ns(ns)
    time.sleep(0.1)
    for ns in our_namespaces():
        sh('ip', 'netns', 'del', ns, check=False)


class Topology:
    """Hosts by name -> (namespace, address)."""

    def __init__(self, hosts):
        self.hosts = dict(hosts)  # name -> last octet

    def ns(self, host):
        return PREFIX + host

    def ip(self, host):
        return SUBNET + str(self.hosts[host])

    def build(self):
        teardown()
        sh('ip', 'netns', 'add', BRIDGE_NS)
        sh('ip', 'link', 'add', 'br0', 'type', 'bridge', ns=BRIDGE_NS)
        sh('ip', 'link', 'set', 'br0', 'up', ns=BRIDGE_NS)
        for host in self.hosts:
            ns = self.ns(host)
            sh('ip', 'netns', 'add', ns)
            sh('ip', 'link', 'set', 'lo', 'up', ns=ns)
            port = 'v-' + host
            sh('ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer',
               'name', port, 'netns', BRIDGE_NS)
            sh('ip', '-n', BRIDGE_NS, 'link', 'set', port, 'master', 'br0')
            sh('ip', '-n', BRIDGE_NS, 'link', 'set', port, 'up')
            sh('ip', '-n', ns, 'addr', 'add', self.ip(host) + '/24', 'dev',
               'eth0')
            sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up')
        # The bridge learns and forwards within a second; wait for it.
        first = list(self.hosts)[0]
        for host in list(self.hosts)[1:]:
            for _ in range(50):
                if sh('ping', '-c1', '-W1', self.ip(host), ns=self.ns(first),
                      check=False).returncode == 0:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError('no path from %s to %s' % (first, host))

    def popen(self, host, cmd, **kw):
        return subprocess.Popen(['ip', 'netns', 'exec', self.ns(host)] +
                                list(cmd), **kw)

    def run(self, host, *cmd, **kw):
        return sh(*cmd, ns=self.ns(host), **kw)

    # nftables: one table per host, flushed between scenarios.
    def nft_reset(self, host):
        ns = self.ns(host)
        sh('nft', 'delete', 'table', 'inet', 'pmgtm_e2e', ns=ns, check=False)
        sh('nft', 'add', 'table', 'inet', 'pmgtm_e2e', ns=ns)
        for chain, hook in (('in', 'input'), ('out', 'output')):
            sh('nft', 'add', 'chain', 'inet', 'pmgtm_e2e', chain,
               '{ type filter hook %s priority 0; policy accept; }' % hook,
               ns=ns)

    def nft_rule(self, host, chain, rule):
        sh('nft', 'add', 'rule', 'inet', 'pmgtm_e2e', chain, *rule.split(),
           ns=self.ns(host))

    def nft_clear(self, host):
        sh('nft', 'delete', 'table', 'inet', 'pmgtm_e2e', ns=self.ns(host),
           check=False)
