import GossipWire
import Testing

@testable import GossipCore

/// Cores joined by links, with the messages between them carried by hand; time moves only when a
/// test says so.
struct CoreMesh {
    var nodes: [GossipProtocol]
    /// Each link and the two nodes at its ends (the first dialed the second).
    var ends: [LinkID: (Int, Int)] = [:]
    var now = Moment.milliseconds(1)

    /// ITEM messages carried so far, over all links.
    var itemMessages = 0

    init(count: Int, engine: GossipEngine.Configuration = .init(cacheSize: 16, validationTimeoutNanoseconds: 1000 * ms)) {
        nodes = (0..<count).map { CorePair.node(UInt8($0 + 1), engine: engine) }
    }

    /// Opens `link` from node `dialer` to node `listener` and carries the handshake and the
    /// neighbour request until both are quiet.
    mutating func connect(_ dialer: Int, _ listener: Int, link: LinkID) {
        ends[link] = (dialer, listener)
        let fromDialer = nodes[dialer].linkOpened(
            link, outbound: true, dialed: nil, remote: nil, nonce: Array(repeating: UInt8(dialer), count: 16), agreementKey: testAgreementKey, now: now)
        let fromListener = nodes[listener].linkOpened(
            link, outbound: false, dialed: nil, remote: nil, nonce: Array(repeating: UInt8(listener), count: 16), agreementKey: testAgreementKey, now: now)
        carry(fromDialer.map { (dialer, $0) } + fromListener.map { (listener, $0) })
    }

    /// Delivers every `.send` in `effects` (from node `sender`) over its links, and whatever that
    /// leads to, until nothing is left; returns the effects that were not messages on a link, per node.
    @discardableResult
    mutating func carry(_ effects: [GossipEffect], from sender: Int) -> [(node: Int, effect: GossipEffect)] {
        carry(effects.map { (sender, $0) })
    }

    /// Delivers every `.send` in `effects` (each from its node), in order, and what follows.
    @discardableResult
    mutating func carry(_ effects: [(Int, GossipEffect)]) -> [(node: Int, effect: GossipEffect)] {
        var queue = effects
        var rest: [(node: Int, effect: GossipEffect)] = []
        while !queue.isEmpty {
            let (node, effect) = queue.removeFirst()
            guard case .send(let links, let message) = effect else {
                rest.append((node, effect))
                continue
            }
            for link in links {
                guard let (x, y) = ends[link] else { continue }
                if case .item = message { itemMessages += 1 }
                let receiver = node == x ? y : x
                queue += nodes[receiver].doingHandshakeWork(nodes[receiver].received(peerMessage: message, on: link, now: now), now: now).map { (receiver, $0) }
            }
        }
        return rest
    }

    /// Every message node `node` sends in `effects` on `link`.
    static func messages(_ effects: [GossipEffect], on link: LinkID) -> [PeerMessage] {
        effects.compactMap { if case .send(let links, let message) = $0, links.contains(link) { message } else { nil } }
    }

    /// Runs node `node`'s timer at the current moment, without delivering what it sends.
    mutating func tick(_ node: Int) -> [GossipEffect] { nodes[node].tick(now: now) }

    mutating func advance(milliseconds: UInt64) { now = now.adding(nanoseconds: milliseconds * ms) }
}

enum TreeTestError: Error { case noItem }

@Suite("Broadcast tree (core)")
struct BroadcastTreeTests {
    /// a (0) - b (1) - c (2) in a line, both links tree links.
    func line() -> CoreMesh {
        var mesh = CoreMesh(count: 3)
        mesh.connect(0, 1, link: 10)
        mesh.connect(2, 1, link: 12)
        return mesh
    }

    @Test("links that join a node to the tree are eager at both ends; a third link between tree members is lazy")
    func treeLinksAgree() {
        var mesh = line()
        #expect(mesh.nodes[0].broadcast.isEager(10) && mesh.nodes[1].broadcast.isEager(10))
        #expect(mesh.nodes[2].broadcast.isEager(12) && mesh.nodes[1].broadcast.isEager(12))
        mesh.connect(0, 2, link: 20)  // a and c both have a tree link already
        #expect(mesh.nodes[0].overlay.isActive(20) && mesh.nodes[2].overlay.isActive(20))
        #expect(!mesh.nodes[0].broadcast.isEager(20) && !mesh.nodes[2].broadcast.isEager(20))
    }

