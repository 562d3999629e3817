"""Raw DNS messages for the integration tests: build queries byte by byte,
parse responses (with compression), and send them over UDP or TCP.

Standard library only. Parsing is strict enough to notice a malformed
response (it raises ParseError) but keeps every detail a test may assert:
header bits, the raw question bytes, owner name offsets, OPT options.
"""

import ipaddress
import os
import select
import socket
import struct
import time

TYPES = {
    'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'PTR': 12, 'HINFO': 13, 'MX': 15,
    'TXT': 16, 'AAAA': 28, 'SRV': 33, 'NAPTR': 35, 'OPT': 41, 'DS': 43,
    'RRSIG': 46, 'NSEC': 47, 'DNSKEY': 48, 'SVCB': 64, 'HTTPS': 65,
    'IXFR': 251, 'AXFR': 252, 'ANY': 255, 'CAA': 257,
}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASSES = {'IN': 1, 'CH': 3, 'HS': 4, 'NONE': 254, 'ANY': 255}
CLASS_NAMES = {v: k for k, v in CLASSES.items()}
RCODES = {
    0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP',
    5: 'REFUSED', 9: 'NOTAUTH', 16: 'BADVERS', 23: 'BADCOOKIE',
}
OPCODES = {0: 'QUERY', 1: 'IQUERY', 2: 'STATUS', 4: 'NOTIFY', 5: 'UPDATE'}

OPT_NSID = 3
OPT_COOKIE = 10

# Header flag bits (second 16-bit word).
F_QR = 0x8000
F_AA = 0x0400
F_TC = 0x0200
F_RD = 0x0100
F_RA = 0x0080
F_Z = 0x0040
F_AD = 0x0020
F_CD = 0x0010
EDNS_DO = 0x8000


class ParseError(Exception):
    pass


def type_name(t):
    return TYPE_NAMES.get(t, 'TYPE%d' % t)


def class_name(c):
    return CLASS_NAMES.get(c, 'CLASS%d' % c)


def rcode_name(r):
    return RCODES.get(r, 'RCODE%d' % r)


# ---------------------------------------------------------------- building

def encode_name(name):
    """Wire form of a presentation name, case kept ('.' or '' is the root)."""
    if isinstance(name, bytes):
        return name
    name = name.rstrip('.')
    out = b''
    if name:
        for label in name.split('.'):
            b = label.encode('ascii')
            out += bytes([len(b)]) + b
    return out + b'\x00'


def header(qid, flags=F_RD, qd=1, an=0, ns=0, ar=0, opcode=0, rcode=0):
    flags = (flags & ~0x7800 & ~0x000f) | (opcode << 11) | (rcode & 0xf)
    return struct.pack('!HHHHHH', qid, flags, qd, an, ns, ar)


def question(name, qtype='A', qclass='IN'):
    t = TYPES[qtype] if isinstance(qtype, str) else qtype
    c = CLASSES[qclass] if isinstance(qclass, str) else qclass
    return encode_name(name) + struct.pack('!HH', t, c)


def opt_rr(udp=1232, ext_rcode=0, version=0, flags=0, options=(),
           owner=b'\x00', rdata=None):
    """An OPT pseudo-RR. @options: (code, bytes) pairs; @rdata overrides
    the encoded options (to build malformed ones)."""
    if rdata is None:
        rdata = b''.join(struct.pack('!HH', c, len(v)) + v
                         for c, v in options)
    ttl = (ext_rcode << 24) | (version << 16) | flags
    return owner + struct.pack('!HHIH', 41, udp, ttl, len(rdata)) + rdata


def new_id():
    return struct.unpack('!H', os.urandom(2))[0]


def query(name, qtype='A', qclass='IN', qid=None, flags=F_RD, opcode=0,
          edns=True, udp=1232, version=0, eflags=0, options=()):
    """A well-formed query; EDNS(0) with @udp unless @edns is False."""
    if qid is None:
        qid = new_id()
    ar = 1 if edns else 0
    msg = header(qid, flags, 1, 0, 0, ar, opcode) + \
        question(name, qtype, qclass)
    if edns:
        msg += opt_rr(udp, 0, version, eflags, options)
    return msg


# ---------------------------------------------------------------- parsing

