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

    @Test("a full node that takes a newcomer in names it in the DISCONNECT to the neighbour it drops")
    func dropperNamesNewcomer() throws {
        var node = overlay(degree: 1)  // slack 2: at most 3 active links
        for n: UInt64 in 1...3 { connect(&node, LinkID(n), UInt8(20 + n)) }
        let taken = connect(&node, 9, 40, high: true)
        #expect(taken.contains(.activated(9)))
        let notices = taken.compactMap { action -> (LinkID, PeerMembership)? in
            if case .send(let link, .membership(let m)) = action, m.kind == .disconnect { (link, m) } else { nil }
        }
        let (dropped, notice) = try #require(notices.first)
        #expect(notices.count == 1)
        #expect(notice.entry == entry(40), "the newcomer, not the dropper's own entry")
        #expect(taken.contains(.close(link: dropped, .displaced)))
    }

    @Test("a dropped neighbour short of degree dials the peer named, which must prove that identity; one at degree, or on a tree link, does not")
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
        #expect(sentKinds(asked, on: 3) == [.neighborLow], "a request the newcomer may refuse if it filled up meanwhile")
        // Someone else answering at that address gets no request.
        var fooled = overlay(degree: 2)
        connect(&fooled, 1, 21)
        let fooledDials = dials(fooled.receivedMembership(notice, on: 1, now: .zero))
        #expect(fooledDials.count == 1)
        _ = fooled.linkOpened(3, outbound: true, dialed: fooledDials[0], now: .zero)
        let wrong = fooled.receivedHello(PeerHello(identity: identity(77), listenAddress: address(40)), on: 3, now: .zero)
        #expect(wrong == [.close(link: 3, .wrongPeer)])
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

    @Test("while its JOIN is under way a node dials none of the peers it knows; once the bootstrapper fails, it does")
    func joinFirst() {
        var node = overlay(degree: 3, bootstrappers: [target])
        node.remember([entry(21), entry(22)])
        let first = node.tick(now: .zero)
        #expect(dials(first) == [target], "the JOIN alone")
        #expect(node.nextWake(after: .zero, tickInterval: 10 * ms) > Moment(nanoseconds: 10 * ms), "and no wake-up each tick meanwhile")
        _ = node.linkOpened(1, outbound: true, dialed: target, now: .zero)
        #expect(dials(node.tick(now: Moment(nanoseconds: 20 * ms))).isEmpty, "still under way: the handshake")
        _ = node.linkClosed(1, now: Moment(nanoseconds: 30 * ms))  // the bootstrapper gave up on us
        let after = Set(dials(node.tick(now: Moment(nanoseconds: 40 * ms))).map(\.port))
        #expect(after == [21, 22], "the remembered peers, between two rounds to the bootstrapper")
    }

    @Test("a node whose contact took its JOIN leaves its active view to the walks' ends for two rounds, then dials")
    func waitForWalkEnds() {
        var node = overlay(degree: 3, bootstrappers: [target])
        node.remember([entry(21), entry(22)])
        _ = node.tick(now: .zero)
        _ = node.linkOpened(1, outbound: true, dialed: target, now: .zero)
        _ = node.receivedHello(PeerHello(identity: identity(7), listenAddress: address(7000)), on: 1, now: .zero)
        let accepted = node.receivedMembership(PeerMembership(kind: .accept, entry: entry(7)), on: 1, now: Moment(nanoseconds: 10 * ms))
        #expect(accepted.contains(.activated(1)))
        #expect(node.hasJoined)
        #expect(dials(node.tick(now: Moment(nanoseconds: 20 * ms))).isEmpty, "the walks' ends are on their way")
        #expect(dials(node.tick(now: Moment(nanoseconds: 200 * ms))).isEmpty)
        let wake = node.nextWake(after: Moment(nanoseconds: 200 * ms), tickInterval: 10 * ms)
        #expect(wake == Moment(nanoseconds: 210 * ms), "woken when the wait ends: two rounds of 100 ms after the ACCEPT")
        let later = Set(dials(node.tick(now: Moment(nanoseconds: 210 * ms))).map(\.port))
        #expect(later == [21, 22], "still short of degree: its own requests")
    }
}
