import Crypto
import GossipWire
import Testing

@testable import GossipCore

/// A signer for tests: the "public key" is the identity, the "signature" a checksum of the message
/// and the key, so a wrong key or a changed message fails.
struct TestSigner: HandshakeSigner {
    let identity: PeerIdentity
    var publicKey: [UInt8] { identity.bytes }

    static func checksum(_ message: [UInt8], _ key: [UInt8]) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in message + key { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return (0..<8).map { UInt8(truncatingIfNeeded: hash >> ($0 * 8)) }
    }

    func sign(_ message: [UInt8]) -> [UInt8]? { Self.checksum(message, publicKey) }

    func verify(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> PeerIdentity? {
        signature == Self.checksum(message, publicKey) ? PeerIdentity(bytes: publicKey) : nil
    }
}

extension GossipEffect {
    /// Whether this effect asks for handshake work.
    var isHandshakeWork: Bool {
        if case .handshakeWork = self { return true }
        return false
    }
}

/// The X25519 key of every link in the core's tests (links are not sealed there unless a test
/// turns encryption on, and then both ends deriving the same keys is what counts).
let testAgreementKey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x11, count: 32))

/// Two cores joined by one link, with the messages between them carried by hand.
struct CorePair {
    var a: GossipProtocol
    var b: GossipProtocol
    let link: LinkID = 7
    var now = Moment.milliseconds(1)
    /// Effects of each side that were not messages on the link.
    var otherEffects: (a: [GossipEffect], b: [GossipEffect]) = ([], [])

    static func node(
        _ n: UInt8, degree: Int = 3, engine: GossipEngine.Configuration = .init(cacheSize: 16, validationTimeoutNanoseconds: 1000 * ms),
        encryptsLinks: Bool = false
    ) -> GossipProtocol {
        var random = SeededRandom(seed: UInt64(n))
        return GossipProtocol(
            configuration: .init(
                engine: engine,
                overlay: .init(
                    degree: degree, viewCapacity: 16, maximumLinks: 8, gossipIntervalNanoseconds: 1000 * ms,
                    antiEntropyIntervalNanoseconds: 1000 * ms, pingIntervalNanoseconds: 500 * ms,
                    peerTimeoutNanoseconds: 2000 * ms),
                digestSize: 8, encryptsLinks: encryptsLinks),
            signer: TestSigner(identity: identity(n)), selfAddress: address(6000 + UInt16(n)), bootstrappers: [],
            random: &random, fixedItemIDs: true)
    }

    init() {
        a = Self.node(1)
        b = Self.node(2)
    }

    /// Opens the link (a dialed b) and carries messages until both sides are quiet.
    mutating func connect() {
        let fromA = a.linkOpened(link, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: 1, count: 16), agreementKey: testAgreementKey, now: now)
        let fromB = b.linkOpened(link, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 2, count: 16), agreementKey: testAgreementKey, now: now)
        carry(fromA: fromA, fromB: fromB)
    }

    /// Delivers every `.send` on the link to the other side, and theirs back, until none is left.
    mutating func carry(fromA: [GossipEffect], fromB: [GossipEffect]) {
        var fromA = fromA, fromB = fromB
        while !fromA.isEmpty || !fromB.isEmpty {
            var nextA: [GossipEffect] = [], nextB: [GossipEffect] = []
            for effect in fromA {
                if case .send(let links, let message) = effect, links.contains(link) {
                    nextB += b.doingHandshakeWork(b.received(peerMessage: message, on: link, now: now), now: now)
                } else {
                    otherEffects.a.append(effect)
                }
            }
            for effect in fromB {
                if case .send(let links, let message) = effect, links.contains(link) {
                    nextA += a.doingHandshakeWork(a.received(peerMessage: message, on: link, now: now), now: now)
                } else {
                    otherEffects.b.append(effect)
                }
            }
            fromA = nextA
            fromB = nextB
        }
    }
}

func notifications(in effects: [GossipEffect]) -> [(ConnectionID, GossipNotification)] {
    effects.flatMap { effect -> [(ConnectionID, GossipNotification)] in
        guard case .notify(let subscribers, let notification, _) = effect else { return [] }
        return subscribers.map { ($0, notification) }
    }
}

func itemSends(in effects: [GossipEffect]) -> [LinkID] {
    effects.flatMap { effect -> [LinkID] in
        guard case .send(let links, .item) = effect else { return [] }
        return links
    }
}

