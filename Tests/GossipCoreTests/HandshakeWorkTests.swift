import GossipWire
import Testing

@testable import GossipCore

@Suite("Handshake work asked of the driver")
struct HandshakeWorkFlowTests {
    static let link: LinkID = 7
    static let nonceA = [UInt8](repeating: 1, count: 16)
    static let nonceB = [UInt8](repeating: 2, count: 16)

    /// a dialed b; both have said HELLO, and each HELLO has reached the other.
    static func hellosExchanged() -> (a: GossipProtocol, b: GossipProtocol, askedOfA: [GossipEffect], askedOfB: [GossipEffect])? {
        var a = CorePair.node(1), b = CorePair.node(2)
        let fromA = a.linkOpened(link, outbound: true, dialed: nil, remote: nil, nonce: nonceA, agreementKey: testAgreementKey, now: .zero)
        let fromB = b.linkOpened(link, outbound: false, dialed: nil, remote: nil, nonce: nonceB, agreementKey: testAgreementKey, now: .zero)
        guard case .send(_, let helloA) = fromA.first, case .send(_, let helloB) = fromB.first else { return nil }
        let askedOfA = a.received(peerMessage: helloB, on: link, now: .zero)
        let askedOfB = b.received(peerMessage: helloA, on: link, now: .zero)
        return (a, b, askedOfA, askedOfB)
    }

    @Test("the dialer asks for its signature on the peer's HELLO and sends its AUTH only once it is made")
    func dialerAsksToSign() throws {
        let start = try #require(Self.hellosExchanged())
        var a = start.a
        let signed = PeerAuth.signedBytes(
            receiverNonce: Self.nonceB, senderNonce: Self.nonceA, senderIdentity: identity(1), receiverIdentity: identity(2),
            senderAgreementKey: Array(testAgreementKey.publicKey.rawRepresentation))
        #expect(start.askedOfA == [.handshakeWork(Self.link, .sign(signed))], "nothing but the work: no AUTH yet")
        #expect(start.askedOfB.isEmpty, "the side that accepted asks for nothing on a HELLO")

        // While the signature is being made, a second HELLO or an early AUTH closes the link.
        var again = a
        #expect(again.received(peerMessage: .hello(PeerHello(identity: identity(2), listenAddress: address(6002))), on: Self.link, now: .zero)
            == [.closeLink(Self.link, .unexpectedHello)])
        again = a
        #expect(again.received(peerMessage: .auth(PeerAuth(publicKey: identity(2).bytes, signature: [1])), on: Self.link, now: .zero)
            == [.closeLink(Self.link, .unexpectedAuth)])
        // An outcome of the wrong kind is not what the handshake waits for.
        again = a
        #expect(again.handshakeWorkDone(.verified(identity(2)), on: Self.link, now: .zero).isEmpty)
        #expect(again.handshakeWorkDone(.signed(nil), on: Self.link, now: .zero) == [.closeLink(Self.link, .authFailed)], "a key that cannot sign fails the handshake")

        let signature = try #require(TestSigner(identity: identity(1)).sign(signed))
        let done = a.handshakeWorkDone(.signed(signature), on: Self.link, now: .zero)
        #expect(done == [.send([Self.link], .auth(PeerAuth(
            publicKey: identity(1).bytes, signature: signature, agreementKey: Array(testAgreementKey.publicKey.rawRepresentation))))])
        #expect(a.handshakeWorkDone(.signed(signature), on: Self.link, now: .zero).isEmpty, "done once: a second outcome is ignored")
    }

    @Test("the side that accepted asks to check the dialer's signature, then, within its budget, for its own; the link is the overlay's only after both")
    func acceptorChecksThenSigns() throws {
        let start = try #require(Self.hellosExchanged())
        var a = start.a, b = start.b
        guard case .handshakeWork(_, let work) = start.askedOfA.first else {
            Issue.record("the dialer asked for no signature")
            return
        }
        guard case .send(_, .auth(let authA)) = a.handshakeWorkDone(work.perform(with: a.signer), on: Self.link, now: .zero).first else {
            Issue.record("no AUTH from the dialer")
            return
        }
        let check = b.received(peerMessage: .auth(authA), on: Self.link, now: .zero)
        guard check.count == 1, case .handshakeWork(Self.link, .verify(let signature, let message, let publicKey)) = check[0] else {
            Issue.record("the acceptor asks to check the dialer's signature, and does nothing else: \(check)")
            return
        }
        #expect(signature == authA.signature && publicKey == authA.publicKey)
        #expect(b.overlay.activeLinks.isEmpty && !b.authenticated.contains(Self.link))

        // A check that proves another identity, or none, fails the handshake.
        var other = b
        #expect(other.handshakeWorkDone(.verified(identity(9)), on: Self.link, now: .zero) == [.closeLink(Self.link, .authFailed)])
        other = b
        #expect(other.handshakeWorkDone(.verified(nil), on: Self.link, now: .zero) == [.closeLink(Self.link, .authFailed)])

        let proven = b.handshakeWorkDone(.verified(TestSigner(identity: identity(2)).verify(signature: signature, of: message, publicKey: publicKey)), on: Self.link, now: .zero)
        guard proven.count == 1, case .handshakeWork(Self.link, .sign(let toSign)) = proven[0] else {
            Issue.record("once the dialer is proven, the acceptor asks for its own signature: \(proven)")
            return
        }
        #expect(!b.authenticated.contains(Self.link), "not through before our AUTH is out")
        let closed = b
        var gone = closed
        _ = gone.linkClosed(Self.link, now: .zero)
        #expect(gone.handshakeWorkDone(.signed([1]), on: Self.link, now: .zero).isEmpty, "an outcome for a link closed meanwhile is ignored")

        let finished = b.handshakeWorkDone(.signed(TestSigner(identity: identity(2)).sign(toSign)), on: Self.link, now: .zero)
        guard case .send([Self.link], .auth(let authB)) = finished.first else {
            Issue.record("the acceptor's AUTH comes first: \(finished)")
            return
        }
        #expect(b.authenticated.contains(Self.link))
        let last = a.received(peerMessage: .auth(authB), on: Self.link, now: .zero)
        guard last.count == 1, case .handshakeWork(Self.link, let check2) = last[0] else {
            Issue.record("the dialer asks to check the acceptor's signature: \(last)")
            return
        }
        _ = a.handshakeWorkDone(check2.perform(with: a.signer), on: Self.link, now: .zero)
        #expect(a.authenticated.contains(Self.link))
    }

    @Test("doing the work at once gives what the handshake did before it asked drivers for it")
    func doneAtOnce() {
        var pair = CorePair()
        pair.connect()
        #expect(pair.a.overlay.activeLinks == [pair.link] && pair.b.overlay.activeLinks == [pair.link])
        let undone = (pair.otherEffects.a + pair.otherEffects.b).filter(\.isHandshakeWork)
        #expect(undone.isEmpty, "no work left undone")
    }
}
