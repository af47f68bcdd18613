import Crypto
import GossipWire

extension PathWeight {
    /// The weight of the link between two nodes: the first eight bytes of
    /// SHA-256("gossip-link-v1" ‖ lower identity ‖ higher identity), big-endian, kept within
    /// 1...2^64 - 2 (0 is `origin` and 2^64 - 1 `offTree`). Both ends compute the same value,
    /// and neither can choose it without choosing its identity, which costs its proof of work.
    public static func link(between first: PeerIdentity, and second: PeerIdentity) -> PathWeight {
        let (low, high) = first < second ? (first, second) : (second, first)
        var hasher = SHA256()
        hasher.update(data: Array("gossip-link-v1".utf8))
        hasher.update(data: low.bytes)
        hasher.update(data: high.bytes)
        let value = hasher.finalize().prefix(PathWeight.encodedSize).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return PathWeight(rawValue: min(max(value, 1), UInt64.max - 1))
    }
}
