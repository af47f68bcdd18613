import GossipWire
import Testing

@testable import GossipCore

func identity(_ n: UInt8) -> PeerIdentity { PeerIdentity(bytes: [UInt8](repeating: n, count: 32))! }
func address(_ port: UInt16) -> PeerAddress { PeerAddress(host: "127.0.0.1", port: port)! }
let ms: UInt64 = 1_000_000

@Suite("Peer view")
struct PeerViewTests {
    @Test("merging never grows the view past its capacity and never evicts protected peers")
    func mergeBounds() {
        var random = SeededRandom(seed: 1)
        var view = PeerView(capacity: 8, selfIdentity: identity(0))
        let protected: Set<PeerIdentity> = [identity(1), identity(2)]
        view.merge([PeerEntry(identity: identity(1), address: address(1)), PeerEntry(identity: identity(2), address: address(2))], protecting: [], using: &random)
        for round in 0..<10 {
            let flood = (0..<50).map { n in PeerEntry(identity: identity(UInt8(3 + (round * 50 + n) % 250)), address: address(UInt16(100 + n))) }
            view.merge(flood, protecting: protected, using: &random)
            #expect(view.count == 8)
            #expect(view[identity(1)] != nil && view[identity(2)] != nil)
        }
    }

    @Test("merging skips ourselves and undialable addresses, and refreshes a known peer's address")
    func mergeFilters() {
        var random = SeededRandom(seed: 2)
        var view = PeerView(capacity: 8, selfIdentity: identity(0))
        view.merge(
            [
                PeerEntry(identity: identity(0), address: address(1)),
                PeerEntry(identity: identity(1), address: PeerAddress(host: "0.0.0.0", port: 5)!),
                PeerEntry(identity: identity(2), address: address(0)),
                PeerEntry(identity: identity(3), address: address(3)),
            ], protecting: [], using: &random)
        #expect(view.count == 1)
        view.merge([PeerEntry(identity: identity(3), address: address(33))], protecting: [], using: &random)
        #expect(view[identity(3)]?.address == address(33))
        #expect(view.count == 1)
    }

    @Test("a peer leaves the view after the limit of failed dials in a row; a success resets the count")
    func dialFailures() {
        var random = SeededRandom(seed: 3)
        var view = PeerView(capacity: 8, selfIdentity: identity(0))
        view.merge([PeerEntry(identity: identity(1), address: address(1))], protecting: [], using: &random)
        let result1 = view.recordFailure(identity(1), limit: 3)
        #expect(!result1)
        let result2 = view.recordFailure(identity(1), limit: 3)
        #expect(!result2)
        view.recordSuccess(identity(1))
        let result3 = view.recordFailure(identity(1), limit: 3)
        #expect(!result3)
        let result4 = view.recordFailure(identity(1), limit: 3)
        #expect(!result4)
        let result5 = view.recordFailure(identity(1), limit: 3)
        #expect(result5)
        #expect(view.isEmpty)
    }

    @Test("samples are distinct, bounded, and leave out the excluded")
    func sampling() {
        var random = SeededRandom(seed: 4)
        var view = PeerView(capacity: 16, selfIdentity: identity(0))
        view.merge((1...10).map { PeerEntry(identity: identity(UInt8($0)), address: address(UInt16($0))) }, protecting: [], using: &random)
        let sample = view.sample(4, excluding: [identity(1), identity(2)], using: &random)
        #expect(sample.count == 4)
        #expect(Set(sample.map(\.identity)).count == 4)
        #expect(!sample.contains { $0.identity == identity(1) || $0.identity == identity(2) })
        #expect(view.sample(50, using: &random).count == 10)
    }
}

@Suite("Seen set")
struct SeenSetTests {
    let id1 = ItemID(high: 1, low: 1), id2 = ItemID(high: 2, low: 2), id3 = ItemID(high: 3, low: 3)

    @Test("an ID is new once, then a duplicate until the TTL after its first sighting; later copies do not extend it")
    func expiryByFirstSighting() {
        var seen = SeenSet(capacity: 10, ttlNanoseconds: 100 * ms)
        let first = seen.observe(id1, now: .zero)
        #expect(first)
        let again = seen.observe(id1, now: Moment(nanoseconds: 90 * ms))
        #expect(!again)
        seen.expire(now: Moment(nanoseconds: 99 * ms))
        #expect(seen.contains(id1))
        seen.expire(now: Moment(nanoseconds: 100 * ms))
        #expect(!seen.contains(id1), "the TTL counts from the first sighting, not the copy at 90 ms")
        let afterExpiry = seen.observe(id1, now: Moment(nanoseconds: 150 * ms))
        #expect(afterExpiry)
    }

    @Test("memory is bounded: past capacity the ID seen first goes first, however often it was seen since")
    func capacity() {
        var seen = SeenSet(capacity: 2, ttlNanoseconds: 1000 * ms)
        seen.observe(id1, now: .zero)
        seen.observe(id2, now: Moment(nanoseconds: 1 * ms))
        seen.observe(id1, now: Moment(nanoseconds: 2 * ms))  // a copy: id1 is still the oldest
        seen.observe(id3, now: Moment(nanoseconds: 3 * ms))
        #expect(seen.count == 2)
        #expect(!seen.contains(id1) && seen.contains(id2) && seen.contains(id3))
        for n in 0..<10_000 { seen.observe(ItemID(high: 9, low: UInt64(n)), now: Moment(nanoseconds: 4 * ms)) }
        #expect(seen.count == 2)
        #expect(seen.entryCount == 2)
    }

    @Test("repeated sightings of a few IDs hold one entry each")
    func sightingsFollowLiveIDs() {
        var seen = SeenSet(capacity: 65_536, ttlNanoseconds: 1000 * ms)
        for n in 0..<100_000 { seen.observe(ItemID(high: 1, low: UInt64(n % 10)), now: Moment(nanoseconds: UInt64(n))) }
        #expect(seen.count == 10)
        #expect(seen.entryCount == 10)
        for n in 0..<10 { #expect(seen.contains(ItemID(high: 1, low: UInt64(n)))) }
    }
}

@Suite("TTL and peer items in the engine")
struct PeerItemEngineTests {
    let subscriber = ConnectionID(1)

    func engine() -> GossipEngine {
        GossipEngine(configuration: .init(cacheSize: 10, validationTimeoutNanoseconds: 100 * ms), random: SeededRandom(seed: 5))
    }

    func item(ttl: UInt8, _ n: UInt64 = 1) -> GossipItem { GossipItem.bound(salt: UInt32(n), ttl: ttl, dataType: 7, data: [1]) }

    @Test("TTL rule: 0 stays unlimited, 1 ends here, n becomes n - 1")
    func ttlRule() {
        #expect(GossipEngine.forwarded(item(ttl: 0))?.ttl == 0)
        #expect(GossipEngine.forwarded(item(ttl: 1)) == nil)
        #expect(GossipEngine.forwarded(item(ttl: 2))?.ttl == 1)
        #expect(GossipEngine.forwarded(item(ttl: 255))?.ttl == 254)
    }

