import GossipCore
import GossipWire
import Testing

@testable import GossipCore

@Suite("Signatures for dialers")
struct HandshakeBudgetTests {
    enum Outcome: Equatable { case signed, throttled, other }

    /// Node `n` dials `victim` on a fresh link from `remote`; the handshake is carried by hand
    /// until the victim sends its AUTH (it signed) or closes the link. The link is then closed,
    /// so the victim's link limits never come into it.
    static func dial(_ victim: inout GossipProtocol, from n: UInt8, remote: PeerAddress?, link: LinkID, now: Moment) -> Outcome {
        var dialer = CorePair.node(n)
        var toVictim = dialer.linkOpened(
            link, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: n, count: 16), agreementKey: testAgreementKey, now: now)
        var toDialer = victim.linkOpened(
            link, outbound: false, dialed: nil, remote: remote, nonce: Array(repeating: 2, count: 16), agreementKey: testAgreementKey, now: now)
        var outcome = Outcome.other
        while !toVictim.isEmpty || !toDialer.isEmpty {
            var next: [GossipEffect] = []
            for case .send(_, let message) in toDialer { next += dialer.doingHandshakeWork(dialer.received(peerMessage: message, on: link, now: now), now: now) }
            toDialer = []
            for case .send(_, let message) in toVictim {
                let effects = victim.doingHandshakeWork(victim.received(peerMessage: message, on: link, now: now), now: now)
                if effects.contains(.closeLink(link, .handshakeThrottled)) { outcome = .throttled }
                if effects.contains(where: { if case .send(_, .auth) = $0 { true } else { false } }) { outcome = .signed }
                toDialer += effects.filter { if case .send = $0 { true } else { false } }
            }
            toVictim = next.filter { if case .send = $0 { true } else { false } }
            if outcome != .other { break }
        }
        _ = victim.linkClosed(link, now: now)
        return outcome
    }

    @Test("one identity gets 8 signatures at once, then one every 4 s; another identity on loopback is not held back")
    func perIdentity() {
        var victim = CorePair.node(2, degree: 3)
        var now = Moment.milliseconds(1)
        var link: UInt64 = 100
        func next() -> LinkID { link += 1; return LinkID(link) }
        let burst = (0..<20).map { _ in Self.dial(&victim, from: 5, remote: address(7000), link: next(), now: now) }
        #expect(burst.filter { $0 == .signed }.count == 8, "\(burst)")
        #expect(burst.filter { $0 == .throttled }.count == 12, "\(burst)")
        now = now.adding(nanoseconds: 4000 * ms)
        #expect(Self.dial(&victim, from: 5, remote: address(7000), link: next(), now: now) == .signed)
        #expect(Self.dial(&victim, from: 5, remote: address(7000), link: next(), now: now) == .throttled)
    }

    @Test("one host other than loopback gets 32 signatures at once, whatever the identities; another host is not held back")
    func perHost() {
        var victim = CorePair.node(2, degree: 3)
        let now = Moment.milliseconds(1)
        let host = PeerAddress(host: "192.0.2.1", port: 7000)!
        var outcomes: [Outcome] = []
        for n in 10..<50 { outcomes.append(Self.dial(&victim, from: UInt8(n), remote: host, link: LinkID(UInt64(n)), now: now)) }
        #expect(outcomes.prefix(32).allSatisfy { $0 == .signed }, "\(outcomes)")
        #expect(outcomes.dropFirst(32).allSatisfy { $0 == .throttled }, "\(outcomes)")
        let other = PeerAddress(host: "192.0.2.2", port: 7000)!
        #expect(Self.dial(&victim, from: 60, remote: other, link: 60, now: now) == .signed)
    }

    @Test("loopback has no host budget: 40 identities from 127.0.0.1 at once all get a signature")
    func loopbackExempt() {
        var victim = CorePair.node(2, degree: 3)
        let outcomes = (10..<50).map { Self.dial(&victim, from: UInt8($0), remote: address(7000), link: LinkID(UInt64($0)), now: .milliseconds(1)) }
        #expect(outcomes.allSatisfy { $0 == .signed }, "\(outcomes)")
    }

    @Test("a refusal for the host's budget takes nothing from the identity's, and the other way round")
    func hostRefusalSparesIdentity() {
        var budget = HandshakeBudget()
        let now = Moment.milliseconds(1)
        let host = PeerAddress(host: "192.0.2.1", port: 1)!, otherHost = PeerAddress(host: "192.0.2.2", port: 1)!
        for n in 10..<42 {
            let taken = budget.take(for: identity(UInt8(n)), from: host, now: now)
            #expect(taken)
        }
        for _ in 0..<20 {
            let taken = budget.take(for: identity(5), from: host, now: now)
            #expect(!taken, "the host's 32 are spent")
        }
        let fromElsewhere = (0..<8).map { _ in budget.take(for: identity(5), from: otherHost, now: now) }
        #expect(fromElsewhere.allSatisfy { $0 }, "identity 5 still has its 8: \(fromElsewhere)")
        // And the other way: refusals for identity 5's budget take nothing from the host's.
        for _ in 0..<20 {
            let taken = budget.take(for: identity(5), from: otherHost, now: now)
            #expect(!taken, "identity 5's 8 are spent")
        }
        let others = (50..<74).map { budget.take(for: identity(UInt8($0)), from: otherHost, now: now) }
        #expect(others.allSatisfy { $0 }, "the host still has 24 of its 32: \(others)")
    }

    @Test("the budget's memory is bounded however many identities dial")
    func bounded() {
        var budget = HandshakeBudget()
        let now = Moment.milliseconds(1)
        for n in 0..<10_000 {
            var bytes = [UInt8](repeating: 0, count: 32)
            bytes[0] = UInt8(n & 0xFF)
            bytes[1] = UInt8(n >> 8)
            bytes[2] = 1
            let taken = budget.take(for: PeerIdentity(bytes: bytes)!, from: PeerAddress(host: "10.0.\(n >> 8).\(n & 0xFF)", port: 1), now: now)
            #expect(taken)
        }
        #expect(budget.counts.identities <= HandshakeBudget.maximumEntries)
        #expect(budget.counts.hosts <= HandshakeBudget.maximumEntries)
    }
}
