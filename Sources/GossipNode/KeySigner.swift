import GossipCore
import GossipIdentity
import GossipWire

/// The node's real key as the core's handshake signer: RSA or EC signatures, identities from the
/// SHA-256 of the public key.
struct KeySigner: HandshakeSigner {
    let key: NodeKey
    /// The proof of work for the key's identity (`IdentityWork`).
    let work: UInt64

    var identity: PeerIdentity { key.identity }

    var publicKey: [UInt8] { key.publicKeyDER }

    var signsQuickly: Bool { key.signsQuickly }

    func sign(_ message: [UInt8]) -> [UInt8]? { try? key.sign(message) }

    func verify(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> PeerIdentity? {
        NodeKey.verify(signature: signature, of: message, publicKeyDER: publicKey)
    }
}