    @Test("a peer item waits for validation, is forwarded and cached only if valid, and is a duplicate after")
    func validatedForwarding() throws {
        var engine = engine()
        engine.subscribe(subscriber, to: 7)
        guard case .awaitingValidation(let delivery, _) = engine.receive(item(ttl: 3), fromPeer: 9, now: .zero) else {
            Issue.record("expected delivery")
            return
        }
        #expect(delivery.subscribers == [subscriber])
        let result9 = engine.receive(item(ttl: 3), fromPeer: 8, now: .zero)
        #expect(result9 == .duplicate)
        #expect(!engine.cache.contains(item(ttl: 3).id), "not cached before it is found valid")
        guard case .completed(let completion) = engine.validate(GossipValidation(messageID: delivery.notification.messageID, isValid: true), from: subscriber) else {
            Issue.record("expected completion")
            return
        }
        let forward = engine.settle(completion)
        #expect(forward?.item.ttl == 2)
        #expect(forward?.excluding == [9, 8], "neither the sender nor a peer that sent a copy gets it back")
        #expect(engine.cache[item(ttl: 3).id]?.ttl == 2, "the cache holds what travels on")
    }

    @Test("an invalid or unanswered peer item is neither forwarded nor cached")
    func invalidAndTimeout() throws {
        var engine = engine()
        engine.subscribe(subscriber, to: 7)
        guard case .awaitingValidation(let first, _) = engine.receive(item(ttl: 0, 1), fromPeer: 9, now: .zero) else { return }
        guard case .completed(let rejected) = engine.validate(GossipValidation(messageID: first.notification.messageID, isValid: false), from: subscriber) else { return }
        let result10 = engine.settle(rejected)
        #expect(result10 == nil)
        _ = engine.receive(item(ttl: 0, 2), fromPeer: 9, now: .zero)
        let expired = engine.expire(now: Moment(nanoseconds: 100 * ms))
        #expect(expired.map(\.outcome) == [.timedOut])
        let result11 = engine.settle(expired[0])
        #expect(result11 == nil)
        #expect(engine.cache.count == 0)
    }

    @Test("with no local subscriber an item is relayed at once; a TTL-1 item is delivered nowhere and not cached")
    func relay() {
        var engine = engine()
        let result12 = engine.receive(item(ttl: 0, 1), fromPeer: 9, now: .zero)
        #expect(result12 == .relayed(forward: item(ttl: 0, 1)))
        let result13 = engine.receive(item(ttl: 1, 2), fromPeer: 9, now: .zero)
        #expect(result13 == .relayed(forward: nil))
        #expect(engine.cache.idsOldestFirst == [item(ttl: 0, 1).id])
    }

    @Test("anti-entropy: the digest is the newest cached IDs; missing leaves out what was seen")
    func digest() {
        var engine = engine()
        let ids = (0..<5).map { _ in engine.announce(GossipAnnounce(ttl: 0, dataType: 1, data: []), from: subscriber, now: .zero).item.id }
        #expect(engine.digest(limit: 3) == Array(ids[2...]))
        let stranger = GossipItem.bound(salt: 42, ttl: 0, dataType: 1, data: []).id
        #expect(engine.missing(from: [ids[0], stranger], now: .zero) == [stranger])
        let ancient = GossipItem.bound(stamp: 1_000_000, salt: 43, ttl: 0, dataType: 1, data: []).id
        #expect(engine.missing(from: [ancient], now: .zero).isEmpty, "too old to take: never asked for")
    }
}

/// Makes `link` an active link to peer `n` that the peer opened: HELLO, then its NEIGHBOR request.
@discardableResult
func connect(_ overlay: inout Overlay, _ link: LinkID, _ n: UInt8, high: Bool = true, now: Moment = .zero) -> [Overlay.Action] {
    _ = overlay.linkOpened(link, outbound: false, dialed: nil, now: now)
    _ = overlay.receivedHello(PeerHello(identity: identity(n), listenAddress: address(UInt16(n))), on: link, now: now)
    let entry = PeerEntry(identity: identity(n), address: address(UInt16(n)))
    return overlay.receivedMembership(PeerMembership(kind: high ? .neighborHigh : .neighborLow, entry: entry), on: link, now: now)
}

@Suite("Overlay")
struct OverlayTests {
    func overlay(degree: Int = 2, bootstrappers: [Overlay.DialTarget] = [], me: UInt8 = 5) -> Overlay {
        Overlay(
            configuration: .init(
                degree: degree, viewCapacity: 16, maximumLinks: 4, gossipIntervalNanoseconds: 100 * ms,
                antiEntropyIntervalNanoseconds: 100 * ms, pingIntervalNanoseconds: 100 * ms, peerTimeoutNanoseconds: 300 * ms),
            selfIdentity: identity(me), selfAddress: address(6000), bootstrappers: bootstrappers, random: SeededRandom(seed: 6))
    }

    func hello(_ n: UInt8, port: UInt16 = 0) -> PeerHello { PeerHello(identity: identity(n), listenAddress: address(port == 0 ? UInt16(n) : port)) }

    func entry(_ n: UInt8) -> PeerEntry { PeerEntry(identity: identity(n), address: address(UInt16(n))) }

    /// Node 5's overlay with the given timers (milliseconds); rounds and anti-entropy share one.
    func overlay(
        degree: Int, maximumLinks: Int, roundMs: UInt64, pingMs: UInt64, peerTimeoutMs: UInt64, bootstrappers: [Overlay.DialTarget] = []
    ) -> Overlay {
        Overlay(
            configuration: .init(
                degree: degree, viewCapacity: 16, maximumLinks: maximumLinks, gossipIntervalNanoseconds: roundMs * ms,
                antiEntropyIntervalNanoseconds: roundMs * ms, pingIntervalNanoseconds: pingMs * ms, peerTimeoutNanoseconds: peerTimeoutMs * ms),
            selfIdentity: identity(5), selfAddress: address(6000), bootstrappers: bootstrappers, random: SeededRandom(seed: 6))
    }

    /// The node's first tick dialed `target`, which answered on link 1 as peer 7 (HELLO); our
    /// request is not answered yet.
    func contactAnswered(_ overlay: inout Overlay, _ target: Overlay.DialTarget) {
        _ = overlay.tick(now: .zero)
        _ = overlay.linkOpened(1, outbound: true, dialed: target, now: .zero)
        _ = overlay.receivedHello(hello(7, port: target.port), on: 1, now: .zero)
    }

    func request(_ kind: PeerMembership.Kind, from n: UInt8, ttl: UInt8 = 0) -> PeerMembership {
        PeerMembership(kind: kind, ttl: ttl, entry: entry(n))
    }

    @Test("a node alone dials its bootstrappers, once a round, and says HELLO on every link")
    func bootstrap() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = overlay(bootstrappers: [target])
        let result14 = overlay.tick(now: .zero)
        #expect(result14.contains(.dial(target)))
        let result15 = overlay.tick(now: Moment(nanoseconds: 10 * ms))
        #expect(!result15.contains(.dial(target)), "not again while that dial is under way")
        overlay.dialFailed(target)
        let result16 = overlay.tick(now: Moment(nanoseconds: 50 * ms))
        #expect(!result16.contains(.dial(target)), "at most once a round")
        let result17 = overlay.tick(now: Moment(nanoseconds: 100 * ms))
        #expect(result17.contains(.dial(target)))
        let opened = overlay.linkOpened(1, outbound: true, dialed: target, now: Moment(nanoseconds: 110 * ms))
        #expect(opened == [.send(link: 1, .hello(PeerHello(identity: identity(5), listenAddress: address(6000))))])
    }

