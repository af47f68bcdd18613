import GossipWire

/// Keeps one link from taking the node's whole budget of new items while it runs low. Each link
/// has its own budget (`LinkBudgets`), but that one refills at the node's full rate, because an
/// honest tree link may carry every item; so a peer flooding fresh items at that rate would
/// otherwise win nearly every token the node's budget gains, and honest items would be refused
/// for as long as it floods. While the budget that an item draws on is below half full, a link
/// may bring at most its fair share of that budget's rate (the rate divided among the links that
/// brought new items this second, at least one a second) in each second. Items this node asked
/// for (fetches, grafts, anti-entropy) are not held to it. Items refused this way leave no trace and are
/// fetched later through the other links' announcements, which have shares of their own.
struct FairShare: Sendable {
    private var windowStart: Moment?
    private var taken: [LinkID: UInt64] = [:]

    /// Whether `link` may bring one more new item now; counts it if so. `perSecond` is the rate
    /// of the budget the item draws on.
    mutating func admit(_ link: LinkID, perSecond: UInt64, congested: Bool, now: Moment) -> Bool {
        if let start = windowStart, now.nanoseconds &- start.nanoseconds < 1_000_000_000 {
            // the same second
        } else {
            windowStart = now
            taken.removeAll(keepingCapacity: true)
        }
        let links = taken.count + (taken[link] == nil ? 1 : 0)
        let share = max(1, perSecond / UInt64(links))
        if congested && taken[link, default: 0] >= share { return false }
        taken[link, default: 0] += 1
        return true
    }

    /// The link closed.
    mutating func remove(_ link: LinkID) { taken[link] = nil }
}
