import Crypto
import GossipWire

/// The proof of work that makes identities cost something (hashcash-style, bound to the
/// identity, which is the hash of the node's public key): a nonce such that
/// SHA-256("gossip-work-v1" ‖ identity ‖ nonce) starts with at least `bits` zero bits. Found once
/// per identity (about 2^bits hashes), kept beside the configuration, and shown in every AUTH;
/// checking it is one hash. A node refuses a peer whose work falls short of its own
/// `identity_work_bits` before the peer gets a link.
public enum IdentityWork {
    /// Whether `nonce` proves at least `bits` bits of work for `identity`.
    public static func isValid(_ nonce: UInt64, for identity: PeerIdentity, bits: Int) -> Bool {
        bits <= 0 || leadingZeroBits(identity, nonce) >= bits
    }

    /// The first nonce from `start` on that proves `bits` bits for `identity`. `progress` is
    /// called every 2^20 tries with the number tried so far. Expect about 2^bits tries.
    public static func solve(
        for identity: PeerIdentity, bits: Int, startingAt start: UInt64 = 0, progress: (UInt64) -> Void = { _ in }
    ) -> UInt64 {
        solve(for: identity, bits: bits, startingAt: start, continuing: { tried in
            progress(tried)
            return true
        })!
    }

    /// As `solve(for:bits:startingAt:progress:)`, but `continuing` (called every 2^20 tries with
    /// the number tried so far) may give up: nil then, so that a node told to stop while it
    /// searches stops at once.
    public static func solve(
        for identity: PeerIdentity, bits: Int, startingAt start: UInt64 = 0, continuing: (UInt64) -> Bool
    ) -> UInt64? {
        var nonce = start
        var tried: UInt64 = 0
        while !isValid(nonce, for: identity, bits: bits) {
            nonce &+= 1
            tried += 1
            if tried & 0xF_FFFF == 0 && !continuing(tried) { return nil }
        }
        return nonce
    }

    /// The work `nonce` proves for `identity`, in leading zero bits of the hash.
    public static func leadingZeroBits(_ identity: PeerIdentity, _ nonce: UInt64) -> Int {
        var hasher = SHA256()
        hasher.update(data: label)
        hasher.update(data: identity.bytes)
        withUnsafeBytes(of: nonce.bigEndian) { hasher.update(bufferPointer: $0) }
        var zeros = 0
        for byte in hasher.finalize() {
            if byte == 0 {
                zeros += 8
                continue
            }
            zeros += byte.leadingZeroBitCount
            break
        }
        return zeros
    }

    private static let label = Array("gossip-work-v1".utf8)
}