    @Test("a bootstrapper still in its handshake with us is not dialed again until that handshake ends")
    func noRedialWhileHandshaking() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = overlay(bootstrappers: [target])
        #expect(overlay.tick(now: .zero).contains(.dial(target)))
        _ = overlay.linkOpened(1, outbound: true, dialed: target, now: .zero)
        // An overloaded bootstrapper: the connection is up, its HELLO does not come.
        var now = Moment(nanoseconds: 10 * ms)
        while now < Moment(nanoseconds: 300 * ms) {
            #expect(!overlay.tick(now: now).contains(.dial(target)), "no second connection at \(now)")
            now = now.adding(nanoseconds: 10 * ms)
        }
        let timedOut = overlay.tick(now: now)
        #expect(timedOut.contains(.close(link: 1, .handshakeTimeout)))
        var redialed = timedOut.contains(.dial(target))
        for _ in 0..<30 {
            now = now.adding(nanoseconds: 10 * ms)
            redialed = redialed || overlay.tick(now: now).contains(.dial(target))
        }
        #expect(redialed, "once it timed out, the bootstrapper is tried again")
    }

    @Test("a known peer we dialed is not dialed again while its handshake is under way")
    func noRedialOfKnownPeerWhileHandshaking() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = overlay(degree: 3, bootstrappers: [target])
        // The bootstrapper (7) answered once and turned us away: it is a known peer now.
        contactAnswered(&overlay, target)
        #expect(overlay.receivedMembership(request(.reject, from: 7), on: 1, now: .zero).contains(.close(link: 1, .neighborRejected)))
        _ = overlay.linkClosed(1, now: .zero)
        var now = Moment.zero
        var link: UInt64 = 2
        var open: Set<LinkID> = []  // links to 7000 still in their handshake
        var dials = 0
        while now < Moment(nanoseconds: 2_000 * ms) {
            // A tick lists its closes (the overlay has forgotten those links) before its dials.
            for action in overlay.tick(now: now) {
                switch action {
                case .close(let closed, _):
                    open.remove(closed)
                case .dial(let dialed) where dialed.port == 7000:
                    #expect(open.isEmpty, "dialed 7000 at \(now) while link \(open) to it was still in its handshake")
                    dials += 1
                    _ = overlay.linkOpened(LinkID(link), outbound: true, dialed: dialed, now: now)  // and it never says HELLO
                    open.insert(LinkID(link))
                    link += 1
                default:
                    break
                }
            }
            now = now.adding(nanoseconds: 10 * ms)
        }
        #expect(dials >= 2, "once a handshake timed out, 7000 is tried again (\(dials) dials in 2 s)")
    }

    @Test("no second connection to an address in its handshake, whoever a push says is there")
    func noSecondConnectionToAnAddress() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = overlay(degree: 3, bootstrappers: [target])
        connect(&overlay, 1, 9)
        #expect(overlay.tick(now: .zero).contains(.dial(target)))
        _ = overlay.linkOpened(2, outbound: true, dialed: target, now: .zero)  // no HELLO yet
        // A neighbour pushes a peer it says is at the bootstrapper's address.
        overlay.receivedPush(PeerPush(listenAddress: address(9), entries: [PeerEntry(identity: identity(7), address: address(7000))]), on: 1)
        var now = Moment(nanoseconds: 10 * ms)
        while now < Moment(nanoseconds: 290 * ms) {
            let dialed = overlay.tick(now: now).contains { if case .dial(let d) = $0 { d.port == 7000 } else { false } }
            #expect(!dialed, "a second connection to 127.0.0.1:7000 at \(now)")
            now = now.adding(nanoseconds: 10 * ms)
        }
    }

    @Test("a link that answers its pings is never closed as dead, however close the ping interval is to the peer timeout")
    func pingsBeforeTimeout() {
        for (ping, peer): (UInt64, UInt64) in [(5_500, 6_000), (2_500, 3_000), (2_000, 6_000), (900, 1_000)] {
            var overlay = overlay(degree: 1, maximumLinks: 4, roundMs: 1_000, pingMs: ping, peerTimeoutMs: peer)
            connect(&overlay, 1, 9)
            var now = Moment.zero
            var pings = 0
            // The node wakes only when it asked to (as the simulator drives it); the peer answers
            // every PING at once, and sends nothing else.
            while now < Moment(nanoseconds: 60_000 * ms) {
                now = overlay.nextWake(after: now, tickInterval: 100 * ms)
                for action in overlay.tick(now: now) {
                    if case .send(1, .ping) = action {
                        pings += 1
                        overlay.received(on: 1, now: now, isTraffic: false)
                    }
                    if case .close(1, let reason) = action {
                        Issue.record("ping \(ping) ms, peer timeout \(peer) ms: closed as \(reason) at \(now) after \(pings) pings")
                    }
                }
                if !overlay.isActive(1) { break }
            }
            #expect(pings > 0)
        }
    }

    @Test("a node below degree with nobody to dial wakes once a back-off, not every tick")
    func noBusyWaitWithNobodyToDial() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = overlay(degree: 30, maximumLinks: 40, roundMs: 1_000, pingMs: 2_000, peerTimeoutMs: 6_000, bootstrappers: [target])
        // Joined through the bootstrapper, which is its only neighbour: far below degree 30, no
        // passive entry to dial, and the bootstrapper linked already.
        contactAnswered(&overlay, target)
        _ = overlay.receivedMembership(request(.accept, from: 7), on: 1, now: .zero)
        #expect(overlay.hasJoined)
        var now = Moment.zero
        var ticks = 0
        while now < Moment(nanoseconds: 60_000 * ms) {
            now = overlay.nextWake(after: now, tickInterval: 100 * ms)
            ticks += 1
            for action in overlay.tick(now: now) {
                if case .send(1, .ping) = action { overlay.received(on: 1, now: now, isTraffic: false) }
            }
        }
        // Rounds and anti-entropy each second, link checks, a bootstrap round per back-off: on
        // the order of 100 in a minute; waking every 100 ms would be 600.
        #expect(ticks < 200, "\(ticks) ticks in 60 s")
    }

    @Test("a node that others reached first still joins through its bootstrapper, and stops once the contact accepted")
    func joinDespiteInbound() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = overlay(degree: 1, bootstrappers: [target])
        connect(&overlay, 1, 9)  // at degree already, through an inbound link
        let first = overlay.tick(now: .zero)
        #expect(first.contains(.dial(target)), "joining does not wait for a free slot")
        _ = overlay.linkOpened(2, outbound: true, dialed: target, now: Moment(nanoseconds: 10 * ms))
        let asked = overlay.receivedHello(hello(7), on: 2, now: Moment(nanoseconds: 10 * ms))
        #expect(asked.contains { if case .send(2, .membership(let m)) = $0 { m.kind == .join } else { false } }, "JOIN follows HELLO")
        #expect(!overlay.hasJoined)
        let accepted = overlay.receivedMembership(request(.accept, from: 7), on: 2, now: Moment(nanoseconds: 20 * ms))
        #expect(accepted.contains(.activated(2)))
        #expect(overlay.hasJoined)
        let later = overlay.tick(now: Moment(nanoseconds: 500 * ms))
        #expect(!later.contains(.dial(target)), "joined: the bootstrapper is left alone")
    }

    @Test("a HELLO from ourselves closes the link and that bootstrapper is not dialed again")
    func selfConnection() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 6000)
        var overlay = overlay(bootstrappers: [target])
        _ = overlay.tick(now: .zero)
        _ = overlay.linkOpened(1, outbound: true, dialed: target, now: .zero)
        let result18 = overlay.receivedHello(hello(5), on: 1, now: .zero)
        #expect(result18 == [.close(link: 1, .selfConnection)])
        overlay.linkClosed(1)
        let result19 = overlay.tick(now: Moment(nanoseconds: 500 * ms))
        #expect(!result19.contains(.dial(target)))
    }

    @Test("two links to one peer: both ends keep the one opened by the smaller identity")
    func duplicateLinks() {
        // We are 5; the peer is 9. Our outbound link (opened by 5, the smaller) wins.
        var overlay = overlay()
        _ = overlay.linkOpened(1, outbound: false, dialed: nil, now: .zero)
        let result20 = overlay.receivedHello(hello(9), on: 1, now: .zero)
        #expect(result20 == [])
        _ = overlay.linkOpened(2, outbound: true, dialed: nil, now: .zero)
        let result21 = overlay.receivedHello(hello(9), on: 2, now: .zero)
        #expect(result21.first == .close(link: 1, .duplicateLink))
        #expect(overlay.identity(of: 2) == identity(9) && overlay.identity(of: 1) == nil)
        // Against a smaller peer (1), its link to us wins over ours.
        var other = self.overlay(me: 5)
        _ = other.linkOpened(1, outbound: false, dialed: nil, now: .zero)
        _ = other.receivedHello(hello(1), on: 1, now: .zero)
        _ = other.linkOpened(2, outbound: true, dialed: nil, now: .zero)
        let result22 = other.receivedHello(hello(1), on: 2, now: .zero)
        #expect(result22 == [.close(link: 2, .duplicateLink)])
    }

    @Test("a wrong protocol version closes the link")
    func version() {
        var overlay = overlay()
        _ = overlay.linkOpened(1, outbound: false, dialed: nil, now: .zero)
        let result23 = overlay.receivedHello(PeerHello(version: 1, identity: identity(9), listenAddress: address(9)), on: 1, now: .zero)
        #expect(result23 == [.close(link: 1, .versionMismatch)])
    }

    @Test("zombie detection: a silent link is pinged, then closed at the peer timeout; any frame revives it")
    func zombie() {
        var overlay = overlay(degree: 1)
        connect(&overlay, 1, 9)
        let pinged = overlay.tick(now: Moment(nanoseconds: 100 * ms))
        #expect(pinged.contains { if case .send(1, .ping) = $0 { true } else { false } })
        let result24 = overlay.tick(now: Moment(nanoseconds: 150 * ms))
        #expect(!result24.contains { if case .send(1, .ping) = $0 { true } else { false } }, "one ping per interval")
        overlay.received(on: 1, now: Moment(nanoseconds: 200 * ms))
        let result25 = overlay.tick(now: Moment(nanoseconds: 450 * ms))
        #expect(!result25.contains(.close(link: 1, .unresponsive)))
        let result26 = overlay.tick(now: Moment(nanoseconds: 500 * ms))
        #expect(result26.contains(.close(link: 1, .unresponsive)))
    }

    @Test("a link that never says HELLO is closed at the peer timeout")
    func handshakeTimeout() {
        var overlay = overlay()
        _ = overlay.linkOpened(1, outbound: false, dialed: nil, now: .zero)
        let result27 = overlay.tick(now: Moment(nanoseconds: 300 * ms))
        #expect(result27.contains(.close(link: 1, .handshakeTimeout)))
    }

    @Test("peers learnt from HELLO and PUSH are dialed up to degree; each round pushes and pulls")
    func dialingAndRounds() {
        var overlay = overlay(degree: 3)
        connect(&overlay, 1, 9)
        overlay.receivedPush(PeerPush(listenAddress: address(9), entries: [10, 11, 12].map { PeerEntry(identity: identity($0), address: address(UInt16($0))) }), on: 1)
        let actions = overlay.tick(now: .zero)
        let dials = actions.compactMap { if case .dial(let target) = $0 { target } else { nil } }
        #expect(dials.count == 2, "one link open, degree 3")
        #expect(dials.allSatisfy { $0.identity != nil && $0.identity != identity(9) })
        #expect(actions.contains { if case .send(1, .push(let push)) = $0 { push.entries.first?.identity == identity(5) } else { false } }, "a push leads with ourselves")
        #expect(actions.contains(.send(link: 1, .pull(address(6000)))))
        #expect(actions.contains(.antiEntropy(link: 1)))
        let result28 = overlay.receivedPull(on: 1)
        #expect(result28.count == 1)
    }

    @Test("random link picks are distinct, bounded, and leave out each item's exclusions")
    func randomPicks() {
        var overlay = overlay(degree: 3)
        for number: UInt64 in 1...4 { connect(&overlay, LinkID(number), UInt8(20 + number)) }
        _ = overlay.linkOpened(9, outbound: false, dialed: nil, now: .zero)  // not active: never picked
        let picks = [[], [1, 2], [1, 2, 3, 4]].map { overlay.randomLinks(3, excluding: $0) }
        #expect(picks[0].count == 3 && Set(picks[0]).count == 3 && Set(picks[0]).isSubset(of: [1, 2, 3, 4]))
        #expect(Set(picks[1]) == [3, 4])
        #expect(picks[2].isEmpty)
    }

    @Test("a contact takes a joiner in and starts one join walk per other neighbour")
    func joinWalks() {
        var overlay = overlay(degree: 3)
        connect(&overlay, 1, 21)
        connect(&overlay, 2, 22)
        _ = overlay.linkOpened(3, outbound: false, dialed: nil, now: .zero)
        _ = overlay.receivedHello(hello(30), on: 3, now: .zero)
        let actions = overlay.receivedMembership(request(.join, from: 30), on: 3, now: .zero)
        #expect(actions.contains(.activated(3)))
        #expect(actions.contains { if case .send(3, .membership(let m)) = $0 { m.kind == .accept } else { false } })
        for link: LinkID in [1, 2] {
            #expect(
                actions.contains(.send(link: link, .membership(PeerMembership(kind: .forwardJoin, ttl: 6, entry: entry(30))))),
                "walk on link \(link)")
        }
        #expect(overlay.activeLinks.count == 3)
    }

    @Test("fresh identities asking in turn (NEIGHBOR_HIGH, JOIN) displace only the younger half of a full active view: the node keeps the neighbours it had")
    func settledNeighborsStay() {
        var overlay = overlay(degree: 4, maximumLinks: 64, roundMs: 1000, pingMs: 1000, peerTimeoutMs: 10_000)
        let bound = overlay.configuration.activeBound
        #expect(bound == 6)
        for n in 1...bound { connect(&overlay, LinkID(UInt64(n)), UInt8(20 + n)) }
        #expect(overlay.activeLinks.count == bound)
        var displaced: [LinkID] = []
        for n in 0..<40 {
            let link = LinkID(UInt64(100 + n)), peer = UInt8(100 + n)
            let actions: [Overlay.Action]
            if n % 2 == 0 {
                actions = connect(&overlay, link, peer, high: true)
            } else {
                _ = overlay.linkOpened(link, outbound: false, dialed: nil, now: .zero)
                _ = overlay.receivedHello(hello(peer), on: link, now: .zero)
                actions = overlay.receivedMembership(request(.join, from: peer), on: link, now: .zero)
            }
            #expect(actions.contains(.activated(link)), "a fresh peer that asks so is still taken in")
            for case .close(let closed, .displaced) in actions { displaced.append(closed) }
        }
        let active = Set(overlay.activeLinks)
        #expect(active.count == bound)
        #expect(active.isSuperset(of: [1, 2, 3]), "the three longest-standing neighbours were never displaced: \(active.sorted())")
        #expect(displaced.allSatisfy { ![1, 2, 3].contains($0) })
        #expect(active.filter { $0.rawValue >= 100 }.count <= bound - bound / 2)
    }

    @Test("a neighbour's walk ends make the node dial 32 joiners at once, then 4 a second: each dial ends in a signature; walks dropped for another reason cost nothing")
    func walkEndsBudgeted() throws {
        var overlay = overlay(degree: 3)
        connect(&overlay, 1, 21)
        var dials = 0
        func walkEnds(_ count: Int, from first: Int, now: Moment) -> Int {
            var dialed = 0
            for n in first..<(first + count) {
                for case .dial(let target) in overlay.receivedMembership(request(.forwardJoin, from: UInt8(n), ttl: 1), on: 1, now: now) {
                    dialed += 1
                    overlay.dialFailed(target, now: now)  // the dial slot is free again at once
                }
            }
            return dialed
        }
        // One joiner named five times: the first dials, the others find that dial under way and
        // are dropped without touching the budget.
        var first: Overlay.DialTarget?
        for _ in 0..<5 {
            for case .dial(let target) in overlay.receivedMembership(request(.forwardJoin, from: 30, ttl: 1), on: 1, now: .zero) {
                #expect(first == nil)
                first = target
            }
        }
        overlay.dialFailed(try #require(first), now: .zero)
        dials = walkEnds(60, from: 40, now: .zero)
        #expect(dials == 31, "32 at once, one of them used above: \(dials)")
        dials = walkEnds(10, from: 120, now: Moment(nanoseconds: 1000 * ms))
        #expect(dials == 4, "then 4 a second: \(dials)")
        connect(&overlay, 2, 22)
        let other = overlay.receivedMembership(request(.forwardJoin, from: 140, ttl: 1), on: 2, now: Moment(nanoseconds: 1000 * ms))
        #expect(other.contains { if case .dial = $0 { true } else { false } }, "another link has a budget of its own")
    }

    @Test("a join walk is passed on until its hops run out, then the last node dials the joiner")
    func forwardJoin() {
        var overlay = overlay(degree: 3)
        connect(&overlay, 1, 21)
        connect(&overlay, 2, 22)
        let passed = overlay.receivedMembership(request(.forwardJoin, from: 30, ttl: 4), on: 1, now: .zero)
        #expect(passed == [.send(link: 2, .membership(PeerMembership(kind: .forwardJoin, ttl: 3, entry: entry(30))))])
        #expect(overlay.view.contains(identity(30)) == false, "only at the passive-walk hop does the joiner enter the view")
        let passive = overlay.receivedMembership(request(.forwardJoin, from: 31, ttl: 3), on: 1, now: .zero)
        #expect(passive.count == 1 && overlay.view.contains(identity(31)))
        let ended = overlay.receivedMembership(request(.forwardJoin, from: 32, ttl: 1), on: 1, now: .zero)
        #expect(ended == [.dial(Overlay.DialTarget(host: "127.0.0.1", port: 32, identity: identity(32)))])
        let longer = overlay.receivedMembership(request(.forwardJoin, from: 33, ttl: 200), on: 1, now: .zero)
        #expect(longer == [.send(link: 2, .membership(PeerMembership(kind: .forwardJoin, ttl: 5, entry: entry(33))))], "a walk never runs longer than ours")
    }

    @Test("walk ends a neighbour sends make this node dial only up to maximumHandshakes of its connections still in their handshake")
    func walkEndsBounded() {
        var overlay = Overlay(
            configuration: .init(
                degree: 3, viewCapacity: 16, maximumLinks: 4, gossipIntervalNanoseconds: 100 * ms,
                antiEntropyIntervalNanoseconds: 100 * ms, pingIntervalNanoseconds: 100 * ms, peerTimeoutNanoseconds: 300 * ms,
                walkEndBudget: TokenBucket(capacity: 1000, perSecond: 1)),  // this test is about the other bound
            selfIdentity: identity(5), selfAddress: address(6000), bootstrappers: [], random: SeededRandom(seed: 6))
        connect(&overlay, 1, 21)
        connect(&overlay, 2, 22)
        var opened = 0
        var nextLink: UInt64 = 100
        for n in 0..<400 {
            // Each names a new joiner; every dial connects and then never answers its HELLO.
            let joiner = PeerEntry(identity: PeerIdentity(bytes: (0..<32).map { UInt8(truncatingIfNeeded: n >> ($0 % 2 * 8)) ^ UInt8($0) })!, address: address(UInt16(10_000 + n)))
            let actions = overlay.receivedMembership(PeerMembership(kind: .forwardJoin, ttl: 1, entry: joiner), on: 1, now: .zero)
            for case .dial(let target) in actions {
                _ = overlay.linkOpened(LinkID(nextLink), outbound: true, dialed: target, now: .zero)
                nextLink += 1
                opened += 1
            }
        }
        #expect(opened == 256, "one connection per walk end up to maximumHandshakes (256), then none")
        #expect(overlay.receivedMembership(PeerMembership(kind: .forwardJoin, ttl: 1, entry: entry(40)), on: 1, now: .zero).isEmpty)
        for link: LinkID in [1, 2] { overlay.received(on: link, now: Moment(nanoseconds: 350 * ms)) }  // the neighbours live on
        let timedOut = overlay.tick(now: Moment(nanoseconds: 400 * ms))  // the stalled handshakes time out
        #expect(timedOut.filter { if case .close(_, .handshakeTimeout) = $0 { true } else { false } }.count == 256)
        let after = overlay.receivedMembership(PeerMembership(kind: .forwardJoin, ttl: 1, entry: entry(41)), on: 1, now: Moment(nanoseconds: 400 * ms))
        #expect(after == [.dial(Overlay.DialTarget(host: "127.0.0.1", port: 41, identity: identity(41)))], "room again once they are gone")
    }

    @Test("a full node hands a low-priority requester peers and refuses; a high-priority one displaces a neighbour")
    func fullNode() {
        var overlay = overlay(degree: 1)  // slack 2: at most 3 active links
        for number: UInt64 in 1...3 { connect(&overlay, LinkID(number), UInt8(20 + number)) }
        #expect(overlay.activeLinks.count == 3)
        let refused = connect(&overlay, 4, 30, high: false)
        #expect(refused.first.map { if case .send(4, .push) = $0 { true } else { false } } == true, "peers to try first")
        #expect(refused.contains { if case .send(4, .membership(let m)) = $0 { m.kind == .reject } else { false } })
        #expect(refused.last == .close(link: 4, .neighborRejected))
        let taken = connect(&overlay, 5, 31, high: true)
        #expect(taken.contains { if case .send(_, .membership(let m)) = $0 { m.kind == .disconnect } else { false } })
        #expect(taken.contains { if case .close(_, .displaced) = $0 { true } else { false } })
        #expect(taken.contains(.activated(5)))
        #expect(overlay.activeLinks.count == 3, "never above degree + slack")
    }

    @Test("a node below degree asks its passive view, then its bootstrappers, and keeps trying")
    func belowDegree() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = overlay(degree: 2, bootstrappers: [target])
        // Joined once through the bootstrapper; its link then closed.
        _ = overlay.tick(now: .zero)
        _ = overlay.linkOpened(1, outbound: true, dialed: target, now: .zero)
        _ = overlay.receivedHello(hello(7), on: 1, now: .zero)
        _ = overlay.receivedMembership(request(.accept, from: 7), on: 1, now: .zero)
        overlay.receivedPush(PeerPush(listenAddress: address(7), entries: [entry(40)]), on: 1)
        overlay.linkClosed(1, now: Moment(nanoseconds: 10 * ms))
        var dialed: Set<UInt16> = []
        var now = Moment(nanoseconds: 20 * ms)
        for _ in 0..<40 {
            for action in overlay.tick(now: now) {
                guard case .dial(let target) = action else { continue }
                dialed.insert(target.port)
                overlay.dialFailed(target, now: now)
            }
            now = now.adding(nanoseconds: 100 * ms)
        }
        #expect(dialed.contains(40) && dialed.contains(7), "the passive view (40 and the old neighbour 7)")
        #expect(dialed.contains(7000), "and the bootstrapper again, alone with an exhausted view")
    }

    @Test("join walks share the dial limit, and a walk's dial that reaches another node there is closed")
    func walkDialsBounded() {
        var overlay = overlay(degree: 3)
        connect(&overlay, 1, 21)
        var dials: [Overlay.DialTarget] = []
        for joiner in UInt8(100)..<UInt8(130) {
            for action in overlay.receivedMembership(request(.forwardJoin, from: joiner, ttl: 1), on: 1, now: .zero) {
                if case .dial(let target) = action { dials.append(target) }
            }
        }
        #expect(dials.count == 8, "at most maximumConcurrentDials (8) at once, got \(dials.count)")
        _ = overlay.linkOpened(2, outbound: true, dialed: dials[0], now: .zero)
        let answered = overlay.receivedHello(hello(77, port: dials[0].port), on: 2, now: .zero)
        #expect(answered == [.close(link: 2, .wrongPeer)], "no request to a node we did not mean to dial")
    }

    @Test("inbound links beyond the maximum get peers to try and REJECT once their handshake is done")
    func capacity() {
        var overlay = overlay()
        for link in 1...4 { connect(&overlay, LinkID(UInt64(link)), UInt8(20 + link), high: false) }
        overlay.receivedPush(PeerPush(listenAddress: address(21), entries: [entry(40), entry(41)]), on: 1)
        let busy = overlay.linkOpened(5, outbound: false, dialed: nil, now: .zero)
        #expect(busy.count == 1, "HELLO only: the handshake goes on")
        let answer = overlay.receivedHello(hello(30), on: 5, now: .zero)
        guard answer.count == 3, case .send(5, .push(let push)) = answer[0] else {
            Issue.record("expected PUSH, REJECT, close; got \(answer)")
            return
        }
        let neighbours = Set((21...24).map { identity(UInt8($0)) })
        #expect(Set(push.entries.map(\.identity)).isSuperset(of: neighbours), "its own neighbours first (linked, on the tree), then passive entries")
        #expect(!push.entries.contains { $0.identity == identity(5) || $0.identity == identity(30) }, "neither the full node nor the dialer")
        #expect(answer[1] == .send(link: 5, .membership(PeerMembership(kind: .reject, entry: PeerEntry(identity: identity(5), address: address(6000))))))
        #expect(answer[2] == .close(link: 5, .overCapacity))
        #expect(overlay.identity(of: 5) == nil, "the dialer was not taken in")
        #expect(overlay.activeLinks.count == 4)
    }

    @Test("connections still in their handshake have slots of their own: idle ones neither take link slots nor keep an honest dialer out")
    func handshakeSlots() {
        var overlay = Overlay(
            configuration: .init(
                degree: 2, viewCapacity: 16, maximumLinks: 4, gossipIntervalNanoseconds: 100 * ms,
                antiEntropyIntervalNanoseconds: 100 * ms, pingIntervalNanoseconds: 100 * ms, peerTimeoutNanoseconds: 3000 * ms,
                handshakeTimeoutNanoseconds: 500 * ms, maximumHandshakes: 8),
            selfIdentity: identity(5), selfAddress: address(6000), bootstrappers: [], random: SeededRandom(seed: 6))
        var crowded = 0
        for link in 1...40 {  // an attacker's idle connections, none of which says HELLO
            for case .close(_, .handshakeCrowded) in overlay.linkOpened(LinkID(UInt64(link)), outbound: false, dialed: nil, now: .zero) { crowded += 1 }
        }
        #expect(crowded == 32, "each connection beyond 8 pushed the oldest idle one out")
        _ = overlay.linkOpened(100, outbound: false, dialed: nil, now: .zero)  // the honest dialer
        let answer = overlay.receivedHello(hello(30), on: 100, now: .zero)
        #expect(!answer.contains { if case .close = $0 { true } else { false } }, "not turned away as over capacity: \(answer)")
        let accepted = overlay.receivedMembership(request(.neighborLow, from: 30), on: 100, now: .zero)
        #expect(accepted.contains(.activated(100)))
        let later = overlay.tick(now: Moment(nanoseconds: 600 * ms))
        let timedOut = later.filter { if case .close(_, .handshakeTimeout) = $0 { true } else { false } }
        #expect(timedOut.count == 7, "the idle ones left (8 slots, one given up for the honest dialer) go at the handshake timeout (0.5 s), long before the peer timeout")
        #expect(overlay.activeLinks == [100])
    }

    @Test("a Sybil on one address is held to its per-address share of inbound links, and one network to its per-prefix share; loopback is exempt")
    func perAddressLimits() {
        var overlay = Overlay(
            configuration: .init(
                degree: 2, viewCapacity: 16, maximumLinks: 128, gossipIntervalNanoseconds: 100 * ms,
                antiEntropyIntervalNanoseconds: 100 * ms, pingIntervalNanoseconds: 100 * ms, peerTimeoutNanoseconds: 300 * ms,
                maximumHandshakes: 1000, maximumLinksPerAddress: 8, maximumLinksPerPrefix: 20),
            selfIdentity: identity(5), selfAddress: address(6000), bootstrappers: [], random: SeededRandom(seed: 6))
        let sybil = PeerAddress(host: "203.0.113.7", port: 0)!
        var refused = 0
        for link in 1...250 {
            for case .close(_, .addressLimit) in overlay.linkOpened(LinkID(UInt64(link)), outbound: false, dialed: nil, remote: sybil, now: .zero) { refused += 1 }
        }
        #expect(refused == 242, "250 identities from one address: 8 connections kept")
        var prefixRefused = 0
        for host in 1...30 {
            let neighbour = PeerAddress(host: "203.0.113.\(100 + host)", port: 0)!
            for case .close(_, .prefixLimit) in overlay.linkOpened(LinkID(UInt64(1000 + host)), outbound: false, dialed: nil, remote: neighbour, now: .zero) { prefixRefused += 1 }
        }
        #expect(prefixRefused == 18, "the /24 holds 20 in all, the Sybil's 8 included")
        let elsewhere = overlay.linkOpened(2000, outbound: false, dialed: nil, remote: PeerAddress(host: "198.51.100.1", port: 0)!, now: .zero)
        #expect(elsewhere.count == 1, "another network is not affected")
        for link in 3000..<3050 {
            #expect(overlay.linkOpened(LinkID(UInt64(link)), outbound: false, dialed: nil, remote: PeerAddress(host: "127.0.0.1", port: 0)!, now: .zero).count == 1)
        }
    }

    @Test("a joiner that a full contact turned away links through the peers it was handed, and counts as joined")
    func joinThroughHandedPeers() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = overlay(degree: 2, bootstrappers: [target])
        contactAnswered(&overlay, target)
        overlay.receivedPush(PeerPush(listenAddress: address(7000), entries: [entry(40), entry(41)]), on: 1)
        let rejected = overlay.receivedMembership(request(.reject, from: 7), on: 1, now: .zero)
        #expect(rejected == [.close(link: 1, .neighborRejected)])
        let dials = overlay.tick(now: Moment(nanoseconds: 10 * ms)).compactMap { if case .dial(let t) = $0 { t.port } else { nil } }
        #expect(Set(dials) == [40, 41], "the handed peers, got \(dials)")
        _ = overlay.linkOpened(2, outbound: true, dialed: Overlay.DialTarget(host: "127.0.0.1", port: 40, identity: identity(40)), now: Moment(nanoseconds: 20 * ms))
        let asked = overlay.receivedHello(hello(40), on: 2, now: Moment(nanoseconds: 20 * ms))
        #expect(asked.contains { if case .send(2, .membership(let m)) = $0 { m.kind == .neighborHigh } else { false } }, "alone: must be taken in")
        #expect(!overlay.hasJoined)
        let accepted = overlay.receivedMembership(request(.accept, from: 40), on: 2, now: Moment(nanoseconds: 30 * ms))
        #expect(accepted.contains(.activated(2)))
        #expect(overlay.hasJoined, "on the overlay: the bootstrapper is not asked to JOIN again")
    }
}

