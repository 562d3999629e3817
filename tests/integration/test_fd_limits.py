#!/usr/bin/python3
"""pmgtmd started with very few file descriptors (RLIMIT_NOFILE 4 to 16,
then 31 to 64): whatever it cannot open, it says so in a log line and
exits 1, never aborts; with enough it serves, and SIGTERM stops it with
exit 0. A standalone node on 127.0.0.231.

Usage: test_fd_limits.py --pmgtmd PATH
"""
import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

IP = '127.0.0.231'
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
  addresses: [{ip}]
dns:
  listen: ["{ip}:5353", "{ip}:5354"]
  zones:
    - name: api.example.com
      ns: ["ns.api.example.com {ip}"]
control:
  socket: {dir}/control.sock
metrics:
  listen: "{ip}:19231"
'''


def run(pmgtmd, cfg, nofile):
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    p = subprocess.Popen([pmgtmd, '-c', cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True,
                         preexec_fn=limit)
    try:
        _, err = p.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
        return 'served', p.returncode, err
    return 'exited', p.returncode, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pmgtmd', required=True)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix='pmgtm-fd-')
    try:
        cfg = os.path.join(d, 'pmgtm.yaml')
        with open(cfg, 'w') as f:
            f.write(CONFIG.format(ip=IP, dir=d))
        served = None
        for nofile in list(range(4, 17)) + [31, 32, 48, 64]:
            how, rc, err = run(a.pmgtmd, cfg, nofile)
            last = err.strip().splitlines()[-1:] or ['']
            if how == 'served':
                check(rc == 0, f'nofile={nofile}: serves, SIGTERM exits 0',
                      f'rc={rc}')
                served = nofile
                break
            check(rc == 1 and 'level=error' in err,
                  f'nofile={nofile}: exits 1 with an error line '
                  f'({last[0][:100]})', f'rc={rc}: {err[-300:]}')
        check(served is not None, 'serves with enough descriptors')
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
