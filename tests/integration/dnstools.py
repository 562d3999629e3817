"""Run the real `dig` (BIND 9.18) and `kdig` (Knot 3.2) and parse their
text output into dnsmsg.Msg objects, so the tests can assert the same
things whether an answer came from a raw socket, dig or kdig.
"""

import ipaddress
import re
import subprocess

from dnsmsg import RR, Edns, Msg

DIG = '/usr/bin/dig'
KDIG = '/usr/bin/kdig'


def _norm_rdata(rtype, text):
    text = text.strip()
    if rtype == 'AAAA':
        try:
            return str(ipaddress.IPv6Address(text))
        except ValueError:
            return text
    if rtype in ('NS', 'CNAME', 'PTR'):
        return text.lower()
    if rtype == 'MX':
        pref, host = text.split(None, 1)
        return '%s %s' % (pref, host.lower())
    if rtype == 'SOA':
        f = text.split()
        return ' '.join([f[0].lower(), f[1].lower()] + f[2:7])
    if rtype == 'TXT':
        return ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', text))
    return text


def _rr_line(line):
    f = line.split(None, 4)
    if len(f) < 4:
        return None
    owner, ttl, cls, rtype = f[:4]
    rdata = f[4] if len(f) > 4 else ''
    try:
        ttl = int(ttl)
    except ValueError:
        return None
    return RR(owner, rtype, cls, ttl, _norm_rdata(rtype, rdata))


def _hexbytes(s):
    s = re.sub(r'[^0-9a-fA-F]', '', s)
    return bytes.fromhex(s) if len(s) % 2 == 0 else b''


def run(argv, timeout=15):
    try:
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'')
        if isinstance(out, bytes):
            out = out.decode('utf-8', 'replace')
        return -1, out + '\n[timed out after %ss]' % timeout


# ---------------------------------------------------------------- dig

def parse_dig_block(block):
    """One response block of dig output (from ';; ->>HEADER<<-' on)."""
    m = Msg()
    m.text = block
    section = None
    for line in block.splitlines():
        s = line.strip()
        mo = re.match(r';; ->>HEADER<<- opcode: (\w+), status: (\w+), '
                      r'id: (\d+)', s)
        if mo:
            m.opcode, m.rcode = mo.group(1), mo.group(2)
            m.id = int(mo.group(3))
            continue
        mo = re.match(r';; flags:([^;]*);(?: MBZ: (0x[0-9a-fA-F]+);)? '
                      r'QUERY: (\d+), ANSWER: (\d+), AUTHORITY: (\d+), '
                      r'ADDITIONAL: (\d+)', s)
        if mo:
            m.flags = set(mo.group(1).split())
            if mo.group(2):
                m.flags.add('z')
            m.counts = tuple(int(mo.group(i)) for i in range(3, 7))
            continue
        if s == ';; OPT PSEUDOSECTION:':
            m.edns = Edns()
            section = 'opt'
            continue
        mo = re.match(r';; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:', s)
        if mo:
            section = mo.group(1).lower()
            continue
        mo = re.match(r';; MSG SIZE\s+rcvd: (\d+)', s)
        if mo:
            m.size = int(mo.group(1))
            continue
        mo = re.match(r';; SERVER: \S+ \((\w+)\)', s)
        if mo:
            m.proto = mo.group(1).lower()
            continue
        if not s:
            if section != 'opt':
                section = None
            continue
        if section == 'opt' and s.startswith('; '):
            e = m.edns
            mo = re.match(r'; EDNS: version: (\d+), flags:([^;]*);'
                          r'(?: MBZ: (0x[0-9a-fA-F]+),)? udp: (\d+)', s)
            if mo:
                e.version = int(mo.group(1))
                e.do = 'do' in mo.group(2).split()
                e.mbz = int(mo.group(3), 16) if mo.group(3) else 0
                e.udp = int(mo.group(4))
                continue
            mo = re.match(r'; NSID: ([0-9a-fA-F ]*)', s)
            if mo:
                e.options.append((3, _hexbytes(mo.group(1))))
                continue
            mo = re.match(r'; COOKIE: ([0-9a-fA-F]+)', s)
            if mo:
                e.options.append((10, _hexbytes(mo.group(1))))
                e.cookie_status = s[mo.end():].strip()
                continue
            mo = re.match(r'; OPT=(\d+): ?([0-9a-fA-F ]*)', s)
            if mo:
                e.options.append((int(mo.group(1)), _hexbytes(mo.group(2))))
                continue
            mo = re.match(r'; (\w+):', s)
            if mo:  # another known option (EDE, ...)
                e.options.append((mo.group(1), b''))
            continue
        if section == 'opt' and s.startswith(';;'):
            section = None
        if section == 'question' and s.startswith(';'):
            f = s[1:].split()
            if len(f) >= 3:
                m.question.append((f[0], f[1], f[2]))
            continue
        if section in ('answer', 'authority', 'additional') and \
                not s.startswith(';'):
            rr = _rr_line(s)
            if rr is not None:
                getattr(m, section).append(rr)
    return m


