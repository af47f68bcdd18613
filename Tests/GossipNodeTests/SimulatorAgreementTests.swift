import Foundation
import GossipClient
import GossipConfig
import GossipCore
import GossipSimulation
import GossipWire
import Synchronization
import Testing

/// One scenario run both ways, at a size both can do: 20 real `gossipd` processes on 127.0.0.1
/// joining through one bootstrapper, and `gossip-sim`'s model of the same network running the
/// same core with the same configuration. Both must reach every node with every item and deliver
/// no item twice to any module.
@Suite("Real processes and the simulator agree", .serialized)
struct SimulatorAgreementTests {
    static let nodeCount = 20
    static let itemCount = 10
    static let dataType: UInt16 = 4242

    /// The settings both runs use: those of `TestNetwork`.
    static func configure(_ configuration: inout NodeConfiguration) {
        TestNetwork.shortIntervals(&configuration)
    }

    /// What a run measured: the share of (node, item) pairs reached, and deliveries beyond the first.
    struct Outcome: Equatable, CustomStringConvertible {
        var coverage: Double
        var duplicates: Int
        var description: String { "coverage \(coverage), duplicates \(duplicates)" }
    }

    @Test("20 nodes through one bootstrapper, 10 items: the same coverage and duplicate counts both ways")
    func sameOutcome() throws {
        let real = try runRealProcesses()
        let simulated = runSimulator()
        #expect(real == Outcome(coverage: 1, duplicates: 0), "real processes: \(real)")
        #expect(simulated == real, "simulated \(simulated) against real \(real)")
    }

    func runSimulator() -> Outcome {
        var node = SimulationConfiguration.defaultNode
        Self.configure(&node)
        var configuration = SimulationConfiguration(node: node)
        configuration.nodeCount = Self.nodeCount
        configuration.join = .single
        configuration.joinSpreadSeconds = 1
        configuration.warmupSeconds = 5
        configuration.latency = LatencyModel(distribution: .uniform, meanMilliseconds: 0.2, jitterMilliseconds: 0.1)
        configuration.itemCount = Self.itemCount
        configuration.itemRate = 20
        configuration.dataType = Self.dataType
        configuration.drainSeconds = 3
        var simulation = Simulation(configuration: configuration)
        let report = simulation.run()
        let reached = report.items.map(\.reached).reduce(0, +)
        let eligible = report.items.map(\.eligible).reduce(0, +)
        return Outcome(coverage: Double(reached) / Double(max(1, eligible)), duplicates: report.itemSummary.duplicateNotifications)
    }

    func runRealProcesses() throws -> Outcome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agreement-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var nodes: [RunningDaemon] = []
        defer {
            for node in nodes { node.stop() }
            try? FileManager.default.removeItem(at: folder)
        }
        for index in 0..<Self.nodeCount {
            nodes.append(try RunningDaemon.start(index: index, folder: folder, bootstrapper: nodes.first?.p2pPort))
        }
        let joined = waitUntil(timeout: .seconds(30)) { Self.isConnected(nodes) }
        try #require(joined, "the 20 processes did not form one overlay")

        // A validating subscriber on every node, reading on a thread of its own.
        let received = Mutex<[[Int]]>(Array(repeating: [], count: Self.nodeCount))
        var readers: [BackgroundJob] = []
        var subscribers: [GossipAPIClient] = []
        for (index, node) in nodes.enumerated() {
            let client = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
            try client.notify(dataType: Self.dataType)
            subscribers.append(client)
            readers.append(
                BackgroundJob {
                    while case .notification(let notification)? = try? client.receive(timeout: .seconds(3)) {
                        try client.validate(messageID: notification.messageID, isValid: true)
                        received.withLock { $0[index].append(Int(notification.data.first ?? 255)) }
                    }
                })
        }
        defer { for client in subscribers { client.close() } }
        // Let every NOTIFY reach its node before the first announcement.
        Thread.sleep(forTimeInterval: 0.3)
        var origins: [Int: Int] = [:]
        for item in 0..<Self.itemCount {
            let origin = (item * 7 + 3) % Self.nodeCount
            origins[item] = origin
            let announcer = try GossipAPIClient(host: "127.0.0.1", port: nodes[origin].apiPort)
            try announcer.announce(dataType: Self.dataType, ttl: 0, data: [UInt8(item)])
            announcer.close()
            Thread.sleep(forTimeInterval: 0.05)
        }
        for reader in readers { try reader.join() }
        let lists = received.withLock { $0 }
        var reached = 0, duplicates = 0
        for list in lists {
            let distinct = Set(list)
            reached += distinct.count
            duplicates += list.count - distinct.count
        }
        return Outcome(coverage: Double(reached) / Double(Self.nodeCount * Self.itemCount), duplicates: duplicates)
    }

    /// Whether the nodes' established links (from STATUS) join them all into one graph.
    static func isConnected(_ nodes: [RunningDaemon]) -> Bool {
        struct Status: Decodable {
            var identity: String
            var peers: [String]
        }
        var peersByPrefix: [String: [String]] = [:]
        for node in nodes {
            guard let client = try? GossipAPIClient(host: "127.0.0.1", port: node.apiPort),
                let json = try? client.status(),
                let status = try? JSONDecoder().decode(Status.self, from: Data(json))
            else { return false }
            client.close()
            peersByPrefix[String(status.identity.prefix(16))] = status.peers
        }
        guard let first = peersByPrefix.keys.sorted().first else { return false }
        var reached: Set<String> = [first]
        var frontier = [first]
        while let next = frontier.popLast() {
            for peer in peersByPrefix[next] ?? [] where peersByPrefix[peer] != nil && reached.insert(peer).inserted {
                frontier.append(peer)
            }
        }
        return reached.count == nodes.count
    }
}

