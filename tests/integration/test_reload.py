#!/usr/bin/python3
"""SIGHUP reloads the config; an invalid one is logged and the old one
stays; pmgtm_config_last_reload_successful says which; SIGTERM exits 0.
systemd notifications (READY, STATUS, RELOADING, WATCHDOG, STOPPING) go
to a NOTIFY_SOCKET the test listens on, as systemd's would.

Usage: test_reload.py --pmgtmd PATH
Traffic only to 127.0.0.0/8.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

IP = '127.0.0.99'
passed = failed = 0


def check(ok, what, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('ok - ' + what)
    else:
        failed += 1
        print('FAIL - ' + what + (': ' + detail if detail else ''))
    sys.stdout.flush()


CONFIG = '''node:
  name: solo
  addresses: [{addr}]
  ns_name: ns.api.example.com
dns:
  listen: ["{ip}:5353"]
  zones:
    - name: api.example.com
      ttl: {ttl}
      ns: ["ns.api.example.com {ip}"]
control:
  socket: {dir}/control.sock
metrics:
  listen: "{ip}:19153"
log:
  level: info
'''


def dig(name='www.api.example.com'):
    out = subprocess.run(['dig', '+norec', '+noall', '+answer', '+time=1',
                          '+tries=1', '-p', '5353', '@' + IP, name, 'A'],
                         capture_output=True, text=True, timeout=10)
    return out.stdout.split()


def metric(name):
    try:
        with urllib.request.urlopen('http://%s:19153/metrics' % IP,
                                    timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(name + ' '):
            return float(line.split()[1])
    return None


def wait(pred, timeout=5):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(0.05)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix='pmgtm-reload-')
    cfg = os.path.join(d, 'pmgtm.yaml')
    log = open(os.path.join(d, 'log'), 'w+')

    def write(ttl, addr='192.0.2.1', text=None):
        with open(cfg, 'w') as f:
            f.write(text if text is not None else
                    CONFIG.format(ip=IP, ttl=ttl, addr=addr, dir=d))

    write(30)
    notes = []
    nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    nsock.bind(os.path.join(d, 'notify'))

    def listen():
        while True:
            try:
                notes.append(nsock.recv(4096).decode())
            except OSError:
                return
    threading.Thread(target=listen, daemon=True).start()
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(d, 'notify'),
               WATCHDOG_USEC='200000')
    p = subprocess.Popen([args.pmgtmd, '-c', cfg], stdout=log, stderr=log,
                         env=env)
    try:
        ok = wait(lambda: dig()[-1:] == ['192.0.2.1'])
        check(ok and dig()[1] == '30', 'serving with ttl 30')
        time.sleep(0.5)
        check('READY=1' in notes and
              any(n.startswith('STATUS=serving') for n in notes),
              'systemd: READY=1 and a STATUS= line', str(notes[:4]))
        check(notes.count('WATCHDOG=1') >= 3,
              'systemd: WATCHDOG=1 at half of WatchdogSec (%d in 0.5 s)' %
              notes.count('WATCHDOG=1'))
        before = len(notes)

        write(60, '192.0.2.2')
        p.send_signal(signal.SIGHUP)
        ok = wait(lambda: dig()[-1:] == ['192.0.2.2'])
        check(ok and dig()[1] == '60',
              'SIGHUP with a valid config: new address and ttl 60')
        after = [n for n in notes[before:] if n != 'WATCHDOG=1']
        check(after[:2] == ['RELOADING=1', 'READY=1'],
              'systemd: RELOADING=1, then READY=1 around the reload',
              str(after))
        has_metrics = metric('pmgtm_config_last_reload_successful')
        if has_metrics is not None:
            check(has_metrics == 1, 'pmgtm_config_last_reload_successful 1')

        write(0, text='node:\n  name: solo\n  bogus: [\n')
        p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        log.seek(0)
        text = log.read()
        check('reload failed, keeping the old config' in text and
              'pmgtm.yaml:' in text,
              'SIGHUP with a broken config: logged with its position')
        check(dig()[-1:] == ['192.0.2.2'] and dig()[1] == '60',
              'the old config keeps serving')
        if has_metrics is not None:
            check(wait(lambda: metric(
                'pmgtm_config_last_reload_successful') == 0),
                  'pmgtm_config_last_reload_successful 0')

        write(45, '192.0.2.3')
        p.send_signal(signal.SIGHUP)
        ok = wait(lambda: dig()[-1:] == ['192.0.2.3'])
        check(ok, 'a fixed config reloads again')

        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=10)
        check(rc == 0, 'SIGTERM: exit 0 (got %s)' % rc)
        # The listener thread may not have read the last datagram yet.
        check(wait(lambda: any(n.startswith('STOPPING=1') for n in notes),
                   2), 'systemd: STOPPING=1')
        check(not os.path.exists(os.path.join(d, 'control.sock')),
              'the control socket is removed on exit')
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if failed:
            log.seek(0)
            print('# ' + log.read().replace('\n', '\n# '))
        log.close()
        nsock.close()
        shutil.rmtree(d, ignore_errors=True)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
