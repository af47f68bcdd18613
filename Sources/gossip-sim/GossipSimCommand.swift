import ArgumentParser
import Foundation
import GossipConfig
import GossipSimulation
import GossipWire

extension JoinMode: ExpressibleByArgument {}
extension CrashMode: ExpressibleByArgument {}
extension LatencyModel.Distribution: ExpressibleByArgument {}

struct GossipSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip-sim",
        abstract:
            "Simulate a network of gossip nodes on a virtual clock: the node's own protocol core over a modelled network.",
        discussion: """
            Every node runs the same protocol code as gossipd (GossipCore) with the node knobs of an INI \
            file (--config) or the simulator's defaults (gossipd's, except degree 8 and view size 32), \
            overridden by the options below. Events run on a virtual clock from priority queues: no \
            sleeping; nodes are split over --threads partitions that run in parallel windows shorter \
            than the smallest link latency. The same seed gives the same output whatever the thread \
            count (apart from the "simulation" block of the JSON: wall time, events per second, memory).

            Timeline: nodes start evenly over --join-spread seconds; the first item is announced at \
            --warmup, then one every 1/--item-rate seconds; the run ends --drain seconds after the last.

            Examples:
              gossip-sim --nodes 1000 --items 100 --seed 1
              gossip-sim --nodes 100000 --json-out run.json --csv-out run-csv
              gossip-sim --nodes 2000 --join single --loss 0.01 --kill 0.2
              gossip-sim --nodes 5000 --join seeds --seeds 5 --crash-mode silent \\
                --kill 0.3 --kill-at 25
              gossip-sim --partition 0.3 --partition-at 20 --heal-at 30 --drain 30
              gossip-sim --config configs/node.ini --invalid-fraction 0.05 \\
                --silent-module-fraction 0.05 --late-joiners 0.1
              gossip-sim --summarize run.json

            See docs/simulator.md for the network model and every field of the JSON and CSV output.
            """,
        version: GossipVersion.text)

    // MARK: Population

    @Option(help: "Number of nodes, late joiners included.")
    var nodes: Int = 1000

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 1

    @Option(
        help:
            "How nodes find the network: single (node 0 bootstraps everyone), seeds (every node is given the seed set), random (a random running node)."
    )
    var join: JoinMode = .random

    @Option(help: "Size of the seed set for --join seeds.")
    var seeds: Int = 3

    @Option(name: .customLong("join-spread"), help: "Seconds over which the initial nodes start.")
    var joinSpread: Double = 10

    @Option(name: .customLong("late-joiners"), help: "Fraction of the nodes that start during the item phase instead.")
    var lateJoiners: Double = 0

    @Option(help: "Virtual seconds before the first item, for the overlay to form.")
    var warmup: Double = 15

    // MARK: Network

    @Option(name: .customLong("latency-ms"), help: "Mean one-way link latency (ms).")
    var latencyMs: Double = 50

    @Option(
        name: .customLong("latency-jitter-ms"),
        help: "Spread of the latency (ms): uniform ±jitter, or the mean of the exponential tail.")
    var latencyJitterMs: Double = 20

    @Option(name: .customLong("latency-dist"), help: "Latency distribution per link: constant, uniform or exponential.")
    var latencyDistribution: LatencyModel.Distribution = .uniform

    @Option(parsing: .unconditional, help: "Probability that a segment is lost; each loss delays the message by one retransmission timeout.")
    var loss: Double = 0

    @Option(name: .customLong("rto-ms"), help: "Retransmission timeout added per lost segment (ms).")
    var rtoMs: Double = 200

    // MARK: Churn and partitions

    @Option(help: "Fraction of the running nodes killed at once at --kill-at.")
    var kill: Double = 0

    @Option(name: .customLong("kill-at"), help: "Virtual second of the kill (default: halfway through the item phase).")
    var killAt: Double?

    @Option(
        name: .customLong("crash-mode"),
        help:
            "What peers of a killed node see: reset (links reset, dials refused) or silent (links go quiet, dials time out)."
    )
    var crashMode: CrashMode = .reset

    @Option(help: "Fraction of the nodes cut off from the rest at --partition-at.")
    var partition: Double = 0

    @Option(name: .customLong("partition-at"), help: "Virtual second the partition starts (default: the first item).")
    var partitionAt: Double?

    @Option(name: .customLong("heal-at"), help: "Virtual second the partition heals (default: never).")
    var healAt: Double?

    // MARK: Items and modules

    @Option(help: "Number of items announced.")
    var items: Int = 100

    @Option(name: .customLong("item-rate"), help: "Items announced per virtual second.")
    var itemRate: Double = 10

    @Option(name: .customLong("item-size"), help: "Bytes of data per item.")
    var itemSize: Int = 64

    @Option(help: "TTL of each item (0: unlimited).")
    var ttl: UInt8 = 0

    @Option(help: "0: each item from a random running node; N: from a fixed set of N nodes.")
    var origins: Int = 0

    @Option(name: .customLong("data-type"), help: "Data type of the items; every module subscribes to it.")
    var dataType: UInt16 = 1337

    @Option(name: .customLong("validation-delay-ms"), help: "Time a module takes to answer a NOTIFICATION (ms).")
    var validationDelayMs: Double = 5

    @Option(name: .customLong("invalid-fraction"), help: "Fraction of nodes whose module answers invalid.")
    var invalidFraction: Double = 0

    @Option(name: .customLong("silent-module-fraction"), help: "Fraction of nodes whose module never answers.")
    var silentModuleFraction: Double = 0

    @Option(help: "Virtual seconds simulated after the last item.")
    var drain: Double = 15

    @Option(help: "Total virtual seconds to simulate (overrides --drain; must reach past the last item).")
    var duration: Double?

    // MARK: Node knobs

    @Option(
        name: .customLong("config"),
        help: """
            An INI file of node knobs ([gossip] section, as for gossipd); the options below override it. \
            With it, every knob starts from gossipd's defaults (degree 30, view_size 128), then the \
            file's keys and the timings of its profile (lan, wan, local); the defaults shown below \
            are those without it.
            """)
    var configFile: String?

    @Option(help: "Links each node maintains (default: 8, or the --config file's).")
    var degree: Int?

    @Option(
        name: .customLong("cache-size"), help: "Items each node keeps for spreading and anti-entropy (default: 50).")
    var cacheSize: Int?

    @Option(name: .customLong("gossip-interval-ms"), help: "Push/pull round interval (ms, default: 1000).")
    var gossipIntervalMs: Int?

    @Option(name: .customLong("anti-entropy-interval-ms"), help: "Anti-entropy digest interval (ms, default: 1000).")
    var antiEntropyIntervalMs: Int?

    @Option(name: .customLong("ping-interval-ms"), help: "Silence before a link is pinged (ms, default: 2000).")
    var pingIntervalMs: Int?

    @Option(name: .customLong("peer-timeout-ms"), help: "Silence before a link is closed as dead (ms, default: 6000).")
    var peerTimeoutMs: Int?

    @Option(
        name: .customLong("view-size"), help: "Peers kept in each node's view (default: 32, or the --config file's).")
    var viewSize: Int?

    @Option(name: .customLong("max-peer-connections"), help: "Most links per node (default: 128).")
    var maxPeerConnections: Int?

    @Option(
        name: .customLong("validation-timeout-ms"),
        help: "Time a node waits for its module's verdict (ms, default: 5000).")
    var validationTimeoutMs: Int?

    @Option(
        name: .customLong("connect-timeout-ms"), help: "Time a dial into silence takes to fail (ms, default: 3000).")
    var connectTimeoutMs: Int?

    @Option(
        name: .customLong("seen-capacity"), help: "Item IDs each node's duplicate filter remembers (default: 65536).")
    var seenCapacity: Int?

    @Option(name: .customLong("digest-size"), help: "Most IDs per anti-entropy digest (default: 256).")
    var digestSize: Int?

    @Option(
        name: .customLong("link-idle-timeout-ms"),
        help: "Idle time before a surplus link is closed (ms, 0: never; default: 300000).")
    var linkIdleTimeoutMs: Int?

    @Option(name: .customLong("degree-slack"), help: "Active links accepted above the degree (default: 2).")
    var degreeSlack: Int?

    @Option(name: .customLong("join-walk-length"), help: "Hops of the join walks (default: 6).")
    var joinWalkLength: Int?

    @Option(name: .customLong("ihave-interval-ms"), help: "Batching interval of IHAVE announcements (ms, default: 250).")
    var ihaveIntervalMs: Int?

    @Option(name: .customLong("graft-timeout-ms"), help: "Least wait for an announced item before asking its announcer for it (a REQUEST, a GRAFT on a second miss; ms, default: 250).")
    var graftTimeoutMs: Int?

    // MARK: Output

    @Option(name: .customLong("json-out"), help: "Write the report as JSON to this file.")
    var jsonOut: String?

    @Option(name: .customLong("csv-out"), help: "Write CSV files for plotting into this folder.")
    var csvOut: String?

    @Option(name: .customLong("coverage-bucket-ms"), help: "Step of the coverage-over-time series (ms).")
    var coverageBucketMs: Double = 10

    @Option(
        help: "Threads to run on (0: 2 from 5,000 nodes on, if there are 2 cores; else 1). Results do not depend on it."
    )
    var threads: Int = 0

    @Flag(help: "No progress line and no summary.")
    var quiet = false

    @Option(help: "Print the summary of a report written earlier with --json-out, and simulate nothing.")
    var summarize: String?

    func validate() throws {
        _ = try makeConfiguration(printingWarnings: false)
    }

    func makeConfiguration(printingWarnings: Bool = true) throws -> SimulationConfiguration {
        var node = SimulationConfiguration.defaultNode
        if let configFile {
            do {
                let loaded = try ConfigurationLoader.load(path: configFile)
                node = loaded.configuration
                if printingWarnings && !quiet { for warning in loaded.warnings { printError("warning: \(warning)") } }
            } catch {
                throw ValidationError("cannot load --config: \(error)")
            }
        }
        func set(_ value: Int?, _ key: ConfigurationKey, _ apply: (inout NodeConfiguration, Int) -> Void) throws {
            guard let value else { return }
            if let range = key.integerRange, !range.contains(value) {
                throw ValidationError(
                    "--\(key.name.replacingOccurrences(of: "_", with: "-")) must be in \(range.lowerBound)...\(range.upperBound), got \(value)"
                )
            }
            apply(&node, value)
        }
        try set(degree, .degree) { $0.degree = $1 }
        try set(cacheSize, .cacheSize) { $0.cacheSize = $1 }
        try set(gossipIntervalMs, .gossipIntervalMilliseconds) { $0.gossipIntervalMilliseconds = $1 }
        try set(antiEntropyIntervalMs, .antiEntropyIntervalMilliseconds) { $0.antiEntropyIntervalMilliseconds = $1 }
        try set(pingIntervalMs, .pingIntervalMilliseconds) { $0.pingIntervalMilliseconds = $1 }
        try set(peerTimeoutMs, .peerTimeoutMilliseconds) { $0.peerTimeoutMilliseconds = $1 }
        try set(viewSize, .viewSize) { $0.viewSize = $1 }
        try set(maxPeerConnections, .maxPeerConnections) { $0.maxPeerConnections = $1 }
        try set(validationTimeoutMs, .validationTimeoutMilliseconds) { $0.validationTimeoutMilliseconds = $1 }
        try set(connectTimeoutMs, .connectTimeoutMilliseconds) { $0.connectTimeoutMilliseconds = $1 }
        try set(seenCapacity, .seenCapacity) { $0.seenCapacity = $1 }
        try set(digestSize, .digestSize) { $0.digestSize = $1 }
        try set(linkIdleTimeoutMs, .linkIdleTimeoutMilliseconds) { $0.linkIdleTimeoutMilliseconds = $1 }
        try set(degreeSlack, .degreeSlack) { $0.degreeSlack = $1 }
        try set(joinWalkLength, .joinWalkLength) { $0.joinWalkLength = $1 }
        try set(ihaveIntervalMs, .ihaveIntervalMilliseconds) { $0.ihaveIntervalMilliseconds = $1 }
        try set(graftTimeoutMs, .graftTimeoutMilliseconds) { $0.graftTimeoutMilliseconds = $1 }

        var c = SimulationConfiguration(node: node)
        c.nodeCount = nodes
        c.seed = seed
        c.join = join
        c.seedCount = seeds
        c.joinSpreadSeconds = joinSpread
        c.lateJoinerFraction = lateJoiners
        c.warmupSeconds = warmup
        c.latency = LatencyModel(
            distribution: latencyDistribution, meanMilliseconds: latencyMs, jitterMilliseconds: latencyJitterMs)
        c.lossRate = loss
        c.retransmissionTimeoutMilliseconds = rtoMs
        c.crashMode = crashMode
        c.killFraction = kill
        c.killAtSeconds = killAt
        c.partitionFraction = partition
        c.partitionAtSeconds = partitionAt
        c.healAtSeconds = healAt
        c.itemCount = items
        c.itemRate = itemRate
        c.itemSize = itemSize
        c.itemTTL = ttl
        c.dataType = dataType
        c.originCount = origins
        c.validationDelayMilliseconds = validationDelayMs
        c.invalidFraction = invalidFraction
        c.silentModuleFraction = silentModuleFraction
        c.drainSeconds = drain
        c.coverageBucketMilliseconds = coverageBucketMs
        c.threads = threads
        if threads < 0 || threads > 64 { throw ValidationError("--threads must be between 0 and 64, got \(threads)") }
        if let duration {
            guard duration >= c.lastItemSeconds else {
                throw ValidationError(
                    "--duration \(duration) ends before the last item is announced (at \(c.lastItemSeconds) s)")
            }
            c.drainSeconds = duration - c.lastItemSeconds
        }
        if origins < 0 { throw ValidationError("--origins must not be negative, got \(origins)") }
        if nodes < 1 { throw ValidationError("--nodes must be at least 1, got \(nodes)") }
        if let problem = c.problem { throw ValidationError(problem) }
        return c
    }

    func run() throws {
        if let summarize {
            let report: SimulationReport
            do {
                report = try SimulationReport.decode(Data(contentsOf: URL(fileURLWithPath: summarize)))
            } catch {
                throw RuntimeError("cannot read the report \(summarize): \(error.localizedDescription)")
            }
            print(report.summaryText)
            return
        }
        let configuration = try makeConfiguration()
        // Fail now rather than after a long run.
        if let jsonOut, !FileManager.default.createFile(atPath: jsonOut, contents: nil) {
            throw RuntimeError("cannot write \(jsonOut)")
        }
        if let csvOut {
            do {
                try FileManager.default.createDirectory(atPath: csvOut, withIntermediateDirectories: true)
            } catch {
                throw RuntimeError("cannot create the folder \(csvOut): \(error.localizedDescription)")
            }
        }
        var simulation = Simulation(configuration: configuration)
        if !quiet {
            simulation.progressHandler = { progress in printError(progress.line) }
        }
        let report = simulation.run()
        if let jsonOut {
            do {
                try report.json().write(to: URL(fileURLWithPath: jsonOut))
            } catch {
                throw RuntimeError("cannot write \(jsonOut): \(error.localizedDescription)")
            }
        }
        if let csvOut {
            do {
                try CSVWriter.write(report, nodes: simulation.nodeRows(), to: csvOut)
            } catch {
                throw RuntimeError("cannot write CSV files into \(csvOut): \(error.localizedDescription)")
            }
        }
        if !quiet { print(report.summaryText) }
    }
}

struct RuntimeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