@Suite("Protocol core")
struct GossipProtocolTests {
    @Test("the handshake through the core: HELLO and AUTH each way establish the link on both sides")
    func handshake() {
        var pair = CorePair()
        pair.connect()
        #expect(pair.a.overlay.activeLinks == [pair.link])
        #expect(pair.b.overlay.activeLinks == [pair.link])
        #expect(pair.a.overlay.identity(of: pair.link) == identity(2))
        #expect(pair.b.overlay.identity(of: pair.link) == identity(1))
        #expect(!pair.otherEffects.a.contains { if case .closeLink = $0 { true } else { false } })
    }

    @Test("a leaving node tells its neighbour, which closes the link, forgets it and repairs at once; the leaver then rests")
    func leave() {
        var pair = CorePair()
        pair.connect()
        let effects = pair.a.leave(now: pair.now)
        #expect(effects.contains(.send([pair.link], .membership(PeerMembership(kind: .leave, entry: PeerEntry(identity: identity(1), address: address(6001)))))))
        #expect(effects.contains(.closeLink(pair.link, .leaving)))
        #expect(!effects.contains { if case .dial = $0 { true } else { false } }, "no repair on the way out")
        #expect(pair.a.tick(now: pair.now.adding(nanoseconds: 5000 * ms)).isEmpty)
        let answer = pair.b.received(
            peerMessage: .membership(PeerMembership(kind: .leave, entry: PeerEntry(identity: identity(1), address: address(6001)))),
            on: pair.link, now: pair.now)
        #expect(answer.contains(.closeLink(pair.link, .peerLeft)))
        #expect(!pair.b.overlay.view.contains(identity(1)), "not a peer to dial or hand on")
        #expect(pair.b.overlay.activeLinks.isEmpty)
    }

