import GossipWire
import Testing

@testable import GossipCore

/// What keeps a join storm cheap: a displaced neighbour links to the newcomer (a splice), a node
/// whose JOIN is under way dials nobody else, and a joined node waits for its walks' ends.
@Suite("Join load")
struct JoinLoadTests {
    let ms: UInt64 = 1_000_000
    let target = Overlay.DialTarget(host: "127.0.0.1", port: 7000)

    func overlay(degree: Int, me: UInt8 = 5, bootstrappers: [Overlay.DialTarget] = []) -> Overlay {
        Overlay(
            configuration: .init(
                degree: degree, viewCapacity: 16, maximumLinks: 64, gossipIntervalNanoseconds: 100 * ms,
                antiEntropyIntervalNanoseconds: 100 * ms, pingIntervalNanoseconds: 1000 * ms, peerTimeoutNanoseconds: 3000 * ms),
            selfIdentity: identity(me), selfAddress: address(6000 + UInt16(me)), bootstrappers: bootstrappers,
            random: SeededRandom(seed: 6))
    }

    func entry(_ n: UInt8) -> PeerEntry { PeerEntry(identity: identity(n), address: address(UInt16(n))) }

    func dials(_ actions: [Overlay.Action]) -> [Overlay.DialTarget] {
        actions.compactMap { if case .dial(let target) = $0 { target } else { nil } }
    }

    func sentKinds(_ actions: [Overlay.Action], on link: LinkID) -> [PeerMembership.Kind] {
        actions.compactMap { if case .send(link, .membership(let m)) = $0 { m.kind } else { nil } }
    }

    /// Link `link` opened by peer `n`, its HELLO done, and its JOIN.
    func join(_ node: inout Overlay, _ link: LinkID, _ n: UInt8, treeLinks: Set<LinkID> = []) -> [Overlay.Action] {
        _ = node.linkOpened(link, outbound: false, dialed: nil, now: .zero)
        _ = node.receivedHello(PeerHello(identity: identity(n), listenAddress: address(UInt16(n))), on: link, now: .zero)
        return node.receivedMembership(PeerMembership(kind: .join, entry: entry(n)), on: link, now: .zero, treeLinks: treeLinks)
    }

    func disconnects(_ actions: [Overlay.Action]) -> [(LinkID, PeerMembership)] {
        actions.compactMap { action -> (LinkID, PeerMembership)? in
            if case .send(let link, .membership(let m)) = action, m.kind == .disconnect { (link, m) } else { nil }
        }
    }

    @Test("a full contact that takes a joiner in names it in the DISCONNECT to the lazy neighbour it drops; otherwise it names itself")
    func dropperNamesJoiner() throws {
        var node = overlay(degree: 1)  // slack 2: at most 3 active links
        for n: UInt64 in 1...3 { connect(&node, LinkID(n), UInt8(20 + n)) }
        let taken = join(&node, 9, 40)
        #expect(taken.contains(.activated(9)))
        let (dropped, notice) = try #require(disconnects(taken).first)
        #expect(disconnects(taken).count == 1)
        #expect(notice.entry == entry(40), "the joiner, not the dropper's own entry")
        #expect(taken.contains(.close(link: dropped, .displaced)))
        // A NEIGHBOR_HIGH newcomer is no joiner: the DISCONNECT names the dropper.
        let asked = connect(&node, 10, 41, high: true)
        #expect(disconnects(asked).map(\.1.entry) == [PeerEntry(identity: identity(5), address: address(6005))])
        // Nor when the neighbour dropped is a tree link (its DISCONNECT names the way back onto the tree).
        var tree = overlay(degree: 1)
        for n: UInt64 in 1...3 { connect(&tree, LinkID(n), UInt8(20 + n)) }
        let treeTaken = join(&tree, 9, 40, treeLinks: [1, 2, 3])
        #expect(disconnects(treeTaken).map(\.1.entry) == [PeerEntry(identity: identity(5), address: address(6005))])
    }

