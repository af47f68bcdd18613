import GossipWire
import DequeModule

/// The newest `capacity` items, by ID; when full, the oldest goes first.
public struct ItemCache: Sendable {
    public private(set) var capacity: Int
    private var items: [ItemID: GossipItem] = [:]
    private var order: Deque<ItemID> = []
    /// When each item in `order` was inserted, in the same order.
    private var insertedAt: Deque<Moment> = []

    /// `reserving`: entries to make room for now (at most `capacity`; gossipd: `ItemTableRoom`).
    public init(capacity: Int, reserving: Int = 0) {
        precondition(capacity > 0, "cache capacity must be positive")
        self.capacity = capacity
        items.reserveCapacity(max(0, min(capacity, reserving)))
        // The order as much as the hashed table took (it rounds up), so all grow on one item.
        let room = min(capacity, items.capacity)
        order.reserveCapacity(room)
        insertedAt.reserveCapacity(room)
    }

    public var count: Int { items.count }

    /// How many items the table holds before it must grow (for tests of the room reserved).
    var tableCapacity: Int { items.capacity }

    public func contains(_ id: ItemID) -> Bool { items[id] != nil }

    public subscript(id: ItemID) -> GossipItem? { items[id] }

    /// Inserts `item` as the newest; returns the item evicted to make room, if any.
    /// Inserting an ID that is already cached changes nothing.
    @discardableResult
    public mutating func insert(_ item: GossipItem, at moment: Moment = .zero) -> GossipItem? {
        guard items[item.id] == nil else { return nil }
        var evicted: GossipItem?
        if items.count >= capacity, let oldest = order.popFirst() {
            insertedAt.removeFirst()
            evicted = items.removeValue(forKey: oldest)
        }
        items[item.id] = item
        order.append(item.id)
        insertedAt.append(max(moment, insertedAt.last ?? .zero))  // kept ascending
        return evicted
    }

    /// Takes a new capacity (a reload of `cache_size`): growing keeps every item; shrinking evicts
    /// the oldest at once, down to the new capacity. Returns the items evicted, oldest first.
    @discardableResult
    public mutating func resize(to newCapacity: Int) -> [GossipItem] {
        precondition(newCapacity > 0, "cache capacity must be positive")
        capacity = newCapacity
        var evicted: [GossipItem] = []
        while items.count > capacity, let oldest = order.popFirst() {
            insertedAt.removeFirst()
            if let item = items.removeValue(forKey: oldest) { evicted.append(item) }
        }
        return evicted
    }

    /// The newest `limit` IDs, oldest of them first, without copying the rest.
    public func newestIDs(_ limit: Int) -> [ItemID] { Array(order.suffix(limit)) }

    /// The newest `limit` IDs of items inserted at `latest` or before, oldest of them first.
    public func newestIDs(_ limit: Int, insertedBy latest: Moment) -> [ItemID] {
        var end = order.count
        while end > 0 && insertedAt[end - 1] > latest { end -= 1 }  // only the few newest are skipped
        return Array(order[max(0, end - limit)..<end])
    }

    /// IDs from oldest to newest.
    public var idsOldestFirst: [ItemID] { Array(order) }
}
