import DequeModule
import GossipWire

/// The IDs of items this node has seen, so each is delivered and forwarded once.
///
/// An entry lives `ttlNanoseconds` from the ID's **first** sighting; later copies do not extend
/// it, so a peer that keeps sending an old ID cannot keep it here (taking room from fresh IDs).
/// Nothing needs longer: an ID is first taken in at most the clock skew allowed before its stamp,
/// and an item whose stamp is as old as the TTL less that skew is refused as stale
/// (`GossipEngine.isFresh`). Memory is bounded: past `capacity` entries the one seen first goes
/// first (the node's admission budget keeps that from happening to a fresh ID, protocol.md 6.5).
public struct SeenSet: Sendable {
    public let capacity: Int
    public let ttlNanoseconds: UInt64
    private var ids: Set<ItemID> = []
    /// Each held ID once, in the order of first sighting.
    private var entries: Deque<(id: ItemID, at: Moment)> = []

    /// `reserving`: entries to make room for now (at most `capacity`; gossipd: `ItemTableRoom`).
    public init(capacity: Int, ttlNanoseconds: UInt64, reserving: Int = 0) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.ttlNanoseconds = ttlNanoseconds
        ids.reserveCapacity(max(0, min(capacity, reserving)))
        // The order as much as the hashed table took (it rounds up), so both grow on one item.
        entries.reserveCapacity(min(capacity, ids.capacity))
    }

    public var count: Int { ids.count }

    public func contains(_ id: ItemID) -> Bool { ids.contains(id) }

    /// How many IDs the set holds before it must grow (for tests of the room reserved).
    var tableCapacity: Int { ids.capacity }

    /// Entries held in time order (for tests of the memory bound): always `count`.
    var entryCount: Int { entries.count }

    /// Records a sighting; returns true if the ID was new. A sighting of a held ID changes nothing.
    @discardableResult
    public mutating func observe(_ id: ItemID, now: Moment) -> Bool {
        expire(now: now)
        guard ids.insert(id).inserted else { return false }
        entries.append((id, now))
        while ids.count > capacity, let oldest = entries.popFirst() { ids.remove(oldest.id) }
        return true
    }

    /// Forgets IDs first seen a TTL ago or longer.
    public mutating func expire(now: Moment) {
        while let oldest = entries.first, oldest.at.adding(nanoseconds: ttlNanoseconds) <= now {
            entries.removeFirst()
            ids.remove(oldest.id)
        }
    }
}
