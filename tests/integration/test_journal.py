#!/usr/bin/python3
"""pmgtmd writes native journal entries when its stderr is the journal.

A real systemd-journald runs in a private mount and PID namespace (tmpfs
over /run and /var/log/journal, so the host's journal is never touched);
the test connects pmgtmd's stderr to journald's stream socket as systemd
does for a service, sets JOURNAL_STREAM to that socket's DEV:INO, and reads
the entries back with journalctl -o json:

- one entry per event with PRIORITY (info 6, warn 4, error 3),
  SYSLOG_IDENTIFIER=pmgtmd, a field per key (ADDR=, FILE=, ERROR=) and the
  line without ts as MESSAGE, and nothing duplicated as a stdout line;
- when journald refuses an entry, the event comes as a stderr line;
- with no JOURNAL_STREAM, a JOURNAL_STREAM for another socket, stderr
  redirected to a file, or no socket for native entries (libsystemd would
  drop them without an error), the plain logfmt lines.

Usage: test_journal.py --pmgtmd PATH
Exits 77 (skipped) only when journald cannot run: not root, no unshare or
systemd-journald, or namespaces refused. Traffic on 127.0.0.101-105 only.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
JOURNALD = '/lib/systemd/systemd-journald'
JOURNAL_DIR = '/run/log/journal'
SOCKET = '/run/systemd/journal/socket'
STDOUT = '/run/systemd/journal/stdout'
passed = failed = 0


def check(ok, what, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('ok - ' + what)
    else:
        failed += 1
        print('FAIL - ' + what + (': ' + str(detail) if detail else ''))
    sys.stdout.flush()


def skip(why):
    print('SKIP: ' + why)
    sys.stdout.flush()
    return SKIP


CONFIG = '''node:
  name: solo
  addresses: [192.0.2.1]
  ns_name: ns.api.example.com
dns:
  listen: ["{ip}:5353"]
  zones:
    - name: api.example.com
      ns: ["ns.api.example.com {ip}"]
control:
  socket: {dir}/control-{tag}.sock
log:
  level: info
  format: {format}
'''


def write_config(path, ip, d, tag, fmt='logfmt'):
    with open(path, 'w') as f:
        f.write(CONFIG.format(ip=ip, dir=d, tag=tag, format=fmt))


def entries(pid):
    """Every journal entry pmgtmd's process wrote, either transport."""
    out = subprocess.run(['journalctl', '-D', JOURNAL_DIR, '-o', 'json',
                          '--no-pager', '_PID=%d' % pid],
                         capture_output=True, text=True, timeout=10)
    return [json.loads(line) for line in out.stdout.splitlines() if line]


def wait_for(pid, pred, timeout=5):
    """The first entry of pid that pred accepts, or None."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        for e in entries(pid):
            if pred(e):
                return e
        time.sleep(0.1)
    return None


def has_msg(text):
    return lambda e: text in e.get('MESSAGE', '')


def stream(ident):
    """A stream connection to journald, as systemd opens one for a
    service's stdout/stderr (the header of sd_journal_stream_fd())."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(STDOUT)
    s.shutdown(socket.SHUT_RD)
    s.sendall(('%s\n\n6\n0\n0\n0\n0\n' % ident).encode())
    return s


def dev_ino(s):
    st = os.fstat(s.fileno())
    return '%d:%d' % (st.st_dev, st.st_ino)


def base_env():
    env = dict(os.environ)
    for k in ('JOURNAL_STREAM', 'NOTIFY_SOCKET', 'WATCHDOG_USEC',
              'WATCHDOG_PID', 'LISTEN_FDS', 'LISTEN_PID'):
        env.pop(k, None)
    return env


def start(pmgtmd, cfg, out, journal_stream=None):
    env = base_env()
    if journal_stream is not None:
        env['JOURNAL_STREAM'] = journal_stream
    return subprocess.Popen([pmgtmd, '-c', cfg], stdin=subprocess.DEVNULL,
                            stdout=out, stderr=out, env=env)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    return p.wait()


