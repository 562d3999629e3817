#!/usr/bin/python3
"""Who may do what on the control socket: three real pmgtmd processes on
127.0.0.161-163, pmgtmctl run as other unix users with setpriv.

  - any user that can open the socket (its group) reads: members, status,
    reachability;
  - drain, undrain and --force need root, the daemon's uid or a member of
    control.admin_group: anyone else gets exit 2 and "permission denied",
    and the daemon logs the refusal with the unix user;
  - lb1 and lb2 name an admin group: a user with it as a supplementary
    group drains (and --wait polls); lb3 names none: only root drains;
  - a non-root uid holds at most 8 client slots, and one slot is kept for
    root: with every other slot taken by eight uids, root still connects.

Usage: test_control_auth.py --pmgtmd PATH --pmgtmctl PATH
As root. Uses an existing system group as the admin group and uids that
need no passwd entry; changes nothing outside its temp dir.
"""
import argparse
import grp
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cluster  # noqa: E402
from test_cluster import Cluster  # noqa: E402

check = test_cluster.check
BASE = 160  # 127.0.0.161..163
NOBODY = 65534
PER_UID = 8  # node/control/server.h NODE_CONTROL_PER_UID_MAX
SLOTS = 64  # NODE_CONTROL_CLIENTS_MAX
# Base Debian groups (base-passwd): the first that exists is the admin
# group. setpriv hands it to the client directly, nobody is added to it.
ADMIN_CANDIDATES = ('operator', 'staff', 'users')

# Run as another uid: opens @n connections to the socket, says how many
# the daemon kept (no refusal within a moment), holds them until stdin
# closes.
HOLDER = r'''
import select, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(path)
    except OSError:
        s.close()
        continue
    socks.append(s)
time.sleep(0.5)
r, _, _ = select.select(socks, [], [], 0)
print(len(socks) - len(r), flush=True)
sys.stdin.read()
'''


def admin_group():
    for name in ADMIN_CANDIDATES:
        try:
            return grp.getgrnam(name)
        except KeyError:
            continue
    return None


def as_user(uid, gid, groups=None):
    g = ['--groups=' + ','.join(str(x) for x in groups)] if groups \
        else ['--clear-groups']
    return ['setpriv', '--reuid=%d' % uid, '--regid=%d' % gid] + g


def ctl_as(c, i, user, *args):
    return subprocess.run(user + [c.pmgtmctl, '-s', c.sock(i)] + list(args),
                          capture_output=True, text=True, timeout=60)


def edit_config(c, i, group):
    """A zone TTL of 2 s, so drain --wait returns soon; @group as
    control.admin_group when given."""
    path = os.path.join(c.dir, 'lb%d' % i, 'pmgtm.yaml')
    with open(path) as f:
        text = f.read()
    text = text.replace('ttl: 30', 'ttl: 2')
    if group:
        text = text.replace('control:\n',
                            'control:\n  admin_group: %s\n' % group)
    with open(path, 'w') as f:
        f.write(text)


def log_has(c, i, *words):
    with open(c.logs[i]) as f:
        return any(all(w in line for w in words) for line in f)


