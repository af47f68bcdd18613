#!/usr/bin/env python3
"""A minimal independent gossip peer (protocol version 6), written from docs/protocol.md alone.

It was written clean-room (without reading gossipd's sources) to check that the protocol document
is enough to interoperate; see README.md here. It needs Python 3 and the `cryptography` package.

Usage examples:
  peer.py dial 127.0.0.1:47101 --hold 40
  peer.py dial 127.0.0.1:47101 --hold 40 --send 4242:68656c6c6f --send-after 3
  peer.py dial 127.0.0.1:47101 --work-bits 0 --send 4242:68656c6c6f --until-received 1  # (a node with identity_work_bits = 0)
  peer.py listen 47150 --hold 60            # wait for gossipd to dial us (bootstrapper)

Section references (e.g. "3.7") are to docs/protocol.md.
"""
import argparse, hashlib, os, random, socket, struct, sys, threading, time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.exceptions import InvalidSignature, InvalidTag

VERSION = 6
T_HELLO, T_PULL, T_PUSH, T_ITEM, T_PING, T_PONG, T_DIGEST, T_REQUEST = 504, 505, 506, 507, 508, 509, 510, 511
T_AUTH, T_MEMBERSHIP, T_IHAVE, T_GRAFT, T_PRUNE = 512, 513, 514, 515, 516
NAMES = {504: "HELLO", 505: "PULL", 506: "PUSH", 507: "ITEM", 508: "PING", 509: "PONG", 510: "DIGEST",
         511: "REQUEST", 512: "AUTH", 513: "MEMBERSHIP", 514: "IHAVE", 515: "GRAFT", 516: "PRUNE"}
JOIN, FORWARD_JOIN, NEIGHBOR_HIGH, NEIGHBOR_LOW, ACCEPT, REJECT, DISCONNECT, LEAVE = range(1, 9)
KIND_NAMES = {1: "JOIN", 2: "FORWARD_JOIN", 3: "NEIGHBOR_HIGH", 4: "NEIGHBOR_LOW", 5: "ACCEPT",
              6: "REJECT", 7: "DISCONNECT", 8: "LEAVE"}

T0 = time.time()