    @Test("an item goes eagerly along tree links and only as an announcement on lazy ones")
    func eagerAndLazy() {
        var mesh = line()
        mesh.connect(0, 2, link: 20)
        let announced = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [1])), from: 1, now: mesh.now)
        #expect(CoreMesh.messages(announced, on: 10).contains { if case .item = $0 { true } else { false } })
        #expect(CoreMesh.messages(announced, on: 20).isEmpty, "nothing at once on the lazy link")
        #expect(announced.contains(.count(.itemIDsAnnounced, 1)))
        mesh.carry(announced, from: 0)
        mesh.advance(milliseconds: 300)
        let flushed = mesh.tick(0)
        guard case .ihave(let entries)? = CoreMesh.messages(flushed, on: 20).first(where: { if case .ihave = $0 { true } else { false } }) else {
            Issue.record("no IHAVE on the lazy link after the batching interval")
            return
        }
        #expect(entries.count == 1)
        let atC = mesh.carry(flushed, from: 0)
        #expect(!atC.contains { if case .send(_, .graft) = $0.effect { true } else { false } }, "c has the item from b: no graft")
    }

    /// A ring of `count` nodes, node i linked to node i + 1 by link 100 + i, with every link made
    /// a tree link (as grafts would): the tree has one cycle.
    func ring(_ count: Int) -> CoreMesh {
        var mesh = CoreMesh(count: count)
        for index in 0..<count { mesh.connect(index, (index + 1) % count, link: LinkID(UInt64(100 + index))) }
        for index in 0..<count {
            let link = LinkID(UInt64(100 + index))
            guard !mesh.nodes[index].broadcast.isEager(link) else { continue }
            mesh.nodes[index].broadcast.grafted(link)
            mesh.carry([.send([link], .graft([]))], from: index)
        }
        return mesh
    }

    /// Link weights of `ring`, by link.
    func weights(_ mesh: CoreMesh) -> [LinkID: PathWeight] {
        Dictionary(uniqueKeysWithValues: mesh.ends.map { link, ends in
            (link, PathWeight.link(between: mesh.nodes[ends.0].identity, and: mesh.nodes[ends.1].identity))
        })
    }

    @Test("a cycle in the tree loses exactly its heaviest link, at both ends, from wherever the item starts", arguments: [3, 4, 5])
    func cycleLosesHeaviestLink(size: Int) {
        var cutsSeen = 0
        for origin in 0..<size {
            var mesh = ring(size)
            #expect(mesh.ends.keys.allSatisfy { link in mesh.ends[link].map { mesh.nodes[$0.0].broadcast.isEager(link) && mesh.nodes[$0.1].broadcast.isEager(link) } ?? false })
            let weight = weights(mesh)
            let heaviest = weight.max { $0.value < $1.value }!.key
            let announced = mesh.nodes[origin].received(
                apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [UInt8(origin)])), from: 1, now: mesh.now)
            let rest = mesh.carry(announced, from: origin)
            cutsSeen += rest.filter { $0.effect == .count(.cutsSent, 1) }.count
            for (link, (a, b)) in mesh.ends {
                let eagerA = mesh.nodes[a].broadcast.isEager(link), eagerB = mesh.nodes[b].broadcast.isEager(link)
                #expect(eagerA == eagerB, "both ends agree on link \(link)")
                #expect(eagerA == (link != heaviest), "origin \(origin): link \(link) (weight \(weight[link]!.rawValue)) heaviest \(heaviest)")
            }
            // The next item travels the tree that is left: one ITEM per node, no duplicate.
            let before = mesh.itemMessages
            let next = mesh.nodes[origin].received(
                apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [UInt8(origin), 1])), from: 1, now: mesh.now)
            let after = mesh.carry(next, from: origin)
            #expect(mesh.itemMessages - before == size - 1)
            #expect(!after.contains { $0.effect == .count(.peerDuplicates, 1) })
        }
        if size >= 4 {
            // From an end of the heaviest link, the copies meet away from it: a CUT goes up.
            #expect(cutsSeen > 0, "some origin needed a CUT")
        }
    }

    @Test("a second copy over the link the first came on, or with a path as heavy, cuts nothing")
    func ambiguousDuplicate() {
        var mesh = CoreMesh(count: 2)
        mesh.connect(0, 1, link: 10)
        let item = GossipItem.bound(salt: UInt32(9), ttl: 0, dataType: 3, data: [1])
        _ = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        let again = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        #expect(CoreMesh.messages(again, on: 10).isEmpty)
        #expect(again.contains(.count(.peerDuplicates, 1)))
        #expect(mesh.nodes[1].broadcast.isEager(10))
    }

    @Test("a copy over a link this end already pruned is answered with PRUNE again")
    func pruneRepeatedOnLazyLink() {
        var mesh = CoreMesh(count: 2)
        mesh.connect(0, 1, link: 10)
        mesh.nodes[1].broadcast.pruned(10)  // lazy here; the peer never heard
        let item = GossipItem.bound(salt: UInt32(9), ttl: 0, dataType: 3, data: [1])
        _ = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        let again = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        #expect(CoreMesh.messages(again, on: 10).isEmpty, "the first copy came off the tree: nothing to say")
        let other = GossipItem.bound(salt: UInt32(10), ttl: 0, dataType: 3, data: [2])
        mesh.nodes[1].broadcast.grafted(10)
        _ = mesh.nodes[1].received(peerMessage: .item(other), on: 10, now: mesh.now)
        mesh.nodes[1].broadcast.pruned(10)
        let late = mesh.nodes[1].received(peerMessage: .item(other), on: 10, now: mesh.now)
        #expect(CoreMesh.messages(late, on: 10) == [.prune])
        #expect(late.contains(.count(.prunesSent, 1)))
    }

    @Test("a GRAFT over the link's request budget sends nothing, but still makes the link eager, as its sender now has it")
    func graftOverBudgetStillJoinsTheTree() {
        var mesh = CoreMesh(count: 2)
        mesh.connect(0, 1, link: 10)
        let item = GossipItem.bound(salt: UInt32(9), ttl: 0, dataType: 3, data: [1])
        _ = mesh.nodes[0].received(peerMessage: .item(item), on: 10, now: mesh.now)  // cached at node 0
        mesh.nodes[0].broadcast.pruned(10)
        let within = mesh.nodes[0].received(peerMessage: .graft([item.id]), on: 10, now: mesh.now)
        #expect(CoreMesh.messages(within, on: 10).contains { if case .item(let sent) = $0 { sent.id == item.id } else { false } }, "within the budget, the item goes")
        for _ in 0..<31 { _ = mesh.nodes[0].received(peerMessage: .request([]), on: 10, now: mesh.now) }  // the rest of the 32 spent
        mesh.nodes[0].broadcast.pruned(10)
        let graft = mesh.nodes[0].received(peerMessage: .graft([item.id]), on: 10, now: mesh.now)
        #expect(graft.contains(.count(.announcementsThrottled, 1)))
        #expect(CoreMesh.messages(graft, on: 10).isEmpty, "over the budget, the grafted items are not sent")
        #expect(mesh.nodes[0].broadcast.isEager(10), "the link is back in the tree at this end too")
    }

    @Test("a CUT that does not match the item's path here is ignored; one that does is passed up or prunes")
    func cutFollowsPath() {
        var mesh = line()  // a -10- b -12- c, both tree links
        let weight = weights(mesh)
        let item = GossipItem.bound(salt: UInt32(4), ttl: 0, dataType: 3, data: [4])
        // The item came to b from a, so b's path weight is the weight of link 10.
        _ = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        let wrong = mesh.nodes[1].received(peerMessage: .cut(item.id, PathWeight(rawValue: weight[10]!.rawValue ^ 1)), on: 12, now: mesh.now)
        #expect(CoreMesh.messages(wrong, on: 10).isEmpty && mesh.nodes[1].broadcast.isEager(10))
        let unknown = mesh.nodes[1].received(peerMessage: .cut(ItemID(high: 1, low: 1), weight[10]!), on: 12, now: mesh.now)
        #expect(unknown.isEmpty)
        let fromParent = mesh.nodes[1].received(peerMessage: .cut(item.id, weight[10]!), on: 10, now: mesh.now)
        #expect(fromParent.isEmpty, "a CUT over the link the item came on is no child's: ignored")
        // c got the item from b: its path here names the heavier of the two links last. A CUT for
        // link 10 at c goes up to b; one for link 12 prunes at c.
        let atC = mesh.nodes[2].received(peerMessage: .item(GossipItem(id: item.id, ttl: 0, dataType: 3, path: TreePath.origin.crossing(weight[10]!), data: item.data)), on: 12, now: mesh.now)
        #expect(!atC.contains(.count(.peerDuplicates, 1)))
        if weight[10]! > weight[12]! {
            let passed = mesh.nodes[2].received(peerMessage: .cut(item.id, weight[10]!), on: 12, now: mesh.now)
            #expect(passed.isEmpty, "a CUT from the link the item came on is ignored")
        }
        let right = mesh.nodes[1].received(peerMessage: .cut(item.id, weight[10]!), on: 12, now: mesh.now)
        #expect(CoreMesh.messages(right, on: 10) == [.prune])
        #expect(!mesh.nodes[1].broadcast.isEager(10))
    }

    @Test("a CUT travels up the item's path, hop by hop, to the link of its weight")
    func cutPassesUp() {
        var mesh = CoreMesh(count: 4)  // a -10- b -12- c -13- d, all tree links
        mesh.connect(0, 1, link: 10)
        mesh.connect(1, 2, link: 12)
        mesh.connect(2, 3, link: 13)
        for (node, link) in [(1, LinkID(12)), (2, LinkID(13))] where !mesh.nodes[node].broadcast.isEager(link) {
            mesh.nodes[node].broadcast.grafted(link)
            mesh.carry([.send([link], .graft([]))], from: node)
        }
        let weight = weights(mesh)
        let announced = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [5])), from: 1, now: mesh.now)
        mesh.carry(announced, from: 0)
        guard case .item(let item)? = CoreMesh.messages(announced, on: 10).first else {
            Issue.record("the item did not go out")
            return
        }
        // d asks c to cut the heaviest of links 10 and 12 (c's path), as if a cycle had closed below d.
        let target: LinkID = weight[10]! > weight[12]! ? 10 : 12
        let heaviest = max(weight[10]!, weight[12]!)
        #expect(target == 10, "the fixed identities make link 10 the heavier, so the CUT must pass c on to b")
        let atC = mesh.nodes[2].received(peerMessage: .cut(item.id, heaviest), on: 13, now: mesh.now)
        #expect(CoreMesh.messages(atC, on: 12) == [target == 12 ? .prune : .cut(item.id, heaviest)])
        mesh.carry(atC, from: 2)
        let (a, b) = mesh.ends[target]!
        #expect(!mesh.nodes[a].broadcast.isEager(target) && !mesh.nodes[b].broadcast.isEager(target), "link \(target) left the tree at both ends")
        for link in [LinkID(10), 12, 13] where link != target {
            #expect(mesh.nodes[mesh.ends[link]!.0].broadcast.isEager(link), "link \(link) stays")
        }
    }

    @Test("a fetch the tree's late copy makes needless teaches the node to wait longer before the next")
    func needlessFetchLengthensTheWait() throws {
        var mesh = line()
        mesh.connect(0, 2, link: 20)  // lazy: a and c both hang on the tree through b
        let base = mesh.nodes[2].broadcast.configuration.graftTimeoutNanoseconds
        #expect(mesh.nodes[2].broadcast.graftTimeout == base, "no sample yet: the configured timeout")
        func delayedItem(_ byte: UInt8) throws -> GossipItem {
            let announced = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [byte])), from: 1, now: mesh.now)
            guard case .item(let item)? = CoreMesh.messages(announced, on: 10).first else { throw TreeTestError.noItem }
            return item  // held back: its tree copy is late, not lost
        }
        func asks(_ effects: [GossipEffect]) -> [PeerMessage] {
            CoreMesh.messages(effects, on: 20).filter { if case .request = $0 { true } else if case .graft = $0 { true } else { false } }
        }
        let item = try delayedItem(7)
        _ = mesh.nodes[2].received(peerMessage: .ihave([item.id]), on: 20, now: mesh.now)
        mesh.advance(milliseconds: 600)
        #expect(asks(mesh.tick(2)) == [.request([item.id])])
        _ = mesh.nodes[2].received(peerMessage: .item(item), on: 20, now: mesh.now)  // the fetch's answer
        // The tree's copy comes 400 ms later: a to b, then b to c as a duplicate over c's tree link.
        mesh.advance(milliseconds: 400)
        let atB = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        let late = mesh.carry(atB, from: 1)
        #expect(late.contains { $0.node == 2 && $0.effect == .count(.peerDuplicates, 1) })
        let wait = mesh.nodes[2].broadcast.graftTimeout
        #expect(wait > 2 * base && wait <= 8 * base, "one sample of 1 s: the wait grows, within 8 times the configured one")
        #expect(mesh.nodes[0].broadcast.graftTimeout == base && mesh.nodes[1].broadcast.graftTimeout == base)

        // The next late item: c waits it out, and the tree's copy comes before any fetch.
        let next = try delayedItem(8)
        _ = mesh.nodes[2].received(peerMessage: .ihave([next.id]), on: 20, now: mesh.now)
        mesh.advance(milliseconds: 600)
        #expect(asks(mesh.tick(2)).isEmpty, "600 ms is no longer enough to give up on the tree")
        let nextAtB = mesh.nodes[1].received(peerMessage: .item(next), on: 10, now: mesh.now)
        let arrived = mesh.carry(nextAtB, from: 1)
        #expect(arrived.contains { $0.node == 2 && $0.effect == .count(.peerItemsReceived, 1) })
        #expect(!arrived.contains { $0.node == 2 && $0.effect == .count(.peerDuplicates, 1) })

        // Once the tree is prompt again (its copies come before the announcements), the wait
        // comes back down to the configured one.
        let raised = mesh.nodes[2].broadcast.graftTimeout
        for byte in UInt8(20)..<UInt8(80) {
            let prompt = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [byte])), from: 1, now: mesh.now)
            mesh.carry(prompt, from: 0)
            guard case .item(let item)? = CoreMesh.messages(prompt, on: 10).first else { throw TreeTestError.noItem }
            _ = mesh.nodes[2].received(peerMessage: .ihave([item.id]), on: 20, now: mesh.now)
            mesh.advance(milliseconds: 10)
        }
        #expect(mesh.nodes[2].broadcast.graftTimeout < raised)
        #expect(mesh.nodes[2].broadcast.graftTimeout == base, "60 prompt items bring the wait back to the configured one")
    }

    @Test("a tree copy that beats the answer to a fetch still counts as late; the answer itself does not")
    func treeCopyBeforeFetchAnswer() throws {
        var mesh = line()
        mesh.connect(0, 2, link: 20)
        let base = mesh.nodes[2].broadcast.configuration.graftTimeoutNanoseconds
        let announced = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [7])), from: 1, now: mesh.now)
        guard case .item(let item)? = CoreMesh.messages(announced, on: 10).first else { throw TreeTestError.noItem }
        _ = mesh.nodes[2].received(peerMessage: .ihave([item.id]), on: 20, now: mesh.now)
        mesh.advance(milliseconds: 600)
        _ = mesh.tick(2)  // fetches from a over the lazy link
        mesh.advance(milliseconds: 400)
        let atB = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        mesh.carry(atB, from: 1)  // the tree's copy reaches c first, 1 s after the announcement
        let wait = mesh.nodes[2].broadcast.graftTimeout
        #expect(wait > 2 * base, "the tree's copy, 1 s late, is a sample")
        let answer = mesh.nodes[2].received(peerMessage: .item(item), on: 20, now: mesh.now)
        #expect(answer.contains(.count(.peerDuplicates, 1)))
        #expect(mesh.nodes[2].broadcast.graftTimeout == wait, "the fetch's own answer is no sample")
    }

    @Test("answers to any of the node's asks are no lateness sample; only the tree's copy is")
    func answersToEarlierAsksAreNoSamples() throws {
        // a (0), b (1), c (2), d (3): c hangs on the tree through b, and d, which joins later,
        // hangs on through c (link 30 is a tree link); a only announces to c (link 20 is lazy).
        var mesh = line()
        mesh.connect(0, 2, link: 20)
        mesh.nodes.append(CorePair.node(4, engine: .init(cacheSize: 16, validationTimeoutNanoseconds: 1000 * ms)))
        mesh.connect(3, 2, link: 30)
        #expect(mesh.nodes[2].broadcast.isEager(30) && !mesh.nodes[2].broadcast.isEager(20))
        let base = mesh.nodes[2].broadcast.configuration.graftTimeoutNanoseconds
        let announced = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [7])), from: 1, now: mesh.now)
        guard case .item(let item)? = CoreMesh.messages(announced, on: 10).first else { throw TreeTestError.noItem }
        _ = mesh.nodes[2].received(peerMessage: .ihave([item.id]), on: 20, now: mesh.now)
        _ = mesh.nodes[2].received(peerMessage: .ihave([item.id]), on: 30, now: mesh.now)
        // Two timers run out: c asks d first (an announcer on the tree), then grafts a's link.
        mesh.advance(milliseconds: 600)
        let first = mesh.tick(2)
        #expect(CoreMesh.messages(first, on: 30).contains(.request([item.id])))
        mesh.advance(milliseconds: 600)
        let second = mesh.tick(2)
        #expect(CoreMesh.messages(second, on: 20).contains(.graft([item.id])))
        #expect(mesh.nodes[2].broadcast.isEager(20))
        // Both answers come late, over tree links: d's (the first ask) and a's (the second).
        mesh.advance(milliseconds: 500)
        _ = mesh.nodes[2].received(peerMessage: .item(item), on: 30, now: mesh.now)
        _ = mesh.nodes[2].received(peerMessage: .item(item), on: 20, now: mesh.now)
        #expect(mesh.nodes[2].broadcast.graftTimeout == base, "answers to the node's own asks are no sample")
        // The tree's own copy, through b, 1.7 s after the announcement: that is the sample.
        let atB = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        mesh.carry(atB, from: 1)
        #expect(mesh.nodes[2].broadcast.graftTimeout > 2 * base)
    }

    @Test("an item pulled by anti-entropy gives no lateness sample, not even a 0 at a later announcement")
    func antiEntropyAnswersAreNoSamples() throws {
        var mesh = line()
        mesh.connect(0, 2, link: 20)
        let base = mesh.nodes[2].broadcast.configuration.graftTimeoutNanoseconds
        func heldBack(_ byte: UInt8) throws -> GossipItem {
            let announced = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [byte])), from: 1, now: mesh.now)
            guard case .item(let item)? = CoreMesh.messages(announced, on: 10).first else { throw TreeTestError.noItem }
            return item
        }
        // First raise c's wait: an item announced to c whose tree copy comes 1 s later.
        let late = try heldBack(7)
        _ = mesh.nodes[2].received(peerMessage: .ihave([late.id]), on: 20, now: mesh.now)
        mesh.advance(milliseconds: 200)
        _ = mesh.tick(2)
        mesh.advance(milliseconds: 800)  // (the timer's ask is left unanswered)
        mesh.carry(mesh.nodes[1].received(peerMessage: .item(late), on: 10, now: mesh.now), from: 1)
        let raised = mesh.nodes[2].broadcast.graftTimeout
        #expect(raised > base)
        // Now c pulls an item by anti-entropy over its tree link 12 (b got it, but did not pass
        // it on), then hears it announced: neither the answer nor the announcement is a sample.
        let pulled = try heldBack(8)
        _ = mesh.nodes[1].received(peerMessage: .item(pulled), on: 10, now: mesh.now)
        mesh.advance(milliseconds: 2000)
        let pull = mesh.nodes[2].received(peerMessage: .digest([pulled.id]), on: 12, now: mesh.now)
        #expect(CoreMesh.messages(pull, on: 12) == [.request([pulled.id])])
        _ = mesh.nodes[2].received(peerMessage: .item(pulled), on: 12, now: mesh.now)
        _ = mesh.nodes[2].received(peerMessage: .ihave([pulled.id]), on: 20, now: mesh.now)
        #expect(mesh.nodes[2].broadcast.graftTimeout == raised, "no sample, so no 0 that would lower the wait")
    }

    @Test("a cycle behind a heavier shared stretch still loses its own heaviest link")
    func cycleBehindHeavierStem() throws {
        // Five nodes: an origin on a stem to a ring of the other four. The stem is the heaviest
        // of all ten possible links, so it is heavier than every ring link: both copies then cross
        // the heaviest link of their paths on the stretch they share, which a single path weight
        // (protocol version 4) cannot see past.
        let probe = CoreMesh(count: 5)
        func weight(_ x: Int, _ y: Int) -> PathWeight { PathWeight.link(between: probe.nodes[x].identity, and: probe.nodes[y].identity) }
        let pairs = (0..<5).flatMap { x in (x + 1..<5).map { (x, $0) } }
        let (origin, partner) = pairs.max { weight($0.0, $0.1) < weight($1.0, $1.1) }!
        let ring = [partner] + (0..<5).filter { $0 != origin && $0 != partner }
        var mesh = CoreMesh(count: 5)
        mesh.connect(origin, ring[0], link: 50)
        for index in 0..<4 { mesh.connect(ring[index], ring[(index + 1) % 4], link: LinkID(UInt64(100 + index))) }
        for index in 0..<4 {
            let link = LinkID(UInt64(100 + index))
            guard !mesh.nodes[ring[index]].broadcast.isEager(link) else { continue }
            mesh.nodes[ring[index]].broadcast.grafted(link)
            mesh.carry([.send([link], .graft([]))], from: ring[index])
        }
        let ringLinks = (0..<4).map { LinkID(UInt64(100 + $0)) }
        #expect(ringLinks.allSatisfy { mesh.nodes[mesh.ends[$0]!.0].broadcast.isEager($0) }, "the ring is all tree links: one cycle")
        let heaviest = ringLinks.max { a, b in
            weight(mesh.ends[a]!.0, mesh.ends[a]!.1) < weight(mesh.ends[b]!.0, mesh.ends[b]!.1)
        }!
        let announced = mesh.nodes[origin].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [1])), from: 1, now: mesh.now)
        mesh.carry(announced, from: origin)
        for link in ringLinks + [50] {
            let (a, b) = mesh.ends[link]!
            #expect(mesh.nodes[a].broadcast.isEager(link) == (link != heaviest))
            #expect(mesh.nodes[b].broadcast.isEager(link) == (link != heaviest))
        }
        let before = mesh.itemMessages
        let next = mesh.nodes[origin].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [2])), from: 1, now: mesh.now)
        let after = mesh.carry(next, from: origin)
        #expect(mesh.itemMessages - before == 4, "the next item crosses the tree once: no duplicate")
        #expect(!after.contains { $0.effect == .count(.peerDuplicates, 1) })
    }

    @Test("an announced item that does not arrive is fetched from its announcer; a second miss soon after grafts")
    func fetchThenGraftAfterMissingItems() {
        var mesh = line()
        mesh.connect(0, 2, link: 20)  // lazy: a and c both hang on the tree through b
        // a holds items whose tree copies are lost on the way (not carried); it announces them to c.
        func lostItem(_ byte: UInt8) -> GossipItem? {
            let announced = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: [byte])), from: 1, now: mesh.now)
            guard case .item(let item)? = CoreMesh.messages(announced, on: 10).first else { return nil }
            return item
        }
        guard let item = lostItem(7) else {
            Issue.record("the item did not go out on the tree link")
            return
        }
        _ = mesh.nodes[2].received(peerMessage: .ihave([item.id]), on: 20, now: mesh.now)
        mesh.advance(milliseconds: 100)
        func asks(_ effects: [GossipEffect]) -> [PeerMessage] {
            CoreMesh.messages(effects, on: 20).filter { if case .request = $0 { true } else if case .graft = $0 { true } else { false } }
        }
        #expect(asks(mesh.tick(2)).isEmpty, "not before the timeout")
        mesh.advance(milliseconds: 600)
        let timedOut = mesh.tick(2)
        #expect(asks(timedOut) == [.request([item.id])], "a first miss: fetched, the tree left alone")
        #expect(timedOut.contains(.count(.itemsFetched, 1)))
        #expect(!mesh.nodes[2].broadcast.isEager(20))
        let answer = mesh.nodes[0].received(peerMessage: .request([item.id, item.id, item.id]), on: 20, now: mesh.now)
        #expect(CoreMesh.messages(answer, on: 20) == [.item(item)], "an ID asked for three times is sent once")
        let delivered = mesh.nodes[2].received(peerMessage: .item(item), on: 20, now: mesh.now)
        #expect(delivered.contains(.count(.peerItemsReceived, 1)) && !delivered.contains(.count(.peerDuplicates, 1)))

        // Another miss within the window: this node's part looks cut off, so it grafts.
        guard let second = lostItem(8) else {
            Issue.record("the second item did not go out on the tree link")
            return
        }
        _ = mesh.nodes[2].received(peerMessage: .ihave([second.id]), on: 20, now: mesh.now)
        mesh.advance(milliseconds: 600)
        let grafting = mesh.tick(2)
        #expect(asks(grafting) == [.graft([second.id])])
        #expect(grafting.contains(.count(.itemsGrafted, 1)))
        #expect(mesh.nodes[2].broadcast.isEager(20), "the grafted link is a tree link now")
        let graftAnswer = mesh.nodes[0].received(peerMessage: .graft([second.id]), on: 20, now: mesh.now)
        #expect(CoreMesh.messages(graftAnswer, on: 20).count == 1)
        #expect(mesh.nodes[0].broadcast.isEager(20))
    }

    @Test("a neighbour that drops a tree link without naming another is not dialed back; the node grafts a lazy link instead")
    func disconnectWithoutHandover() {
        var mesh = line()
        mesh.connect(0, 2, link: 20)  // c: tree link 12 to b, lazy link 20 to a
        let b = mesh.nodes[1].identity
        let effects = mesh.nodes[2].received(
            peerMessage: .membership(PeerMembership(kind: .disconnect, entry: PeerEntry(identity: b, address: address(6002)))), on: 12,
            now: mesh.now)
        #expect(effects.contains(.closeLink(12, .disconnected)))
        #expect(!effects.contains { if case .dial = $0 { true } else { false } }, "no dial back to the node that dropped us")
        #expect(effects.contains(.send([20], .graft([]))), "back on the tree through the other link")
    }

    @Test("validation gates the lazy path: no announcement, no GRAFT answer and no digest before a verdict, nor after an invalid one")
    func validationGatesLazyPath() {
        var mesh = line()
        mesh.connect(0, 2, link: 20)
        // b subscribes; an item from a waits at b for b's module.
        _ = mesh.nodes[1].received(apiMessage: .notify(GossipNotify(dataType: 3)), from: 5, now: mesh.now)
        let item = GossipItem.bound(salt: UInt32(4), ttl: 0, dataType: 3, data: [4])
        let arrival = mesh.nodes[1].received(peerMessage: .item(item), on: 10, now: mesh.now)
        guard case .notify(_, let notification, _)? = arrival.first(where: { if case .notify = $0 { true } else { false } }) else {
            Issue.record("b's module was not notified")
            return
        }
        #expect(CoreMesh.messages(arrival, on: 12).isEmpty, "nothing to c before the verdict")
        mesh.advance(milliseconds: 300)
        #expect(!CoreMesh.messages(mesh.tick(1), on: 12).contains { if case .ihave = $0 { true } else { false } })
        #expect(CoreMesh.messages(mesh.nodes[1].received(peerMessage: .graft([item.id]), on: 12, now: mesh.now), on: 12).isEmpty)
        let verdict = mesh.nodes[1].received(
            apiMessage: .validation(GossipValidation(messageID: notification.messageID, isValid: false)), from: 5, now: mesh.now)
        #expect(CoreMesh.messages(verdict, on: 12).isEmpty)
        mesh.advance(milliseconds: 300)
        let later = mesh.tick(1)
        #expect(!CoreMesh.messages(later, on: 12).contains { if case .ihave = $0 { true } else { false } })
        #expect(!CoreMesh.messages(later, on: 12).contains { if case .digest(let ids) = $0 { ids.contains(item.id) } else { false } })
        #expect(CoreMesh.messages(mesh.nodes[1].received(peerMessage: .graft([item.id]), on: 12, now: mesh.now), on: 12).isEmpty)
        #expect(CoreMesh.messages(mesh.nodes[1].received(peerMessage: .request([item.id]), on: 12, now: mesh.now), on: 12).isEmpty)
    }
}

