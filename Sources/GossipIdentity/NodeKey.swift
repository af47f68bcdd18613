import Crypto
import CryptoExtras
import GossipWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A node's private key: the host key from the configuration (RSA, or EC P-256/P-384), or a
/// P-256 key made for this run. Its public key's SHA-256 is the node's identity, and the key
/// signs the P2P handshake so a peer cannot claim an identity it does not hold.
public struct NodeKey: Sendable {
    private enum Backing: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
    }

    /// Why a host key could not be used.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
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

    private let backing: Backing
    /// The public key, DER (SubjectPublicKeyInfo): what the handshake sends.
    public let publicKeyDER: [UInt8]
    public let identity: PeerIdentity

    private init(_ backing: Backing) {
        self.backing = backing
        let der: Data =
            switch backing {
            case .rsa(let key): key.publicKey.derRepresentation
            case .p256(let key): key.publicKey.derRepresentation
            case .p384(let key): key.publicKey.derRepresentation
            }
        publicKeyDER = Array(der)
        identity = PeerIdentity(publicKeyDER: der)
    }

    /// Whether a signature with this key takes microseconds (P-256: about 0.02 ms) rather than
    /// milliseconds (RSA-4096 about 4 ms, P-384 about 0.5 ms).
    public var signsQuickly: Bool {
        if case .p256 = backing { return true }
        return false
    }

    /// A fresh P-256 key for a node without a host key: cheap to make and to sign with.
    public static func ephemeral() -> NodeKey {
        NodeKey(.p256(P256.Signing.PrivateKey()))
    }

    /// Reads a PEM private key file (RSA in PKCS#1 or PKCS#8, or EC P-256/P-384).
    public static func load(hostkeyPath path: String) throws(NodeKey.LoadError) -> NodeKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeKey.LoadError(description: "hostkey: cannot read '\(path)'")
        }
        guard let pem = String(data: data, encoding: .utf8) else {
            throw NodeKey.LoadError(description: "hostkey: '\(path)' is not a PEM text file")
        }
        return try fromPEM(pem, source: path)
    }

    /// A key from PEM text held in memory.
    public static func fromPEM(_ pem: String, source: String = "<pem>") throws(NodeKey.LoadError) -> NodeKey {
        if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) { return NodeKey(.rsa(key)) }
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) { return NodeKey(.p256(key)) }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) { return NodeKey(.p384(key)) }
        // Say why a key that is there cannot be used, rather than that none is there.
        if pem.contains("ENCRYPTED PRIVATE KEY") || pem.contains("Proc-Type: 4,ENCRYPTED") {
            throw NodeKey.LoadError(
                description: "hostkey: '\(source)' is encrypted with a passphrase; gossipd needs an unencrypted key "
                    + "(openssl pkey -in \(source) -out plain.pem, or `gossip keygen`)")
        }
        if let small = try? _RSA.Signing.PrivateKey(unsafePEMRepresentation: pem) {
            throw NodeKey.LoadError(
                description: "hostkey: '\(source)' is an RSA key of \(small.keySizeInBits) bits; at least 2048 are needed (`gossip keygen` makes one)")
        }
        throw NodeKey.LoadError(description: "hostkey: '\(source)' holds no RSA or EC (P-256, P-384) private key in PEM form")
    }

    /// Signs `message`: RSA-PSS with SHA-256, or ECDSA (DER) with the curve's hash.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        switch backing {
        case .rsa(let key): Array(try key.signature(for: SHA256.hash(data: message), padding: .PSS).rawRepresentation)
        case .p256(let key): Array(try key.signature(for: message).derRepresentation)
        case .p384(let key): Array(try key.signature(for: message).derRepresentation)
        }
    }

    /// The identity a signature proves: nil unless `signature` is `publicKeyDER`'s valid signature
    /// of `message`; otherwise the SHA-256 of that public key.
    public static func verify(signature: [UInt8], of message: [UInt8], publicKeyDER: [UInt8]) -> PeerIdentity? {
        // Each parser checks the key's algorithm, so the order decides only what is tried in
        // vain first: P-256, the key of every node without a hostkey, then P-384, then RSA.
        let valid: Bool
        if let key = try? P256.Signing.PublicKey(derRepresentation: publicKeyDER) {
            valid = (try? P256.Signing.ECDSASignature(derRepresentation: signature)).map { key.isValidSignature($0, for: message) } ?? false
        } else if let key = try? P384.Signing.PublicKey(derRepresentation: publicKeyDER) {
            valid = (try? P384.Signing.ECDSASignature(derRepresentation: signature)).map { key.isValidSignature($0, for: message) } ?? false
        } else if let key = try? _RSA.Signing.PublicKey(derRepresentation: publicKeyDER) {
            valid = key.keySizeInBits >= 2048
                && key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: message), padding: .PSS)
        } else {
            valid = false
        }
        return valid ? PeerIdentity(publicKeyDER: publicKeyDER) : nil
    }
}
