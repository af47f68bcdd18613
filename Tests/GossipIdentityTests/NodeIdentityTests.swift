import Foundation
import Testing

@testable import GossipIdentity

@Suite("Node identity")
struct NodeIdentityTests {
    @Test("an RSA host key gives the SHA-256 of its public key, the same every time")
    func rsaIdentity() throws {
        let pem = try NodeIdentity.generateRSAKeyPEM(bits: 2048)
        let first = try NodeIdentity.fromPEM(pem)
        let second = try NodeIdentity.fromPEM(pem)
        #expect(first == second)
        #expect(first.bytes.count == 32)
        let other = try NodeIdentity.fromPEM(try NodeIdentity.generateRSAKeyPEM(bits: 2048))
        #expect(first != other)
    }

    @Test("a key file on disk is read; a missing or non-key file is a clear error")
    func loadingFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("hostkey.pem").path
        let pem = try NodeIdentity.generateRSAKeyPEM(bits: 2048)
        try pem.write(toFile: keyPath, atomically: true, encoding: .utf8)
        #expect(try NodeIdentity.load(hostkeyPath: keyPath) == NodeIdentity.fromPEM(pem))

        #expect(throws: NodeIdentity.LoadError.self) { try NodeIdentity.load(hostkeyPath: directory.appendingPathComponent("missing").path) }
        let junk = directory.appendingPathComponent("junk.pem").path
        try "not a key".write(toFile: junk, atomically: true, encoding: .utf8)
        #expect(throws: NodeIdentity.LoadError.self) { try NodeIdentity.load(hostkeyPath: junk) }
    }

    @Test("ephemeral identities are 32 random bytes")
    func ephemeral() {
        let a = NodeIdentity.ephemeral(), b = NodeIdentity.ephemeral()
        #expect(a != b)
        #expect(a.bytes.count == 32)
        #expect(NodeIdentity(bytes: [1, 2, 3]) == nil)
    }
}