def hold(c, i, uid, gid, n):
    p = subprocess.Popen(as_user(uid, gid) + ['/usr/bin/python3', '-c',
                                              HOLDER, c.sock(i), str(n)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    return p


def held(p):
    line = p.stdout.readline().strip()
    return int(line) if line.isdigit() else -1


def release(procs):
    for p in procs:
        try:
            p.stdin.close()
            p.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            p.kill()
            p.wait(5)


def quoted(out):
    return out.stdout + out.stderr


def scenario(c, admin):
    sock_gid = os.stat(c.sock(1)).st_gid
    nobody = as_user(NOBODY, sock_gid)
    operator = as_user(NOBODY, sock_gid, [admin.gr_gid])

    # Reading is open to the socket's group.
    for cmd in ('members', 'status', 'reachability'):
        out = ctl_as(c, 3, nobody, cmd)
        check(out.returncode == 0, 'nobody (socket group): %s works' % cmd,
              quoted(out))

    # lb3 names no admin group: root and the daemon's uid only.
    for args in (['drain', 'lb2'], ['drain', 'lb2', '--force'],
                 ['drain', 'lb2', '--wait', '--timeout', '5s'],
                 ['undrain', 'lb1']):
        out = ctl_as(c, 3, nobody, *args)
        check(out.returncode == 2 and 'permission denied' in out.stderr,
              'nobody: %s refused on lb3, exit 2 (%s)' %
              (' '.join(args), out.stderr.strip()), quoted(out))
    out = ctl_as(c, 3, nobody, 'drain', 'lb2')
    check('root' in out.stderr and 'admin_group' in out.stderr,
          'the refusal says who may (root, control.admin_group)',
          out.stderr)
    check(log_has(c, 3, 'refused', 'user=nobody', 'cmd=drain'),
          'lb3 logs the refusal with the unix user')
    m = c.members(3) or {}
    check(m.get('lb2', {}).get('drained') is False,
          'nothing drained by the refused commands', str(m.get('lb2')))

    # The same user with the admin group on lb1 and lb2.
    out = ctl_as(c, 1, nobody, 'drain', 'lb3')
    check(out.returncode == 2 and admin.gr_name in out.stderr,
          'nobody without %s: drain refused on lb1, names the group' %
          admin.gr_name, quoted(out))
    out = ctl_as(c, 1, operator, 'drain', 'lb3', '--reason', 'op', '--wait',
                 '--timeout', '30s')
    check(out.returncode == 0,
          'nobody with supplementary group %s: drain lb3 --wait on lb1' %
          admin.gr_name, quoted(out))
    m = c.members(1) or {}
    d = (m.get('lb3') or {}).get('drain') or {}
    check(d.get('user') == 'nobody', 'the intent records user nobody',
          str(m.get('lb3')))
    out = ctl_as(c, 2, operator, 'undrain', 'lb3')
    check(out.returncode == 0, 'admin group member: undrain lb3 on lb2',
          quoted(out))
    # Root drains without any group.
    out = ctl_as(c, 3, [], 'drain', 'lb2')
    check(out.returncode == 0, 'root: drain lb2 on lb3', quoted(out))
    out = ctl_as(c, 3, [], 'undrain', 'lb2')
    check(out.returncode == 0, 'root: undrain lb2 on lb3', quoted(out))

    # Slots: one uid holds at most PER_UID of them.
    p = hold(c, 3, NOBODY, sock_gid, SLOTS + 4)
    try:
        n = held(p)
        check(n == PER_UID, 'nobody opens %d connections: the daemon keeps '
              '%d' % (SLOTS + 4, n))
        out = ctl_as(c, 3, [], 'status')
        check(out.returncode == 0, 'root: status while nobody holds its '
              'share', quoted(out))
    finally:
        release([p])

    # Eight uids fill every slot but root's.
    uids = [NOBODY] + [60001 + k for k in range(SLOTS // PER_UID - 1)]
    procs = [hold(c, 3, u, sock_gid, PER_UID) for u in uids]
    try:
        total = sum(held(p) for p in procs)
        check(total == SLOTS - 1, '%d uids hold %d slots (all but root\'s)'
              % (len(uids), total))
        late = as_user(60100, sock_gid)
        out = ctl_as(c, 3, late, 'status')
        check(out.returncode != 0 and 'too many' in out.stderr,
              'another uid: refused while full', quoted(out))
        out = ctl_as(c, 3, [], 'status')
        check(out.returncode == 0, 'root: status on the kept slot',
              quoted(out))
    finally:
        release(procs)
    t = c.wait(lambda: ctl_as(c, 3, nobody, 'status').returncode == 0, 5)
    check(t is not None, 'slots free again once the holders leave')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--pmgtmctl', required=True)
    args = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which('setpriv'):
        print('needs root and setpriv')
        return 1
    admin = admin_group()
    if admin is None:
        print('no group among %s' % ', '.join(ADMIN_CANDIDATES))
        return 1
    c = Cluster(args.pmgtmd, args.pmgtmctl, base=BASE)
    try:
        for i in range(1, 4):
            edit_config(c, i, admin.gr_name if i < 3 else None)
        # Other users reach the sockets (0660) through the temp dirs.
        for d in [c.dir] + [os.path.join(c.dir, 'lb%d' % i)
                            for i in range(1, 4)]:
            os.chmod(d, 0o711)
        for i in range(1, 4):
            c.start(i)
        everyone = {'lb%d' % i: 'alive' for i in range(1, 4)}
        t = c.wait(lambda: test_cluster.all_see(c, everyone, range(1, 4)),
                   15)
        check(t is not None, 'three nodes alive everywhere')
        if t is not None:
            scenario(c, admin)
    finally:
        c.stop_all()
        if test_cluster.failed:
            c.dump_logs()
        shutil.rmtree(c.dir, ignore_errors=True)
    print('%d passed, %d failed' % (test_cluster.passed,
                                    test_cluster.failed))
    return 1 if test_cluster.failed else 0


if __name__ == '__main__':
    sys.exit(main())
