import GossipWire
import Testing

@testable import GossipCore

@Suite("Announced items awaited, shared among links")
struct MissingItemsTests {
    static func ids(_ range: Range<Int>, tag: UInt64) -> [ItemID] { range.map { ItemID(high: tag, low: UInt64($0)) } }

    @Test("one link's made-up announcements fill the table only until others announce: honest items are still awaited, and fetched")
    func floodDoesNotCrowdOut() {
        let configuration = BroadcastTree.Configuration(
            announceIntervalNanoseconds: 1_000_000, graftTimeoutNanoseconds: 10_000_000, maximumMissing: 100)
        var tree = BroadcastTree(configuration: configuration, random: SeededRandom(seed: 7))
        let flooder: LinkID = 1, honest: LinkID = 2
        tree.add(flooder, inTree: false, weight: .offTree)
        tree.add(honest, inTree: true, weight: .offTree)
        let now = Moment.milliseconds(1)
        tree.announced(Self.ids(0..<500, tag: 1), on: flooder, now: now, isKnown: { _ in false })
        #expect(Self.ids(0..<100, tag: 1).allSatisfy { tree.isAwaiting($0) }, "the first 100 fill the table")
        let real = Self.ids(0..<10, tag: 2)
        tree.announced(real, on: honest, now: now, isKnown: { _ in false })
        #expect(real.allSatisfy { tree.isAwaiting($0) }, "each takes the place of one of the flooder's")
        // The flooder goes on; the honest link keeps what it holds.
        tree.announced(Self.ids(500..<1000, tag: 1), on: flooder, now: now, isKnown: { _ in false })
        #expect(real.allSatisfy { tree.isAwaiting($0) })
        // At their deadline every awaited item, and nothing else (no ID the table let go), is
        // asked for; the honest ones from the honest link.
        let awaited = Set((Self.ids(0..<1000, tag: 1) + real).filter { tree.isAwaiting($0) })
        #expect(awaited.count == 100)
        let due = tree.tick(now: now.adding(nanoseconds: 30_000_000), isActive: { _ in true })
        let asked = due.flatMap { _, message -> [ItemID] in
            switch message {
            case .request(let ids), .graft(let ids): ids
            default: []
            }
        }
        #expect(Set(asked) == awaited && asked.count == 100)
        let askedOfHonest = due.filter { $0.0 == honest }.flatMap { link, message -> [ItemID] in
            switch message {
            case .request(let ids), .graft(let ids): ids
            default: []
            }
        }
        #expect(Set(askedOfHonest) == Set(real), "asked of the honest link: \(askedOfHonest.count) of 10")
    }

    @Test("a full table holds each announcing link to its share, and frees the share when its items come")
    func fairShares() {
        var table = MissingItems(capacity: 100)
        func entry(_ link: LinkID) -> MissingItems.Entry { .init(announcers: [link], deadline: .zero, owner: link) }
        for id in Self.ids(0..<100, tag: 1) { _ = table.insert(id, entry(1)) }
        #expect(table.heldBy(1) == 100)
        let second = Self.ids(0..<80, tag: 2).map { table.insert($0, entry(2)) }
        #expect(second.filter { $0 }.count == 50, "up to half each")
        #expect(table.heldBy(1) == 50 && table.heldBy(2) == 50 && table.count == 100)
        let third = Self.ids(0..<80, tag: 3).map { table.insert($0, entry(3)) }
        #expect(third.filter { $0 }.count == 33 || third.filter { $0 }.count == 34)
        #expect(table.count == 100)
        #expect([table.heldBy(1), table.heldBy(2), table.heldBy(3)].allSatisfy { (33...34).contains($0) })
        // Link 3's items arrive: the room goes to whoever announces next.
        for id in Self.ids(0..<80, tag: 3) { table.remove(id) }
        #expect(table.heldBy(3) == 0 && table.count < 100)
        let free = 100 - table.count, secondHeld = table.heldBy(2)
        let again = Self.ids(100..<200, tag: 1).map { table.insert($0, entry(1)) }
        #expect(again.filter { $0 }.count == free, "link 1 takes the free room, and no more: link 2 holds no more than it")
        #expect(table.count == 100 && table.heldBy(2) == secondHeld)
    }
}