@Suite("Answer budget")
struct AnswerBudgetTests {
    @Test("a REQUEST repeated for a large cached item is answered up to the link's byte budget, then withheld until it refills")
    func requestCannotAmplify() throws {
        var mesh = CoreMesh(count: 2)
        mesh.connect(0, 1, link: 10)
        var ids: [ItemID] = []
        for n in 0..<16 {  // 16 cached items of 60 KB (the cache holds 16)
            let data = [UInt8](repeating: UInt8(n), count: 60_000)
            let announced = mesh.nodes[0].received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 3, data: data)), from: 1, now: mesh.now)
            for case .item(let item) in CoreMesh.messages(announced, on: 10) { ids.append(item.id) }
        }
        try #require(ids.count == 16)
        var answeredBytes = 0
        var withheld = 0
        var ignored = 0
        for _ in 0..<40 {  // 40 REQUESTs of 262 bytes, each naming all 16 items (and each ID three times)
            let answer = mesh.nodes[0].received(peerMessage: .request(ids + ids + ids), on: 10, now: mesh.now)
            for message in CoreMesh.messages(answer, on: 10) { if case .item(let sent) = message { answeredBytes += 24 + sent.data.count } }
            for case .count(.answersWithheld, let n) in answer { withheld += n }
            for case .count(.announcementsThrottled, let n) in answer { ignored += n }
        }
        #expect(answeredBytes <= Int(AnswerBudget.burstBytes), "answered \(answeredBytes) bytes for 40 requests of 262 bytes")
        #expect(answeredBytes >= 16 * 60_024, "the first request is answered in full, each item once")
        #expect(withheld > 0, "over the byte budget, answers are withheld and counted")
        #expect(ignored == 40 - 32, "over 32 requests at once, requests are ignored and counted")
        mesh.advance(milliseconds: 1000)
        let later = mesh.nodes[0].received(peerMessage: .request([ids[0]]), on: 10, now: mesh.now)
        #expect(CoreMesh.messages(later, on: 10).count == 1, "a second later the bucket has refilled enough for one more")
    }
}
