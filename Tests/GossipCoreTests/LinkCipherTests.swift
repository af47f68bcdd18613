import Crypto
import GossipWire
import Testing

@testable import GossipCore

@Suite("Encrypted links")
struct LinkCipherTests {
    /// Two encrypting cores after their handshake, with the keys each installed.
    static func securedPair() -> (pair: CorePair, a: LinkKeys, b: LinkKeys) {
        var pair = CorePair()
        pair.a = CorePair.node(1, encryptsLinks: true)
        pair.b = CorePair.node(2, encryptsLinks: true)
        let fromA = pair.a.linkOpened(
            pair.link, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: 1, count: 16),
            agreementKey: Curve25519.KeyAgreement.PrivateKey(), now: pair.now)
        let fromB = pair.b.linkOpened(
            pair.link, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 2, count: 16),
            agreementKey: Curve25519.KeyAgreement.PrivateKey(), now: pair.now)
        pair.carry(fromA: fromA, fromB: fromB)
        let keys = { (effects: [GossipEffect]) in effects.compactMap { if case .secureLink(_, let keys) = $0 { keys } else { nil } } }
        let a = keys(pair.otherEffects.a), b = keys(pair.otherEffects.b)
        #expect(a.count == 1 && b.count == 1, "each end makes the link's keys once")
        return (pair, a[0], b[0])
    }

    static func sealed(_ message: PeerMessage, with sealer: inout FrameSealer) -> Frame {
        var bytes: [UInt8] = []
        sealer.seal(message.encoded(), into: &bytes)
        return Frame(type: message.type.rawValue, body: Array(bytes[Framing.headerSize...]))
    }

    @Test("both ends of a handshake derive the same keys, one per direction")
    func bothEndsAgree() throws {
        var (pair, a, b) = Self.securedPair()
        #expect(pair.a.overlay.activeLinks == [pair.link] && pair.b.overlay.activeLinks == [pair.link])
        let ping = PeerMessage.ping(42)
        // The two directions use different keys: a's first frame, reflected back to a, does not
        // open there although a's opener expects that very counter (0).
        var reflecting = a
        let reflected = Self.sealed(ping, with: &reflecting.sealer)
        var aOpener = a.opener
        #expect(aOpener.open(reflected) == nil)
        let fromA = Self.sealed(ping, with: &a.sealer)
        #expect(fromA == reflected, "sealing is deterministic for a key and counter")
        #expect(b.opener.open(fromA).flatMap { try? PeerMessage(frame: $0) } == ping)
        let fromB = Self.sealed(.pong(42), with: &b.sealer)
        #expect(a.opener.open(fromB).flatMap { try? PeerMessage(frame: $0) } == .pong(42))
    }

    @Test("opening in place: the body becomes the plaintext; a frame that does not open leaves the counter where it was")
    func openingInPlace() throws {
        var (_, a, b) = Self.securedPair()
        let item = PeerMessage.ping(7)
        var first = Self.sealed(item, with: &a.sealer)
        var second = Self.sealed(.pong(8), with: &a.sealer)
        // The second frame before the first: it does not open, and the opener still expects frame 0.
        var early = second
        let opened1 = b.opener.open(&early)
        #expect(!opened1)
        #expect(b.opener.counter == 0)
        var tampered = first
        tampered.body[0] ^= 1
        let opened2 = b.opener.open(&tampered)
        #expect(!opened2)
        #expect(b.opener.counter == 0)
        let opened3 = b.opener.open(&first)
        #expect(opened3)
        #expect(b.opener.counter == 1)
        #expect(first.body.count == item.encoded().count - Framing.headerSize, "the tag is gone")
        #expect(try PeerMessage(frame: first) == item)
        let opened4 = b.opener.open(&second)
        #expect(opened4)
        #expect(try PeerMessage(frame: second) == .pong(8))
        // A frame shorter than a tag does not open either.
        var short = Frame(type: second.type, body: Array(repeating: 0, count: FrameSealer.tagSize - 1))
        let opened5 = b.opener.open(&short)
        #expect(!opened5)
        #expect(b.opener.counter == 2)
    }

    /// Two cores (encrypting or not), a link opened at both ends, and the HELLO each sent.
    static func openedPair(aEncrypts: Bool = true, bEncrypts: Bool = true) -> (pair: CorePair, helloA: PeerMessage, helloB: PeerMessage)? {
        var pair = CorePair()
        pair.a = CorePair.node(1, encryptsLinks: aEncrypts)
        pair.b = CorePair.node(2, encryptsLinks: bEncrypts)
        let fromA = pair.a.linkOpened(pair.link, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: 1, count: 16), agreementKey: testAgreementKey, now: pair.now)
        let fromB = pair.b.linkOpened(pair.link, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 2, count: 16), agreementKey: testAgreementKey, now: pair.now)
        guard case .send(_, let helloA) = fromA.first, case .send(_, let helloB) = fromB.first else { return nil }
        return (pair, helloA, helloB)
    }

    @Test("the keys are made before anything else is sent on the link")
    func keysComeFirst() {
        guard let opened = Self.openedPair() else {
            Issue.record("no HELLO")
            return
        }
        var pair = opened.pair
        let (helloA, helloB) = (opened.helloA, opened.helloB)
        let authA = pair.a.doingHandshakeWork(pair.a.received(peerMessage: helloB, on: pair.link, now: pair.now), now: pair.now)
        #expect(pair.b.received(peerMessage: helloA, on: pair.link, now: pair.now).isEmpty, "b accepted: it signs only after a's AUTH")
        guard case .send(_, let messageA) = authA.first else {
            Issue.record("no AUTH from the dialer")
            return
        }
        // b was dialed: its own AUTH answers a's, in clear, and then the keys go in before anything
        // else it sends.
        let afterAuth = pair.b.doingHandshakeWork(pair.b.received(peerMessage: messageA, on: pair.link, now: pair.now), now: pair.now)
        guard afterAuth.count >= 2, case .send(_, let messageB) = afterAuth[0], case .auth = messageB, case .secureLink = afterAuth[1] else {
            Issue.record("b's AUTH, then its keys, come first after a's AUTH: \(afterAuth)")
            return
        }
        let dialerAfterAuth = pair.a.doingHandshakeWork(pair.a.received(peerMessage: messageB, on: pair.link, now: pair.now), now: pair.now)
        #expect(dialerAfterAuth.first.map { if case .secureLink = $0 { true } else { false } } == true)
        #expect(dialerAfterAuth.contains { if case .send = $0 { true } else { false } }, "the dialer asks to be a neighbour, sealed")
    }

    @Test("an AUTH whose agreement key was swapped in the middle fails")
    func swappedAgreementKey() {
        guard let opened = Self.openedPair() else {
            Issue.record("no HELLO")
            return
        }
        var pair = opened.pair
        let (fromA, fromB) = (opened.helloA, opened.helloB)
        guard case .send(_, .auth(var auth)) = pair.a.doingHandshakeWork(pair.a.received(peerMessage: fromB, on: pair.link, now: pair.now), now: pair.now).first else {
            Issue.record("no handshake")
            return
        }
        _ = pair.b.received(peerMessage: fromA, on: pair.link, now: pair.now)
        auth.agreementKey = Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)  // the attacker's
        #expect(pair.b.doingHandshakeWork(pair.b.received(peerMessage: .auth(auth), on: pair.link, now: pair.now), now: pair.now) == [.closeLink(pair.link, .authFailed)])
    }

    @Test("a node that encrypts and one that does not refuse each other at the HELLO")
    func mismatch() {
        guard let opened = Self.openedPair(bEncrypts: false) else {
            Issue.record("no HELLO")
            return
        }
        var pair = opened.pair
        let (fromA, fromB) = (opened.helloA, opened.helloB)
        #expect(pair.a.received(peerMessage: fromB, on: pair.link, now: pair.now) == [.closeLink(pair.link, .encryptionMismatch)])
        #expect(pair.b.received(peerMessage: fromA, on: pair.link, now: pair.now) == [.closeLink(pair.link, .encryptionMismatch)])
    }

    @Test("a sealed frame altered anywhere, replayed, reordered, cut short or sealed with another key does not open")
    func tamperedFrames() throws {
        var (_, a, b) = Self.securedPair()
        let frames = [PeerMessage.ping(1), .ping(2), .item(GossipItem.bound(salt: 1, ttl: 1, dataType: 2, data: [1, 2, 3]))]
            .map { Self.sealed($0, with: &a.sealer) }
        // Altered: each byte of the body or tag, and the type in the header (authenticated too).
        for index in frames[0].body.indices {
            var opener = b.opener
            var altered = frames[0]
            altered.body[index] ^= 0x80
            #expect(opener.open(altered) == nil, "byte \(index)")
        }
        var opener = b.opener
        #expect(opener.open(Frame(type: MessageType.peerPong.rawValue, body: frames[0].body)) == nil, "another type in the header")
        #expect(opener.open(Frame(type: frames[0].type, body: Array(frames[0].body.prefix(15)))) == nil, "shorter than a tag")
        #expect(opener.open(frames[1]) == nil, "the second frame first")
        #expect(opener.open(frames[0]) != nil)
        #expect(opener.open(frames[0]) == nil, "the first frame again")
        #expect(opener.open(frames[1]) != nil)
        var stranger = Self.securedPair().b.opener
        #expect(stranger.open(frames[2]) == nil, "another link's keys")
        #expect(opener.open(frames[2]).flatMap { try? PeerMessage(frame: $0) } != nil)
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test("the test vector of docs/protocol.md section 4.5")
    func protocolVector() throws {
        let a = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Self.hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let b = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Self.hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        #expect(Array(a.publicKey.rawRepresentation) == Self.hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
        #expect(Array(b.publicKey.rawRepresentation) == Self.hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
        let nonceA = Self.hex("000102030405060708090a0b0c0d0e0f"), nonceB = Self.hex("101112131415161718191a1b1c1d1e1f")
        let identityA = PeerIdentity(bytes: Self.hex("c61290316277352bdf500bd034f1fafbac4d1cba483ef3d553c8dc20d2eed999"))!
        let identityB = PeerIdentity(bytes: [UInt8](repeating: 0xAB, count: 32))!
        var keysA = try #require(LinkKeys.derive(
            agreementKey: a, peerAgreementKey: Array(b.publicKey.rawRepresentation), ourNonce: nonceA, theirNonce: nonceB,
            ourIdentity: identityA, theirIdentity: identityB))
        var keysB = try #require(LinkKeys.derive(
            agreementKey: b, peerAgreementKey: Array(a.publicKey.rawRepresentation), ourNonce: nonceB, theirNonce: nonceA,
            ourIdentity: identityB, theirIdentity: identityA))
        #expect(keysA.sealer.cipher.key.withUnsafeBytes { Array($0) } == Self.hex("2fe0561196ba424a751c4c0c8e7f9e4737654f8c00cee3fabb2344da2c2c81c1"))
        #expect(keysB.sealer.cipher.key.withUnsafeBytes { Array($0) } == Self.hex("80ad4422d91ec36946a1af1f17f5cedbd25d81fd208b4fa496b4fa1904bdb8d5"))
        var wire: [UInt8] = []
        keysA.sealer.seal(PeerMessage.ping(1).encoded(), into: &wire)
        #expect(wire == Self.hex("000c01fc651407deff2a3b912eb55e7c4cebdae982c85ce4c56ce71d"))
        wire = []
        keysA.sealer.seal(PeerMessage.ping(1).encoded(), into: &wire)
        #expect(wire == Self.hex("000c01fc0ce7da45c94326634b0d1c20908efd60dc4c227c98414497"))
        wire = []
        keysB.sealer.seal(PeerMessage.prune.encoded(), into: &wire)
        #expect(wire == Self.hex("000402044a316cf98ce3079e4e97bfa356e0689a"))
        #expect(keysA.opener.open(Frame(type: 0x0204, body: Array(wire[4...]))) == Frame(type: 0x0204, body: []))
    }

    @Test("the examples of docs/protocol.md 3.7 and 6.8: an AUTH's signed bytes, identity work, a link's weight")
    func handshakeExamples() throws {
        let identityA = PeerIdentity(bytes: Self.hex("c61290316277352bdf500bd034f1fafbac4d1cba483ef3d553c8dc20d2eed999"))!
        let identityB = PeerIdentity(bytes: [UInt8](repeating: 0xAB, count: 32))!
        let signed = PeerAuth.signedBytes(
            receiverNonce: Self.hex("101112131415161718191a1b1c1d1e1f"), senderNonce: Self.hex("000102030405060708090a0b0c0d0e0f"),
            senderIdentity: identityA, receiverIdentity: identityB,
            senderAgreementKey: Self.hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
        #expect(signed.count == 142)
        #expect(Array(SHA256.hash(data: signed)) == Self.hex("67eee45103235196b288a65dd1db2c805e97b79989b330d2c67bcbf18850642e"))
        #expect(IdentityWork.solve(for: identityA, bits: 16) == 88_557)
        #expect(IdentityWork.leadingZeroBits(identityA, 88_557) == 16)
        #expect(IdentityWork.leadingZeroBits(identityA, 3_176_910) == 22)
        #expect(IdentityWork.isValid(3_176_910, for: identityA, bits: 21) && !IdentityWork.isValid(3_176_909, for: identityA, bits: 21))
        #expect(PathWeight.link(between: identityA, and: identityB) == PathWeight(rawValue: 0xcba2_1fb1_8cc1_c556))
        #expect(PathWeight.link(between: identityB, and: identityA) == PathWeight(rawValue: 14_673_325_383_357_678_934))
    }

    @Test("a low-order agreement key, such as the all-zero default, makes no keys")
    func lowOrderKey() {
        #expect(LinkKeys.derive(
            agreementKey: testAgreementKey, peerAgreementKey: [UInt8](repeating: 0, count: 32), ourNonce: [], theirNonce: [],
            ourIdentity: identity(1), theirIdentity: identity(2)) == nil)
        #expect(LinkKeys.derive(
            agreementKey: testAgreementKey, peerAgreementKey: [1] + [UInt8](repeating: 0, count: 31), ourNonce: [], theirNonce: [],
            ourIdentity: identity(1), theirIdentity: identity(2)) == nil, "the point of order 1")
    }
}
