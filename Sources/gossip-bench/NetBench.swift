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
/// Measures how the overlay forms (`--join`), checks the targets, and exits 1 if one fails.
struct NetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net",
        abstract: "Join, coverage, latency, duplicates, message cost and per-node resources of a local network.",
        discussion: """
            Targets (checked with --join single, or with --targets): one connected overlay with no \
            isolated node within --join-timeout and no node above --link-bound links; 100% of items \
            at 100% of nodes; 0 duplicates; p99 time to 100% at most --p99-target-ms; P2P ITEM \
            messages per item at most 2 x (nodes - 1). A failed target makes the exit status 1; \
            an overlay that is not connected by the deadline always does.
            """)

    @Option(help: "Nodes to start.")
    var nodes = 50

    @Option(help: "How nodes find the network: single (node 0 is every node's only bootstrapper), seeds (nodes 0-2 are the seed set: every later node's bootstrappers; seeds 1-2 bootstrap from node 0), random (a random node started earlier).")
    var join: JoinMode = .single

    @Option(help: "Seconds from the start of node 0 for the overlay to become one connected graph with no isolated node.")
    var joinTimeout = 30

    @Option(help: "Links per node above which a node counts against the overlay target (default: degree + degree_slack).")
    var linkBound: Int?

    @Option(help: "Items to announce (per phase).")
    var items = 100

    @Option(help: "Items announced before the measured ones, at the same rate, reported apart and not checked against the targets (0: none).")
    var warmup = 0

    @Option(help: "Bytes of data per item (at least 16).")
    var size = 64

    @Option(help: "The degree every node is configured with.")
    var degree = ConfigurationDefaults.degree

    @Option(help: "identity_work_bits of every node: throwaway identities start fast at 12 (a real network keeps 21).")
    var workBits = 12

    @Flag(help: "Run every node with link_encryption = 0 (plain-text links), to measure what encryption costs.")
    var plaintext = false

    @Flag(help: "The benchmark's modules (subscribers and announcers) use each node's Unix-domain API socket (api_socket, in the run folder) instead of TCP.")
    var apiSocket = false

    @Option(help: "Threads that serve the benchmark's subscribers, each waiting on its share of the connections with epoll (0: a thread per subscriber, blocking in recv: the benchmark's old way, to compare).")
    var subscriberThreads = 2

    @Option(help: "Milliseconds between announcements (default 20, i.e. 50 items/s).")
    var gap: Int?

    @Option(help: "Items per second, instead of --gap.")
    var rate: Double?

    @Option(help: "Target for the p99 time from ANNOUNCE to 100% of nodes, in milliseconds.")
    var p99TargetMs = 50.0

    @Flag(inversion: .prefixedNo, help: "Check the targets and print PASS/FAIL (default: with --join single).")
    var targets: Bool?

    @Option(help: "Fraction of nodes to kill -9 after the first phase (0: no churn phase).")
    var kill = 0.0

    @Option(help: "Milliseconds between shuffles (gossip_interval_ms, gossipd's own default).")
    var gossipInterval = ConfigurationDefaults.gossipIntervalMilliseconds

    @Option(help: "Every node's --log-level; info logs each link made and lost (node<i>.log in the run folder).")
    var logLevel = "notice"

    @Option(help: ArgumentHelp("Another [gossip] key for every node's configuration, e.g. --set ihave_interval_ms=500 (repeatable; not the keys set per node, such as the addresses, nor those with an option here, such as degree).", valueName: "key=value"))
    var set: [String] = []

    @Flag(help: "Also write arrivals-<phase>.tsv into the run folder: one line per item and node (when it got the item, and its hops from the item's origin on the tree read after the phase).")
    var arrivals = false

    @Option(help: "Folder for configs and logs (default: a new temporary folder).")
    var runDir: String?

    @Option(help: "The gossipd binary (default: next to this program).")
    var gossipd: String?

    @Flag(inversion: .prefixedNo, help: "Run the nodes from a copy of gossipd (many-nodes/gossipd beside it) read afresh into 2 MiB page-cache folios (as `gossip-bench code-pages --copy-to` does), so that they map their code with 2 MiB pages; --no-huge-code-pages runs gossipd itself from the page cache as it is (as all runs before 2026-12-02's sixth sitting).")
    var hugeCodePages = true

    func validate() throws {
        guard nodes >= 2 && nodes <= 500 else { throw ValidationError("--nodes must be 2...500") }
        guard (0.0..<1.0).contains(kill) else { throw ValidationError("--kill must be in 0..<1") }
        guard warmup >= 0 && warmup <= 100_000 else { throw ValidationError("--warmup must be 0...100000") }
        guard size >= 16 && size <= 60_000 else { throw ValidationError("--size must be 16...60000") }
        guard gap == nil || rate == nil else { throw ValidationError("give --gap or --rate, not both") }
        if let gap, gap < 0 { throw ValidationError("--gap must be 0 or more") }
        if let rate, !(rate > 0 && rate <= 1_000_000) { throw ValidationError("--rate must be above 0 (items per second)") }
        guard (0...64).contains(subscriberThreads) else { throw ValidationError("--subscriber-threads must be 0...64") }
        guard joinTimeout >= 1 else { throw ValidationError("--join-timeout must be at least 1 (seconds)") }
        if let linkBound, linkBound < 1 { throw ValidationError("--link-bound must be at least 1") }
        _ = try setKeys()
        guard ConfigurationDefaults.logLevels.contains(logLevel) else {
            throw ValidationError("--log-level must be one of \(ConfigurationDefaults.logLevels.joined(separator: ", "))")
        }
    }

    /// Where the configs, logs and per-item files go.
    private var folder: String {
        runDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("gossip-net-\(getpid())").path
    }

    /// Time between announcements.
    private var interval: Duration {
        if let rate { return .nanoseconds(Int64((1e9 / rate).rounded())) }
        return .milliseconds(gap ?? 20)
    }

    /// Keys the benchmark writes for each node itself, or that would make every node share one
    /// file, socket or port.
    private static let perNodeKeys: Set<ConfigurationKey> = [
        .p2pAddress, .apiAddress, .bootstrapper, .hostkey, .apiSocket, .adminAddress, .recordFile,
    ]
    /// Keys with an option of their own here, which the targets and the report read.
    private static let optionKeys: [ConfigurationKey: String] = [
        .degree: "--degree", .gossipIntervalMilliseconds: "--gossip-interval", .identityWorkBits: "--work-bits",
        .linkEncryption: "--plaintext", .logLevel: "--log-level",
    ]

    /// The `--set` keys: known `[gossip]` keys the benchmark does not set per node or through an
    /// option of its own, with values on one line (gossipd checks the values when it starts).
    private func setKeys() throws -> [String: String] {
        var keys: [String: String] = [:]
        for pair in set {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--set takes key=value, e.g. --set ihave_interval_ms=500; got '\(pair)'")
            }
            guard let key = ConfigurationKey(rawValue: parts[0].lowercased()) else {
                throw ValidationError("--set: '\(parts[0])' is not a [gossip] key (docs/configuration.md lists them)")
            }
            if Self.perNodeKeys.contains(key) {
                throw ValidationError("--set: \(key.rawValue) is set per node by the benchmark (or would be shared by all nodes)")
            }
            if let option = Self.optionKeys[key] {
                throw ValidationError("--set: use \(option) for \(key.rawValue)")
            }
            guard parts[1].unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw ValidationError("--set: the value of \(key.rawValue) must be one line of printable characters")
            }
            keys[key.rawValue] = parts[1]
        }
        return keys
    }

    /// `degree_slack` as the nodes get it (`--set` may change it).
    private var slack: Int {
        (try? setKeys())?[ConfigurationKey.degreeSlack.rawValue].flatMap { Int($0) } ?? ConfigurationDefaults.degreeSlack
    }

    private var bound: Int { linkBound ?? degree + slack }

    private var boundNote: String { linkBound == nil ? "degree \(degree) + degree_slack \(slack)" : "--link-bound" }

    func run() throws {
        var binary = gossipd ?? LocalNetwork.gossipdBesideThisProgram
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchFailure("no gossipd at \(binary): build it with `swift build -c release --product gossipd`")
        }
        let folder = self.folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let perSecond = 1 / seconds(interval)
        print("gossip-bench net: \(nodes) gossipd processes, join \(join.summary(seedCount: JoinMode.benchSeedCount)), degree \(degree), \(items) items of \(size) bytes at \(String(format: "%.1f", perSecond)) items/s (\(format(milliseconds(interval))) apart), links \(plaintext ? "in plain text" : "encrypted"), modules on \(apiSocket ? "Unix-domain sockets" : "TCP"); run folder \(folder)")
        if !set.isEmpty { print("keys set: \(set.joined(separator: ", "))") }
        print("limits: \(raiseOpenFileLimit(needed: 3 * nodes + 100))")
        if let pace = LoopbackCalibration.measure() {
            // Before the nodes start: the machine's own pace, to set beside the run's times.
            let across = pace.twoCPUs.map { String(format: ", %.1f µs across two", $0) } ?? ""
            print(
                String(format: "machine: loopback TCP round trip between two threads %.1f µs on one CPU", pace.oneCPU) + across
                    + " (the lowest mean of \(LoopbackCalibration.runs) runs of \(LoopbackCalibration.trips) each)")
        } else {
            print("machine: not measured (the loopback sockets or the threads' CPUs could not be set up)")
        }
        if let warning = threadWarning(nodes: nodes, linksPerNode: bound) { print(warning) }
        // The nodes run a copy read in 2 MiB folios (`CodePageCache`), or the binary as it is.
        if hugeCodePages {
            let copy = CodePageCache.copyPath(of: binary)
            do {
                print(try CodePageCache.prepareCopy(of: binary, at: copy))
                binary = copy
            } catch {
                // A binary in a folder we cannot write to (an installed gossipd): read it in place.
                print("note: \(error); reading \(binary) itself afresh instead")
                do { print(try CodePageCache.prepare(binary)) } catch {
                    print("warning: \(error); the nodes run \(binary) and map what the page cache holds")
                }
            }
        }
        let keys = [
            "degree": "\(degree)", "gossip_interval_ms": "\(gossipInterval)", "anti_entropy_interval_ms": "1000",
            "identity_work_bits": "\(workBits)", "link_encryption": plaintext ? "0" : "1",
        ].merging(try setKeys()) { _, set in set }
        let network = try LocalNetwork(count: nodes, join: join, folder: folder, gossipd: binary, extraKeys: keys, logLevel: logLevel, apiSockets: apiSocket)
        let signalSources = network.stopOnSignals()
        defer {
            network.finish()
            signalSources.forEach { $0.cancel() }
        }
        print("ports: \(network.portNote)")

        // Start every node, then watch the overlay form, timed from the start of node 0.
        let probe = NetworkProbe(nodes: network.probeNodes, size: size, subscriberThreads: subscriberThreads)
        defer { probe.closeClients() }  // on every way out (closing twice is harmless)
        let start = ContinuousClock.now
        let members = try network.start { first in
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if probe.status(of: first) != nil { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
        guard members.count == nodes else { throw ExitCode(1) }  // stopped by a signal meanwhile
        print(String(format: "started %d gossipd processes in %.2f s (process group %d; `kill -- -%d` stops them should this benchmark die)",
                     nodes, network.spawnSeconds, network.processGroup, network.processGroup))
        // A line a poll: how the join went, not only when it ended.
        let joined = probe.waitForOverlay(members, since: start, timeout: .seconds(joinTimeout)) { seconds, overlay in
            let counts = overlay.links.values.sorted()
            let median = percentile(counts.map(Double.init), 0.5).map { Int($0) } ?? 0
            print(
                String(format: "join poll at %.1f s: ", seconds)
                    + "\(overlay.answering) of \(overlay.members) answer, \(overlay.components) component\(overlay.components == 1 ? "" : "s") "
                    + "(largest \(overlay.largestComponent)), \(overlay.isolated.count) isolated, "
                    + "links min \(counts.first ?? 0) median \(median)")
        }
        reportExits(network)
        if let answering = joined.allAnswering {
            print(String(format: "all %d nodes answered STATUS %.1f s after node 0 started", nodes, answering))
        }
        if let seconds = joined.connected {
            print(String(format: "overlay: one connected graph with no isolated node %.1f s after node 0 started (deadline %d s, %d polls of all nodes)", seconds, joinTimeout, joined.polls))
        } else {
            print("overlay: NOT one connected graph with no isolated node \(joinTimeout) s after node 0 started (\(joined.polls) polls); measuring anyway")
        }
        describe("join", joined.last)
        print(String(format: "links settled after %.1f s more", probe.waitUntilSettled(members, floor: min(degree, nodes - 1), timeout: .seconds(30))))
        let settled = probe.overlay(members)
        reportExits(network)
        describe("settled", settled)
        closes(probe, members)

        try probe.subscribe(members)
        if warmup > 0 {
            // Sequences of their own, far above the measured phases'.
            let sequences = NetBench.warmupSequences..<(NetBench.warmupSequences + warmup)
            let warmupSent = try probe.announce(sequences, from: members, gap: interval)
            probe.waitForCoverage(sequences, members: members, timeout: .seconds(10))
            report("warm-up", probe.coverage(warmupSent, members: members), members: nodes, messages: nil, tree: probe.overlay(members))
        }
        let before = itemsSent(probe, members)
        // Read before the phase's own clocks start: some 12,000 files at 300 nodes. The span the
        // two readings frame is timed from before the first to after the second.
        let (pids, waitsStart) = (members.compactMap(\.pid), ContinuousClock.now)
        let (nodesWaitBefore, ownWaitBefore) = (SchedulerWaits(pids: pids), SchedulerWaits(pids: [getpid()]))
        let (cpuBefore, phaseStart) = (nodesCPU(members), ContinuousClock.now)
        let ownCPUBefore = ProcessStats(pid: getpid())?.cpuSeconds ?? 0
        let machineBefore = MachineTimes()
        let sent = try probe.announce(0..<items, from: members, gap: interval)
        probe.waitForCoverage(0..<items, members: members, timeout: .seconds(10))
        let (cpuSpent, phaseSeconds) = (nodesCPU(members) - cpuBefore, seconds(ContinuousClock.now - phaseStart))
        let ownCPU = (ProcessStats(pid: getpid())?.cpuSeconds ?? 0) - ownCPUBefore
        let machineShares = MachineTimes().flatMap { after in machineBefore.map { after.shares(since: $0) } }
        let (nodesWait, ownWait) = (
            SchedulerWaits(pids: pids).since(nodesWaitBefore), SchedulerWaits(pids: [getpid()]).since(ownWaitBefore)
        )
        let waitsSeconds = max(seconds(ContinuousClock.now - waitsStart), 0.001)
        let messages = itemsSent(probe, members) - before
        let coverage = probe.coverage(sent, members: members)
        let afterSteady = probe.overlay(members)
        report("steady", coverage, members: nodes, messages: messages, tree: afterSteady)
        // The phase alone, without the join's handshakes: what the items (and the background
        // beside them) cost.
        print(String(format: "[steady] CPU of the %d nodes while the items ran: %.2f s in %.1f s (%.2f cores)", members.count, cpuSpent, phaseSeconds, cpuSpent / max(phaseSeconds, 0.001)))
        // The modules' side: on this machine it shares the CPUs with the nodes.
        print(String(format: "[steady] CPU of the benchmark's own process (subscribers: %@): %.2f s", probe.serving, ownCPU))
        if let machineShares {
            // Steal is time the hypervisor ran other guests on our virtual CPUs: a slow stretch
            // that no change of ours can shorten.
            print(String(format: "[steady] the machine while the items ran: busy %.1f%%, idle %.1f%%, steal %.1f%% of its CPUs' time", machineShares.busy, machineShares.idle, machineShares.steal))
        }
        // Every hop of an item is a chain of wake-ups; how long a thread waited for a CPU is where
        // a crowded or slow machine shows (SchedulerWaits).
        if let nodesPerRun = nodesWait.waitPerRunMicroseconds {
            let own = ownWait.waitPerRunMicroseconds.map {
                String(format: "waited %.0f us each time (%.0f times a second)", $0, ownWait.runs / waitsSeconds)
            } ?? "unavailable"
            print(String(format: "[steady] waiting for a CPU (schedstat): the nodes' %d threads together were put on a CPU %.0f times a second (after a wake-up or another thread's turn) and waited %.0f us on average each time, %.0f thread-seconds in all; the benchmark's own threads %@", nodesWait.threads, nodesWait.runs / waitsSeconds, nodesPerRun, nodesWait.waitSeconds, own))
        } else {
            print("[steady] waiting for a CPU (schedstat): unavailable")
        }
        describe("after the items", afterSteady)
        closes(probe, members)
        resources(members)

        var verdicts = [overlayVerdict(joined.connected, settled)]
        verdicts += phaseVerdicts(coverage, members: nodes, messages: messages)

        if kill > 0 {
            var victims = members
            victims.shuffle()
            victims = Array(victims.prefix(Int(Double(nodes) * kill)))
            let victimSet = Set(victims.map(\.index))
            for victim in victims { network.kill(victim.index) }
            let survivors = members.filter { !victimSet.contains($0.index) }
            print("killed \(victims.count) of \(nodes) nodes with SIGKILL")
            if let settled = probe.waitUntilConnected(survivors, timeout: .seconds(30)) {
                print(String(format: "survivors connected again after %.1f s", settled))
            } else {
                print("survivors not yet one graph after 30 s; measuring anyway")
            }
            describe("churn", probe.overlay(survivors))
            let beforeChurn = itemsSent(probe, survivors)
            let churnSent = try probe.announce(items..<(2 * items), from: survivors, gap: interval)
            probe.waitForCoverage(items..<(2 * items), members: survivors, timeout: .seconds(15))
            let churnMessages = itemsSent(probe, survivors) - beforeChurn
            report("churn (survivors)", probe.coverage(churnSent, members: survivors), members: survivors.count, messages: churnMessages, tree: probe.overlay(survivors))
            resources(survivors)
        }
        probe.closeClients()

        // Targets: the issue's, for the steady phase.
        let checked = targets ?? (join == .single)
        if checked {
            for verdict in verdicts { print(verdict.line) }
        } else {
            print("targets: not checked (they apply to --join single; --targets checks them)")
        }
        // Without the targets, an overlay that never joined up still fails the run, as it always did.
        let failed = verdicts.filter { !$0.pass && (checked || ($0.name == "overlay" && joined.connected == nil)) }
        if failed.isEmpty {
            if checked { print("PASS: all \(verdicts.count) targets") }
        } else {
            if !checked { print(failed[0].line) }
            print("FAIL: " + failed.map(\.name).joined(separator: ", "))
            throw ExitCode(1)
        }
    }

    private struct Verdict {
        /// A short name for the FAIL line.
        var name: String
        var rule: String
        var pass: Bool
        var detail: String
        var line: String { "target \(name) (\(rule)): \(pass ? "PASS" : "FAIL"), \(detail)" }
    }

    private func overlayVerdict(_ connectedAfter: Double?, _ settled: NetworkProbe.Overlay) -> Verdict {
        let above = settled.above(bound)
        var detail = connectedAfter.map { String(format: "one graph after %.1f s", $0) } ?? "not one graph by the deadline"
        detail += "; before the items: \(settled.components) component\(settled.components == 1 ? "" : "s"), \(settled.isolated.count) isolated, \(above.count) above \(bound) links"
        return Verdict(
            name: "overlay", rule: "one connected graph within \(joinTimeout) s, no isolated node, no node above \(bound) links",
            // The time is the end of the poll that found one graph: a poll that began before the
            // deadline and ended after it does not count as within it.
            pass: (connectedAfter.map { $0 <= Double(joinTimeout) } ?? false) && settled.connected && above.isEmpty, detail: detail)
    }

    private func phaseVerdicts(_ coverage: NetworkProbe.Coverage, members: Int, messages: Int) -> [Verdict] {
        // The p99 over all items: an item that never reached every node counts as infinitely late.
        let missing = coverage.items - coverage.toFull.count
        let all = coverage.toFull + Array(repeating: Double.infinity, count: missing)
        let p99 = percentile(all, 0.99)
        let perItem = Double(messages) / Double(max(1, coverage.items))
        let limit = 2 * (members - 1)
        return [
            Verdict(name: "coverage", rule: "100% of items at 100% of nodes", pass: coverage.items > 0 && coverage.fullyCovered == coverage.items,
                    detail: "\(coverage.fullyCovered) of \(coverage.items) items"),
            Verdict(name: "duplicates", rule: "0 delivered to modules", pass: coverage.duplicates == 0, detail: "\(coverage.duplicates)"),
            Verdict(name: "p99", rule: "p99 time to 100% of nodes <= \(format(p99TargetMs))", pass: p99.map { $0 <= p99TargetMs } ?? false,
                    detail: p99.map { $0.isFinite ? format($0) : "\(missing) of \(coverage.items) items never reached 100%" } ?? "no items"),
            Verdict(name: "messages", rule: "P2P ITEMs per item <= 2 x (nodes - 1) = \(limit)", pass: perItem <= Double(limit),
                    detail: String(format: "%.1f per item", perItem)),
        ]
    }

    /// Components, isolated nodes and the link-count distribution of an overlay.
    private func describe(_ phase: String, _ overlay: NetworkProbe.Overlay) {
        func list(_ indices: [Int]) -> String {
            indices.isEmpty ? "" : " (" + indices.prefix(10).map { "node \($0)" }.joined(separator: ", ") + (indices.count > 10 ? ", ..." : "") + ")"
        }
        print("[\(phase)] overlay: \(overlay.components) component\(overlay.components == 1 ? "" : "s") (largest \(overlay.largestComponent) of \(overlay.members) nodes), \(overlay.isolated.count) isolated\(list(overlay.isolated)), \(overlay.answering) of \(overlay.members) answer STATUS; broadcast tree in \(overlay.treeComponents) piece\(overlay.treeComponents == 1 ? "" : "s")")
        let counts = overlay.links.values.sorted()
        let above = overlay.above(bound)
        func show(_ value: Int?) -> String { value.map(String.init) ?? "n/a" }
        let median = percentile(counts.map(Double.init), 0.5).map { Int($0) }
        print("[\(phase)] links per node: min \(show(counts.first)) median \(show(median)) max \(show(counts.last)); node 0: \(show(overlay.links[0])); above the bound of \(bound) (\(boundNote)): \(above.count) nodes\(list(above))")
        let reach = overlay.treeReach.values.sorted()
        if let farthest = reach.last {
            let medianReach = percentile(reach.map(Double.init), 0.5).map { Int($0) } ?? 0
            // Node 0 may be gone (killed in the churn phase) or silent: then say so.
            var root = "node 0: n/a"
            if let rootLinks = overlay.tree[0] {
                let depths = overlay.treeHops(from: 0).values.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }.sorted { $0.key < $1.key }
                root = "node 0: \(rootLinks.count) tree links, nodes by hops from it: " + depths.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            }
            print("[\(phase)] broadcast tree: diameter \(farthest) hops; from a node to the farthest node of its piece: median \(medianReach) hops; \(root)")
        }
        if !overlay.wrongPorts.isEmpty {
            print("[\(phase)] warning: \(overlay.wrongPorts.count) nodes answer STATUS with other ports than they were given (a port collision?)\(list(overlay.wrongPorts))")
        }
    }

    private func reportExits(_ network: LocalNetwork) {
        for exit in network.reapExited() { print("node \(exit.index) exited (\(exit.why))") }
    }

    private func itemsSent(_ probe: NetworkProbe, _ members: [ProbeNode]) -> Int {
        let answers = probe.statuses(of: members)
        let silent = answers.count { $0 == nil }
        if silent > 0 { print("warning: \(silent) nodes did not answer STATUS; their ITEM counters are missing from the sum") }
        let statistics = answers.compactMap { $0?.statistics }
        func sum(_ field: KeyPath<NodeStatistics.Snapshot, Int>) -> Int { statistics.map { $0[keyPath: field] }.reduce(0, +) }
        print(
            "counters so far: ITEM sent \(sum(\.peerItemsSent)), duplicates \(sum(\.peerDuplicates)), IDs announced \(sum(\.itemIDsAnnounced)), grafted \(sum(\.itemsGrafted)), fetched \(sum(\.itemsFetched)), prunes \(sum(\.prunesSent)), cuts \(sum(\.cutsSent)), anti-entropy pulls \(sum(\.antiEntropyItemsPulled))")
        return sum(\.peerItemsSent)
    }

    /// Peer links closed so far, by reason, summed over the nodes: how the join went.
    private func closes(_ probe: NetworkProbe, _ members: [ProbeNode]) {
        var total: [String: Int] = [:]
        for status in probe.statuses(of: members).compactMap({ $0 }) {
            total.merge(status.statistics.closedPeerLinks, uniquingKeysWith: +)
        }
        let listed = total.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("peer links closed so far: \(listed.isEmpty ? "none" : listed)")
    }

    /// The first sequence number of the warm-up items.
    static let warmupSequences = 1_000_000_000

    /// Prints a phase's figures; `messages` (the ITEMs the nodes sent in it) nil: not counted.
    /// `tree` is the overlay right after the phase, whose broadcast tree the per-item file measures
    /// hops on.
    private func report(_ phase: String, _ coverage: NetworkProbe.Coverage, members: Int, messages: Int?, tree: NetworkProbe.Overlay?) {
        print("[\(phase)] \(coverage.fullyCovered) of \(coverage.items) items reached 100% of \(members) nodes; mean coverage \(String(format: "%.2f", coverage.meanCoverage))%")
        // Percentiles are over the items that got there; say so when some did not.
        func over(_ times: [Double]) -> String { times.count < coverage.items ? " (over the \(times.count) of \(coverage.items) items that got there)" : "" }
        print("[\(phase)] time to 50%: p50 \(format(percentile(coverage.toHalf, 0.5))), p99 \(format(percentile(coverage.toHalf, 0.99)))\(over(coverage.toHalf))")
        print("[\(phase)] time to 90%: p50 \(format(percentile(coverage.toNinety, 0.5))), p99 \(format(percentile(coverage.toNinety, 0.99)))\(over(coverage.toNinety))")
        print("[\(phase)] time to 100%: p50 \(format(percentile(coverage.toFull, 0.5))), p99 \(format(percentile(coverage.toFull, 0.99))), max \(format(coverage.toFull.max()))\(over(coverage.toFull))")
        // Which items make the tail, and where they fell in the run: early ones point at a tree
        // still forming, scattered ones at repairs or a busy machine.
        let slowest = coverage.perItem.enumerated().sorted { ($0.element.fullMilliseconds ?? .infinity) > ($1.element.fullMilliseconds ?? .infinity) }.prefix(5)
        print("[\(phase)] slowest items (position in the phase: time to 100%): " + slowest.map { "#\($0.offset + 1): \(format($0.element.fullMilliseconds))" }.joined(separator: ", "))
        let late = coverage.perItem.enumerated().filter { ($0.element.fullMilliseconds ?? .infinity) > p99TargetMs }.map { $0.offset + 1 }
        print("[\(phase)] items over \(format(p99TargetMs)) to 100%: \(late.count)" + (late.isEmpty ? "" : " (positions \(late.prefix(20).map(String.init).joined(separator: ", "))\(late.count > 20 ? ", ..." : ""))"))
        print("[\(phase)] duplicates delivered to modules: \(coverage.duplicates)")
        // Each origin's hops along the tree, once for both files.
        var hops: [Int: [Int: Int]] = [:]
        if let tree {
            for origin in Set(coverage.perItem.map(\.origin)) { hops[origin] = tree.treeHops(from: origin) }
        }
        if let file = writeItems(phase, coverage, hops: hops) { print("[\(phase)] per item: \(file)") }
        if arrivals, let file = writeArrivals(phase, coverage, hops: hops) { print("[\(phase)] per item and node: \(file)") }
        if let messages {
            let perItem = Double(messages) / Double(max(1, coverage.items))
            let redundancy = perItem / Double(max(1, members - 1)) - 1
            print(String(format: "[\(phase)] P2P ITEM messages: %.1f per item (relative message redundancy %.2f)", perItem, redundancy))
        }
    }

    /// One line per item in the run folder (tab-separated, with a header): where it started, how
    /// many nodes it reached, the times to 50/90/99/100%, the node that got it last, and on the
    /// tree after the phase the hops from the origin to that node and to the origin's farthest
    /// node, so the tail can be looked at item by item (a slow item far along the tree is the
    /// tree's depth; a slow one near is the machine). Returns the file's path, or nil if it could
    /// not be written.
    /// `hops` holds each origin's hops along that tree (`NetworkProbe.Overlay.treeHops`).
    private func writeItems(_ phase: String, _ coverage: NetworkProbe.Coverage, hops: [Int: [Int: Int]]) -> String? {
        func at(_ item: NetworkProbe.ItemCoverage, _ fraction: Double) -> String {
            item.milliseconds(toReach: fraction).map { String(format: "%.2f", $0) } ?? "-"
        }
        var text = "position\tsequence\torigin\treached\tms_to_50\tms_to_90\tms_to_99\tms_to_100\tlast_node\ttree_hops_to_last\ttree_hops_to_farthest\n"
        for (offset, item) in coverage.perItem.enumerated() {
            let fromOrigin = hops[item.origin] ?? [:]
            let toLast = item.last.flatMap { fromOrigin[$0] }.map(String.init) ?? "-"
            let toFarthest = fromOrigin.values.max().map(String.init) ?? "-"
            text += "\(offset + 1)\t\(item.sequence)\t\(item.origin)\t\(item.reached)\t\(at(item, 0.5))\t\(at(item, 0.9))\t\(at(item, 0.99))\t\(at(item, 1.0))\t\(item.last.map(String.init) ?? "-")\t\(toLast)\t\(toFarthest)\n"
        }
        return writeRunFile("items", phase, text)
    }

    /// One line per item and node that got it: the milliseconds from ANNOUNCE and the tree hops
    /// from the item's origin ("-" off the tree read after the phase), to see whether an item's
    /// time grows with the hops (the tree's depth) or not (the machine).
    private func writeArrivals(_ phase: String, _ coverage: NetworkProbe.Coverage, hops: [Int: [Int: Int]]) -> String? {
        var text = "sequence\torigin\tnode\tms\ttree_hops\n"
        for item in coverage.perItem {
            let fromOrigin = hops[item.origin] ?? [:]
            for (node, ms) in item.arrivals.sorted(by: { $0.value < $1.value }) {
                text += "\(item.sequence)\t\(item.origin)\t\(node)\t\(String(format: "%.2f", ms))\t\(fromOrigin[node].map(String.init) ?? "-")\n"
            }
        }
        return writeRunFile("arrivals", phase, text)
    }

    /// Writes `<prefix>-<phase>.tsv` (the phase's letters and digits) into the run folder; its
    /// path, or nil if it could not be written.
    private func writeRunFile(_ prefix: String, _ phase: String, _ text: String) -> String? {
        let name = prefix + "-" + phase.filter { $0.isLetter || $0.isNumber } + ".tsv"
        let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
        return FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) ? path : nil
    }

    /// What /proc says of each running node now.
    private func processStats(_ members: [ProbeNode]) -> [ProcessStats] {
        members.compactMap { $0.pid.flatMap(ProcessStats.init(pid:)) }
    }

    /// The CPU seconds the running nodes have used so far, summed.
    private func nodesCPU(_ members: [ProbeNode]) -> Double {
        processStats(members).reduce(0) { $0 + $1.cpuSeconds }
    }

    private func resources(_ members: [ProbeNode]) {
        let stats = processStats(members)
        guard !stats.isEmpty else { return }
        let rss = stats.map(\.rssMiB), threads = stats.map { Double($0.threads) }, cpu = stats.map(\.cpuSeconds)
        let anonymous = stats.map(\.anonymousMiB)
        // File pages mapped with 2 MiB entries: gossipd's code, where the page cache holds it so (shared).
        let huge = members.compactMap { $0.pid.flatMap(CodePageCache.hugeMappedMiB(pid:)) }
        let hugeNote = huge.isEmpty ? "" : "; code on 2 MiB pages median \(format(percentile(huge, 0.5), "")) max \(format(huge.max(), ""))"
        // Shared pages divided among the processes that map them: what a node adds to the machine.
        let proportional = members.compactMap { $0.pid.flatMap(CodePageCache.proportionalMiB(pid:)) }
        let pssNote = proportional.isEmpty ? "" : "; PSS median \(format(percentile(proportional, 0.5), "")) max \(format(proportional.max(), ""))"
        print("per node: RSS MiB min \(format(rss.min(), "")) median \(format(percentile(rss, 0.5), "")) max \(format(rss.max(), "")) (anonymous median \(format(percentile(anonymous, 0.5), "")) max \(format(anonymous.max(), ""))\(hugeNote)\(pssNote)); threads median \(format(percentile(threads, 0.5), "")) max \(format(threads.max(), "")); CPU s median \(format(percentile(cpu, 0.5), "")) max \(format(cpu.max(), "")) total \(String(format: "%.2f", cpu.reduce(0, +)))")
    }
}