@Suite("Duplicate filter and cache together")
struct KnownItemTests {
    @Test("an item still cached is not requested or accepted again after its seen entry expired")
    func cacheOutlivesSeenEntry() {
        var engine = GossipEngine(
            configuration: .init(cacheSize: 10, validationTimeoutNanoseconds: 100 * ms, seenCapacity: 100, seenTTLNanoseconds: 10 * ms),
            random: SeededRandom(seed: 7))
        let item = GossipItem.bound(salt: UInt32(7), ttl: 0, dataType: 3, data: [3])
        let first = engine.receive(item, fromPeer: 1, now: .zero)
        #expect(first == .relayed(forward: item))
        _ = engine.expire(now: Moment(nanoseconds: 50 * ms))
        #expect(!engine.seen.contains(item.id))
        #expect(engine.missing(from: [item.id], now: Moment(nanoseconds: 50 * ms)).isEmpty, "still cached: never requested again")
        let again = engine.receive(item, fromPeer: 2, now: Moment(nanoseconds: 60 * ms))
        #expect(again == .duplicate)
    }

    @Test("copies of a known item, however many, do not keep it in the seen set past its TTL")
    func copiesDoNotRefresh() {
        var engine = GossipEngine(
            configuration: .init(cacheSize: 10, validationTimeoutNanoseconds: 100 * ms, seenCapacity: 100, seenTTLNanoseconds: 10 * ms),
            random: SeededRandom(seed: 8))
        engine.subscribe(ConnectionID(1), to: 3)
        let item = GossipItem.bound(salt: UInt32(8), ttl: 0, dataType: 3, data: [3])
        _ = engine.receive(item, fromPeer: 1, now: .zero)
        for t in 1...9 {
            let known = engine.isKnown(item.id, fromPeer: 2)
            #expect(known)
            let copy = engine.receive(item, fromPeer: 2, now: Moment(nanoseconds: UInt64(t) * ms))
            #expect(copy == .duplicate)
        }
        _ = engine.expire(now: Moment(nanoseconds: 10 * ms))
        #expect(!engine.seen.contains(item.id), "first seen at 0 ms with a TTL of 10 ms: gone at 10 ms, the copies since notwithstanding")
    }
}