def native(pmgtmd, d):
    """JOURNAL_STREAM names stderr: native entries, nothing else."""
    cfg = os.path.join(d, 'native.yaml')
    write_config(cfg, '127.0.0.101', d, 'native')
    s = stream('pmgtmd')
    p = start(pmgtmd, cfg, s, dev_ino(s))
    s.close()
    try:
        up = wait_for(p.pid, has_msg('msg=serving'))
        check(up is not None, 'native: the daemon starts and logs serving')
        if up is None:
            return
        listening = wait_for(p.pid, has_msg('msg=listening'))
        check(listening is not None and
              listening.get('_TRANSPORT') == 'journal' and
              listening.get('PRIORITY') == '6' and
              listening.get('SYSLOG_IDENTIFIER') == 'pmgtmd' and
              listening.get('ADDR') == '127.0.0.101:5353' and
              listening.get('PROTO') == 'udp+tcp',
              'native: listening is an entry with PRIORITY=6, '
              'SYSLOG_IDENTIFIER=pmgtmd, ADDR= and PROTO=', listening)
        check(listening is not None and listening.get('MESSAGE') ==
              'level=info msg=listening addr=127.0.0.101:5353 '
              'proto=udp+tcp',
              'native: MESSAGE is the logfmt line without ts',
              listening and listening.get('MESSAGE'))
        if listening is not None:
            print('# sample entry: ' + json.dumps(
                {k: v for k, v in sorted(listening.items())
                 if not k.startswith('__')}))
        check(listening is not None and not any(
            k.startswith('CODE_') for k in listening),
              'native: no CODE_FILE/CODE_LINE of the logging code')

        p.send_signal(signal.SIGHUP)
        e = wait_for(p.pid, has_msg('msg="config reloaded"'))
        check(e is not None and e.get('PRIORITY') == '6' and
              e.get('FILE') == cfg,
              'native: SIGHUP logs config reloaded with FILE=', e)

        write_config(cfg, '127.0.0.109', d, 'native')
        p.send_signal(signal.SIGHUP)
        e = wait_for(p.pid, has_msg('dns.listen changed'))
        check(e is not None and e.get('PRIORITY') == '4' and
              e.get('MESSAGE', '').startswith('level=warn '),
              'native: a warning has PRIORITY=4', e)

        with open(cfg, 'w') as f:
            f.write('node:\n  name: solo\n  bogus: [\n')
        p.send_signal(signal.SIGHUP)
        e = wait_for(p.pid, has_msg('reload failed'))
        check(e is not None and e.get('PRIORITY') == '3' and
              e.get('SYSLOG_IDENTIFIER') == 'pmgtmd' and
              'native.yaml:' in e.get('ERROR', ''),
              'native: a broken config on SIGHUP is PRIORITY=3 with ERROR=',
              e)

        write_config(cfg, '127.0.0.101', d, 'native', fmt='json')
        p.send_signal(signal.SIGHUP)
        e = wait_for(p.pid, lambda e: e.get('FILE') == cfg and
                     e.get('MESSAGE', '').startswith('{'))
        check(e is not None and json.loads(e['MESSAGE']) == {
            'level': 'info', 'msg': 'config reloaded', 'file': cfg},
              'native: log.format json makes MESSAGE the JSON line '
              'without ts', e)

        # journald's datagram socket refuses (a dead socket in its place):
        # the event must still be logged, as a line on the stream.
        # (libsystemd drops an entry silently when the socket file is
        # missing altogether, so that case cannot fall back.)
        os.rename(SOCKET, SOCKET + '.away')
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        dead.bind(SOCKET)
        dead.close()
        write_config(cfg, '127.0.0.101', d, 'native')
        p.send_signal(signal.SIGHUP)
        e = wait_for(p.pid, lambda e: e.get('_TRANSPORT') == 'stdout')
        os.unlink(SOCKET)
        os.rename(SOCKET + '.away', SOCKET)
        check(e is not None and e.get('MESSAGE', '').startswith('ts=') and
              'level=info msg="config reloaded" file=' + cfg in
              e.get('MESSAGE', ''),
              'native: when journald refuses the entry, the event is a '
              'stderr line', e)
        p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=10)
        check(rc == 0, 'native: SIGTERM, exit 0 (got %s)' % rc)
        all_ = entries(p.pid)
        stopping = [e for e in all_ if 'msg=stopping' in e.get('MESSAGE', '')]
        check(len(stopping) == 1 and
              stopping[0].get('_TRANSPORT') == 'journal' and
              stopping[0].get('SIGNAL') == 'Terminated',
              'native: back to native entries once the socket returns',
              stopping)
        lines = [e for e in all_ if e.get('_TRANSPORT') != 'journal']
        check(len(lines) == 1,
              'native: no event went to the journal twice or as a line '
              'but the one without the socket',
              [e.get('MESSAGE') for e in lines])
        check(all(e.get('SYSLOG_IDENTIFIER') == 'pmgtmd' for e in all_),
              'native: every entry has SYSLOG_IDENTIFIER=pmgtmd')
    finally:
        if os.path.exists(SOCKET + '.away'):
            os.replace(SOCKET + '.away', SOCKET)
        stop(p)


