import Crypto
import CryptoExtras
import Foundation

/// A node's identity on the network: the SHA-256 of its host key's public key (DER,
/// SubjectPublicKeyInfo), as the course's modules define peer identities. A node without a host
/// key makes a P-256 key for the life of the process (`NodeKey.ephemeral()`).
public struct NodeIdentity: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Always 32 bytes.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The identity of the public key in DER form.
    public init(publicKeyDER: some DataProtocol) {
        bytes = Array(SHA256.hash(data: publicKeyDER))
    }

    /// Why a host key could not be used.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a PEM private key (RSA in PKCS#1 or PKCS#8, or an EC P-256/P-384 key) and derives the identity.
    public static func load(hostkeyPath path: String) throws(LoadError) -> NodeIdentity {
        try NodeKey.load(hostkeyPath: path).identity
    }

    /// Derives the identity from a PEM private key held in memory.
    public static func fromPEM(_ pem: String, source: String = "<pem>") throws(LoadError) -> NodeIdentity {
        try NodeKey.fromPEM(pem, source: source).identity
    }

    /// A new RSA private key in PEM form, as the course's nodes use (4096 bits by default).
    public static func generateRSAKeyPEM(bits: Int = 4096) throws -> String {
        let size: _RSA.Signing.KeySize = switch bits {
        case 2048: .bits2048
        case 3072: .bits3072
        default: .bits4096
        }
        return try _RSA.Signing.PrivateKey(keySize: size).pemRepresentation
    }

    public static func < (lhs: NodeIdentity, rhs: NodeIdentity) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// The first 8 bytes in hex: enough to tell nodes apart in logs.
    public var description: String {
        bytes.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// All 32 bytes in hex.
    public var hex: String { bytes.map { String(format: "%02x", $0) }.joined() }
}
