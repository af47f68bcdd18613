import GossipWire

/// The bounded set of peers this node knows of, from which it picks whom to dial and whom to
/// gossip with.
///
/// Merging is a union that skips ourselves and undialable addresses, refreshes known entries'
/// addresses, and then, while over capacity, drops random entries that are not protected (the
/// connected peers), so a flood of PUSHes can neither grow the view nor evict live neighbours.
public struct PeerView: Sendable {
    public struct Entry: Equatable, Sendable {
        public var address: PeerAddress
        /// Failed dials since the last success.
        public var failures: Int
        /// Not to be dialed before this moment (it failed, refused us or dropped us lately).
        public var notBefore: Moment = .zero
    }

    public let capacity: Int
    public let selfIdentity: PeerIdentity
    private(set) var entries: [PeerIdentity: Entry] = [:]
    /// The same identities, for uniform random picks.
    private var identities: [PeerIdentity] = []

    public init(capacity: Int, selfIdentity: PeerIdentity) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.selfIdentity = selfIdentity
    }

    public var count: Int { identities.count }
    public var isEmpty: Bool { identities.isEmpty }

    public subscript(identity: PeerIdentity) -> Entry? { entries[identity] }

    /// Every entry, in no particular order.
    public var all: [PeerEntry] { identities.map { PeerEntry(identity: $0, address: entries[$0]!.address) } }

    /// Adds or refreshes `incoming`, then trims to capacity without touching `protected` identities.
    public mutating func merge(_ incoming: [PeerEntry], protecting protected: Set<PeerIdentity>, using random: inout some RandomNumberGenerator) {
        for entry in incoming {
            guard entry.identity != selfIdentity, !entry.address.isUnspecified, entry.address.port != 0 else { continue }
            if entries[entry.identity] != nil {
                entries[entry.identity]!.address = entry.address
            } else {
                entries[entry.identity] = Entry(address: entry.address, failures: 0)
                identities.append(entry.identity)
            }
        }
        trim(protecting: protected, using: &random)
    }

    /// Counts a failed dial; after `limit` in a row the entry is dropped. Returns whether it was.
    @discardableResult
    public mutating func recordFailure(_ identity: PeerIdentity, limit: Int) -> Bool {
        guard var entry = entries[identity] else { return false }
        entry.failures += 1
        if entry.failures >= limit {
            remove(identity)
            return true
        }
        entries[identity] = entry
        return false
    }

    /// A dial or a HELLO succeeded: the failure count starts over.
    public mutating func recordSuccess(_ identity: PeerIdentity) {
        entries[identity]?.failures = 0
        entries[identity]?.notBefore = .zero
    }

    /// Keeps `identity` out of dial picks until `moment`.
    public mutating func postpone(_ identity: PeerIdentity, until moment: Moment) {
        entries[identity]?.notBefore = moment
    }

    public mutating func remove(_ identity: PeerIdentity) {
        guard entries.removeValue(forKey: identity) != nil, let index = identities.firstIndex(of: identity) else { return }
        identities.swapAt(index, identities.count - 1)
        identities.removeLast()
    }

    /// Whether the view holds `identity`.
    public func contains(_ identity: PeerIdentity) -> Bool { entries[identity] != nil }

    /// Up to `count` distinct random entries, leaving out `excluded` identities.
    /// With `eligibleAt`, only entries not postponed past that moment.
    public func sample(
        _ count: Int, excluding excluded: Set<PeerIdentity> = [], eligibleAt now: Moment? = nil,
        using random: inout some RandomNumberGenerator
    ) -> [PeerEntry] {
        var candidates =
            excluded.isEmpty && now == nil
            ? identities
            : identities.filter { identity in
                !excluded.contains(identity) && (now.map { entries[identity]!.notBefore <= $0 } ?? true)
            }
        let take = min(count, candidates.count)
        for index in 0..<take {
            candidates.swapAt(index, Int.random(in: index..<candidates.count, using: &random))
        }
        return candidates.prefix(take).map { PeerEntry(identity: $0, address: entries[$0]!.address) }
    }

    /// Drops random unprotected entries until the view fits. Picks by rejection (protected peers
    /// are few next to the view), so a trim costs no pass over the whole view.
    private mutating func trim(protecting protected: Set<PeerIdentity>, using random: inout some RandomNumberGenerator) {
        var misses = 0
        while identities.count > capacity {
            let index = Int.random(in: 0..<identities.count, using: &random)
            let identity = identities[index]
            if protected.contains(identity) {
                misses += 1
                if misses > 8 * identities.count { return }  // only protected entries left
                continue
            }
            entries[identity] = nil
            identities.swapAt(index, identities.count - 1)
            identities.removeLast()
        }
    }
}
