import Crypto
import GossipWire

extension PathWeight {
    /// The weight of the link between two nodes: the first four bytes of
    /// SHA-256("gossip-link-v1" ‖ lower identity ‖ higher identity), kept within
    /// 1...0xFFFF_FFFE (0 is `origin` and 0xFFFF_FFFF `offTree`). Both ends compute the same value,
    /// and neither can choose it without choosing its identity, which costs its proof of work.
    public static func link(between first: PeerIdentity, and second: PeerIdentity) -> PathWeight {
        let (low, high) = first < second ? (first, second) : (second, first)
        var hasher = SHA256()
        hasher.update(data: Array("gossip-link-v1".utf8))
        hasher.update(data: low.bytes)
        hasher.update(data: high.bytes)
        let value = hasher.finalize().prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return PathWeight(rawValue: min(max(value, 1), UInt32.max - 1))
    }
}
