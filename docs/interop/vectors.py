#!/usr/bin/env python3
"""Recomputes the examples of docs/protocol.md from its text alone (item IDs of 2.4 and 3.4, an
AUTH's signed bytes and identity work of 3.7, the link keys and sealed frames of 4.5, a link's
weight of 6.8) and exits non-zero if one differs. Needs `cryptography`."""
import sys
import hashlib, struct
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
H=bytes.fromhex
failed=[]
def check(name,got,want):
    print('%-18s %s %s' % (name, got, 'ok' if got==want else 'DIFFERS, the document says '+want))
    if got!=want: failed.append(name)
# 2.4 ID examples
def item_id(stamp,salt,dtype,data):
    d=hashlib.sha256(struct.pack('>IIH',stamp,salt,dtype)+data).digest()[:8]
    return struct.pack('>II',stamp,salt)+d
check('2.4', item_id(1800000000,5,7,b'hi').hex(), '6b49d20000000005eaade2f1bf4c0f62')
check('3.4', item_id(1800000000,5,1337,H('deadbeef')).hex(), '6b49d20000000005c3581a392fa9a3c8')
# 4.5
a=X25519PrivateKey.from_private_bytes(H('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'))
b=X25519PrivateKey.from_private_bytes(H('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'))
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
check('4.5 A public', a.public_key().public_bytes(Encoding.Raw,PublicFormat.Raw).hex(), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
check('4.5 B public', b.public_key().public_bytes(Encoding.Raw,PublicFormat.Raw).hex(), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
ss=a.exchange(b.public_key())
check('4.5 secret', ss.hex(), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')
na=H('000102030405060708090a0b0c0d0e0f'); nb=H('101112131415161718191a1b1c1d1e1f')
ia=H('c61290316277352bdf500bd034f1fafbac4d1cba483ef3d553c8dc20d2eed999'); ib=b'\xab'*32
def k(sn,rn,si,ri): return HKDF(hashes.SHA256(),32,b'gossip-link-keys-v1',sn+rn+si+ri).derive(ss)
kab=k(na,nb,ia,ib); kba=k(nb,na,ib,ia)
check('4.5 key a->b',kab.hex(),'2fe0561196ba424a751c4c0c8e7f9e4737654f8c00cee3fabb2344da2c2c81c1')
check('4.5 key b->a',kba.hex(),'80ad4422d91ec36946a1af1f17f5cedbd25d81fd208b4fa496b4fa1904bdb8d5')
def seal(key,ctr,frame):
    n=b'\0'*4+struct.pack('>Q',ctr)
    return frame[:4]+ChaCha20Poly1305(key).encrypt(n,frame[4:],frame[:4])
check('4.5 frame a->b 0',seal(kab,0,H('000c01fc0000000000000001')).hex(),'000c01fc651407deff2a3b912eb55e7c4cebdae982c85ce4c56ce71d')
check('4.5 frame a->b 1',seal(kab,1,H('000c01fc0000000000000001')).hex(),'000c01fc0ce7da45c94326634b0d1c20908efd60dc4c227c98414497')
check('4.5 frame b->a 0',seal(kba,0,H('00040204')).hex(),'000402044a316cf98ce3079e4e97bfa356e0689a')
# 3.7 the signed bytes of A's AUTH to B, and the work; 6.8 the link weight
apub=a.public_key().public_bytes(Encoding.Raw,PublicFormat.Raw)
signed=b'gossip-auth-v2'+nb+na+ia+ib+apub
check('3.7 signed bytes',hashlib.sha256(signed).hexdigest(),'67eee45103235196b288a65dd1db2c805e97b79989b330d2c67bcbf18850642e')
def zeros(h):
    z=0
    for x in h:
        if x: return z+8-x.bit_length()
        z+=8
    return z
def work_hash(n): return hashlib.sha256(b'gossip-work-v1'+ia+struct.pack('>Q',n)).digest()
first16=next(n for n in range(1<<20) if zeros(work_hash(n))>=16)  # 88,557 by the document
check('3.7 work 16 bits',work_hash(first16).hex(),'0000cc19aa78527eec4753e659db88b19253c4dff8e222f1033c01a12531b30e')
check('3.7 work 21 bits',work_hash(3176910).hex(),'0000021ca80b66d6f861f4e1f44f0a60ff752f014451edb0d9e2f7350517491b')
low,high=sorted([ia,ib])
check('6.8 link weight',hashlib.sha256(b'gossip-link-v1'+low+high).hexdigest(),'cba21fb18cc1c556e6a62d1b481329c3ab92010dac18dfaeda232eb3d2fb8ae6')
sys.exit(1 if failed else 0)
