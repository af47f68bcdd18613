import Foundation
import GossipClient
import GossipSockets
import Testing

/// configs/three-node/ run as real processes: any node, the seed included, stopped and started
/// again is linked within 5 s.
@Suite("Restarts", .serialized)
struct RestartTests {
    /// Free ports on 127.0.0.1 the OS picked (bound and released at once).
    static func freePorts(_ count: Int) throws -> [UInt16] {
        var sockets: [Socket] = []
        defer { for socket in sockets { socket.close() } }
        for _ in 0..<count { sockets.append(try Socket.listen(host: "127.0.0.1", port: 0)) }
        return sockets.map(\.localPort)
    }

    /// The peers STATUS lists for `node`, or nil if it does not answer.
    static func peers(of node: RunningDaemon) -> Int? {
        struct Status: Decodable { var peers: [String] }
        guard let client = try? GossipAPIClient(host: "127.0.0.1", port: node.apiPort) else { return nil }
        defer { client.close() }
        guard let json = try? client.status(), let status = try? JSONDecoder().decode(Status.self, from: Data(json)) else { return nil }
        return status.peers.count
    }

    @Test("each node of configs/three-node, stopped and started again, is linked again within 5 s", arguments: [0, 1, 2])
    func restart(node restarted: Int) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("restart-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ports = try Self.freePorts(6)
        let source = CommandLineTests.packageRoot.appendingPathComponent("configs/three-node")
        var inis: [URL] = []
        for index in 0..<3 {
            var text = try String(contentsOf: source.appendingPathComponent("node\(index + 1).ini"), encoding: .utf8)
            for (old, new) in zip(["6101", "6102", "6103", "7101", "7102", "7103"], ports) { text = text.replacingOccurrences(of: old, with: "\(new)") }
            text += "identity_work_bits = 0\n"  // a debug gossipd finds 21 bits slowly; the restart is what is tested
            let ini = folder.appendingPathComponent("node\(index + 1).ini")
            try text.write(to: ini, atomically: true, encoding: .utf8)
            inis.append(ini)
        }
        var nodes: [RunningDaemon] = []
        defer { for node in nodes { node.stop() } }
        for (index, ini) in inis.enumerated() {
            nodes.append(try RunningDaemon.start(ini: ini, log: folder.appendingPathComponent("node\(index + 1).log")))
        }
        try #require(waitUntil(timeout: .seconds(10)) { SimulatorAgreementTests.isConnected(nodes) }, "the three nodes link up")

        nodes[restarted].stop()
        #expect(waitUntil(timeout: .seconds(10)) { nodes.indices.filter { $0 != restarted }.allSatisfy { Self.peers(of: nodes[$0]) == 1 } })
        let log = folder.appendingPathComponent("node\(restarted + 1)-again.log")
        nodes[restarted] = try RunningDaemon.start(ini: inis[restarted], log: log)
        let started = ContinuousClock.now
        let linked = waitUntil(timeout: .seconds(5)) { (Self.peers(of: nodes[restarted]) ?? 0) > 0 && SimulatorAgreementTests.isConnected(nodes) }
        #expect(linked, "node \(restarted + 1) linked again within 5 s (took \(ContinuousClock.now - started))")
    }
}