def plain_on_stream(pmgtmd, d, ip, tag, what, journal_stream):
    """stderr is the journal, but JOURNAL_STREAM does not say so or there
    is no socket for native entries: lines."""
    cfg = os.path.join(d, tag + '.yaml')
    write_config(cfg, ip, d, tag)
    s = stream('pmgtmd')
    p = start(pmgtmd, cfg, s, journal_stream(s))
    s.close()
    try:
        e = wait_for(p.pid, has_msg('msg=listening'))
        check(e is not None and e.get('_TRANSPORT') == 'stdout' and
              e.get('MESSAGE', '').startswith('ts=') and
              'level=info msg=listening addr=%s:5353' % ip in
              e.get('MESSAGE', '') and 'ADDR' not in e,
              what + ': logfmt lines on the stream, no fields', e)
        wait_for(p.pid, has_msg('msg=serving'))
        rc = stop(p)
        check(rc == 0 and not any(e.get('_TRANSPORT') == 'journal'
                                  for e in entries(p.pid)),
              what + ': no native entry')
    finally:
        stop(p)


def plain_to_file(pmgtmd, d):
    """JOURNAL_STREAM inherited, stderr redirected to a file: lines."""
    cfg = os.path.join(d, 'file.yaml')
    write_config(cfg, '127.0.0.104', d, 'file')
    s = stream('other')
    log_path = os.path.join(d, 'file.log')
    with open(log_path, 'w') as log:
        p = start(pmgtmd, cfg, log, dev_ino(s))
    try:
        t0 = time.time()
        text = ''
        while 'msg=serving' not in text and time.time() - t0 < 5:
            time.sleep(0.1)
            with open(log_path) as f:
                text = f.read()
        rc = stop(p)
        with open(log_path) as f:
            lines = f.read().splitlines()
        check(rc == 0 and any(
            line.startswith('ts=') and
            ' level=info msg=listening addr=127.0.0.104:5353' in line
            for line in lines),
              'file: JOURNAL_STREAM of another socket, logfmt lines on '
              'stderr', lines[:3])
        check(entries(p.pid) == [], 'file: nothing in the journal')
    finally:
        stop(p)
        s.close()