    @Test("an AUTH that does not prove the HELLO's identity closes the link")
    func forgedAuth() {
        var a = CorePair.node(1)
        _ = a.linkOpened(3, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 1, count: 16), agreementKey: testAgreementKey, now: .zero)
        _ = a.received(
            peerMessage: .hello(PeerHello(flags: PeerHello.plaintextFlag, identity: identity(9), listenAddress: address(9))), on: 3, now: .zero)
        let forged = PeerAuth(publicKey: identity(8).bytes, signature: Array(repeating: 0, count: 8))
        #expect(a.doingHandshakeWork(a.received(peerMessage: .auth(forged), on: 3, now: .zero), now: .zero) == [.closeLink(3, .authFailed)])
        #expect(a.overlay.activeLinks.isEmpty)
    }

    @Test("the accepting side signs nothing for a HELLO: its AUTH follows the dialer's, once that checked out, and proves it")
    func acceptorSignsLast() throws {
        var a = CorePair.node(1)
        let nonce = [UInt8](repeating: 1, count: 16)
        _ = a.linkOpened(3, outbound: false, dialed: nil, remote: nil, nonce: nonce, agreementKey: testAgreementKey, now: .zero)
        let hello = PeerHello(flags: PeerHello.plaintextFlag, identity: identity(9), listenAddress: address(9), nonce: [UInt8](repeating: 9, count: 16))
        let afterHello = a.received(peerMessage: .hello(hello), on: 3, now: .zero)
        #expect(!afterHello.contains { if case .send(_, .auth) = $0 { true } else { false } }, "a HELLO costs its sender nothing: no signature for it")
        let key = [UInt8](repeating: 9, count: 32)
        let signed = PeerAuth.signedBytes(
            receiverNonce: nonce, senderNonce: hello.nonce, senderIdentity: identity(9), receiverIdentity: identity(1), senderAgreementKey: key)
        let auth = PeerAuth(publicKey: identity(9).bytes, signature: try #require(TestSigner(identity: identity(9)).sign(signed)), agreementKey: key)
        let afterAuth = a.doingHandshakeWork(a.received(peerMessage: .auth(auth), on: 3, now: .zero), now: .zero)
        guard case .send([3], .auth(let ours)) = afterAuth.first else {
            Issue.record("the acceptor's AUTH comes first among the effects of the dialer's: \(afterAuth)")
            return
        }
        let oursSigned = PeerAuth.signedBytes(
            receiverNonce: hello.nonce, senderNonce: nonce, senderIdentity: identity(1), receiverIdentity: identity(9),
            senderAgreementKey: ours.agreementKey)
        #expect(TestSigner(identity: identity(1)).verify(signature: ours.signature, of: oursSigned, publicKey: ours.publicKey) == identity(1))
        #expect(!afterAuth.contains { if case .closeLink = $0 { true } else { false } })
    }

    @Test("anything but HELLO and AUTH before the handshake closes the link; after close, nothing is handled")
    func beforeHandshake() {
        var a = CorePair.node(1)
        _ = a.linkOpened(3, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 1, count: 16), agreementKey: testAgreementKey, now: .zero)
        let item = GossipItem.bound(salt: UInt32(1), ttl: 0, dataType: 5, data: [1])
        #expect(a.received(peerMessage: .item(item), on: 3, now: .zero) == [.closeLink(3, .helloMissing)])
        #expect(a.screenItem(item, on: 3, now: .zero) == [.closeLink(3, .helloMissing)], "never queued behind a later AUTH")
        _ = a.linkClosed(3, now: .zero)
        #expect(a.received(peerMessage: .ping(1), on: 3, now: .zero).isEmpty)
        #expect(a.screenItem(item, on: 3, now: .zero) == [], "a closed link's frames are ignored")
    }

    @Test("an announcement is notified to the other local subscribers and pushed to the peer")
    func announce() {
        var pair = CorePair()
        pair.connect()
        _ = pair.a.received(apiMessage: .notify(GossipNotify(dataType: 5)), from: 1, now: pair.now)
        let effects = pair.a.received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 5, data: [9])), from: 2, now: pair.now)
        #expect(notifications(in: effects).map(\.0) == [1], "the announcer itself is not notified")
        #expect(itemSends(in: effects) == [pair.link])
        #expect(effects.contains(.count(.announcesReceived, 1)))
        // A pending validation needs a wake-up by its deadline: asked for now, or one no later
        // asked for already (the runtime keeps the earliest).
        let wakes = (effects + pair.otherEffects.a).compactMap { if case .wake(let at) = $0 { at } else { nil } }
        #expect(wakes.contains { $0 <= pair.now.adding(nanoseconds: 1000 * ms) }, "a pending validation has a wake-up by its deadline")
    }

    @Test("a peer item travels on only after every local subscriber said valid, never back to its sender")
    func validationGate() {
        var pair = CorePair()
        pair.connect()
        // b gets a second established peer so forwarding has somewhere to go.
        let other: LinkID = 8
        func messages(_ effects: [GossipEffect]) -> [PeerMessage] {
            effects.compactMap { if case .send(_, let message) = $0 { message } else { nil } }
        }
        var c = CorePair.node(3)
        var toC = messages(pair.b.linkOpened(other, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: 3, count: 16), agreementKey: testAgreementKey, now: pair.now))
        var toB = messages(c.linkOpened(other, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: 4, count: 16), agreementKey: testAgreementKey, now: pair.now))
        while !toB.isEmpty || !toC.isEmpty {
            let nextC = toB.flatMap { messages(pair.b.doingHandshakeWork(pair.b.received(peerMessage: $0, on: other, now: pair.now), now: pair.now)) }
            toB = toC.flatMap { messages(c.doingHandshakeWork(c.received(peerMessage: $0, on: other, now: pair.now), now: pair.now)) }
            toC = nextC
        }
        #expect(pair.b.overlay.activeLinks.count == 2)

        _ = pair.b.received(apiMessage: .notify(GossipNotify(dataType: 5)), from: 1, now: pair.now)
        let item = GossipItem.bound(salt: UInt32(4), ttl: 0, dataType: 5, data: [7])
        let arrival = pair.b.received(peerMessage: .item(item), on: pair.link, now: pair.now)
        let notified = notifications(in: arrival)
        #expect(notified.count == 1 && notified[0].0 == 1)
        #expect(itemSends(in: arrival).isEmpty, "nothing travels before the verdict")
        let copy = pair.b.screenItem(item, on: pair.link, now: pair.now)
        #expect(copy?.starts(with: [.count(.peerItemsReceived, 1), .count(.peerDuplicates, 1)]) == true, "a second copy is dropped at once")
        let verdict = pair.b.received(
            apiMessage: .validation(GossipValidation(messageID: notified[0].1.messageID, isValid: true)), from: 1, now: pair.now)
        #expect(itemSends(in: verdict) == [other], "forwarded, but not back to the sender")

        let second = GossipItem.bound(salt: UInt32(4), ttl: 0, dataType: 5, data: [8])
        let secondArrival = pair.b.received(peerMessage: .item(second), on: pair.link, now: pair.now)
        let rejected = pair.b.received(
            apiMessage: .validation(GossipValidation(messageID: notifications(in: secondArrival)[0].1.messageID, isValid: false)),
            from: 1, now: pair.now)
        #expect(itemSends(in: rejected).isEmpty)
        #expect(rejected.contains(.count(.itemsDroppedInvalid, 1)))
    }

    @Test("tick always names its next wake-up, no later than a pending validation's deadline")
    func wakeUps() {
        var pair = CorePair()
        pair.connect()
        let quiet = pair.a.tick(now: pair.now)
        guard case .wake(let first) = quiet.last else {
            Issue.record("tick did not end with a wake-up")
            return
        }
        #expect(first > pair.now)
        _ = pair.a.received(apiMessage: .notify(GossipNotify(dataType: 5)), from: 1, now: pair.now)
        let item = GossipItem.bound(salt: UInt32(5), ttl: 0, dataType: 5, data: [1])
        _ = pair.a.received(peerMessage: .item(item), on: pair.link, now: pair.now)
        let deadline = pair.now.adding(nanoseconds: 1000 * ms)
        guard case .wake(let next) = pair.a.tick(now: pair.now).last else {
            Issue.record("tick did not end with a wake-up")
            return
        }
        #expect(next <= deadline)
        let expired = pair.a.tick(now: deadline)
        #expect(expired.contains(.count(.validationsTimedOut, 1)))
        #expect(itemSends(in: expired).isEmpty, "an item nobody judged does not travel")
    }

    @Test("peers handed over or a neighbour lost bring the dialing tick forward, not to the next round")
    func wakeForDials() {
        func wake(_ effects: [GossipEffect]) -> Moment? {
            effects.compactMap { if case .wake(let at) = $0 { at } else { nil } }.min()
        }
        let stranger = PeerPush(listenAddress: address(6002), entries: [PeerEntry(identity: identity(20), address: address(20))])
        // One link, degree 3: a PUSH with a stranger gives the node someone to dial.
        var pair = CorePair()
        pair.connect()
        _ = pair.a.tick(now: pair.now)  // the next wake-up asked for is now a round away
        let soon = pair.now.adding(nanoseconds: 100 * ms)  // the tick interval
        let pushed = pair.a.received(peerMessage: .push(stranger), on: pair.link, now: pair.now)
        #expect(wake(pushed).map { $0 <= soon } == true, "a tick within the tick interval, to dial the stranger")
        #expect(pair.a.tick(now: soon).contains { if case .dial(let target) = $0 { target.port == 20 } else { false } })

        // Degree 1, at degree, a stranger known: nothing to dial until the neighbour goes.
        var full = CorePair()
        full.a = CorePair.node(1, degree: 1)
        full.connect()
        _ = full.a.received(peerMessage: .push(stranger), on: full.link, now: full.now)
        let quiet = full.a.tick(now: full.now)
        #expect(!quiet.contains { if case .dial = $0 { true } else { false } })
        #expect(wake(quiet).map { $0 > full.now.adding(nanoseconds: 100 * ms) } == true, "nothing due soon")
        let lost = full.a.linkClosed(full.link, now: full.now)
        #expect(wake(lost).map { $0 <= full.now.adding(nanoseconds: 100 * ms) } == true, "a tick soon, to replace the neighbour")
    }

    @Test("a digest is answered with a request for what is missing, and a request with the cached items, once each")
    func antiEntropy() {
        var pair = CorePair()
        pair.connect()
        let announced = pair.a.received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 6, data: [1])), from: 2, now: pair.now)
        guard case .send(_, .item(let item)) = announced.first(where: { if case .send = $0 { true } else { false } }) else {
            Issue.record("the announcement was not sent")
            return
        }
        let missing = GossipItem.bound(salt: 99, ttl: 0, dataType: 6, data: [9]).id
        let request = pair.b.received(peerMessage: .digest([item.id, missing]), on: pair.link, now: pair.now)
        #expect(request.contains(.send([pair.link], .request([item.id, missing]))))
        let answer = pair.a.received(peerMessage: .request([item.id, missing]), on: pair.link, now: pair.now)
        #expect(answer == [.send([pair.link], .item(item))])
    }

    @Test("an item queued from a link that closed before the handler got to it is still handled")
    func queuedItemOutlivesItsLink() {
        var pair = CorePair()
        pair.connect()
        _ = pair.b.received(apiMessage: .notify(GossipNotify(dataType: 5)), from: 1, now: pair.now)
        let item = GossipItem.bound(salt: UInt32(6), ttl: 0, dataType: 5, data: [6])
        #expect(pair.b.screenItem(item, on: pair.link, now: pair.now) == nil, "new: goes to the queue")
        _ = pair.b.linkClosed(pair.link, now: pair.now)
        let handled = pair.b.receivedScreenedItem(item, on: pair.link, now: pair.now)
        #expect(notifications(in: handled).count == 1)
        #expect(handled.contains(.count(.peerItemsReceived, 1)))
    }

    @Test("a tick handed a moment older than a link's last frame does not take the link for dead")
    func momentsOutOfOrder() {
        var pair = CorePair()
        pair.now = .milliseconds(10_000)
        pair.connect()
        _ = pair.a.received(peerMessage: .ping(1), on: pair.link, now: Moment(nanoseconds: 10_000_000_001))
        let effects = pair.a.tick(now: .milliseconds(10_000))
        #expect(!effects.contains { if case .closeLink = $0 { true } else { false } })
    }

    @Test("a junk copy under a real item's ID closes the link it came on, is not recorded as seen, and the real item is still taken")
    func junkCopyRejected() {
        var pair = CorePair()
        pair.connect()
        let real = GossipItem.bound(salt: 5, ttl: 0, dataType: 5, data: [1, 2, 3])
        let junk = GossipItem(id: real.id, ttl: 0, dataType: 5, data: [6, 6, 6])
        let effects = pair.b.received(peerMessage: .item(junk), on: pair.link, now: pair.now)
        #expect(effects.contains(.closeLink(pair.link, .itemIDMismatch)))
        #expect(!pair.b.engine.knows(real.id), "the forged copy left no trace in the seen set")
        #expect(pair.b.engine.receive(real, fromPeer: 9, now: pair.now) == .relayed(forward: real))
    }

    @Test("an item replayed after the seen set forgot it is recognised by the age in its ID")
    func replayAfterSeenSetForgot() {
        var engine = GossipEngine(
            configuration: .init(cacheSize: 1, validationTimeoutNanoseconds: 100 * ms, seenCapacity: 100, seenTTLNanoseconds: 2_000 * ms),
            random: SeededRandom(seed: 3))
        let item = GossipItem.bound(salt: 1, ttl: 0, dataType: 3, data: [1])
        #expect(engine.receive(item, fromPeer: 1, now: .zero) == .relayed(forward: item))
        let other = GossipItem.bound(salt: 2, ttl: 0, dataType: 3, data: [2])
        #expect(engine.receive(other, fromPeer: 1, now: .zero) == .relayed(forward: other))  // pushes the first out of the cache
        let later = Moment(nanoseconds: 5_000 * ms)
        _ = engine.expire(now: later)
        #expect(!engine.knows(item.id), "forgotten: neither seen nor cached")
        #expect(engine.receive(item, fromPeer: 2, now: later) == .stale, "but announced 5 s ago, past the 2 s it would be remembered")
        let fresh = GossipItem.bound(stamp: 1_800_000_005, salt: 3, ttl: 0, dataType: 3, data: [3])
        #expect(engine.receive(fresh, fromPeer: 2, now: later) == .relayed(forward: fresh))
        let future = GossipItem.bound(stamp: 1_800_000_100, salt: 4, ttl: 0, dataType: 3, data: [4])
        #expect(engine.receive(future, fromPeer: 2, now: later) == .stale, "over a minute ahead of our clock")
        // With a TTL of 2 minutes or less, half of it stands in for the minute ahead: an ID first
        // seen 30 s before its stamp would leave the set 28 s before the stamp, and the item would
        // still be fresh for a second after that.
        let ahead = GossipItem.bound(stamp: 1_800_000_035, salt: 5, ttl: 0, dataType: 3, data: [5])
        #expect(engine.receive(ahead, fromPeer: 2, now: later) == .stale, "30 s ahead, with a 2 s TTL")
        let justAhead = GossipItem.bound(stamp: 1_800_000_006, salt: 6, ttl: 0, dataType: 3, data: [6])
        #expect(engine.receive(justAhead, fromPeer: 2, now: later) == .relayed(forward: justAhead), "1 s ahead: half the TTL")
    }
}

