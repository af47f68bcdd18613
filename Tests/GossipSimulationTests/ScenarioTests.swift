import GossipConfig
import GossipCore
import GossipSimulation
import Testing

/// The node knobs of GossipNodeTests' TestNetwork: degree 3 and short intervals, so the overlay
/// settles within a few virtual seconds.
func testNode(_ configure: (inout NodeConfiguration) -> Void = { _ in }) -> NodeConfiguration {
    var node = SimulationConfiguration.gossipdNode
    node.degree = 3
    node.gossipIntervalMilliseconds = 50
    node.antiEntropyIntervalMilliseconds = 100
    node.pingIntervalMilliseconds = 100
    node.peerTimeoutMilliseconds = 3000
    node.connectTimeoutMilliseconds = 500
    node.validationTimeoutMilliseconds = 1000
    configure(&node)
    return node
}

/// A scripted simulation with 10 ± 5 ms links and modules that answer after 5 ms.
func scriptedSimulation(
    seed: UInt64 = 1, crashMode: CrashMode = .reset, loss: Double = 0, threads: Int = 1,
    configure: (inout NodeConfiguration) -> Void = { _ in }
) -> Simulation {
    var configuration = SimulationConfiguration.scripted(node: testNode(configure), seed: seed)
    configuration.latency = LatencyModel(distribution: .uniform, meanMilliseconds: 10, jitterMilliseconds: 5)
    configuration.validationDelayMilliseconds = 5
    configuration.crashMode = crashMode
    configuration.lossRate = loss
    configuration.threads = threads
    return Simulation(configuration: configuration)
}

/// A line topology: degree 1, joins that introduce nobody, and no shuffles after the first, so
/// each node keeps only the neighbours it said HELLO to.
func line(_ node: inout NodeConfiguration) {
    node.degree = 1
    node.joinWalkLength = 0
    node.gossipIntervalMilliseconds = 3_600_000
}

extension Simulation {
    /// Runs in steps of 100 ms until `condition` holds or `limit` more seconds passed; returns
    /// whether it held.
    mutating func run(for limit: Double, until condition: (Simulation) -> Bool) -> Bool {
        let end = time + limit
        while time < end {
            if condition(self) { return true }
            run(until: time + 0.1)
        }
        return condition(self)
    }

    /// Starts nodes in a line, each bootstrapping from the one before, and waits until connected.
    mutating func addLine(_ count: Int) -> [Int] {
        var nodes: [Int] = []
        for index in 0..<count {
            nodes.append(
                addNode(at: time + 0.05 * Double(index), bootstrappers: nodes.last.map { [$0] } ?? [], configure: line))
        }
        return nodes
    }
}

@Suite("Simulated gossip scenarios (GossipNodeTests' network tests, on the virtual clock)")
struct ScenarioTests {
    @Test("an item announced on one node reaches the subscribers of all others exactly once")
    func exactlyOnceEverywhere() {
        var simulation = scriptedSimulation()
        let seed = simulation.addNode()
        for index in 0..<5 { simulation.addNode(at: 0.1 * Double(index + 1), bootstrappers: [seed]) }
        #expect(simulation.run(for: 10) { $0.isConnected() })
        // A first item prunes whatever cycle the tree still has.
        let first = simulation.announce(from: 4, data: [99])
        simulation.run(until: simulation.time + 3)
        let duplicatesBefore = simulation.total(.peerDuplicates)
        let items = [first] + (0..<5).map { simulation.announce(from: 2, data: [UInt8($0)]) }
        simulation.run(until: simulation.time + 3)
        for node in 0..<6 {
            for item in items {
                #expect(simulation.notifications(at: node, item: item) == 1, "node \(node), item \(item)")
            }
        }
        #expect(simulation.total(.peerDuplicates) == duplicatesBefore, "the broadcast tree carried each later item once to each node")
        #expect(simulation.total(.itemIDsAnnounced) > 0, "and announced it on the other links")
        let report = simulation.report()
        #expect(report.items.allSatisfy { $0.reliability == 1 && $0.duplicateNotifications == 0 && $0.eligible == 6 })
        #expect(report.items.dropFirst().allSatisfy { $0.origin == 2 && $0.lastHop != nil && $0.rmr == 0 })
    }