@Suite("Addresses")
struct AddressFormTests {
    @Test("IPv4-mapped IPv6 text and zones are accepted as the dual-stack listener reports them")
    func mappedAndZoned() {
        #expect(PeerAddress(host: "::ffff:10.1.2.3", port: 1) == PeerAddress(host: "10.1.2.3", port: 1))
        #expect(PeerAddress(host: "fe80::1%eth0", port: 1) == PeerAddress(host: "fe80::1", port: 1))
    }
}

@Suite("Idle links")
struct IdleLinkTests {
    @Test("links carrying only PING/PONG are closed after the idle time, only while above degree")
    func idleClose() {
        var overlay = Overlay(
            configuration: .init(
                degree: 1, viewCapacity: 16, maximumLinks: 8, gossipIntervalNanoseconds: 10_000 * ms,
                antiEntropyIntervalNanoseconds: 10_000 * ms, pingIntervalNanoseconds: 100 * ms,
                peerTimeoutNanoseconds: 10_000 * ms, idleTimeoutNanoseconds: 1000 * ms),
            selfIdentity: identity(5), selfAddress: address(6000), bootstrappers: [], random: SeededRandom(seed: 9))
        for number: UInt64 in 1...2 { connect(&overlay, LinkID(number), UInt8(10 + number)) }
        _ = overlay.tick(now: .zero)  // the first round's push/pull/digest
        overlay.received(on: 1, now: Moment(nanoseconds: 900 * ms), isTraffic: false)  // a PONG: alive, not useful
        overlay.received(on: 2, now: Moment(nanoseconds: 900 * ms), isTraffic: true)
        let actions = overlay.tick(now: Moment(nanoseconds: 1000 * ms))
        #expect(actions.contains(.close(link: 1, .idle)))
        #expect(actions.contains { if case .send(1, .membership(let m)) = $0 { m.kind == .disconnect } else { false } }, "told first")
        #expect(!actions.contains(.close(link: 2, .idle)))
        overlay.linkClosed(1)
        let later = overlay.tick(now: Moment(nanoseconds: 5000 * ms))
        #expect(!later.contains { if case .close(_, .idle) = $0 { true } else { false } }, "never below degree")
    }
}