@Suite("Reconfiguring a running core")
struct ReconfigureTests {
    @Test("the overlay's, the tree's and the engine's settings change; the seen set stays")
    func reconfigure() {
        var pair = CorePair()
        pair.connect()
        var next = pair.a.configuration
        next.overlay.degree = 7
        next.overlay.viewCapacity = 999
        next.overlay.pingIntervalNanoseconds = 123 * ms
        next.broadcast.graftTimeoutNanoseconds = 77 * ms
        next.engine.cacheSize = 1
        next.engine.validationTimeoutNanoseconds = 300 * ms
        next.engine.seenCapacity = 5
        next.digestSize = 3
        pair.a.reconfigure(next)
        #expect(pair.a.configuration.overlay.degree == 7 && pair.a.overlay.configuration.degree == 7)
        #expect(pair.a.overlay.configuration.pingIntervalNanoseconds == 123 * ms)
        #expect(pair.a.broadcast.configuration.graftTimeoutNanoseconds == 77 * ms)
        #expect(pair.a.configuration.digestSize == 3)
        #expect(pair.a.overlay.configuration.viewCapacity == 999 && pair.a.overlay.view.capacity == 999)
        #expect(pair.a.engine.configuration.cacheSize == 1 && pair.a.configuration.engine.cacheSize == 1)
        #expect(pair.a.engine.cache.capacity == 1 && pair.a.engine.validations.timeoutNanoseconds == 300 * ms)
        #expect(pair.a.engine.seen.capacity == 65_536 && pair.a.configuration.engine.seenCapacity == 65_536, "the seen set keeps its size")
        #expect(pair.a.overlay.activeLinks == [pair.link], "links stay")
    }