def dig(server, port, name, qtype='A', qclass='IN', opts=(), tcp=False,
        timeout=15):
    """Runs dig; returns (Msg or None, full output). The Msg is the last
    response dig printed (after a TC retry, the TCP one)."""
    argv = [DIG, '@' + server, '-p', str(port), '+tries=1', '+time=2']
    # dig 9.18 sends ANY over TCP unless told otherwise.
    argv.append('+tcp' if tcp else '+notcp')
    argv += list(opts) + ['-c', qclass, '-t', qtype, '-q', name]
    rc, out = run(argv, timeout)
    parts = out.split(';; Got answer:')
    if len(parts) < 2:
        return None, out
    m = parse_dig_block(parts[-1])
    if m.rcode is None:
        return None, out
    m.text = out
    return m, out


def dig_query_block(out):
    """The query dig printed with +qr (';; Sending:' block), parsed."""
    if ';; Sending:' not in out:
        return None
    block = out.split(';; Sending:')[1].split(';; Got answer:', 1)[0]
    return parse_dig_block(block)


# ---------------------------------------------------------------- kdig

def parse_kdig(out):
    m = Msg()
    m.text = out
    section = None
    seen_header = False
    for line in out.splitlines():
        s = line.strip()
        mo = re.match(r';; ->>HEADER<<- opcode: (\w+); status: (\w+); '
                      r'id: (\d+)', s)
        if mo:
            if seen_header:  # a second response (retry): keep the last
                m = Msg()
                m.text = out
                section = None
            seen_header = True
            m.opcode, m.rcode = mo.group(1), mo.group(2)
            m.id = int(mo.group(3))
            continue
        mo = re.match(r';; Flags:([^;]*); QUERY: (\d+); ANSWER: (\d+); '
                      r'AUTHORITY: (\d+); ADDITIONAL: (\d+)', s)
        if mo:
            m.flags = set(mo.group(1).split())
            m.counts = tuple(int(mo.group(i)) for i in range(2, 6))
            continue
        if s == ';; EDNS PSEUDOSECTION:':
            m.edns = Edns()
            section = 'opt'
            continue
        mo = re.match(r';; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:', s)
        if mo:
            section = mo.group(1).lower()
            continue
        mo = re.match(r';; Received (\d+) B', s)
        if mo:
            m.size = int(mo.group(1))
            section = None
            continue
        mo = re.match(r';; From \S+?\((\w+)\)', s)
        if mo:
            m.proto = mo.group(1).lower()
            continue
        if not s:
            section = None
            continue
        if section == 'opt':
            e = m.edns
            mo = re.match(r';; Version: (\d+); flags: ?([^;]*); UDP size: '
                          r'(\d+) B; ext-rcode: (\w+)', s)
            if mo:
                e.version = int(mo.group(1))
                fl = mo.group(2).split()
                e.do = 'do' in fl
                e.mbz = 0 if not [f for f in fl if f != 'do'] else 1
                e.udp = int(mo.group(3))
                continue
            mo = re.match(r';; NSID: ([0-9A-Fa-f]*)', s)
            if mo:
                e.options.append((3, _hexbytes(mo.group(1))))
                continue
            mo = re.match(r';; COOKIE: ([0-9A-Fa-f]+)', s)
            if mo:
                e.options.append((10, _hexbytes(mo.group(1))))
                continue
            mo = re.match(r';; (?:Option|OPT) ?\(?(\d+)\)?: ?(.*)', s)
            if mo:
                e.options.append((int(mo.group(1)), _hexbytes(mo.group(2))))
                continue
            mo = re.match(r';; ([\w-]+):', s)
            if mo:
                e.options.append((mo.group(1), b''))
            continue
        if section == 'question' and s.startswith(';;'):
            f = s[2:].split()
            if len(f) >= 3:
                m.question.append((f[0], f[1], f[2]))
            continue
        if section in ('answer', 'authority', 'additional') and \
                not s.startswith(';'):
            rr = _rr_line(s)
            if rr is not None:
                getattr(m, section).append(rr)
    if m.rcode is None:
        return None
    return m


def kdig(server, port, name, qtype='A', qclass='IN', opts=(), tcp=False,
         timeout=15):
    argv = [KDIG, '@' + server, '-p', str(port), '+retry=0', '+time=2']
    if tcp:
        argv.append('+tcp')
    argv += list(opts) + ['-c', qclass, '-t', qtype, '-q', name]
    rc, out = run(argv, timeout)
    return parse_kdig(out), out
