import GossipWire
import Testing

@testable import GossipCore

@Suite("Floods and storms")
struct StormTests {
    @Test("a flood of five times the seen set's capacity stops when the attacker stops: no node takes an item in twice, and the network falls quiet")
    func finiteFloodEnds() {
        let engine = GossipEngine.Configuration(
            cacheSize: 16, validationTimeoutNanoseconds: 1000 * ms, seenCapacity: 200, seenTTLNanoseconds: 20_000 * ms)
        var mesh = CoreMesh(count: 4, engine: engine)
        mesh.connect(0, 1, link: 10)
        mesh.connect(1, 2, link: 12)
        mesh.connect(2, 0, link: 20)  // a cycle among the honest nodes
        mesh.connect(3, 0, link: 30)  // node 3 is the attacker
        // 1,000 fresh, well-formed items of a type nobody validates, all at once.
        var relayed = 0
        func tally(_ effects: [(node: Int, effect: GossipEffect)]) {
            for case (let node, .count(.itemsRelayedUnvalidated, let n)) in effects where node < 3 { relayed += n }
        }
        for n in 0..<1000 {
            let item = GossipItem.bound(salt: UInt32(n), ttl: 0, dataType: 4242, data: [UInt8(n & 0xFF)])
            let effects = mesh.nodes[0].received(peerMessage: .item(item), on: 30, now: mesh.now)
            tally(effects.map { (0, $0) })
            tally(mesh.carry(effects, from: 0))
        }
        var perSecond: [Int] = []
        for second in 0..<60 {
            let before = mesh.itemMessages
            for _ in 0..<10 {
                mesh.advance(milliseconds: 100)
                for node in 0..<3 { tally(mesh.carry(mesh.tick(node), from: node)) }
                for link: LinkID in [10, 12, 20, 30] {
                    let (a, b) = mesh.ends[link]!
                    mesh.nodes[a].overlay.received(on: link, now: mesh.now)  // links stay alive
                    mesh.nodes[b].overlay.received(on: link, now: mesh.now)
                }
            }
            perSecond.append(mesh.itemMessages - before)
            _ = second
        }
        let admitted = GossipEngine.admissionBucket(engine)
        let mostPerNode = Int(admitted.capacity + admitted.perSecond * 61)
        #expect(mesh.itemMessages <= 3 * 2 * mostPerNode, "each honest node relays each item it took at most once per link: \(mesh.itemMessages)")
        #expect(perSecond.suffix(10).allSatisfy { $0 == 0 }, "quiet once what was taken in has spread: \(perSecond)")
        #expect(relayed <= 3 * 1000, "no honest node took one of the 1,000 items in twice: \(relayed) relays")
        #expect(relayed > 0)
    }

    @Test("an item of a type a module validated is dropped, not relayed unvalidated, once that module is gone")
    func noSilentSwitchToUnvalidated() {
        var pair = CorePair()
        pair.connect()
        _ = pair.b.received(apiMessage: .notify(GossipNotify(dataType: 77)), from: 5, now: pair.now)
        _ = pair.b.moduleDisconnected(5, now: pair.now)
        let item = GossipItem.bound(salt: 1, ttl: 0, dataType: 77, data: [1])
        let effects = pair.b.received(peerMessage: .item(item), on: pair.link, now: pair.now)
        #expect(effects.contains(.count(.itemsNoValidator, 1)))
        #expect(!effects.contains { if case .send(_, .item) = $0 { true } else { false } })
        let other = GossipItem.bound(salt: 2, ttl: 0, dataType: 78, data: [1])
        #expect(pair.b.received(peerMessage: .item(other), on: pair.link, now: pair.now).contains(.count(.itemsRelayedUnvalidated, 1)),
            "a type nobody here ever validated is still relayed as before")
    }

    @Test("over a link's budget, new items, announced IDs, digests and PULLs are ignored and counted; the link stays")
    func perLinkBudgets() {
        var pair = CorePair()
        pair.connect()
        var throttled = 0
        for n in 0..<160 {
            let ids = (0..<256).map { ItemBinding.id(stamp: 1_800_000_000, salt: UInt32(n * 256 + $0), dataType: 5, data: []) }
            for case .count(.announcementsThrottled, let count) in pair.b.received(peerMessage: .ihave(ids), on: pair.link, now: pair.now) {
                throttled += count
            }
        }
        #expect(throttled > 0, "40,960 IDs at once is over the budget (32,768 with the defaults)")
        var digestsIgnored = 0
        for _ in 0..<10 {
            for case .count(.announcementsThrottled, _) in pair.b.received(peerMessage: .digest([]), on: pair.link, now: pair.now) { digestsIgnored += 1 }
        }
        #expect(digestsIgnored == 6, "4 digests at once, then 2 a second")
        var pushes = 0, pullsIgnored = 0
        for _ in 0..<100 {
            for effect in pair.b.received(peerMessage: .pull(pair.a.overlay.selfAddress), on: pair.link, now: pair.now) {
                if case .send(_, .push) = effect { pushes += 1 }
                if case .count(.announcementsThrottled, _) = effect { pullsIgnored += 1 }
            }
        }
        #expect(pushes == 4 && pullsIgnored == 96, "100 PULLs at once: 4 answered with a PUSH (\(pushes)), the rest ignored (\(pullsIgnored))")
        pair.now = pair.now.adding(nanoseconds: 1000 * ms)
        let later = pair.b.received(peerMessage: .pull(pair.a.overlay.selfAddress), on: pair.link, now: pair.now)
        #expect(later.contains { if case .send(_, .push) = $0 { true } else { false } }, "a second later the budget has refilled")
        #expect(pair.b.overlay.isActive(pair.link))
    }

    @Test("a peer flooding fresh items at its link's full rate does not crowd out another link's items once the budget runs low")
    func fairShareUnderFlood() {
        // A small budget: 100 new items at once, 5 a second (2 a second for unvalidated types,
        // which these are: nobody here subscribed to type 3).
        let engine = GossipEngine.Configuration(
            cacheSize: 16, validationTimeoutNanoseconds: 1000 * ms, seenCapacity: 200, seenTTLNanoseconds: 20_000 * ms)
        var mesh = CoreMesh(count: 3, engine: engine)
        mesh.connect(0, 1, link: 10)  // an honest neighbour
        mesh.connect(2, 1, link: 12)  // the flooder
        var honestSent = 0, honestTaken = 0, salt: UInt32 = 0
        func send(on link: LinkID) -> Bool {
            salt += 1
            // Stamped at the node's clock, so the items are fresh.
            let stamp = UInt32(1_800_000_000 + mesh.now.nanoseconds / 1_000_000_000)
            let item = GossipItem.bound(stamp: stamp, salt: salt, ttl: 0, dataType: 3, data: [1])
            let effects = mesh.nodes[1].received(peerMessage: .item(item), on: link, now: mesh.now)
            return !effects.contains(.count(.itemsThrottled, 1))
        }
        // 120 s: the flooder tries every 10 ms, the honest neighbour once a second.
        for tick in 0..<12_000 {
            _ = send(on: 12)
            if tick % 100 == 0 {
                honestSent += 1
                if send(on: 10), tick >= 6_000 { honestTaken += 1 }
            }
            mesh.advance(milliseconds: 10)
        }
        // In the second minute the budget is long spent; the honest link still gets its share
        // (1 a second of the 2), so nearly all of its one item a second.
        #expect(honestTaken >= 50, "honest items taken in the last 60 s: \(honestTaken) of 60")
    }
}
