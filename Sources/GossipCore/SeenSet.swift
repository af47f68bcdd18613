import DequeModule
import GossipWire

/// The IDs of items this node has seen, so each is delivered and forwarded once.
///
/// An entry lives until `ttlNanoseconds` after its last sighting, which must outlive the time an
/// item circulates (anti-entropy keeps offering items while peers cache them). Memory is bounded:
/// past `capacity` entries the one seen longest ago goes first.
public struct SeenSet: Sendable {
    public let capacity: Int
    public let ttlNanoseconds: UInt64
    private var lastSeen: [ItemID: Moment] = [:]
    /// Sightings in time order; an entry is stale when the ID was seen again later.
    private var sightings: Deque<(id: ItemID, at: Moment)> = []

    public init(capacity: Int, ttlNanoseconds: UInt64) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.ttlNanoseconds = ttlNanoseconds
    }

    public var count: Int { lastSeen.count }

    public func contains(_ id: ItemID) -> Bool { lastSeen[id] != nil }

    /// Sightings held, stale ones included (for tests of the memory bound).
    var sightingCount: Int { sightings.count }

    /// Records a sighting; returns true if the ID was new.
    @discardableResult
    public mutating func observe(_ id: ItemID, now: Moment) -> Bool {
        expire(now: now)
        let isNew = lastSeen.updateValue(now, forKey: id) == nil
        sightings.append((id, now))
        while lastSeen.count > capacity, let oldest = sightings.popFirst() {
            if lastSeen[oldest.id] == oldest.at { lastSeen[oldest.id] = nil }
        }
        // Stale sightings (of IDs seen again later) are dropped once they outnumber the live ones,
        // so memory follows the IDs actually held, not the capacity: amortised O(1) a sighting.
        if sightings.count > 2 * max(lastSeen.count, 64) {
            sightings = Deque(sightings.filter { lastSeen[$0.id] == $0.at })
        }
        return isNew
    }

    /// Forgets IDs not seen for the TTL.
    public mutating func expire(now: Moment) {
        while let oldest = sightings.first, oldest.at.adding(nanoseconds: ttlNanoseconds) <= now {
            sightings.removeFirst()
            if lastSeen[oldest.id] == oldest.at { lastSeen[oldest.id] = nil }
        }
    }
}