/// A `gossipd` process started from an INI file with OS-chosen ports, read back from its log.
final class RunningDaemon: Sendable {
    let process: Process
    let apiPort: UInt16
    let p2pPort: UInt16

    private init(process: Process, apiPort: UInt16, p2pPort: UInt16) {
        self.process = process
        self.apiPort = apiPort
        self.p2pPort = p2pPort
    }

    static func start(index: Int, folder: URL, bootstrapper: UInt16?) throws -> RunningDaemon {
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        SimulatorAgreementTests.configure(&configuration)
        var lines = [
            "[gossip]", "api_address = 127.0.0.1:0", "p2p_address = 127.0.0.1:0",
            "degree = \(configuration.degree)",
            "gossip_interval_ms = \(configuration.gossipIntervalMilliseconds)",
            "anti_entropy_interval_ms = \(configuration.antiEntropyIntervalMilliseconds)",
            "ping_interval_ms = \(configuration.pingIntervalMilliseconds)",
            "peer_timeout_ms = \(configuration.peerTimeoutMilliseconds)",
            "connect_timeout_ms = \(configuration.connectTimeoutMilliseconds)",
            "validation_timeout_ms = \(configuration.validationTimeoutMilliseconds)",
            "identity_work_bits = \(configuration.identityWorkBits)",
        ]
        if let bootstrapper { lines.append("bootstrapper = 127.0.0.1:\(bootstrapper)") }
        let ini = folder.appendingPathComponent("node\(index).ini")
        try (lines.joined(separator: "\n") + "\n").write(to: ini, atomically: true, encoding: .utf8)
        return try start(ini: ini, log: folder.appendingPathComponent("node\(index).log"))
    }

    /// Starts gossipd on `ini`, its log (standard error) going to `log`, and waits for its ports.
    static func start(ini: URL, log: URL) throws -> RunningDaemon {
        let process = try spawn(ini: ini, log: log)
        var ports: (api: UInt16, p2p: UInt16)?
        _ = waitUntil(timeout: .seconds(10)) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            ports = Self.ports(inLog: text)
            return ports != nil || !process.isRunning
        }
        guard let ports else {
            process.terminate()
            throw TestFailure.unexpected
        }
        return RunningDaemon(process: process, apiPort: ports.api, p2pPort: ports.p2p)
    }

    /// Starts gossipd on `ini`, its log (standard error) going to `log`, and returns at once.
    static func spawn(ini: URL, log: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = CommandLineTests.products.appendingPathComponent("gossipd")
        process.arguments = ["--config", ini.path]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The bound ports from the "node started" line (`api=127.0.0.1:P ... p2p=127.0.0.1:Q`).
    static func ports(inLog text: String) -> (api: UInt16, p2p: UInt16)? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains("node started") }) else { return nil }
        func port(after key: String) -> UInt16? {
            guard let range = line.range(of: key + "127.0.0.1:") else { return nil }
            return UInt16(line[range.upperBound...].prefix { $0.isNumber })
        }
        guard let api = port(after: "api="), let p2p = port(after: "p2p=") else { return nil }
        return (api, p2p)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