    @Test("an invalid verdict on a node stops the item there; a valid one lets it through")
    func invalidStopsForwarding() {
        var simulation = scriptedSimulation()
        let a = simulation.addNode(configure: line)
        let b = simulation.addNode(at: 0.05, bootstrappers: [a], module: .invalid, configure: line)
        let c = simulation.addNode(at: 0.1, bootstrappers: [b], configure: line)
        #expect(simulation.run(for: 5) { $0.isConnected() })
        let rejected = simulation.announce(from: a, data: [1])
        simulation.run(until: simulation.time + 1)
        #expect(simulation.notifications(at: b, item: rejected) == 1)
        #expect(
            simulation.notifications(at: c, item: rejected) == 0,
            "c never sees what b rejected, not even by anti-entropy")
        #expect(simulation.count(.itemsDroppedInvalid, at: b) == 1)
        simulation.setModule(b, .valid)
        let accepted = simulation.announce(from: a, data: [2])
        simulation.run(until: simulation.time + 1)
        #expect(simulation.notifications(at: b, item: accepted) == 1)
        #expect(simulation.notifications(at: c, item: accepted) == 1)
        #expect(simulation.hops(c, item: accepted) == 2)
    }

    @Test("a module that never answers holds the item: the validation timeout drops it")
    func silentModuleHoldsItem() {
        var simulation = scriptedSimulation()
        let a = simulation.addNode(configure: line)
        let b = simulation.addNode(at: 0.05, bootstrappers: [a], module: .silent, configure: line)
        let c = simulation.addNode(at: 0.1, bootstrappers: [b], configure: line)
        #expect(simulation.run(for: 5) { $0.isConnected() })
        let item = simulation.announce(from: a)
        simulation.run(until: simulation.time + 2)
        #expect(simulation.hasReceived(b, item: item))
        #expect(!simulation.hasReceived(c, item: item))
        #expect(simulation.count(.validationsTimedOut, at: b) == 1)
    }

    @Test("TTL limits hops: TTL 2 from a reaches b and c but not d")
    func ttlLimitsHops() {
        var simulation = scriptedSimulation()
        let nodes = simulation.addLine(4)
        #expect(simulation.run(for: 5) { $0.isConnected() })
        let limited = simulation.announce(from: nodes[0], ttl: 2, data: [2])
        simulation.run(until: simulation.time + 1)
        #expect(simulation.hasReceived(nodes[1], item: limited))
        #expect(simulation.hasReceived(nodes[2], item: limited))
        #expect(!simulation.hasReceived(nodes[3], item: limited), "d is three hops away")
        let unlimited = simulation.announce(from: nodes[0], ttl: 0, data: [0])
        simulation.run(until: simulation.time + 1)
        for node in nodes.dropFirst() {
            #expect(simulation.notifications(at: node, item: unlimited) == 1, "TTL 0 is unlimited")
        }
        #expect(simulation.hops(nodes[3], item: unlimited) == 3)
    }

    @Test("a node that joins late through a member is connected and receives later items")
    func lateJoiner() {
        var simulation = scriptedSimulation()
        let seed = simulation.addNode()
        for index in 0..<3 { simulation.addNode(at: 0.1 * Double(index + 1), bootstrappers: [seed]) }
        #expect(simulation.run(for: 10) { $0.isConnected() })
        let late = simulation.addNode(at: simulation.time + 1, bootstrappers: [2])
        #expect(!simulation.isRunning(late))
        #expect(simulation.run(for: 10) { $0.isRunning(late) && $0.isConnected() && !$0.peers(of: late).isEmpty })
        let item = simulation.announce(from: seed, data: [5])
        simulation.run(until: simulation.time + 1)
        #expect(simulation.notifications(at: late, item: item) == 1)
    }

    @Test("a killed node is noticed and replaced; survivors still reach each other", arguments: CrashMode.allCases)
    func killedNodeReplaced(mode: CrashMode) {
        var simulation = scriptedSimulation(crashMode: mode) { $0.degree = 2 }
        let seed = simulation.addNode()
        for index in 0..<4 { simulation.addNode(at: 0.1 * Double(index + 1), bootstrappers: [seed]) }
        #expect(simulation.run(for: 10) { $0.isConnected() })
        let victim = 1
        let survivors = (0..<5).filter { $0 != victim }
        simulation.kill([victim])
        simulation.run(until: simulation.time)  // steps scheduled for now run on the next call
        #expect(!simulation.isRunning(victim))
        #expect(
            simulation.run(for: 10) { sim in
                survivors.allSatisfy { !sim.peers(of: $0).contains(victim) && !sim.peers(of: $0).isEmpty }
                    && sim.isConnected(survivors)
            })
        let item = simulation.announce(from: survivors[0], data: [11])
        simulation.run(until: simulation.time + 1)
        for node in survivors { #expect(simulation.notifications(at: node, item: item) == 1, "node \(node)") }
        #expect(simulation.report().killedNodes == 1)
        if mode == .silent {
            #expect(simulation.closes(.unresponsive) > 0, "silence is noticed by the peer timeout")
        }
    }

    @Test("anti-entropy delivers an item to a node that was not there when it spread")
    func antiEntropyCatchUp() {
        var simulation = scriptedSimulation()
        let a = simulation.addNode()
        let b = simulation.addNode(at: 0.05, bootstrappers: [a])
        #expect(simulation.run(for: 5) { $0.isConnected() })
        let item = simulation.announce(from: a, data: [21])
        simulation.run(until: simulation.time + 1)
        #expect(simulation.hasReceived(b, item: item))
        // c starts after the item spread, subscribes at once, and joins through b.
        let c = simulation.addNode(bootstrappers: [b])
        simulation.run(until: simulation.time + 2)
        #expect(simulation.notifications(at: c, item: item) == 1)
        #expect(simulation.count(.antiEntropyItemsPulled, at: c) >= 1)
        #expect(simulation.count(.peerItemsReceived, at: c) >= 1)
    }

    @Test("a partition holds messages until it heals; a partition that never heals cuts the group off")
    func partitionHeals() {
        var simulation = scriptedSimulation()
        let seed = simulation.addNode()
        for index in 0..<9 { simulation.addNode(at: 0.05 * Double(index + 1), bootstrappers: [seed]) }
        #expect(simulation.run(for: 10) { $0.isConnected() })
        let group = [6, 7, 8, 9]
        // Shorter than the peer timeout: links survive and deliver what they held at the heal.
        simulation.partition(group, healAt: simulation.time + 1)
        let item = simulation.announce(from: seed)
        simulation.run(until: simulation.time + 0.9)
        for node in group { #expect(!simulation.hasReceived(node, item: item), "node \(node) is cut off") }
        simulation.run(until: simulation.time + 1)
        for node in 0..<10 { #expect(simulation.hasReceived(node, item: item), "node \(node) after the heal") }
        simulation.partition(group)
        let cutOff = simulation.announce(from: seed)
        simulation.run(until: simulation.time + 8)
        for node in group { #expect(!simulation.hasReceived(node, item: cutOff)) }
        for node in 0..<6 { #expect(simulation.hasReceived(node, item: cutOff)) }
        #expect(simulation.closes(.unresponsive) > 0, "links across the partition time out")
    }

    @Test("loss delays messages but TCP delivers them all")
    func lossOnlyDelays() {
        let lossless = scriptedSimulation()
        let lossy = scriptedSimulation(loss: 0.3)
        var delays: [Double] = []
        for var simulation in [lossless, lossy] {
            let seed = simulation.addNode()
            for index in 0..<7 { simulation.addNode(at: 0.05 * Double(index + 1), bootstrappers: [seed]) }
            #expect(simulation.run(for: 10) { $0.isConnected() })
            let item = simulation.announce(from: seed)
            simulation.run(until: simulation.time + 5)
            for node in 0..<8 { #expect(simulation.notifications(at: node, item: item) == 1) }
            delays.append((0..<8).compactMap { simulation.deliveryDelay($0, item: item) }.reduce(0, +))
        }
        #expect(delays[1] > delays[0])
    }
}
