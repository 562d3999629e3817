"""Start and stop real pmgtmd processes for the integration tests.

Each node gets its own directory under the test's temp dir with its YAML
config, state directory, control socket path and a log file that captures
its stderr (and stdout). The child is tied to the test process with
PR_SET_PDEATHSIG, so even a SIGKILLed test run leaves no daemon behind.
"""

import ctypes
import os
import signal
import socket
import subprocess
import time

import dnsmsg

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def port_free(ip, port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((ip, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def yaml_str(s):
    return '"%s"' % s


class Zone:
    def __init__(self, name, ttl, ns, soa):
        self.name = name
        self.ttl = ttl
        self.ns = ns  # list of "name [addr ...]" strings
        self.soa = soa  # dict: rname serial refresh retry expire minimum

    def yaml_lines(self):
        s = self.soa
        return [
            '    - name: %s' % self.name,
            '      ttl: %d' % self.ttl,
            '      ns: [%s]' % ', '.join(yaml_str(n) for n in self.ns),
            '      soa: { rname: %s, serial: %d, refresh: %d, retry: %d, '
            'expire: %d, minimum: %d }' % (
                s['rname'], s['serial'], s['refresh'], s['retry'],
                s['expire'], s['minimum']),
        ]

    def ns_names(self):
        return [n.split()[0].lower().rstrip('.') + '.' for n in self.ns]

    def ns_addrs(self):
        """{ns name.: [addresses]} for entries that carry addresses."""
        out = {}
        for n in self.ns:
            f = n.split()
            if len(f) > 1:
                out[f[0].lower().rstrip('.') + '.'] = f[1:]
        return out


class Node:
    def __init__(self, name, listen, addresses, port, zones, workdir,
                 ns_name=None, dns_extra=(), drain_mode='redirect'):
        self.name = name
        self.listen = list(listen)  # IPs; all on @port
        self.ip = self.listen[0]
        self.addresses = list(addresses)
        self.port = port
        self.zones = zones
        self.ns_name = ns_name
        self.dns_extra = list(dns_extra)  # extra "  key: value" lines
        self.drain_mode = drain_mode
        self.dir = os.path.join(workdir, name)
        os.makedirs(os.path.join(self.dir, 'state'), exist_ok=True)
        self.config_path = os.path.join(self.dir, 'pmgtm.yaml')
        self.log_path = os.path.join(self.dir, 'pmgtmd.log')
        self.proc = None
        self.logf = None

    def v4(self):
        return [a for a in self.addresses if ':' not in a]

    def v6(self):
        return [a for a in self.addresses if ':' in a]

    def config_lines(self):
        lines = [
            'node:',
            '  name: %s' % self.name,
            '  addresses: [%s]' % ', '.join(yaml_str(a)
                                            for a in self.addresses),
        ]
        if self.ns_name:
            lines.append('  ns_name: %s' % self.ns_name)
        lines += [
            '  state_dir: %s' % os.path.join(self.dir, 'state'),
            'dns:',
            '  listen: [%s]' % ', '.join(
                yaml_str('%s:%d' % (ip, self.port)) for ip in self.listen),
            '  drain_mode: %s' % self.drain_mode,
        ]
        lines += self.dns_extra
        lines.append('  zones:')
        for z in self.zones:
            lines += z.yaml_lines()
        lines += [
            'control:',
            '  socket: %s' % os.path.join(self.dir, 'control.sock'),
            'log:',
            '  level: debug',
        ]
        return lines

    def write_config(self):
        with open(self.config_path, 'w') as f:
            f.write('\n'.join(self.config_lines()) + '\n')

    def start(self, binary):
        self.write_config()
        self.logf = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(
            [binary, '-c', self.config_path], stdin=subprocess.DEVNULL,
            stdout=self.logf, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def answers(self, ip, timeout=0.3):
        zone = self.zones[0].name
        q = dnsmsg.query(zone, 'SOA', edns=False)
        r = dnsmsg.udp_exchange(ip, self.port, q, timeout)
        if r is None:
            return False
        try:
            s = dnsmsg.tcp_connect(ip, self.port, timeout)
            s.close()
        except OSError:
            return False
        return True

    def wait_ready(self, timeout=10.0):
        """(True, '') once every listen address answers over UDP and
        accepts TCP; (False, why) otherwise."""
        deadline = time.monotonic() + timeout
        pending = list(self.listen)
        while time.monotonic() < deadline:
            if not self.alive():
                return False, 'exited with status %s' % self.proc.returncode
            pending = [ip for ip in pending if not self.answers(ip)]
            if not pending:
                return True, ''
            time.sleep(0.05)
        return False, 'no answer on %s within %.0fs' % (
            ', '.join(pending), timeout)

    def stop(self, timeout=3.0):
        """SIGTERM, then SIGKILL after @timeout. Returns (exit status,
        whether it exited by itself in time)."""
        if self.proc is None:
            return None, True
        clean = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                clean = False
                self.proc.kill()
                self.proc.wait(5)
        if self.logf:
            self.logf.close()
            self.logf = None
        return self.proc.returncode, clean

    def log(self, max_lines=200):
        try:
            with open(self.log_path, 'rb') as f:
                lines = f.read().decode('utf-8', 'replace').splitlines()
        except OSError:
            return '(no log)'
        if len(lines) > max_lines:
            lines = ['... (%d earlier lines)' % (len(lines) - max_lines)] + \
                lines[-max_lines:]
        return '\n'.join(lines)