def log(*a):
    print("[%7.3f]" % (time.time() - T0), *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- identity (2.2, 3.7)

class Identity:
    def __init__(self, key_path, work_bits):
        if os.path.exists(key_path):
            with open(key_path, "rb") as f:
                self.key = serialization.load_pem_private_key(f.read(), None)
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            with open(key_path, "wb") as f:
                f.write(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        self.spki = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
        self.id = hashlib.sha256(self.spki).digest()
        self.work = self._load_or_find_work(key_path + ".work", work_bits)

    def _load_or_find_work(self, path, bits):
        if os.path.exists(path):
            ident, w = open(path).read().split()
            if ident == self.id.hex() and work_ok(self.id, int(w), bits):
                return int(w)
        t = time.time()
        w = find_work(self.id, bits)
        log("proof of work: %d bits, work=%d, %.1f s" % (bits, w, time.time() - t))
        with open(path, "w") as f:
            f.write("%s %d\n" % (self.id.hex(), w))
        return w

    def sign(self, data):
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            h = hashes.SHA384() if self.key.curve.key_size == 384 else hashes.SHA256()
            return self.key.sign(data, ec.ECDSA(h))
        return self.key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())


def leading_zero_bits(b):
    n = 0
    for byte in b:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def work_ok(ident, work, bits):
    return leading_zero_bits(hashlib.sha256(b"gossip-work-v1" + ident + struct.pack(">Q", work)).digest()) >= bits


def find_work(ident, bits):
    base = hashlib.sha256(b"gossip-work-v1" + ident)
    full, rem = divmod(bits, 8)
    for w in range(1 << 64):
        h = base.copy()
        h.update(struct.pack(">Q", w))
        d = h.digest()
        if d[:full] == b"\0" * full and (rem == 0 or d[full] >> (8 - rem) == 0):
            return w


def verify_signature(spki, sig, data):
    pub = serialization.load_der_public_key(spki)
    if isinstance(pub, ec.EllipticCurvePublicKey):
        h = hashes.SHA384() if pub.curve.key_size == 384 else hashes.SHA256()
        pub.verify(sig, data, ec.ECDSA(h))
    elif isinstance(pub, rsa.RSAPublicKey):
        pub.verify(sig, data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    else:
        raise InvalidSignature("unsupported key type")


# ---------------------------------------------------------------- fields (2.1, 2.4)

def enc_addr(host, port):
    ip = socket.inet_pton(socket.AF_INET6, host) if ":" in host else b"\0" * 10 + b"\xff\xff" + socket.inet_aton(host)
    return ip + struct.pack(">H", port)


def dec_addr(b):
    ip = b[:16]
    port = struct.unpack(">H", b[16:18])[0]
    if ip[:12] == b"\0" * 10 + b"\xff\xff":
        return "%s:%d" % (socket.inet_ntoa(ip[12:]), port)
    return "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, ip), port)


def item_digest(stamp, salt, dtype, data):
    return hashlib.sha256(struct.pack(">IIH", stamp, salt, dtype) + data).digest()[:8]


def make_item_id(dtype, data, stamp=None):
    stamp = int(time.time()) if stamp is None else stamp
    salt = random.getrandbits(32)
    return struct.pack(">II", stamp, salt) + item_digest(stamp, salt, dtype, data)


def check_item_id(iid, dtype, data):
    stamp, salt = struct.unpack(">II", iid[:8])
    return iid[8:] == item_digest(stamp, salt, dtype, data)


def link_weight(a, b):
    """6.8: first 8 bytes of SHA-256("gossip-link-v1" || lower id || higher id), clamped to 1..2^64-2."""
    lo, hi = sorted([a, b])
    w = struct.unpack(">Q", hashlib.sha256(b"gossip-link-v1" + lo + hi).digest()[:8])[0]
    return min(max(w, 1), 2 ** 64 - 2)


def frame(t, body=b""):
    return struct.pack(">HH", 4 + len(body), t) + body


# ---------------------------------------------------------------- one link

class Link:
    def __init__(self, peer, sock, outbound, label):
        self.peer, self.sock, self.outbound, self.label = peer, sock, outbound, label
        self.wlock = threading.Lock()
        self.my_nonce = os.urandom(16)
        self.my_x = X25519PrivateKey.generate()
        self.my_xpub = self.my_x.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.peer_hello = None
        self.peer_id = None
        self.sealer = None   # (aead, counter)
        self.opener = None
        self.state = "handshaking"
        self.eager = False
        self.closed = False
        self.stats = {"in": {}, "out": {}}

    # -- writing
    def send(self, t, body=b""):
        f = frame(t, body)
        with self.wlock:
            if self.closed:
                return
            if self.sealer is not None:
                aead, ctr = self.sealer
                nonce = b"\0" * 4 + struct.pack(">Q", ctr)
                self.sealer = (aead, ctr + 1)
                f = f[:4] + aead.encrypt(nonce, f[4:], f[:4])
            self.stats["out"][t] = self.stats["out"].get(t, 0) + 1
            try:
                self.sock.sendall(f)
            except OSError as e:
                log(self.label, "write failed:", e)
                self.closed = True

    # -- reading
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            c = self.sock.recv(n - len(buf))
            if not c:
                raise EOFError("peer closed (%d of %d bytes)" % (len(buf), n))
            buf += c
        return buf

    def read_frame(self):
        hdr = self.recv_exact(4)
        size, t = struct.unpack(">HH", hdr)
        if size < 4:
            raise ValueError("size below header")
        if self.opener is None:
            return t, self.recv_exact(size - 4)
        rest = self.recv_exact(size - 4 + 16)
        aead, ctr = self.opener
        nonce = b"\0" * 4 + struct.pack(">Q", ctr)
        body = aead.decrypt(nonce, rest, hdr)   # raises InvalidTag
        self.opener = (aead, ctr + 1)
        return t, body

    def run(self):
        self.send_hello()
        try:
            while not self.closed:
                t, body = self.read_frame()
                self.stats["in"][t] = self.stats["in"].get(t, 0) + 1
                self.handle(t, body)
        except (EOFError, ConnectionError, OSError) as e:
            if not self.closed:
                log(self.label, "link ended:", e)
        except InvalidTag:
            log(self.label, "frame did not open (decryption failed)")
        except Exception as e:
            log(self.label, "error:", repr(e))
        finally:
            self.close()

    def close(self):
        with self.wlock:
            already = self.closed
            self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # wakes our reader and sends FIN even if it is in recv()
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        if already:
            return
        if self in self.peer.links:
            self.peer.links.remove(self)
        log(self.label, "closed; frames in:", {NAMES.get(k, k): v for k, v in self.stats["in"].items()},
            "out:", {NAMES.get(k, k): v for k, v in self.stats["out"].items()})

    # -- handshake (4.2, 3.1, 3.7, 4.5)
    def send_hello(self):
        body = struct.pack(">BBH", VERSION, 0 if self.peer.encrypt else 1, 0) + self.peer.ident.id + \
               enc_addr(self.peer.listen_host, self.peer.listen_port) + self.my_nonce
        self.send(T_HELLO, body)
        log(self.label, "-> HELLO")

    def send_auth(self):
        pn, pid = self.peer_hello["nonce"], self.peer_hello["id"]
        signed = b"gossip-auth-v2" + pn + self.my_nonce + self.peer.ident.id + pid + self.my_xpub
        sig = self.peer.ident.sign(signed)
        spki = self.peer.ident.spki
        body = struct.pack(">H", len(spki)) + spki + struct.pack(">H", len(sig)) + sig + \
               struct.pack(">Q", self.peer.ident.work) + self.my_xpub
        self.send(T_AUTH, body)
        log(self.label, "-> AUTH (k=%d g=%d)" % (len(spki), len(sig)))

    def on_hello(self, body):
        if len(body) != 70:
            raise ValueError("bad HELLO size")
        ver, flags, _ = struct.unpack(">BBH", body[:4])
        h = {"version": ver, "flags": flags, "id": body[4:36], "addr": dec_addr(body[36:54]), "nonce": body[54:70]}
        log(self.label, "<- HELLO version=%d flags=%02x id=%s addr=%s" % (ver, flags, h["id"].hex()[:16], h["addr"]))
        if ver != VERSION:
            raise ValueError("version_mismatch")
        if bool(flags & 1) == self.peer.encrypt:
            raise ValueError("encryption_mismatch")
        self.peer_hello = h
        self.send_auth()

    def on_auth(self, body):
        k = struct.unpack(">H", body[:2])[0]
        spki = body[2:2 + k]
        g = struct.unpack(">H", body[2 + k:4 + k])[0]
        sig = body[4 + k:4 + k + g]
        work = struct.unpack(">Q", body[4 + k + g:12 + k + g])[0]
        xpub = body[12 + k + g:44 + k + g]
        if len(body) != 44 + k + g:
            raise ValueError("bad AUTH size")
        pid = self.peer_hello["id"]
        if not work_ok(pid, work, self.peer.work_bits):
            raise ValueError("insufficient_work")
        if hashlib.sha256(spki).digest() != pid:
            raise ValueError("auth_failed: key does not hash to identity")
        signed = b"gossip-auth-v2" + self.my_nonce + self.peer_hello["nonce"] + pid + self.peer.ident.id + xpub
        verify_signature(spki, sig, signed)
        log(self.label, "<- AUTH verified (k=%d g=%d work=%d)" % (k, g, work))
        self.peer_id = pid
        if self.peer.encrypt:
            secret = self.my_x.exchange(X25519PublicKey.from_public_bytes(xpub))
            if secret == b"\0" * 32:
                raise ValueError("auth_failed: low-order agreement key")

            def kdf(sn, rn, si, ri):
                return HKDF(hashes.SHA256(), 32, b"gossip-link-keys-v1", sn + rn + si + ri).derive(secret)
            seal_key = kdf(self.my_nonce, self.peer_hello["nonce"], self.peer.ident.id, pid)
            open_key = kdf(self.peer_hello["nonce"], self.my_nonce, pid, self.peer.ident.id)
            with self.wlock:
                self.sealer = (ChaCha20Poly1305(seal_key), 0)
            self.opener = (ChaCha20Poly1305(open_key), 0)
            log(self.label, "link keys installed")
        self.state = "waiting"
        if self.outbound and self.peer.request_kind:
            kind = self.peer.request_kind
            tree = not self.peer.no_tree_flag
            self.send_membership(kind, tree=tree)
            log(self.label, "-> MEMBERSHIP %s (tree flag %d)" % (KIND_NAMES[kind], tree))

    def send_membership(self, kind, tree=False, ttl=0, entry=None):
        entry = entry or (self.peer.ident.id + enc_addr(self.peer.listen_host, self.peer.listen_port))
        self.send(T_MEMBERSHIP, struct.pack(">BBBB", kind, ttl, 1 if tree else 0, 0) + entry)

    # -- established (4.4)
    def handle(self, t, body):
        if self.peer_hello is None:
            if t != T_HELLO:
                raise ValueError("hello_missing: got %s" % NAMES.get(t, t))
            return self.on_hello(body)
        if self.peer_id is None:
            if t != T_AUTH:
                raise ValueError("hello_missing: got %s before AUTH" % NAMES.get(t, t))
            return self.on_auth(body)
        p = self.peer
        if t == T_PING:
            self.send(T_PONG, body)
            p.counts["ping"] += 1
            if p.verbose:
                log(self.label, "<- PING nonce=%d -> PONG" % struct.unpack(">Q", body)[0])
        elif t == T_PONG:
            pass
        elif t == T_MEMBERSHIP:
            self.on_membership(body)
        elif t == T_ITEM:
            self.on_item(body)
        elif t in (T_IHAVE, T_DIGEST):
            n = struct.unpack(">H", body[:2])[0]
            ids = [body[2 + 16 * i:18 + 16 * i] for i in range(n)]
            want = [i for i in ids if i not in p.cache and i not in p.seen]
            log(self.label, "<- %s %d ids (%d unknown)" % (NAMES[t], n, len(want)))
            if want:
                self.send(T_REQUEST, struct.pack(">H", len(want)) + b"".join(want))
                log(self.label, "-> REQUEST %d ids" % len(want))
        elif t in (T_REQUEST, T_GRAFT):
            n = struct.unpack(">H", body[:2])[0]
            ids = [body[2 + 16 * i:18 + 16 * i] for i in range(n)]
            if t == T_GRAFT:
                self.eager = True
            log(self.label, "<- %s %d ids" % (NAMES[t], n))
            for i in ids:
                if i in p.cache:
                    self.send_item(i, *p.cache[i])
        elif t == T_PRUNE:
            log(self.label, "<- PRUNE (%d bytes)" % (len(body) + 4))
            if len(body) == 0:
                self.eager = False
        elif t == T_PULL:
            if p.no_pull_answer:
                if p.verbose:
                    log(self.label, "<- PULL (not answered)")
                return
            if p.verbose:
                log(self.label, "<- PULL -> PUSH")
            self.send(T_PUSH, enc_addr(p.listen_host, p.listen_port) + struct.pack(">H", 1) + p.ident.id +
                      enc_addr(p.listen_host, p.listen_port))
        elif t == T_PUSH:
            n = struct.unpack(">H", body[18:20])[0]
            ents = ["%s@%s" % (body[20 + 50 * i:52 + 50 * i].hex()[:16], dec_addr(body[52 + 50 * i:70 + 50 * i]))
                    for i in range(n)]
            if p.verbose:
                log(self.label, "<- PUSH", ents)
        elif t in (T_HELLO, T_AUTH):
            raise ValueError("unexpected %s" % NAMES[t])
        else:
            raise ValueError("unknown type %d" % t)

    def on_membership(self, body):
        kind, ttl, flags, _ = struct.unpack(">BBBB", body[:4])
        eid, eaddr = body[4:36], dec_addr(body[36:54])
        name = KIND_NAMES.get(kind, kind)
        log(self.label, "<- MEMBERSHIP %s ttl=%d tree=%d entry=%s@%s" % (name, ttl, flags & 1, eid.hex()[:16], eaddr))
        if kind == ACCEPT and self.outbound and self.state == "waiting":
            self.state = "active"
            self.eager = bool(flags & 1)
            log(self.label, "link ACTIVE (%s)" % ("eager/tree" if self.eager else "lazy"))
            self.peer.active.set()
        elif kind in (JOIN, NEIGHBOR_HIGH, NEIGHBOR_LOW) and not self.outbound and self.state == "waiting":
            # acceptor: activate first, then ACCEPT (4.4). Tree if asked or we have no eager link (6.7).
            self.state = "active"
            self.eager = bool(flags & 1) or not any(l.eager for l in self.peer.links if l is not self)
            self.send_membership(ACCEPT, tree=self.eager)
            log(self.label, "-> MEMBERSHIP ACCEPT tree=%d; link ACTIVE" % self.eager)
            self.peer.active.set()
        elif kind in (REJECT, DISCONNECT, LEAVE):
            log(self.label, "peer closes the link (%s)" % name)
            self.close()
        elif kind == FORWARD_JOIN:
            pass  # the walk ends here; local policy (5.6)
        else:
            log(self.label, "unexpected MEMBERSHIP %s in state %s: closing" % (name, self.state))
            self.close()

    def on_item(self, body):
        iid, ttl, plen, dtype = body[:16], body[16], body[17], struct.unpack(">H", body[18:20])[0]
        k = 0 if plen == 0xFF else plen
        path = [struct.unpack(">Q", body[20 + 8 * i:28 + 8 * i])[0] for i in range(k)]
        data = body[20 + 8 * k:]
        ok = check_item_id(iid, dtype, data)
        stamp = struct.unpack(">I", iid[:4])[0]
        p = self.peer
        dup = iid in p.seen
        if path:
            log(self.label, "   ITEM path weights:", ["%016x" % w for w in path],
                "| weights of my links:", {l.label: "%016x" % link_weight(l.peer.ident.id, l.peer_id)
                                           for l in p.links if l.peer_id})
        log(self.label, "<- ITEM id=%s ttl=%d pathlen=%s type=%d data=%s id_check=%s stamp_age=%ds%s" % (
            iid.hex(), ttl, "ff" if plen == 0xFF else plen, dtype, data[:64].hex(), "OK" if ok else "MISMATCH",
            int(time.time()) - stamp, " (duplicate)" if dup else ""))
        if not ok:
            raise ValueError("item_id_mismatch")
        if not dup:
            p.seen.add(iid)
            p.received.append((iid, ttl, dtype, data))
            if ttl != 1:
                p.cache[iid] = (max(ttl - 1, 0) if ttl else 0, dtype, data)

    def send_item(self, iid, ttl, dtype, data, path=()):
        body = iid + struct.pack(">BBH", ttl, len(path), dtype) + b"".join(struct.pack(">Q", w) for w in path) + data
        self.send(T_ITEM, body)
        log(self.label, "-> ITEM id=%s ttl=%d type=%d data=%s" % (iid.hex(), ttl, dtype, data.hex()))


# ---------------------------------------------------------------- the peer

class Peer:
    def __init__(self, args):
        self.ident = Identity(args.key, args.work_bits)
        self.work_bits = args.work_bits
        self.encrypt = not args.plaintext
        self.listen_host, self.listen_port = "127.0.0.1", args.listen_port
        self.request_kind = {"join": JOIN, "high": NEIGHBOR_HIGH, "low": NEIGHBOR_LOW, "none": None}[args.request]
        self.verbose = args.verbose
        self.no_pull_answer = args.no_pull_answer
        self.no_tree_flag = args.no_tree_flag
        self.links = []
        self.seen, self.cache, self.received = set(), {}, []
        self.counts = {"ping": 0}
        self.active = threading.Event()
        log("identity", self.ident.id.hex(), "listen", "%s:%d" % (self.listen_host, self.listen_port))

    def start_link(self, sock, outbound, label):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = Link(self, sock, outbound, label)
        self.links.append(link)
        th = threading.Thread(target=link.run, daemon=True)
        th.start()
        return link

    def dial(self, hostport):
        host, port = hostport.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=5)
        s.settimeout(None)
        log("dialed", hostport)
        return self.start_link(s, True, "[out %s]" % hostport)

    def listen(self):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((self.listen_host, self.listen_port))
        srv.listen(16)

        def loop():
            while True:
                c, a = srv.accept()
                log("accepted connection from %s:%d" % a)
                self.start_link(c, False, "[in %s:%d]" % a)
        threading.Thread(target=loop, daemon=True).start()
        log("listening on %s:%d" % (self.listen_host, self.listen_port))

    def announce(self, dtype, data, ttl):
        iid = make_item_id(dtype, data)
        self.seen.add(iid)
        self.cache[iid] = (ttl, dtype, data)
        links = [l for l in self.links if l.state == "active"]
        for l in links:
            l.send_item(iid, ttl, dtype, data)
        return iid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["dial", "listen"])
    ap.add_argument("target", help="host:port to dial, or (listen) port to listen on")
    ap.add_argument("--listen-port", type=int, default=0,
                    help="port advertised in HELLO (and listened on with --also-listen); 0, the default when dialing, "
                         "says this peer takes no connections (protocol.md 3.1)")
    ap.add_argument("--key", default="peer_key.pem", help="host key (PEM); made if missing, its work kept beside it")
    ap.add_argument("--work-bits", type=int, default=21)
    ap.add_argument("--plaintext", action="store_true")
    ap.add_argument("--request", choices=["join", "high", "low", "none"], default="join")
    ap.add_argument("--hold", type=float, default=40, help="seconds to keep running")
    ap.add_argument("--send", action="append", default=[], help="TYPE:HEXDATA item to send once active")
    ap.add_argument("--send-after", type=float, default=2.0)
    ap.add_argument("--ttl", type=int, default=4)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--no-pull-answer", action="store_true", help="do not answer PULL (to see PINGs)")
    ap.add_argument("--no-tree-flag", action="store_true", help="send the request without the tree flag")
    ap.add_argument("--also-listen", action="store_true", help="in dial mode, also accept on --listen-port")
    ap.add_argument("--until-received", type=int, default=0,
                    help="end early once this many items came in (and --send items went out)")
    args = ap.parse_args()
    if args.mode == "listen":
        args.listen_port = int(args.target)
    if args.also_listen and args.listen_port == 0:
        ap.error("--also-listen needs --listen-port")
    peer = Peer(args)
    if args.mode == "listen" or args.also_listen:
        peer.listen()
    if args.mode == "listen":
        pass
    else:
        peer.dial(args.target)
    start = time.time()
    sent = False
    while time.time() - start < args.hold:
        time.sleep(0.2)
        if args.send and not sent and peer.active.is_set():
            time.sleep(args.send_after)
            for s in args.send:
                t, h = s.split(":", 1)
                iid = peer.announce(int(t), bytes.fromhex(h), args.ttl)
                log("announced own item", iid.hex())
            sent = True
        if args.until_received and len(peer.received) >= args.until_received and (sent or not args.send):
            break
    log("summary: links open=%d, PINGs answered=%d, items received=%d" % (
        len([l for l in peer.links if not l.closed]), peer.counts["ping"], len(peer.received)))
    for l in list(peer.links):
        log(l.label, "state at end:", l.state, "eager" if l.eager else "lazy")
    for (iid, ttl, dtype, data) in peer.received:
        log("received item", iid.hex(), "type", dtype, "data", data.hex())
    for l in list(peer.links):
        l.close()
    if args.until_received and len(peer.received) < args.until_received:
        log("only %d of the %d items asked for came in" % (len(peer.received), args.until_received))
        sys.exit(1)


if __name__ == "__main__":
    main()
