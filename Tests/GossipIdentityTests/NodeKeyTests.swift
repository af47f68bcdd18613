import CryptoExtras
import Foundation
import GossipWire
import Testing

@testable import GossipIdentity

@Suite("Node identity")
struct NodeKeyTests {
    @Test("an RSA host key gives the SHA-256 of its public key, the same every time")
    func rsaIdentity() throws {
        let pem = try NodeKey.generateRSAKeyPEM(bits: 2048)
        let first = try NodeKey.fromPEM(pem).identity
        let second = try NodeKey.fromPEM(pem).identity
        #expect(first == second)
        #expect(first.bytes.count == 32)
        let other = try NodeKey.fromPEM(try NodeKey.generateRSAKeyPEM(bits: 2048)).identity
        #expect(first != other)
    }

    @Test("a key file on disk is read; a missing or non-key file is a clear error")
    func loadingFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("hostkey.pem").path
        let pem = try NodeKey.generateRSAKeyPEM(bits: 2048)
        try pem.write(toFile: keyPath, atomically: true, encoding: .utf8)
        #expect(try NodeKey.load(hostkeyPath: keyPath).identity == NodeKey.fromPEM(pem).identity)

        #expect(throws: NodeKey.LoadError.self) { try NodeKey.load(hostkeyPath: directory.appendingPathComponent("missing").path) }
        let junk = directory.appendingPathComponent("junk.pem").path
        try "not a key".write(toFile: junk, atomically: true, encoding: .utf8)
        #expect(throws: NodeKey.LoadError.self) { try NodeKey.load(hostkeyPath: junk) }
    }

    @Test("a key that is there but unusable says why: an RSA key under 2048 bits, an encrypted key")
    func unusableKeys() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).pemRepresentation
        #expect {
            try NodeKey.fromPEM(small, source: "small.pem")
        } throws: { error in
            "\(error)" == "hostkey: 'small.pem' is an RSA key of 1024 bits; at least 2048 are needed (`gossip keygen` makes one)"
        }
        // The armour of a passphrase-protected PKCS#8 key (the body need not be real for the check).
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"
        #expect {
            try NodeKey.fromPEM(encrypted, source: "enc.pem")
        } throws: { error in
            "\(error)".hasPrefix("hostkey: 'enc.pem' is encrypted with a passphrase; gossipd needs an unencrypted key")
        }
    }

    @Test("ephemeral keys give distinct 32-byte identities")
    func ephemeral() {
        let a = NodeKey.ephemeral().identity, b = NodeKey.ephemeral().identity
        #expect(a != b)
        #expect(a.bytes.count == 32)
        #expect(PeerIdentity(bytes: [1, 2, 3]) == nil)
    }

    @Test("a signature proves the signer's identity, and nothing else", arguments: ["p256", "rsa"])
    func signatures(kind: String) throws {
        let key = kind == "rsa" ? try NodeKey.fromPEM(NodeKey.generateRSAKeyPEM(bits: 2048)) : NodeKey.ephemeral()
        let message = Array("hello".utf8)
        let signature = try key.sign(message)
        #expect(NodeKey.verify(signature: signature, of: message, publicKeyDER: key.publicKeyDER) == key.identity)
        #expect(NodeKey.verify(signature: signature, of: Array("hellO".utf8), publicKeyDER: key.publicKeyDER) == nil, "another message")
        var tampered = signature
        tampered[tampered.count / 2] ^= 0x01
        #expect(NodeKey.verify(signature: tampered, of: message, publicKeyDER: key.publicKeyDER) == nil, "a changed signature")
        let other = NodeKey.ephemeral()
        #expect(NodeKey.verify(signature: signature, of: message, publicKeyDER: other.publicKeyDER) == nil, "another key")
        #expect(NodeKey.verify(signature: signature, of: message, publicKeyDER: [0x30, 0x00]) == nil, "junk key")
    }
}