def inner(args):
    try:
        subprocess.run(['mount', '-t', 'tmpfs', 'tmpfs', '/run'],
                       check=True, capture_output=True, text=True)
        if os.path.isdir('/var/log/journal'):
            subprocess.run(['mount', '-t', 'tmpfs', 'tmpfs',
                            '/var/log/journal'], check=True,
                           capture_output=True, text=True)
    except subprocess.CalledProcessError as e:
        return skip('cannot mount a private /run: ' + e.stderr.strip())
    # journald reads drop-ins from /run too: this one, last by name, keeps
    # it off the kernel log, the console and syslog, in memory, unlimited.
    os.makedirs('/run/systemd/journald.conf.d')
    with open('/run/systemd/journald.conf.d/zz-pmgtm-test.conf', 'w') as f:
        f.write('[Journal]\nStorage=volatile\nReadKMsg=no\n'
                'ForwardToSyslog=no\nForwardToKMsg=no\nForwardToConsole=no\n'
                'ForwardToWall=no\nRateLimitIntervalSec=0\n')
    # On the namespace's /run: gone with it, even if the test is killed.
    d = tempfile.mkdtemp(prefix='pmgtm-journal-', dir='/run')
    jd_log = open(os.path.join(d, 'journald.log'), 'w+')
    env = base_env()
    jd = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL,
                          stdout=jd_log, stderr=jd_log, env=env)
    try:
        t0 = time.time()
        while not (os.path.exists(SOCKET) and os.path.exists(STDOUT)):
            if jd.poll() is not None or time.time() - t0 > 5:
                jd_log.seek(0)
                return skip('systemd-journald did not start (exit %s): %s'
                            % (jd.poll(), jd_log.read().strip()))
            time.sleep(0.05)
        print('# systemd-journald %d in a private mount and PID namespace'
              % jd.pid)
        native(args.pmgtmd, d)
        plain_on_stream(args.pmgtmd, d, '127.0.0.102', 'unset',
                        'no JOURNAL_STREAM', lambda s: None)
        plain_on_stream(args.pmgtmd, d, '127.0.0.103', 'mismatch',
                        'JOURNAL_STREAM of another socket',
                        lambda s: dev_ino(s) + '1')
        # libsystemd would drop every entry without a word.
        os.rename(SOCKET, SOCKET + '.away')
        try:
            plain_on_stream(args.pmgtmd, d, '127.0.0.105', 'nosocket',
                            'no socket for native entries', dev_ino)
        finally:
            os.rename(SOCKET + '.away', SOCKET)
        plain_to_file(args.pmgtmd, d)
    finally:
        jd.terminate()
        try:
            jd.wait(timeout=5)
        except subprocess.TimeoutExpired:
            jd.kill()
            jd.wait()
        if failed:
            jd_log.seek(0)
            print('# journald: ' + jd_log.read().replace('\n', '\n# '))
            out = subprocess.run(['journalctl', '-D', JOURNAL_DIR,
                                  '--no-pager', '-o', 'short-iso',
                                  'SYSLOG_IDENTIFIER=pmgtmd', '+',
                                  'SYSLOG_IDENTIFIER=systemd-journald'],
                                 capture_output=True, text=True)
            print('# journal:\n# ' + out.stdout.replace('\n', '\n# '))
        jd_log.close()
        shutil.rmtree(d, ignore_errors=True)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    ap.add_argument('--inner', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        return inner(args)
    if os.geteuid() != 0:
        return skip('needs root for a mount namespace and journald')
    for tool in ('unshare', 'journalctl', 'mount'):
        if not shutil.which(tool):
            return skip(tool + ' not found')
    if not os.access(JOURNALD, os.X_OK):
        return skip(JOURNALD + ' not found')
    ns = ['unshare', '--mount', '--propagation', 'private', '--pid',
          '--fork', '--kill-child', '--mount-proc']
    probe = subprocess.run(ns + ['true'], capture_output=True, text=True)
    if probe.returncode != 0:
        return skip('no mount/PID namespace: ' + probe.stderr.strip())
    # The test becomes unshare, whose child is the namespace's PID 1 (the
    # inner run): when that ends, or unshare is killed (--kill-child),
    # journald and pmgtmd die with it and the namespace is gone.
    sys.stdout.flush()
    os.execvp('unshare', ns + [sys.executable, os.path.abspath(__file__),
                               '--inner', '--pmgtmd',
                               os.path.abspath(args.pmgtmd)])


if __name__ == '__main__':
    sys.exit(main())
