import ArgumentParser
import Foundation
import GossipConfig
import GossipNode
import GossipSockets

#if canImport(Glibc)
import Glibc
#endif

/// Real gossipd processes on loopback, a validating subscriber on each, items announced from
/// random nodes; then, optionally, a part of the network killed with SIGKILL and more items.
struct NetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net",
        abstract: "Coverage, latency, duplicates, message cost and per-node resources of a local network.")

    @Option(help: "Nodes to start.")
    var nodes = 50

    @Option(help: "Items to announce (per phase).")
    var items = 100

    @Option(help: "Bytes of data per item (at least 16).")
    var size = 64

    @Option(help: "The degree every node is configured with.")
    var degree = ConfigurationDefaults.degree

    @Option(help: "Milliseconds between announcements.")
    var gap = 20

    @Option(help: "Fraction of nodes to kill -9 after the first phase (0: no churn phase).")
    var kill = 0.0

    @Option(help: "Milliseconds between push/pull rounds (gossip_interval_ms).")
    var gossipInterval = 500

    @Option(help: "Folder for configs and logs (default: a new temporary folder).")
    var runDir: String?

    @Option(help: "The gossipd binary (default: next to this program).")
    var gossipd: String?

    func validate() throws {
        guard nodes >= 2 && nodes <= 500 else { throw ValidationError("--nodes must be 2...500") }
        guard (0.0..<1.0).contains(kill) else { throw ValidationError("--kill must be in 0..<1") }
        guard size >= 16 && size <= 60_000 else { throw ValidationError("--size must be 16...60000") }
    }

    func run() throws {
        let binary = gossipd ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gossipd").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no gossipd at \(binary): build it with `swift build -c release --product gossipd`")
        }
        let folder = runDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("gossip-net-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let network = try LocalNetwork(
            count: nodes, folder: folder, gossipd: binary,
            extraKeys: ["degree": "\(degree)", "gossip_interval_ms": "\(gossipInterval)", "anti_entropy_interval_ms": "1000"])
        defer { network.stopAll() }
        print("gossip-bench net: \(nodes) gossipd processes, degree \(degree), \(items) items of \(size) bytes, \(gap) ms apart; run folder \(folder)")

        let probe = NetworkProbe(nodes: network.probeNodes, size: size)
        guard let joined = probe.waitUntilConnected(network.probeNodes, timeout: .seconds(60)) else {
            throw ValidationError("the overlay did not join up within 60 s; see the logs in \(folder)")
        }
        print(String(format: "overlay connected after %.1f s", joined))
        print(String(format: "links settled after %.1f s more", probe.waitUntilSettled(network.probeNodes, timeout: .seconds(30))))
        try probe.subscribe(network.probeNodes)
        let before = itemsSent(probe, network.probeNodes)
        let sent = try probe.announce(0..<items, from: network.probeNodes, gap: .milliseconds(gap))
        probe.waitForCoverage(0..<items, members: network.probeNodes, timeout: .seconds(10))
        let messages = itemsSent(probe, network.probeNodes) - before
        report("steady", probe.coverage(sent, members: network.probeNodes), members: nodes, messages: messages)
        resources(network.probeNodes)

        guard kill > 0 else { return }
        var victims = network.probeNodes
        victims.shuffle()
        victims = Array(victims.prefix(Int(Double(nodes) * kill)))
        let victimSet = Set(victims.map(\.index))
        for victim in victims { network.kill(victim.index) }
        let survivors = network.probeNodes.filter { !victimSet.contains($0.index) }
        print("killed \(victims.count) of \(nodes) nodes with SIGKILL")
        if let settled = probe.waitUntilConnected(survivors, timeout: .seconds(30)) {
            print(String(format: "survivors connected again after %.1f s", settled))
        } else {
            print("survivors not yet one graph after 30 s; measuring anyway")
        }
        let beforeChurn = itemsSent(probe, survivors)
        let churnSent = try probe.announce(items..<(2 * items), from: survivors, gap: .milliseconds(gap))
        probe.waitForCoverage(items..<(2 * items), members: survivors, timeout: .seconds(15))
        report("churn (survivors)", probe.coverage(churnSent, members: survivors), members: survivors.count, messages: itemsSent(probe, survivors) - beforeChurn)
        resources(survivors)
        probe.closeClients()
    }

    private func itemsSent(_ probe: NetworkProbe, _ members: [ProbeNode]) -> Int {
        members.compactMap { probe.status(of: $0)?.statistics.peerItemsSent }.reduce(0, +)
    }

    private func report(_ phase: String, _ coverage: NetworkProbe.Coverage, members: Int, messages: Int) {
        let perItem = Double(messages) / Double(max(1, coverage.items))
        let redundancy = perItem / Double(max(1, members - 1)) - 1
        print("[\(phase)] \(coverage.fullyCovered) of \(coverage.items) items reached 100% of \(members) nodes; mean coverage \(String(format: "%.2f", coverage.meanCoverage))%")
        print("[\(phase)] time to 50%: p50 \(format(percentile(coverage.toHalf, 0.5))), p99 \(format(percentile(coverage.toHalf, 0.99)))")
        print("[\(phase)] time to 90%: p50 \(format(percentile(coverage.toNinety, 0.5))), p99 \(format(percentile(coverage.toNinety, 0.99)))")
        print("[\(phase)] time to 100%: p50 \(format(percentile(coverage.toFull, 0.5))), p99 \(format(percentile(coverage.toFull, 0.99))), max \(format(coverage.toFull.max()))")
        print("[\(phase)] duplicates delivered to modules: \(coverage.duplicates)")
        print(String(format: "[\(phase)] P2P ITEM messages: %.1f per item (relative message redundancy %.2f)", perItem, redundancy))
    }

    private func resources(_ members: [ProbeNode]) {
        let stats = members.compactMap { $0.pid.flatMap(ProcessStats.init(pid:)) }
        guard !stats.isEmpty else { return }
        let rss = stats.map(\.rssMiB), threads = stats.map { Double($0.threads) }, cpu = stats.map(\.cpuSeconds)
        print("per node: RSS MiB min \(format(rss.min(), "")) median \(format(percentile(rss, 0.5), "")) max \(format(rss.max(), "")); threads median \(format(percentile(threads, 0.5), "")) max \(format(threads.max(), "")); CPU s median \(format(percentile(cpu, 0.5), "")) max \(format(cpu.max(), ""))")
    }
}

