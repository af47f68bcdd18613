import GossipWire
import Testing

@testable import GossipCore

/// The room the tables keyed by item ID reserve when created (gossipd reserves 512 entries, the
/// simulator none): filling it does not grow a table, and the capacities still bound what is held.
@Suite("Room reserved in the item tables")
struct ItemTableRoomTests {
    func id(_ n: UInt64) -> ItemID { ItemID(high: n, low: ~n) }
    func item(_ n: UInt64) -> GossipItem {
        GossipItem.bound(salt: UInt32(n), ttl: 1, dataType: 1, data: [UInt8(n & 0xFF)])
    }

    @Test("the seen set takes its reserved room without growing; unreserved, it grows")
    func seenSet() {
        var reserved = SeenSet(capacity: 65_536, ttlNanoseconds: 1_000_000_000_000, reserving: 512)
        var unreserved = SeenSet(capacity: 65_536, ttlNanoseconds: 1_000_000_000_000)
        let (before, unreservedBefore) = (reserved.tableCapacity, unreserved.tableCapacity)
        #expect(before >= 512)
        for n: UInt64 in 1...512 {
            let new = reserved.observe(id(n), now: .zero)
            #expect(new)
            unreserved.observe(id(n), now: .zero)
        }
        #expect(reserved.tableCapacity == before, "no growth within the room")
        #expect(unreserved.tableCapacity > unreservedBefore, "grown from empty")
        let again = reserved.observe(id(7), now: .zero)
        #expect(reserved.count == 512 && !again)
    }

    @Test("room beyond the capacity is not reserved, and the capacity still bounds the seen set")
    func seenSetBound() {
        var seen = SeenSet(capacity: 4, ttlNanoseconds: 1_000_000_000_000, reserving: 512)
        #expect(seen.tableCapacity < 512)
        for n: UInt64 in 1...10 { seen.observe(id(n), now: .zero) }
        #expect(seen.count == 4 && seen.entryCount == 4)
        #expect(seen.contains(id(10)) && !seen.contains(id(6)))
    }

    @Test("the item cache reserves at most its capacity and evicts as before")
    func itemCache() {
        var cache = ItemCache(capacity: 50, reserving: 512)
        let before = cache.tableCapacity
        #expect(before >= 50 && before < 512)
        for n: UInt64 in 1...60 { cache.insert(item(n)) }
        #expect(cache.tableCapacity == before)
        #expect(cache.count == 50 && !cache.contains(item(10).id) && cache.contains(item(11).id))
    }

    @Test("a memory of recent items takes its reserved room without growing and forgets past its capacity")
    func recentMemory() {
        var memory = RecentMemory<Int>(capacity: 4096, reserving: 512)
        let before = memory.tableCapacity
        #expect(before >= 512)
        for n: UInt64 in 1...512 { memory.insert(id(n), Int(n)) }
        #expect(memory.tableCapacity == before)
        var small = RecentMemory<Int>(capacity: 3, reserving: 512)
        for n: UInt64 in 1...5 { small.insert(id(n), Int(n)) }
        #expect(!small.contains(id(2)) && small.contains(id(3)) && small[id(5)] == 5)
    }

    @Test("a reconfigured tree keeps the room it was made with (a reload's configuration says 0)")
    func reconfigureKeepsRoom() {
        var configuration = BroadcastTree.Configuration(
            announceIntervalNanoseconds: 50_000_000, graftTimeoutNanoseconds: 200_000_000, reservedItems: 512)
        var tree = BroadcastTree(configuration: configuration, random: SeededRandom(seed: 1))
        configuration.reservedItems = 0
        configuration.graftTimeoutNanoseconds = 400_000_000
        tree.reconfigure(configuration)
        #expect(tree.configuration.graftTimeoutNanoseconds == 400_000_000)
        #expect(tree.configuration.reservedItems == 512)
    }

    @Test("the engine and the tree hand their reservedItems to their tables; at 0 the tables start small")
    func wiring() {
        let engine = GossipEngine(
            configuration: .init(cacheSize: 600, validationTimeoutNanoseconds: 1_000_000_000, reservedItems: 512))
        #expect(engine.cache.tableCapacity >= 512 && engine.seen.tableCapacity >= 512)
        let bare = GossipEngine(configuration: .init(cacheSize: 600, validationTimeoutNanoseconds: 1_000_000_000))
        #expect(bare.cache.tableCapacity < 512 && bare.seen.tableCapacity < 512)

        let timings = (announce: UInt64(50_000_000), graft: UInt64(200_000_000))
        let tree = BroadcastTree(
            configuration: .init(
                announceIntervalNanoseconds: timings.announce, graftTimeoutNanoseconds: timings.graft,
                reservedItems: 512),
            random: SeededRandom(seed: 1))
        #expect(tree.memoryTableCapacities.count == 5 && tree.memoryTableCapacities.allSatisfy { $0 >= 512 })
        let bareTree = BroadcastTree(
            configuration: .init(announceIntervalNanoseconds: timings.announce, graftTimeoutNanoseconds: timings.graft),
            random: SeededRandom(seed: 1))
        #expect(bareTree.memoryTableCapacities.allSatisfy { $0 < 512 })
    }
}
