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

    /// A side that accepted link `link` from identity 9, its HELLO in: the AUTH it sends next.
    static func acceptorAwaitingAuth(_ b: inout GossipProtocol, link: LinkID) -> PeerAuth {
        _ = b.linkOpened(link, outbound: false, dialed: nil, remote: nil, nonce: nonceB, agreementKey: testAgreementKey, now: .zero)
        let hello = PeerHello(flags: PeerHello.plaintextFlag, identity: identity(9), listenAddress: address(6009), nonce: nonceA)
        _ = b.received(peerMessage: .hello(hello), on: link, now: .zero)
        return PeerAuth(publicKey: identity(9).bytes, signature: [0])
    }

    @Test("an AUTH while the side that accepted checks the dialer's, or makes its own, closes the link")
    func authWhileAwaiting() {
        var b = CorePair.node(2)
        let auth = Self.acceptorAwaitingAuth(&b, link: Self.link)
        #expect(b.received(peerMessage: .auth(auth), on: Self.link, now: .zero).first?.isHandshakeWork == true)
        var checking = b
        #expect(checking.received(peerMessage: .auth(auth), on: Self.link, now: .zero) == [.closeLink(Self.link, .unexpectedAuth)])
        #expect(b.handshakeWorkDone(.verified(identity(9)), on: Self.link, now: .zero).first?.isHandshakeWork == true)
        #expect(b.received(peerMessage: .auth(auth), on: Self.link, now: .zero) == [.closeLink(Self.link, .unexpectedAuth)])
    }

    @Test("a handshake whose work is still out when its time is up closes, and the late outcome is ignored")
    func timeoutWhileAwaiting() {
        var b = CorePair.node(2)
        let auth = Self.acceptorAwaitingAuth(&b, link: Self.link)
        _ = b.received(peerMessage: .auth(auth), on: Self.link, now: .zero)
        let late = Moment.milliseconds(10_000)
        #expect(b.tick(now: late).contains(.closeLink(Self.link, .handshakeTimeout)))
        #expect(b.handshakeWorkDone(.verified(identity(9)), on: Self.link, now: late).isEmpty)
        #expect(!b.authenticated.contains(Self.link))
    }

    @Test("a dialer whose signature does not check out takes nothing from its identity's signing budget")
    func failedCheckTakesNoBudget() {
        var b = CorePair.node(2)
        for link in (UInt64(100)..<120).map({ LinkID($0) }) {
            let auth = Self.acceptorAwaitingAuth(&b, link: link)
            _ = b.received(peerMessage: .auth(auth), on: link, now: .zero)
            #expect(b.handshakeWorkDone(.verified(nil), on: link, now: .zero) == [.closeLink(link, .authFailed)])
            _ = b.linkClosed(link, now: .zero)
        }
        // The identity's 8 signatures at once are all still there, and then the budget holds.
        for number in UInt64(200)..<209 {
            let link = LinkID(number)
            let auth = Self.acceptorAwaitingAuth(&b, link: link)
            _ = b.received(peerMessage: .auth(auth), on: link, now: .zero)
            let proven = b.handshakeWorkDone(.verified(identity(9)), on: link, now: .zero)
            if number < 208 {
                #expect(proven.first?.isHandshakeWork == true, "signature \(number - 199) of 8")
            } else {
                #expect(proven == [.closeLink(link, .handshakeThrottled)])
            }
            _ = b.linkClosed(link, now: .zero)
        }
    }
}