    @Test("a dropped neighbour short of degree dials the joiner named, which must prove that identity; one at degree, or on a tree link, does not")
    func droppedNeighbourSplices() {
        let notice = PeerMembership(kind: .disconnect, entry: entry(40))
        // Short of degree once the link goes: dials 40, and asks it once 40 answers as itself.
        var short = overlay(degree: 2)
        connect(&short, 1, 21)
        connect(&short, 2, 22)
        let actions = short.receivedMembership(notice, on: 1, now: Moment(nanoseconds: 10 * ms))
        #expect(actions.contains(.close(link: 1, .disconnected)))
        let spliced = dials(actions)
        #expect(spliced == [Overlay.DialTarget(host: "127.0.0.1", port: 40, identity: identity(40))])
        _ = short.linkOpened(3, outbound: true, dialed: spliced[0], now: Moment(nanoseconds: 20 * ms))
        let asked = short.receivedHello(PeerHello(identity: identity(40), listenAddress: address(40)), on: 3, now: Moment(nanoseconds: 20 * ms))
        #expect(sentKinds(asked, on: 3) == [.neighborLow], "a request the joiner may refuse if it filled up meanwhile")
        // A node whose one neighbour drops it for 40, and who answers there.
        func aloneSpliced(answeredBy answer: UInt8) -> [Overlay.Action] {
            var alone = overlay(degree: 2)
            connect(&alone, 1, 21)
            let aloneDials = dials(alone.receivedMembership(notice, on: 1, now: .zero))
            #expect(aloneDials.count == 1)
            guard let target = aloneDials.first else { return [] }
            _ = alone.linkOpened(3, outbound: true, dialed: target, now: .zero)
            return alone.receivedHello(PeerHello(identity: identity(answer), listenAddress: address(40)), on: 3, now: .zero)
        }
        #expect(sentKinds(aloneSpliced(answeredBy: 40), on: 3) == [.neighborHigh], "with no neighbour left, a request the joiner must take")
        #expect(aloneSpliced(answeredBy: 77) == [.close(link: 3, .wrongPeer)], "someone else answering there gets no request")
        // At degree after the drop: nothing to replace.
        var enough = overlay(degree: 1)
        connect(&enough, 1, 21)
        connect(&enough, 2, 22)
        #expect(dials(enough.receivedMembership(notice, on: 1, now: .zero)).isEmpty)
        // A plain DISCONNECT (the sender's own entry) names nobody.
        var plain = overlay(degree: 2)
        connect(&plain, 1, 21)
        #expect(dials(plain.receivedMembership(PeerMembership(kind: .disconnect, entry: entry(21)), on: 1, now: .zero)).isEmpty)
        // On a tree link the entry is a way back onto the tree, which the protocol follows.
        var tree = overlay(degree: 2)
        connect(&tree, 1, 21)
        #expect(dials(tree.receivedMembership(notice, on: 1, now: .zero, treeLinks: [1])).isEmpty)
    }

    @Test("splices are not dialed to a peer that just dropped us, and 8 at once, then 2 a second")
    func splicesBounded() {
        var node = overlay(degree: 64)
        // Peer 21 drops us and names 22; 22 drops us and names 21, which we postponed: no dial back.
        connect(&node, 1, 21)
        connect(&node, 2, 22)
        #expect(dials(node.receivedMembership(PeerMembership(kind: .disconnect, entry: entry(22)), on: 1, now: .zero)).isEmpty, "linked to 22 already")
        #expect(dials(node.receivedMembership(PeerMembership(kind: .disconnect, entry: entry(21)), on: 2, now: .zero)).isEmpty, "21 just dropped us")
        // Many neighbours, each dropping us for a fresh joiner; each dial fails at once, so the
        // dial limit (8 under way) never binds: the budget does.
        func splices(_ count: Int, from first: Int, now: Moment) -> Int {
            var dialed = 0
            for n in first..<(first + count) {
                let link = LinkID(UInt64(100 + n))
                connect(&node, link, UInt8(100 + n), now: now)
                for target in dials(node.receivedMembership(PeerMembership(kind: .disconnect, entry: entry(UInt8(200 - n))), on: link, now: now)) {
                    dialed += 1
                    node.dialFailed(target, now: now)
                }
            }
            return dialed
        }
        #expect(splices(20, from: 0, now: .zero) == 8, "8 at once")
        #expect(splices(10, from: 20, now: Moment(nanoseconds: 1000 * ms)) == 2, "then 2 a second")
    }

    @Test("while its JOIN is under way at a bootstrapper that answered, a node dials none of the peers it heard of; once that link is gone, it does")
    func joinFirst() {
        var node = overlay(degree: 4, bootstrappers: [target])
        #expect(dials(node.tick(now: .zero)) == [target])
        _ = node.linkOpened(1, outbound: true, dialed: target, now: .zero)  // answered: its handshake is under way
        connect(&node, 2, 9)  // someone who found us, and tells us of others
        node.receivedPush(PeerPush(listenAddress: address(9), entries: [entry(40), entry(41)]), on: 2)
        #expect(dials(node.tick(now: Moment(nanoseconds: 100 * ms))).isEmpty, "the JOIN is under way")
        #expect(node.nextWake(after: Moment(nanoseconds: 100 * ms), tickInterval: 10 * ms) > Moment(nanoseconds: 110 * ms), "and no wake-up each tick meanwhile")
        _ = node.linkClosed(1, now: Moment(nanoseconds: 150 * ms))  // the bootstrapper gave up on us
        let after = Set(dials(node.tick(now: Moment(nanoseconds: 160 * ms))).compactMap { $0.identity == nil ? nil : $0.port })
        #expect(after == [40, 41], "the peers heard of")
    }

