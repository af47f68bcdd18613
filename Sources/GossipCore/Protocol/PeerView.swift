import GossipWire

/// The bounded set of peers this node knows of, from which it picks whom to dial and whom to
/// gossip with.
///
/// Merging is a union that skips ourselves and undialable addresses, refreshes known entries'
/// addresses, and then, while over capacity, drops random entries that are not protected (the
/// connected peers), so a flood of PUSHes can neither grow the view nor evict live neighbours.
///
/// Against poisoning (an attacker filling the view with its own addresses, the first step of an
/// eclipse), a merge also holds each source (the peer that told us), each host and each /24 or
/// /48 network to a share of the view (`sourceShare`, `hostShare`, `prefixShare`; loopback hosts
/// are exempt, as every node of a local testnet is on 127.0.0.1). A source cannot move an entry
/// another source gave us to an address of its choice either: only the peer itself (its proven
/// HELLO) or the source of the entry can.
public struct PeerView: Sendable {
    public struct Entry: Equatable, Sendable {
        public var address: PeerAddress
        /// Failed dials since the last success.
        public var failures: Int
        /// Not to be dialed before this moment (it failed, refused us or dropped us lately).
        public var notBefore: Moment = .zero
        /// Who told us of this peer; nil if the peer itself did (its proven HELLO).
        public var source: PeerIdentity?
    }

    /// Most entries one source may have in the view.
    public var sourceShare: Int { max(4, capacity / 8) }
    /// Most entries at one (non-loopback) host.
    public static let hostShare = 4
    /// Most entries in one (non-loopback) /24 or /48.
    public var prefixShare: Int { max(8, capacity / 8) }

    public private(set) var capacity: Int
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

    /// Adds or refreshes `incoming`, learned from `source` (nil: each entry is the peer's own
    /// proven HELLO), within the shares per source, host and network; then trims to capacity
    /// without touching `protected` identities.
    public mutating func merge(
        _ incoming: [PeerEntry], from source: PeerIdentity? = nil, protecting protected: Set<PeerIdentity>,
        using random: inout some RandomNumberGenerator
    ) {
        for entry in incoming {
            guard entry.identity != selfIdentity, !entry.address.isUnspecified, entry.address.port != 0 else { continue }
            if let known = entries[entry.identity] {
                // Only the peer itself, or whoever told us of it, may move it to another address;
                // the peer's own HELLO always wins (it proved itself there), shares or not.
                guard source == nil || known.source == source || known.address == entry.address else { continue }
                if source != nil && known.address != entry.address && !admits(entry.address, source: source) { continue }
                entries[entry.identity]!.address = entry.address
                if source == nil { entries[entry.identity]!.source = nil }
            } else {
                // A first-hand entry (a proven HELLO) is always taken: the shares hold hearsay.
                guard source == nil || admits(entry.address, source: source) else { continue }
                entries[entry.identity] = Entry(address: entry.address, failures: 0, source: source)
                identities.append(entry.identity)
            }
        }
        trim(protecting: protected, using: &random)
    }

    /// Whether one more entry at `address` from `source` stays within the shares.
    private func admits(_ address: PeerAddress, source: PeerIdentity?) -> Bool {
        var fromSource = 0, atHost = 0, inPrefix = 0
        for entry in entries.values {
            if source != nil && entry.source == source { fromSource += 1 }
            if !address.isLoopback {
                if entry.address.hostKey == address.hostKey { atHost += 1 }
                if entry.address.prefixKey == address.prefixKey { inPrefix += 1 }
            }
        }
        return fromSource < sourceShare && atHost < Self.hostShare && inPrefix < prefixShare
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

    /// A dial or a HELLO succeeded: the failure count starts over, and the entry is the peer's
    /// own from now on.
    public mutating func recordSuccess(_ identity: PeerIdentity) {
        entries[identity]?.failures = 0
        entries[identity]?.notBefore = .zero
        entries[identity]?.source = nil
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
    /// With `eligibleAt`, only entries not postponed past that moment; with `provenOnly`, only
    /// entries the node knows first-hand (the peer proved itself to us in a HELLO: `source` nil)
    /// and that have not failed a dial since: what a node passes on to others. Hearsay does not
    /// spread, so addresses an attacker pushes reach one node's view, not the network's.
    public func sample(
        _ count: Int, excluding excluded: Set<PeerIdentity> = [], eligibleAt now: Moment? = nil, provenOnly: Bool = false,
        using random: inout some RandomNumberGenerator
    ) -> [PeerEntry] {
        var candidates =
            excluded.isEmpty && now == nil && !provenOnly
            ? identities
            : identities.filter { identity in
                let entry = entries[identity]!
                return !excluded.contains(identity) && (now.map { entry.notBefore <= $0 } ?? true)
                    && (!provenOnly || (entry.failures == 0 && entry.source == nil))
            }
        let take = min(count, candidates.count)
        for index in 0..<take {
            candidates.swapAt(index, Int.random(in: index..<candidates.count, using: &random))
        }
        return candidates.prefix(take).map { PeerEntry(identity: $0, address: entries[$0]!.address) }
    }

    /// Drops random unprotected entries until the view fits. Picks by rejection (protected peers
    /// are few next to the view), so a trim costs no pass over the whole view.
    /// Takes a new capacity (a reload of `view_size`): a smaller one drops random entries that
    /// are not `protected` (the linked peers) until the view fits, as a merge would. The shares
    /// per source and network follow the new capacity for later merges.
    public mutating func resize(
        to newCapacity: Int, protecting protected: Set<PeerIdentity>, using random: inout some RandomNumberGenerator
    ) {
        precondition(newCapacity > 0)
        capacity = newCapacity
        trim(protecting: protected, using: &random)
    }

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
