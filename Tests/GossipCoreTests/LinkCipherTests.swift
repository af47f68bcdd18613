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
        let fromA = Self.sealed(ping, with: &a.sealer)
        #expect(b.opener.open(fromA).flatMap { try? PeerMessage(frame: $0) } == ping)
        let fromB = Self.sealed(.pong(42), with: &b.sealer)
        #expect(a.opener.open(fromB).flatMap { try? PeerMessage(frame: $0) } == .pong(42))
        // The two directions use different keys: a frame cannot be reflected back to its sender.
        var aAgain = a
        let reflected = Self.sealed(ping, with: &aAgain.sealer)
        var aOpener = a.opener
        #expect(aOpener.open(reflected) == nil)
    }

    @Test("the keys are made before anything else is sent on the link")
    func keysComeFirst() {
        var pair = CorePair()
        pair.a = CorePair.node(1, encryptsLinks: true)
        pair.b = CorePair.node(2, encryptsLinks: true)
        let hellos = (
            a: pair.a.linkOpened(pair.link, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: 1, count: 16), agreementKey: testAgreementKey, now: pair.now),
            b: pair.b.linkOpened(pair.link, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 2, count: 16), agreementKey: testAgreementKey, now: pair.now))
        guard case .send(_, let helloA) = hellos.a.first, case .send(_, let helloB) = hellos.b.first else {
            Issue.record("no HELLO")
            return
        }
        let authA = pair.a.received(peerMessage: helloB, on: pair.link, now: pair.now)
        let authB = pair.b.received(peerMessage: helloA, on: pair.link, now: pair.now)
        guard case .send(_, let messageA) = authA.first, case .send(_, let messageB) = authB.first else {
            Issue.record("no AUTH")
            return
        }
        // b dialed into: its answer to a's AUTH is the first thing it sends sealed.
        let afterAuth = pair.b.received(peerMessage: messageA, on: pair.link, now: pair.now)
        guard case .secureLink = afterAuth.first else {
            Issue.record("the first effect after the AUTH is \(String(describing: afterAuth.first))")
            return
        }
        let dialerAfterAuth = pair.a.received(peerMessage: messageB, on: pair.link, now: pair.now)
        #expect(dialerAfterAuth.first.map { if case .secureLink = $0 { true } else { false } } == true)
        #expect(dialerAfterAuth.contains { if case .send = $0 { true } else { false } }, "the dialer asks to be a neighbour, sealed")
    }

    @Test("an AUTH whose agreement key was swapped in the middle fails")
    func swappedAgreementKey() {
        var pair = CorePair()
        pair.a = CorePair.node(1, encryptsLinks: true)
        pair.b = CorePair.node(2, encryptsLinks: true)
        let helloA = pair.a.linkOpened(pair.link, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: 1, count: 16), agreementKey: testAgreementKey, now: pair.now)
        let helloB = pair.b.linkOpened(pair.link, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 2, count: 16), agreementKey: testAgreementKey, now: pair.now)
        guard case .send(_, let fromA) = helloA.first, case .send(_, let fromB) = helloB.first,
            case .send(_, .auth(var auth)) = pair.a.received(peerMessage: fromB, on: pair.link, now: pair.now).first
        else {
            Issue.record("no handshake")
            return
        }
        _ = pair.b.received(peerMessage: fromA, on: pair.link, now: pair.now)
        auth.agreementKey = Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)  // the attacker's
        #expect(pair.b.received(peerMessage: .auth(auth), on: pair.link, now: pair.now) == [.closeLink(pair.link, .authFailed)])
    }

    @Test("a node that encrypts and one that does not refuse each other at the HELLO")
    func mismatch() {
        var pair = CorePair()
        pair.a = CorePair.node(1, encryptsLinks: true)
        pair.b = CorePair.node(2, encryptsLinks: false)
        let helloA = pair.a.linkOpened(pair.link, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: 1, count: 16), agreementKey: testAgreementKey, now: pair.now)
        let helloB = pair.b.linkOpened(pair.link, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 2, count: 16), agreementKey: testAgreementKey, now: pair.now)
        guard case .send(_, let fromA) = helloA.first, case .send(_, let fromB) = helloB.first else {
            Issue.record("no HELLO")
            return
        }
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
}
