import Crypto
import GossipWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension PeerIdentity {
    /// The identity of a public key in DER form (SubjectPublicKeyInfo): its SHA-256.
    public init(publicKeyDER: some DataProtocol) {
        self.init(bytes: Array(SHA256.hash(data: publicKeyDER)))!
    }
}
