import Foundation
import GossipConfig
import GossipCore
import GossipIdentity
import GossipNode
import GossipWire
import Logging
import Testing

/// The long-lived peers a node keeps beside its host key across restarts (issue 8).
@Suite("Peers kept across restarts", .serialized)
struct PeerStateTests {
    @Test("a node restarted without bootstrappers finds its old neighbour again through the file beside its host key")
    func restartFromSavedPeers() throws {
        try withHostKey { keyPath in try restart(keyPath: keyPath) }
    }

    private func restart(keyPath: String) throws {

        let network = TestNetwork()
        let neighbour = try network.add()
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        TestNetwork.shortIntervals(&configuration)
        configuration.hostkeyPath = keyPath
        configuration.bootstrappers = [Endpoint(host: "127.0.0.1", port: neighbour.p2pPort)]
        var logger = Logger(label: "peer-state-test")
        logger.logLevel = .critical

        let first = try Node(configuration: configuration, logger: logger)
        try first.start()
        #expect(waitUntil(timeout: .seconds(10)) { first.connectedPeers.contains(neighbour.identity) })
        first.stop()
        let saved = try String(contentsOfFile: keyPath + ".peers", encoding: .utf8)
        let lines = saved.split(separator: "\n")
        #expect(lines.first == "gossip-peers-v1")
        #expect(lines.dropFirst().contains { $0.hasPrefix(neighbour.identity.hex + " 127.0.0.1 \(neighbour.p2pPort)") }, "\(saved)")

        // The same identity, no bootstrapper at all: the file is its way back.
        configuration.bootstrappers = []
        let second = try Node(configuration: configuration, logger: logger)
        try second.start()
        defer { second.stop() }
        #expect(waitUntil(timeout: .seconds(10)) { second.connectedPeers.contains(neighbour.identity) })
    }

    @Test("a file that is not ours, or lines that do not parse, are ignored")
    func badFile() throws {
        try withHostKey { keyPath in try badFile(keyPath: keyPath) }
    }

    private func badFile(keyPath: String) throws {
        let identity = String(repeating: "ab", count: 32)
        try "something else\n\(identity) 127.0.0.1 1\n".write(toFile: keyPath + ".peers", atomically: true, encoding: .utf8)
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        configuration.hostkeyPath = keyPath
        configuration.identityWorkBits = 0
        var logger = Logger(label: "peer-state-test")
        logger.logLevel = .critical
        let node = try Node(configuration: configuration, logger: logger)
        try node.start()
        // (A dial to port 1 on loopback fails at once, so a second is plenty to see one.)
        #expect(!waitUntil(timeout: .seconds(1)) { node.statistics.dialsFailed >= 1 }, "the file was ignored: nothing dialed")
        // A valid header with junk lines: only the good line counts (it then fails to dial, port 1).
        node.stop()
        try "gossip-peers-v1\nnot a peer\n\(identity) 127.0.0.1 1\n\(identity) nowhere 7\n".write(
            toFile: keyPath + ".peers", atomically: true, encoding: .utf8)
        let again = try Node(configuration: configuration, logger: logger)
        try again.start()
        defer { again.stop() }
        #expect(waitUntil(timeout: .seconds(5)) { again.statistics.dialsFailed >= 1 }, "the one good line was dialed")
    }

    /// Runs `body` with the path of a fresh host key in a folder of its own, removed afterwards.
    private func withHostKey(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("peers-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyPath = folder.appendingPathComponent("hostkey.pem").path
        try NodeKey.generateRSAKeyPEM(bits: 2048).write(toFile: keyPath, atomically: true, encoding: .utf8)
        try body(keyPath)
    }
}
