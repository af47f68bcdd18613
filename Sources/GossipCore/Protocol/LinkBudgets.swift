import GossipWire

/// Per-link rate limits on what a peer can make this node do: take in new items, track announced
/// IDs, answer digests, look up requested items, follow CUTs, answer PULLs. Each is a `TokenBucket` per link; what goes
/// over is ignored (and counted), never queued, and the link stays open (an honest burst may
/// touch a limit). Answers' bytes have their own budget (`AnswerBudget`).
struct LinkBudgets: Sendable {
    /// New items one link may bring: the node's admission rate, and a quarter of its burst, so
    /// one peer cannot use up the node's whole budget at once. A tree link carries every item,
    /// so the rate must be the node's.
    let items: TokenBucket
    /// Announced IDs (IHAVE) one link may bring: four times the item budget.
    let announcedIDs: TokenBucket
    /// DIGESTs one link may send: two a second, four at once (a neighbour sends one per
    /// anti-entropy interval, and only to one of its links).
    let digests = TokenBucket(capacity: 4, perSecond: 2)
    /// REQUESTs and GRAFTs one link may send: 16 a second, 32 at once.
    let requests = TokenBucket(capacity: 32, perSecond: 16)
    /// Tree decisions one link may cause: CUTs it sends, and duplicates it brings that are looked
    /// at for cycles (each may make this node send a PRUNE or a CUT). Honest links bring few once
    /// the tree has formed.
    let cuts = TokenBucket(capacity: 32, perSecond: 16)
    /// PULLs one link may send: two a second, four at once. Each is answered with a PUSH of up to
    /// 16 entries, about 22 times its size on the wire; a neighbour sends one a shuffle round (5.3) at most,
    /// and only to one of its links.
    let pulls = TokenBucket(capacity: 4, perSecond: 2)

    private var buckets: [LinkID: [TokenBucket]] = [:]

    enum Kind: Int {
        case items = 0, announcedIDs, digests, requests, cuts, pulls
    }

    init(admission: TokenBucket) {
        items = TokenBucket(capacity: max(16, admission.capacity / 4), perSecond: admission.perSecond)
        announcedIDs = TokenBucket(capacity: max(4096, 4 * items.capacity), perSecond: 4 * admission.perSecond)
    }

    /// Takes `count` from `link`'s budget of `kind`; false if over it.
    mutating func take(_ kind: Kind, _ count: Int = 1, on link: LinkID, now: Moment) -> Bool {
        if buckets[link] == nil { buckets[link] = [items, announcedIDs, digests, requests, cuts, pulls] }
        return buckets[link]![kind.rawValue].take(UInt64(count), now: now)
    }

    /// The link closed.
    mutating func remove(_ link: LinkID) { buckets[link] = nil }
}