    @Test("a smaller view drops known peers at once, never a linked one")
    func viewSize() {
        var pair = CorePair()
        pair.connect()
        pair.a.rememberPeers((10...19).map { PeerEntry(identity: identity($0), address: address(7000 + UInt16($0))) })
        #expect(pair.a.overlay.view.count == 11, "b and ten more")
        var next = pair.a.configuration
        next.overlay.viewCapacity = 3
        pair.a.reconfigure(next)
        #expect(pair.a.overlay.view.count == 3 && pair.a.overlay.view[identity(2)] != nil, "b, the linked peer, stays")
        next.overlay.viewCapacity = 1
        pair.a.reconfigure(next)
        #expect(pair.a.overlay.view.all.map(\.identity) == [identity(2)])
        #expect(pair.a.overlay.activeLinks == [pair.link])
    }

    @Test("the cache grows and shrinks with cache_size: the oldest items go at once, later ones keep to the new bound")
    func cacheSize() {
        var pair = CorePair()
        pair.connect()
        func announce(_ n: UInt8) -> ItemID? {
            _ = pair.a.received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 5, data: [n])), from: 2, now: pair.now)
            return pair.a.engine.cache.idsOldestFirst.last
        }
        let first = (1...16).compactMap { announce(UInt8($0)) }
        #expect(first.count == 16 && pair.a.engine.cache.count == 16)
        var next = pair.a.configuration
        next.engine.cacheSize = 20
        pair.a.reconfigure(next)
        let more = (17...20).compactMap { announce(UInt8($0)) }
        #expect(pair.a.engine.cache.count == 20 && pair.a.engine.cache.idsOldestFirst == first + more, "grown: nothing evicted")
        next.engine.cacheSize = 3
        pair.a.reconfigure(next)
        #expect(pair.a.engine.cache.idsOldestFirst == Array(more.suffix(3)), "shrunk: the newest 3 stay")
        #expect(pair.a.engine.digest(limit: 8) == Array(more.suffix(3)), "digests offer what is left")
        let last = announce(21)
        #expect(pair.a.engine.cache.count == 3 && pair.a.engine.cache.idsOldestFirst.last == last)
    }
}
