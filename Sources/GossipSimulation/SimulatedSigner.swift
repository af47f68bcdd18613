import GossipCore
import GossipWire

/// A cheap, deterministic stand-in for a host key, so the core's authenticated handshake runs
/// unchanged in the simulator. Node `index` of a run mixed with `mix` has the identity
/// (index + 1, mix, 0, 0); its "public key" is the identity's 32 bytes and a "signature" is a
/// 64-bit hash of the message and the identity. Anyone can forge one: it proves nothing, it only
/// exercises the code paths.
public struct SimulatedSigner: HandshakeSigner {
    public let index: UInt32
    public let mix: UInt64

    public init(index: Int, mix: UInt64) {
        self.index = UInt32(index)
        self.mix = mix
    }

    public var identity: PeerIdentity { Self.identity(of: Int(index), mix: mix) }

    public var publicKey: [UInt8] { identity.bytes }

    public func sign(_ message: [UInt8]) -> [UInt8]? {
        Self.signature(of: message, by: identity)
    }

    public func verify(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> PeerIdentity? {
        guard let claimed = PeerIdentity(bytes: publicKey), Self.signature(of: message, by: claimed) == signature else {
            return nil
        }
        return claimed
    }

    /// The identity of node `index` in a run whose identities are mixed with `mix`.
    public static func identity(of index: Int, mix: UInt64) -> PeerIdentity {
        PeerIdentity(words: (UInt64(index) + 1, mix, 0, 0))
    }

    /// The node index an identity stands for, or nil if it is not one of this run's.
    public static func index(of identity: PeerIdentity, mix: UInt64) -> Int? {
        guard identity.words.1 == mix, identity.words.2 == 0, identity.words.3 == 0, identity.words.0 >= 1,
            identity.words.0 <= UInt64(UInt32.max)
        else { return nil }
        return Int(identity.words.0 - 1)
    }

    static func signature(of message: [UInt8], by identity: PeerIdentity) -> [UInt8] {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in message {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        for word in [identity.words.0, identity.words.1, identity.words.2, identity.words.3] {
            hash = mixBits(hash ^ word)
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: hash >> (56 - 8 * UInt64($0))) }
    }

    /// The SplitMix64 finaliser.
    static func mixBits(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
