import CMalloc

/// Hands memory freed after a burst back to the system. Every connection has a thread or two, and
/// glibc keeps what their allocations freed in its arenas, as it does after a flood of items:
/// after a thousand connections, or three million junk items, the node's resident memory stayed
/// 4-6 MiB up for good (measured with `gossip-bench abuse`). So, at most every 2 s, once many
/// connections came and went or many items arrived, the ticker asks glibc to trim
/// (`malloc_trim`), which costs a few milliseconds.
struct MemoryTrimmer {
    /// Connections closed since the last trim that make one worth it.
    static let connectionsPerTrim = 64
    /// Peer items received since the last trim that make one worth it.
    static let itemsPerTrim = 65_536
    /// The shortest time between two trims.
    static let interval: Duration = .seconds(2)

    private var closedAtLastTrim = 0
    private var itemsAtLastTrim = 0
    private var lastTrim: ContinuousClock.Instant?

    /// Trims if enough connections closed or items arrived since the last trim, and it was long
    /// enough ago. Returns whether it did.
    @discardableResult
    mutating func observe(connectionsClosed closed: Int, itemsReceived items: Int, now: ContinuousClock.Instant) -> Bool {
        guard closed - closedAtLastTrim >= Self.connectionsPerTrim || items - itemsAtLastTrim >= Self.itemsPerTrim else { return false }
        if let lastTrim, now - lastTrim < Self.interval { return false }
        _ = gossip_malloc_trim()
        closedAtLastTrim = closed
        itemsAtLastTrim = items
        lastTrim = now
        return true
    }
}