@Suite("Eclipse and poisoning defences")
struct PoisoningTests {
    func overlay() -> Overlay {
        Overlay(
            configuration: .init(
                degree: 3, viewCapacity: 128, maximumLinks: 64, gossipIntervalNanoseconds: 100 * ms,
                antiEntropyIntervalNanoseconds: 100 * ms, pingIntervalNanoseconds: 100 * ms, peerTimeoutNanoseconds: 3000 * ms),
            selfIdentity: identity(5), selfAddress: address(6000), bootstrappers: [], random: SeededRandom(seed: 6))
    }

    /// `count` made-up peers, each on a host of its own in a network of its own.
    func strangers(_ count: Int, from first: Int = 0) -> [PeerEntry] {
        (first..<first + count).map { (n: Int) -> PeerEntry in
            let high = UInt8(truncatingIfNeeded: n >> 8), low = UInt8(truncatingIfNeeded: n)
            var bytes: [UInt8] = [0xEE, high, low]
            bytes += [UInt8](repeating: 1, count: 29)
            let ip: [UInt8] = [100, high, low, 1]
            return PeerEntry(identity: PeerIdentity(bytes: bytes)!, address: PeerAddress(ip: ip, port: 7000)!)
        }
    }

    @Test("a push of 1,000 unreachable addresses leaves the active view untouched, adds at most one push's worth, and does not spread")
    func thousandAddresses() {
        var overlay = overlay()
        for n: UInt8 in 1...3 { connect(&overlay, LinkID(UInt64(n)), 20 + n) }
        let before = overlay.activeLinks
        overlay.receivedPush(PeerPush(listenAddress: address(21), entries: strangers(1000)), on: 1)
        var dialed: [Overlay.DialTarget] = []
        var sent: [PeerEntry] = []
        var now = Moment.zero
        for _ in 0..<50 {
            for action in overlay.tick(now: now) {
                switch action {
                case .dial(let target):
                    dialed.append(target)
                    overlay.dialFailed(target, now: now)  // nobody is there
                case .send(_, .push(let push)): sent += push.entries
                default: break
                }
            }
            _ = overlay.receivedPull(on: 2).map { if case .send(_, .push(let push)) = $0 { sent += push.entries } }
            now = now.adding(nanoseconds: 100 * ms)
            for link: LinkID in [1, 2, 3] { overlay.received(on: link, now: now) }  // the neighbours stay alive
        }
        let poisoned = Set(strangers(1000).map(\.identity))
        #expect(overlay.activeLinks == before, "no active link was given up or added")
        #expect(overlay.view.all.count { poisoned.contains($0.identity) } <= 16, "one source holds at most its share of the view")
        #expect(Set(dialed.compactMap(\.identity)).isSubset(of: poisoned))
        #expect(!sent.contains { poisoned.contains($0.identity) }, "an address that failed is never passed on")
    }

