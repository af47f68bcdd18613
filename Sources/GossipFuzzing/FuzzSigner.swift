import GossipCore
import GossipWire

/// The handshake signer of the fuzzed core: the "public key" is the identity and the "signature"
/// an FNV-1a checksum of message and key, as in the core's tests. Cheap and deterministic, so a
/// seed can carry a valid AUTH and the fuzzer can explore what follows the handshake, while a
/// changed key, nonce or identity still fails verification.
struct FuzzSigner: HandshakeSigner {
    let identity: PeerIdentity
    var publicKey: [UInt8] { identity.bytes }

    static func checksum(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in message { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return (0..<8).map { UInt8(truncatingIfNeeded: hash >> ($0 * 8)) }
    }

    func sign(_ message: [UInt8]) -> [UInt8]? { Self.checksum(message, key: publicKey) }

    func verify(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> PeerIdentity? {
        signature == Self.checksum(message, key: publicKey) ? PeerIdentity(bytes: publicKey) : nil
    }
}