def read_name(buf, off):
    """(presentation name with case kept, offset after the name in place)."""
    labels = []
    end = None
    hops = 0
    total = 0
    while True:
        if off >= len(buf):
            raise ParseError('name runs past the end at %d' % off)
        ln = buf[off]
        if ln & 0xC0 == 0xC0:
            if off + 1 >= len(buf):
                raise ParseError('truncated pointer')
            ptr = ((ln & 0x3F) << 8) | buf[off + 1]
            if end is None:
                end = off + 2
            hops += 1
            if hops > 64 or ptr >= len(buf):
                raise ParseError('bad compression pointer %d' % ptr)
            off = ptr
            continue
        if ln & 0xC0:
            raise ParseError('reserved label type 0x%02x' % ln)
        off += 1
        if ln == 0:
            break
        if off + ln > len(buf):
            raise ParseError('label runs past the end')
        labels.append(buf[off:off + ln])
        total += ln + 1
        if total > 255:
            raise ParseError('name over 255 bytes')
        off += ln
    if end is None:
        end = off
    text = '.'.join(l.decode('latin1') for l in labels) + '.'
    return text, end


class RR:
    """One resource record. ``key`` is what tests compare: owner (lower
    case), TTL, class, type, normalised rdata text."""

    def __init__(self, name, rtype, rclass, ttl, rdata_text, owner_off=None,
                 rdata=b''):
        self.name = name
        self.type = rtype
        self.cls = rclass
        self.ttl = ttl
        self.text = rdata_text
        self.owner_off = owner_off
        self.rdata = rdata

    @property
    def key(self):
        return (self.name.lower(), self.ttl, self.cls, self.type, self.text)

    def __repr__(self):
        return '%s %d %s %s %s' % (self.name, self.ttl, self.cls, self.type,
                                    self.text)


def rdata_text(buf, rtype, off, rdlen):
    """Normalised presentation of rdata (names in lower case, AAAA
    compressed, TXT strings joined without quotes)."""
    rd = buf[off:off + rdlen]
    if rtype == 'A' and rdlen == 4:
        return str(ipaddress.IPv4Address(rd))
    if rtype == 'AAAA' and rdlen == 16:
        return str(ipaddress.IPv6Address(rd))
    if rtype in ('NS', 'CNAME', 'PTR'):
        n, _ = read_name(buf, off)
        return n.lower()
    if rtype == 'MX':
        n, _ = read_name(buf, off + 2)
        return '%d %s' % (struct.unpack('!H', rd[:2])[0], n.lower())
    if rtype == 'SOA':
        mname, o = read_name(buf, off)
        rname, o = read_name(buf, o)
        if o + 20 != off + rdlen:
            raise ParseError('SOA rdata length mismatch')
        nums = struct.unpack('!IIIII', buf[o:o + 20])
        return '%s %s %s' % (mname.lower(), rname.lower(),
                             ' '.join(str(x) for x in nums))
    if rtype == 'TXT':
        parts = []
        i = 0
        while i < len(rd):
            ln = rd[i]
            parts.append(rd[i + 1:i + 1 + ln].decode('latin1'))
            i += 1 + ln
        return ''.join(parts)
    return rd.hex()


class Edns:
    def __init__(self):
        self.udp = None
        self.version = None
        self.ext_rcode = 0
        self.do = False
        self.mbz = 0  # EDNS flags other than DO
        self.options = []  # (code, bytes) in order
        self.owner = '.'
        self.cookie_status = ''  # dig's '(good)' / '(echoed)' / ...

    def opt(self, code):
        for c, v in self.options:
            if c == code:
                return v
        return None

    def codes(self):
        return [c for c, _ in self.options]


class Msg:
    """A parsed DNS message (the tests' common response shape; dnstools
    fills the same attributes from dig/kdig output)."""

    def __init__(self):
        self.raw = b''
        self.id = None
        self.flags = set()
        self.flagword = 0
        self.opcode = None
        self.rcode = None
        self.counts = (0, 0, 0, 0)
        self.question = []  # (name, class, type)
        self.question_raw = b''
        self.answer = []
        self.authority = []
        self.additional = []  # without OPT
        self.edns = None
        self.n_opt = 0
        self.size = None
        self.proto = None
        self.text = ''  # tool output, for error messages

    def __repr__(self):
        if self.text:
            return self.text
        lines = ['id=%s opcode=%s rcode=%s flags=%s counts=%s size=%s' % (
            self.id, self.opcode, self.rcode, ' '.join(sorted(self.flags)),
            self.counts, self.size)]
        lines += ['Q: %s %s %s' % q for q in self.question]
        for sec in ('answer', 'authority', 'additional'):
            lines += ['%s: %r' % (sec[:3].upper(), rr)
                      for rr in getattr(self, sec)]
        if self.edns:
            lines.append('OPT: udp=%s v=%s do=%s mbz=%#x opts=%s' % (
                self.edns.udp, self.edns.version, self.edns.do, self.edns.mbz,
                [(c, v.hex()) for c, v in self.edns.options]))
        return '\n'.join(lines)


