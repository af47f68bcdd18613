import GossipWire

/// Bounds the bytes a peer can make this node send by asking for items (REQUEST and GRAFT
/// answers): a token bucket of bytes per link, refilled with time. A peer that names a large
/// cached item in message after message gets it until the bucket is empty, then nothing more
/// until it refills; honest asking (an anti-entropy round, a few grafts) stays far below it.
/// The tree's own eager pushes do not draw on it: they follow from what the node itself decided
/// to spread, once per item and link.
struct AnswerBudget: Sendable {
    /// Bytes a link's bucket gains per second.
    static let bytesPerSecond: UInt64 = 1 << 20
    /// Bytes a link's bucket holds at most (and starts with).
    static let burstBytes: UInt64 = 4 << 20

    private var buckets: [LinkID: TokenBucket] = [:]

    /// Takes `bytes` from `link`'s bucket; false (and nothing taken) if it holds fewer.
    mutating func spend(_ bytes: Int, on link: LinkID, now: Moment) -> Bool {
        buckets[link, default: TokenBucket(capacity: Self.burstBytes, perSecond: Self.bytesPerSecond)].take(UInt64(bytes), now: now)
    }

    /// The link closed.
    mutating func remove(_ link: LinkID) { buckets[link] = nil }
}