    @Test("a restarted node dials its remembered peers at once, whatever its JOIN and the walks are doing, and each once")
    func rememberedFirst() {
        var node = overlay(degree: 8, bootstrappers: [target])
        #expect(dials(node.tick(now: .zero)) == [target])
        _ = node.linkOpened(1, outbound: true, dialed: target, now: .zero)  // the JOIN under way
        connect(&node, 2, 9)
        node.receivedPush(PeerPush(listenAddress: address(9), entries: [entry(40)]), on: 2)
        node.remember([entry(21), entry(22)])
        let during = Set(dials(node.tick(now: Moment(nanoseconds: 100 * ms))).map(\.port))
        #expect(during == [21, 22], "the remembered peers, not 40 whom a peer named")
        node.dialFailed(Overlay.DialTarget(host: "127.0.0.1", port: 21, identity: identity(21)), now: Moment(nanoseconds: 110 * ms))
        #expect(!dials(node.tick(now: Moment(nanoseconds: 1200 * ms))).contains { $0.port == 21 }, "each once this way")
    }

    @Test("a node whose contact took its JOIN leaves its active view to the walks' ends for two rounds, then dials")
    func waitForWalkEnds() {
        var node = overlay(degree: 4, bootstrappers: [target])
        #expect(dials(node.tick(now: .zero)) == [target])
        _ = node.linkOpened(1, outbound: true, dialed: target, now: .zero)
        _ = node.receivedHello(PeerHello(identity: identity(7), listenAddress: address(7000)), on: 1, now: .zero)
        let accepted = node.receivedMembership(PeerMembership(kind: .accept, entry: entry(7)), on: 1, now: Moment(nanoseconds: 10 * ms))
        #expect(accepted.contains(.activated(1)))
        #expect(node.hasJoined)
        connect(&node, 2, 9, now: Moment(nanoseconds: 20 * ms))  // a walk's end
        node.receivedPush(PeerPush(listenAddress: address(9), entries: [entry(40), entry(41)]), on: 2)
        #expect(dials(node.tick(now: Moment(nanoseconds: 100 * ms))).isEmpty, "the walks' ends are on their way")
        #expect(dials(node.tick(now: Moment(nanoseconds: 200 * ms))).isEmpty)
        #expect(node.nextWake(after: Moment(nanoseconds: 150 * ms), tickInterval: 10 * ms) == Moment(nanoseconds: 210 * ms), "the wait's end, not the next tick")
        let wake = node.nextWake(after: Moment(nanoseconds: 200 * ms), tickInterval: 30 * ms)
        #expect(wake == Moment(nanoseconds: 210 * ms), "woken when the wait ends: two rounds of 100 ms after the ACCEPT")
        let later = Set(dials(node.tick(now: Moment(nanoseconds: 210 * ms))).map(\.port))
        #expect(later == [40, 41], "still short of degree: its own requests")
    }

    @Test("a joined node whose every neighbour is gone does not wait for walk ends")
    func noWaitWhenAlone() {
        var node = overlay(degree: 4, bootstrappers: [target])
        _ = node.tick(now: .zero)
        _ = node.linkOpened(1, outbound: true, dialed: target, now: .zero)
        _ = node.receivedHello(PeerHello(identity: identity(7), listenAddress: address(7000)), on: 1, now: .zero)
        _ = node.receivedMembership(PeerMembership(kind: .accept, entry: entry(7)), on: 1, now: Moment(nanoseconds: 10 * ms))
        connect(&node, 2, 9, now: Moment(nanoseconds: 20 * ms))
        node.receivedPush(PeerPush(listenAddress: address(9), entries: [entry(40)]), on: 2)
        _ = node.tick(now: Moment(nanoseconds: 100 * ms))  // the round: the push joins the view
        _ = node.linkClosed(1, now: Moment(nanoseconds: 110 * ms))
        _ = node.linkClosed(2, now: Moment(nanoseconds: 110 * ms))
        #expect(dials(node.tick(now: Moment(nanoseconds: 120 * ms))).contains { $0.port == 40 })
    }

    @Test("the end of a joiner's walk that must make room for the joiner names it to the lazy neighbour it drops")
    func walkEndSplices() throws {
        var node = overlay(degree: 1)  // at most 3 active links
        for n: UInt64 in 1...3 { connect(&node, LinkID(n), UInt8(20 + n)) }
        let walk = node.receivedMembership(PeerMembership(kind: .forwardJoin, ttl: 1, entry: entry(40)), on: 1, now: .zero)
        let target = try #require(dials(walk).first)
        _ = node.linkOpened(9, outbound: true, dialed: target, now: .zero)
        let asked = node.receivedHello(PeerHello(identity: identity(40), listenAddress: address(40)), on: 9, now: .zero)
        #expect(sentKinds(asked, on: 9) == [.neighborHigh])
        let accepted = node.receivedMembership(PeerMembership(kind: .accept, entry: entry(40)), on: 9, now: .zero)
        #expect(accepted.contains(.activated(9)))
        #expect(disconnects(accepted).map(\.1.entry) == [entry(40)])
    }
}
