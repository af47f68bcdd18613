import GossipWire
import Testing

@testable import GossipCore

@Suite("Subscriptions")
struct SubscriptionTableTests {
    let a = ConnectionID(1), b = ConnectionID(2), c = ConnectionID(3)

    @Test("subscribers are listed once, in subscription order, per type")
    func listing() {
        var table = SubscriptionTable()
        let outcome1 = table.subscribe(b, to: 7)
        #expect(outcome1)
        let outcome2 = table.subscribe(a, to: 7)
        #expect(outcome2)
        let outcome3 = table.subscribe(b, to: 7)
        #expect(!outcome3)
        table.subscribe(c, to: 8)
        #expect(table.subscribers(of: 7) == [b, a])
        #expect(table.subscribers(of: 8) == [c])
        #expect(table.subscribers(of: 9) == [])
        #expect(table.hasSubscribers(7) && !table.hasSubscribers(9))
    }

    @Test("closing a connection ends all its subscriptions and nobody else's")
    func removal() {
        var table = SubscriptionTable()
        table.subscribe(a, to: 1)
        table.subscribe(a, to: 2)
        table.subscribe(b, to: 2)
        table.remove(a)
        #expect(table.subscribers(of: 1) == [])
        #expect(!table.hasSubscribers(1))
        #expect(table.subscribers(of: 2) == [b])
        #expect(table.types(of: a).isEmpty)
        #expect(table.subscribedTypeCount == 1)
    }
}

@Suite("Item cache")
struct ItemCacheTests {
    func item(_ n: UInt64) -> GossipItem { GossipItem.bound(salt: UInt32(n), ttl: 1, dataType: 1, data: [UInt8(n & 0xFF)]) }

    @Test("keeps the newest items up to its capacity, evicting the oldest first")
    func eviction() {
        var cache = ItemCache(capacity: 3)
        for n: UInt64 in 1...3 {
            let evicted = cache.insert(item(n))
            #expect(evicted == nil)
        }
        let outcome4 = cache.insert(item(4))
        #expect(outcome4 == item(1))
        let outcome5 = cache.insert(item(5))
        #expect(outcome5 == item(2))
        #expect(cache.count == 3)
        #expect(!cache.contains(item(1).id))
        #expect(cache.idsOldestFirst == [item(3).id, item(4).id, item(5).id])
        #expect(cache[item(4).id] == item(4))
    }

    @Test("inserting a cached ID again changes nothing")
    func duplicateInsert() {
        var cache = ItemCache(capacity: 2)
        cache.insert(item(1))
        cache.insert(item(2))
        let outcome6 = cache.insert(item(1))
        #expect(outcome6 == nil)
        #expect(cache.idsOldestFirst == [item(1).id, item(2).id])
    }

    @Test("a new capacity: growing keeps every item, shrinking evicts the oldest at once")
    func resize() {
        var cache = ItemCache(capacity: 3)
        for n: UInt64 in 1...3 { cache.insert(item(n)) }
        #expect(cache.resize(to: 5).isEmpty)
        for n: UInt64 in 4...5 { cache.insert(item(n)) }
        #expect(cache.count == 5 && cache.capacity == 5, "grown: nothing evicted to make room")
        #expect(cache.resize(to: 2) == [item(1), item(2), item(3)])
        #expect(cache.idsOldestFirst == [item(4).id, item(5).id])
        #expect(cache.newestIDs(8) == [item(4).id, item(5).id], "digests follow the smaller cache")
        let evicted = cache.insert(item(6))
        #expect(evicted == item(4), "then the new bound holds")
        #expect(cache.count == 2)
    }
}