def parse(buf):
    if len(buf) < 12:
        raise ParseError('message shorter than a header')
    m = Msg()
    m.raw = buf
    m.size = len(buf)
    qid, fw, qd, an, ns, ar = struct.unpack('!HHHHHH', buf[:12])
    m.id = qid
    m.flagword = fw
    m.counts = (qd, an, ns, ar)
    for bit, name in ((F_QR, 'qr'), (F_AA, 'aa'), (F_TC, 'tc'), (F_RD, 'rd'),
                      (F_RA, 'ra'), (F_Z, 'z'), (F_AD, 'ad'), (F_CD, 'cd')):
        if fw & bit:
            m.flags.add(name)
    op = (fw >> 11) & 0xF
    m.opcode = OPCODES.get(op, 'OPCODE%d' % op)
    rc = fw & 0xF
    off = 12
    for _ in range(qd):
        name, o = read_name(buf, off)
        if o + 4 > len(buf):
            raise ParseError('truncated question')
        t, c = struct.unpack('!HH', buf[o:o + 4])
        m.question.append((name, class_name(c), type_name(t)))
        off = o + 4
    m.question_raw = buf[12:off]
    sections = ([], [], [])
    for si, count in enumerate((an, ns, ar)):
        for _ in range(count):
            owner_off = off
            name, o = read_name(buf, off)
            if o + 10 > len(buf):
                raise ParseError('truncated RR header')
            t, c, ttl, rdlen = struct.unpack('!HHIH', buf[o:o + 10])
            o += 10
            if o + rdlen > len(buf):
                raise ParseError('rdata runs past the end')
            if t == 41:
                m.n_opt += 1
                e = Edns()
                e.owner = name
                e.udp = c
                e.ext_rcode = ttl >> 24
                e.version = (ttl >> 16) & 0xFF
                e.do = bool(ttl & EDNS_DO)
                e.mbz = ttl & 0x7FFF
                i = o
                while i < o + rdlen:
                    if i + 4 > o + rdlen:
                        raise ParseError('truncated EDNS option')
                    code, olen = struct.unpack('!HH', buf[i:i + 4])
                    if i + 4 + olen > o + rdlen:
                        raise ParseError('EDNS option past rdata')
                    e.options.append((code, buf[i + 4:i + 4 + olen]))
                    i += 4 + olen
                if m.edns is None:
                    m.edns = e
            else:
                tn = type_name(t)
                sections[si].append(RR(name, tn, class_name(c), ttl,
                                       rdata_text(buf, tn, o, rdlen),
                                       owner_off, buf[o:o + rdlen]))
            off = o + rdlen
    if off != len(buf):
        raise ParseError('%d bytes after the last record' % (len(buf) - off))
    m.answer, m.authority, m.additional = sections
    if m.edns is not None:
        rc |= m.edns.ext_rcode << 4
    m.rcode = rcode_name(rc)
    return m


# ---------------------------------------------------------------- transport

def udp_exchange(server, port, msg, timeout=1.0, src=None, match_id=True):
    """Sends @msg over UDP and returns the first datagram that comes back
    from @server (bytes), or None on timeout."""
    fam = socket.AF_INET6 if ':' in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        if src:
            s.bind((src, 0))
        s.connect((server, port))
        s.send(msg)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([s], [], [], left)
            if not r:
                return None
            try:
                data = s.recv(65535)
            except ConnectionRefusedError:
                return None
            if (match_id and len(msg) >= 2 and len(data) >= 2
                    and data[:2] != msg[:2]):
                continue  # not ours (stale); keep waiting
            return data
    finally:
        s.close()


def recv_exact(s, n, deadline):
    out = b''
    while len(out) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError('timed out after %d of %d bytes'
                               % (len(out), n))
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError('connection closed after %d of %d bytes'
                           % (len(out), n))
        out += chunk
    return out


def tcp_read_msg(s, timeout=2.0):
    """Reads one length-prefixed message; raises TimeoutError / EOFError /
    ConnectionResetError."""
    deadline = time.monotonic() + timeout
    ln = struct.unpack('!H', recv_exact(s, 2, deadline))[0]
    return recv_exact(s, ln, deadline)


def tcp_connect(server, port, timeout=2.0):
    fam = socket.AF_INET6 if ':' in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((server, port))
    s.settimeout(None)
    return s


def tcp_exchange(server, port, msg, timeout=2.0):
    """One query on a fresh connection; response bytes or None."""
    try:
        s = tcp_connect(server, port, timeout)
    except OSError:
        return None
    try:
        s.sendall(struct.pack('!H', len(msg)) + msg)
        return tcp_read_msg(s, timeout)
    except (OSError, EOFError, TimeoutError):
        return None
    finally:
        s.close()


def exchange(proto, server, port, msg, timeout=1.5):
    if proto == 'tcp':
        return tcp_exchange(server, port, msg, timeout)
    return udp_exchange(server, port, msg, timeout)