    @Test("a round with more unsolicited pushes than the bound changes nothing; a normal round merges")
    func floodedRound() {
        var overlay = overlay()
        for n: UInt8 in 1...3 { connect(&overlay, LinkID(UInt64(n)), 20 + n) }
        for push in 0...Overlay.maximumUnsolicitedPushes {  // one more than the bound, before any PULL of ours
            overlay.receivedPush(PeerPush(listenAddress: address(21), entries: strangers(4, from: push * 4)), on: LinkID(UInt64(1 + push % 3)))
        }
        _ = overlay.tick(now: .zero)  // the round ends
        #expect(overlay.ignoredPushRounds == 1)
        #expect(!overlay.view.all.contains { $0.address.ip[12] == 100 }, "none of that round's entries")
        for link: LinkID in [1, 2, 3] { overlay.received(on: link, now: Moment(nanoseconds: 100 * ms)) }
        let round = overlay.tick(now: Moment(nanoseconds: 100 * ms))  // the next round begins, with a PULL
        let unpulled = ([1, 2, 3] as [LinkID]).first { !round.contains(.send(link: $0, .pull(address(6000)))) }!
        overlay.receivedPush(PeerPush(listenAddress: address(21), entries: strangers(2, from: 500)), on: unpulled)
        #expect(!overlay.view.all.contains { $0.address.ip[12] == 100 }, "a shuffle waits for the end of its round")
        for link: LinkID in [1, 2, 3] { overlay.received(on: link, now: Moment(nanoseconds: 200 * ms)) }
        _ = overlay.tick(now: Moment(nanoseconds: 200 * ms))
        #expect(overlay.view.all.count { $0.address.ip[12] == 100 } == 2)
    }

