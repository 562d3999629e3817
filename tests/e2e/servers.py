"""Config writers and launchers for the end-to-end topology's daemons:
the fake root (NSD), the parent zone example.com (Knot), three pmgtmd
nodes, and the recursive resolvers (Unbound, BIND 9, PowerDNS Recursor).

Every daemon runs in the foreground in its own namespace, writes only under
the run's directory and logs to a file there.
"""

import os
import re
import subprocess

ZONE = 'api.example.com'
TTL = 3  # pmgtm answers: short, so a scenario sees several TTLs


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return path


def version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return '?'
    out = (r.stdout + r.stderr).strip()
    m = re.search(r'(\d+\.\d+\.\d+[\w.~+-]*)', out)
    return m.group(1) if m else (out.splitlines() or ['?'])[0]


# ------------------------------------------------------------ root (NSD)

def root_zone(topo):
    return '''$TTL 3600
.	IN SOA	ns.root. hostmaster.root. 1 3600 600 86400 60
.	IN NS	ns.root.
ns.root.	IN A	{root}
com.	IN NS	ns.nic.com.
ns.nic.com.	IN A	{parent}
'''.format(root=topo.ip('root'), parent=topo.ip('parent'))


def root_hints(topo):
    return '.\t3600000\tIN\tNS\tns.root.\nns.root.\t3600000\tIN\tA\t%s\n' % \
        topo.ip('root')


def nsd_cmd(topo, d):
    os.makedirs(os.path.join(d, 'xfr'), exist_ok=True)
    write(os.path.join(d, 'root.zone'), root_zone(topo))
    write(os.path.join(d, 'nsd.conf'), '''server:
    server-count: 1
    ip-address: {ip}
    do-ip6: no
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "{d}"
    database: ""
    zonefiles-write: 0
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}/xfr"
    pidfile: "{d}/nsd.pid"
    logfile: "{d}/nsd.log"
    verbosity: 1
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "."
    zonefile: "{d}/root.zone"
'''.format(ip=topo.ip('root'), d=d))
    return ['nsd', '-d', '-c', os.path.join(d, 'nsd.conf')]


# ------------------------------------- parent: com. and example.com (Knot)

def com_zone(topo):
    return '''$ORIGIN com.
$TTL 3600
@\tIN SOA\tns.nic.com. hostmaster.nic.com. 1 3600 600 86400 60
@\tIN NS\tns.nic
ns.nic\tIN A\t{parent}
example\tIN NS\tns.example
ns.example\tIN A\t{parent}
'''.format(parent=topo.ip('parent'))


def parent_zone(topo, lbs):
    lines = [
        '$ORIGIN example.com.',
        '$TTL 3600',
        '@\tIN SOA\tns.example.com. hostmaster.example.com. 1 3600 600 '
        '86400 60',
        '@\tIN NS\tns',
        'ns\tIN A\t%s' % topo.ip('parent'),
        '; the delegation an operator adds (deploy/fleet/parent-zone.txt)',
    ]
    for lb in lbs:
        lines.append('api\tIN NS\t%s.api' % lb)
    for lb in lbs:
        lines.append('%s.api\tIN A\t%s' % (lb, topo.ip(lb)))
    return '\n'.join(lines) + '\n'


def knot_cmd(topo, d, lbs):
    for sub in ('run', 'db', 'zones'):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    write(os.path.join(d, 'zones', 'example.com.zone'),
          parent_zone(topo, lbs))
    write(os.path.join(d, 'zones', 'com.zone'), com_zone(topo))
    write(os.path.join(d, 'knot.conf'), '''server:
    rundir: "{d}/run"
    pidfile: "{d}/run/knot.pid"
    user: root:root
    listen: {ip}@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "{d}/run/knot.sock"
database:
    storage: "{d}/db"
log:
  - target: "{d}/knot.log"
    any: info
template:
  - id: default
    storage: "{d}/zones"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: com
    file: "com.zone"
  - domain: example.com
    file: "example.com.zone"
'''.format(ip=topo.ip('parent'), d=d))
    return ['knotd', '-c', os.path.join(d, 'knot.conf')]


# --------------------------------------------------------------- resolvers

def unbound_cmd(ip, d, hints):
    # module-config iterator: no validator (the fake root is unsigned).
    write(os.path.join(d, 'unbound.conf'), '''server:
    verbosity: 1
    interface: {ip}
    port: 53
    do-ip6: no
    access-control: 10.99.0.0/24 allow
    root-hints: "{hints}"
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: "{d}/unbound.pid"
    use-syslog: no
    logfile: ""
    num-threads: 1
    so-reuseport: no
    module-config: "iterator"
remote-control:
    control-enable: no
'''.format(ip=ip, d=d, hints=hints))
    return ['unbound', '-d', '-c', os.path.join(d, 'unbound.conf')]


def bind_cmd(ip, d, hints):
    write(os.path.join(d, 'named.conf'), '''options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    listen-on port 53 {{ {ip}; }};
    listen-on-v6 {{ none; }};
    recursion yes;
    allow-query {{ any; }};
    allow-recursion {{ any; }};
    dnssec-validation no;
}};
controls {{ }};
zone "." {{ type hint; file "{hints}"; }};
'''.format(ip=ip, d=d, hints=hints))
    return ['named', '-g', '-4', '-n', '1', '-c',
            os.path.join(d, 'named.conf')]


def pdns_cmd(ip, d, hints):
    # dont-query is emptied: by default PowerDNS never asks 10.0.0.0/8.
    # No security poll: it would ask the fake root for powerdns.com.
    write(os.path.join(d, 'recursor.conf'), '''local-address={ip}
local-port=53
allow-from=10.99.0.0/24
hint-file={hints}
dont-query=
dnssec=off
daemon=no
socket-dir={d}
threads=1
disable-syslog=yes
loglevel=4
security-poll-suffix=
'''.format(ip=ip, d=d, hints=hints))
    return ['pdns_recursor', '--config-dir=' + d]


RESOLVERS = {
    'unbound': (unbound_cmd, ['unbound', '-V']),
    'bind': (bind_cmd, ['named', '-v']),
    'pdns': (pdns_cmd, ['pdns_recursor', '--version']),
}
RESOLVER_NAMES = {'unbound': 'Unbound', 'bind': 'BIND 9',
                  'pdns': 'PowerDNS Recursor'}


# ------------------------------------------------------------------ pmgtmd

def pmgtm_config(topo, d, i, lbs, drain_mode, run_dir):
    name = lbs[i]
    ip = topo.ip(name)
    seeds = ', '.join('"%s:7946"' % topo.ip(lb) for lb in lbs if lb != name)
    return '''node:
  name: {name}
  addresses: [{ip}]
  ns_name: {name}.{zone}
  state_dir: {d}/state
  key_file: {d}/node.key
  cert_file: {d}/node.cert
dns:
  listen: ["{ip}:53"]
  drain_mode: {mode}
  zones:
    - name: {zone}
      ttl: {ttl}
      soa: {{ rname: hostmaster.example.com, serial: 1, minimum: {ttl} }}
cluster:
  name: e2e
  listen: "{ip}:7946"
  seeds: [{seeds}]
  ca_file: {run}/ca/ca.pub
  profile: lan
  encrypt_keys: [{run}/cluster.key]
control:
  socket: {d}/control.sock
log:
  level: info
'''.format(name=name, ip=ip, d=d, zone=ZONE, ttl=TTL, mode=drain_mode,
           seeds=seeds, run=run_dir)
