import DequeModule
import GossipWire

/// What the node remembers about the most recent items, at most `capacity` of them: a key
/// inserted beyond that makes the oldest insertion forgotten. Removing an entry early leaves its
/// place in the order, so the order never holds more than `capacity` keys.
struct RecentMemory<Value: Sendable>: Sendable {
    let capacity: Int
    private var values: [ItemID: Value] = [:]
    private var order: Deque<ItemID> = []

    /// `reserving`: entries to make room for now (at most `capacity`; gossipd: `ItemTableRoom`).
    init(capacity: Int, reserving: Int = 0) {
        self.capacity = capacity
        values.reserveCapacity(max(0, min(capacity, reserving)))
        // The order as much as the hashed table took (it rounds up), so both grow on one item.
        order.reserveCapacity(min(capacity, values.capacity))
    }

    func contains(_ id: ItemID) -> Bool { values[id] != nil }

    /// How many keys the table holds before it must grow (for tests of the room reserved).
    var tableCapacity: Int { values.capacity }

    subscript(id: ItemID) -> Value? { values[id] }

    /// Remembers `value` for `id` unless `id` is remembered already; returns whether it was new.
    @discardableResult
    mutating func insert(_ id: ItemID, _ value: Value) -> Bool {
        guard values[id] == nil else { return false }
        values[id] = value
        order.append(id)
        if order.count > capacity, let oldest = order.popFirst() { values[oldest] = nil }
        return true
    }

    mutating func remove(_ id: ItemID) -> Value? { values.removeValue(forKey: id) }

    /// Replaces the value remembered for `id`, if it is remembered, keeping its place in the order.
    mutating func replace(_ id: ItemID, with value: Value) {
        if values[id] != nil { values[id] = value }
    }
}
