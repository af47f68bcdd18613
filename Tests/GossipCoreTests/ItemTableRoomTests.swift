import GossipWire
import Testing

@testable import GossipCore

/// The room the tables keyed by item ID reserve when created (gossipd reserves 512 entries, the
/// simulator none): filling it does not grow a table, and the capacities still bound what is held.
@Suite("Room reserved in the item tables")
struct ItemTableRoomTests {
    func id(_ n: UInt64) -> ItemID { ItemID(high: n, low: ~n) }
    func item(_ n: UInt64) -> GossipItem { GossipItem.bound(salt: UInt32(n), ttl: 1, dataType: 1, data: [UInt8(n & 0xFF)]) }

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
}
