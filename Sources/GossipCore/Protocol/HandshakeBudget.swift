import GossipWire

/// Bounds the signatures this node makes for peers that dial it. The side that accepted signs its
/// AUTH only once the dialer's AUTH showed its work and a valid signature (protocol.md 4.2), but
/// one identity, its work paid once, with a cheap key could still make it sign for every
/// connection it opened: some 0.05 ms of the dialer's against 4 ms of ours with an RSA-4096
/// host key (made, since 2026-12-01, with the core unlocked, but our CPU still). So each proven identity, and each host other than loopback,
/// gets a token bucket of signatures; a handshake over either closes (`handshake_throttled`) and
/// the dialer backs off as after any failed dial. Honest dialers stay below both with the default
/// `gossip_interval_ms` (1 s): a node dials a given peer again only after a failure or a
/// postponement of one or more intervals.
struct HandshakeBudget: Sendable {
    /// An identity's budget, in quarter signatures: 8 signatures at once, then one every 4 s
    /// (`TokenBucket` counts whole tokens a second).
    static let identityBucket = TokenBucket(capacity: 32, perSecond: 1)
    static let identityCost: UInt64 = 4
    /// A host's budget: 32 signatures at once, then 4 a second. Loopback is exempt, like the
    /// per-address link limits, since local testnets dial from it.
    static let hostBucket = TokenBucket(capacity: 32, perSecond: 4)
    /// Identities and hosts remembered at most, each: past that, buckets that have refilled are
    /// forgotten, then the least recently used.
    static let maximumEntries = 4096

    private var identities = BoundedBuckets<PeerIdentity>(template: identityBucket)
    private var hosts = BoundedBuckets<UInt128>(template: hostBucket)

    /// Takes one signature's worth for `identity` dialing from `remote`; false (and nothing
    /// taken) if either budget is spent.
    mutating func take(for identity: PeerIdentity, from remote: PeerAddress?, now: Moment) -> Bool {
        let host = remote.flatMap { $0.isLoopback ? nil : $0.hostKey }
        if let host, !hosts.take(1, for: host, now: now) { return false }
        guard identities.take(Self.identityCost, for: identity, now: now) else {
            if let host { hosts.giveBack(1, for: host) }
            return false
        }
        return true
    }

    /// Entries held (for tests of the memory bound).
    var counts: (identities: Int, hosts: Int) { (identities.count, hosts.count) }
}

/// Token buckets by key, at most `HandshakeBudget.maximumEntries` of them.
private struct BoundedBuckets<Key: Hashable & Sendable>: Sendable {
    let template: TokenBucket
    /// Each key's bucket and the number of its last attempt, taken or refused (a refused key must
    /// not look idle, or trimming would hand it a full bucket).
    private var buckets: [Key: (bucket: TokenBucket, lastAttempt: UInt64)] = [:]
    private var attempts: UInt64 = 0

    init(template: TokenBucket) { self.template = template }

    var count: Int { buckets.count }

    mutating func take(_ cost: UInt64, for key: Key, now: Moment) -> Bool {
        var bucket = buckets[key]?.bucket ?? template
        let taken = bucket.take(cost, now: now)
        attempts += 1
        buckets[key] = (bucket, attempts)
        if buckets.count > HandshakeBudget.maximumEntries { trim(now: now) }
        return taken
    }

    /// Puts back what `take` took for `key` a moment ago (a second budget refused).
    mutating func giveBack(_ cost: UInt64, for key: Key) {
        buckets[key]?.bucket.giveBack(cost)
    }

    /// Forgets every bucket that has refilled (it would start full anyway), then, if still over
    /// three quarters of the bound, those attempted longest ago (attempt numbers are unique, so
    /// the choice does not depend on the dictionary's order): O(n log n) once per n/4 new keys.
    private mutating func trim(now: Moment) {
        buckets = buckets.filter { _, entry in
            var bucket = entry.bucket
            return bucket.isBelowFull(now: now)
        }
        let target = HandshakeBudget.maximumEntries * 3 / 4
        guard buckets.count > target else { return }
        let oldest = buckets.sorted { $0.value.lastAttempt < $1.value.lastAttempt }.prefix(buckets.count - target)
        for (key, _) in oldest { buckets[key] = nil }
    }
}