    @Test("a PUSH on an inbound link that asked for nothing is a shuffle: it waits for the round and counts against the flood bound")
    func pushOnWaitingLink() {
        var overlay = overlay()
        _ = overlay.tick(now: .zero)
        _ = overlay.linkOpened(9, outbound: false, dialed: nil, now: .zero)
        _ = overlay.receivedHello(PeerHello(identity: identity(77), listenAddress: address(77)), on: 9, now: .zero)  // waiting, no request
        overlay.receivedPush(PeerPush(listenAddress: address(77), entries: strangers(4)), on: 9)
        #expect(!overlay.view.all.contains { $0.address.ip[12] == 100 }, "not merged at once")
    }

    @Test("a link that a peer learnt from others accepts does not count as joined; one a full contact handed us does")
    func joinedOnlyThroughTheContact() {
        let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)
        var overlay = Overlay(
            configuration: .init(
                degree: 2, viewCapacity: 16, maximumLinks: 8, gossipIntervalNanoseconds: 100 * ms,
                antiEntropyIntervalNanoseconds: 100 * ms, pingIntervalNanoseconds: 100 * ms, peerTimeoutNanoseconds: 3000 * ms),
            selfIdentity: identity(5), selfAddress: address(6000), bootstrappers: [target], random: SeededRandom(seed: 6))
        // Peer 40 is known from elsewhere (say an inbound neighbour's HELLO); it accepts our request.
        let elsewhere = Overlay.DialTarget(host: "127.0.0.1", port: 40, identity: identity(40))
        _ = overlay.linkOpened(1, outbound: true, dialed: elsewhere, now: .zero)
        _ = overlay.receivedHello(PeerHello(identity: identity(40), listenAddress: address(40)), on: 1, now: .zero)
        _ = overlay.receivedMembership(PeerMembership(kind: .accept, entry: PeerEntry(identity: identity(40), address: address(40))), on: 1, now: .zero)
        #expect(overlay.isActive(1))
        #expect(!overlay.hasJoined, "40 may belong to a group apart from the bootstrapper's")
    }

    @Test("shares per source, host and network; one source cannot move another's entry")
    func shares() {
        var view = PeerView(capacity: 128, selfIdentity: identity(5))
        var random = SeededRandom(seed: 1)
        let attacker = identity(66)
        view.merge(strangers(40), from: attacker, protecting: [], using: &random)
        #expect(view.count == view.sourceShare, "one source: \(view.sourceShare) entries")
        let oneHost = (0..<10).map { n in
            PeerEntry(identity: identity(UInt8(100 + n)), address: PeerAddress(host: "198.51.100.9", port: UInt16(7000 + n))!)
        }
        view.merge(oneHost, from: identity(67), protecting: [], using: &random)
        #expect(view.all.count { $0.address.host == "198.51.100.9" } == PeerView.hostShare)
        let oneNetwork = (0..<40).map { n in
            PeerEntry(identity: identity(UInt8(150 + n)), address: PeerAddress(host: "198.51.100.\(100 + n)", port: 7000)!)
        }
        for (index, entry) in oneNetwork.enumerated() { view.merge([entry], from: identity(UInt8(200 + index % 40)), protecting: [], using: &random) }
        #expect(view.all.count { $0.address.host.hasPrefix("198.51.100.") } == view.prefixShare)
        let honest = PeerEntry(identity: identity(30), address: PeerAddress(host: "192.0.2.1", port: 7000)!)
        view.merge([honest], from: identity(68), protecting: [], using: &random)
        view.merge([PeerEntry(identity: identity(30), address: PeerAddress(host: "203.0.113.66", port: 7000)!)], from: attacker, protecting: [], using: &random)
        #expect(view[identity(30)]?.address == honest.address, "redirect refused")
        let local = (0..<20).map { n in PeerEntry(identity: identity(UInt8(230 + n % 20)), address: PeerAddress(host: "127.0.0.1", port: UInt16(8000 + n))!) }
        var fresh = PeerView(capacity: 128, selfIdentity: identity(5))
        fresh.merge(local, protecting: [], using: &random)
        #expect(fresh.count == 20, "loopback hosts are exempt (a local testnet)")
    }
}