/// gossipd processes on 127.0.0.1 with generated INI files, stopped by `stopAll`.
final class LocalNetwork {
    private(set) var processes: [Int: Process] = [:]
    let probeNodes: [ProbeNode]

    init(count: Int, folder: String, gossipd: String, extraKeys: [String: String]) throws {
        // Ports the OS hands out now are free; they are held until all are chosen.
        var held: [Socket] = []
        for _ in 0..<(2 * count) { held.append(try Socket.listen(host: "127.0.0.1", port: 0)) }
        let ports = held.map(\.localPort)
        held.forEach { $0.close() }
        var nodes: [ProbeNode] = []
        for index in 0..<count {
            let p2p = ports[2 * index], api = ports[2 * index + 1]
            // A seed set: the first three nodes, so losing one of them does not strand newcomers.
            let seeds = (0..<min(3, index)).map { "127.0.0.1:\(ports[2 * $0])" }.joined(separator: ", ")
            var ini = "[gossip]\np2p_address = 127.0.0.1:\(p2p)\napi_address = 127.0.0.1:\(api)\n"
            if !seeds.isEmpty { ini += "bootstrapper = \(seeds)\n" }
            for (key, value) in extraKeys.sorted(by: { $0.key < $1.key }) { ini += "\(key) = \(value)\n" }
            let configPath = "\(folder)/node\(index).ini"
            try ini.write(toFile: configPath, atomically: true, encoding: .utf8)
            let logPath = "\(folder)/node\(index).log"
            guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
                throw ValidationError("cannot create \(logPath)")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: gossipd)
            process.arguments = ["--config", configPath, "--log-level", "notice"]
            let log = FileHandle(forWritingAtPath: logPath)
            process.standardOutput = log
            process.standardError = log
            try process.run()
            processes[index] = process
            nodes.append(ProbeNode(index: index, host: "127.0.0.1", apiPort: api, pid: process.processIdentifier))
            if index == 0 { Thread.sleep(forTimeInterval: 0.2) }  // the first seed listens before others dial it
        }
        probeNodes = nodes
    }

    func kill(_ index: Int) {
        guard let process = processes[index] else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stopAll() {
        for process in processes.values where process.isRunning { process.terminate() }
        for process in processes.values { process.waitUntilExit() }
    }
}
