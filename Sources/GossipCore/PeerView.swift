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
    }

    public let capacity: Int
    public let selfIdentity: [UInt8]
    private(set) var entries: [[UInt8]: Entry] = [:]
    /// The same identities, for uniform random picks.
    private var identities: [[UInt8]] = []

    public init(capacity: Int, selfIdentity: [UInt8]) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.selfIdentity = selfIdentity
    }

    public var count: Int { identities.count }
    public var isEmpty: Bool { identities.isEmpty }

    public subscript(identity: [UInt8]) -> Entry? { entries[identity] }

    /// Every entry, in no particular order.
    public var all: [PeerEntry] { identities.map { PeerEntry(identity: $0, address: entries[$0]!.address) } }

    /// Adds or refreshes `incoming`, then trims to capacity without touching `protected` identities.
    public mutating func merge(_ incoming: [PeerEntry], protecting protected: Set<[UInt8]>, using random: inout some RandomNumberGenerator) {
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
    public mutating func recordFailure(_ identity: [UInt8], limit: Int) -> Bool {
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
    public mutating func recordSuccess(_ identity: [UInt8]) {
        entries[identity]?.failures = 0
    }

    public mutating func remove(_ identity: [UInt8]) {
        guard entries.removeValue(forKey: identity) != nil, let index = identities.firstIndex(of: identity) else { return }
        identities.swapAt(index, identities.count - 1)
        identities.removeLast()
    }

    /// Up to `count` distinct random entries, leaving out `excluded` identities.
    public func sample(_ count: Int, excluding excluded: Set<[UInt8]> = [], using random: inout some RandomNumberGenerator) -> [PeerEntry] {
        var candidates = identities.filter { !excluded.contains($0) }
        candidates.shuffle(using: &random)
        return candidates.prefix(count).map { PeerEntry(identity: $0, address: entries[$0]!.address) }
    }

    private mutating func trim(protecting protected: Set<[UInt8]>, using random: inout some RandomNumberGenerator) {
        guard identities.count > capacity else { return }
        var removable = identities.filter { !protected.contains($0) }
        removable.shuffle(using: &random)
        for identity in removable {
            guard identities.count > capacity else { break }
            remove(identity)
        }
    }
}
