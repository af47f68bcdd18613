import Foundation
import GossipConfig
import GossipCore
import GossipSimulation
import Testing

/// Node knobs for quick configured runs: few links, a small view, slow rounds.
func quickNode() -> NodeConfiguration {
    testNode {
        $0.degree = 3
        $0.viewSize = 12
        $0.gossipIntervalMilliseconds = 250
        $0.antiEntropyIntervalMilliseconds = 250
        $0.pingIntervalMilliseconds = 1000
    }
}

/// A small configured run with churn, loss and a partition: every part of the model, quickly.
func smallRun(seed: UInt64, threads: Int = 1) -> SimulationConfiguration {
    var configuration = SimulationConfiguration(node: quickNode())
    configuration.nodeCount = 40
    configuration.seed = seed
    configuration.threads = threads
    configuration.joinSpreadSeconds = 0.5
    configuration.warmupSeconds = 1.5
    configuration.itemCount = 6
    configuration.itemRate = 4
    configuration.drainSeconds = 2
    configuration.lossRate = 0.05
    configuration.killFraction = 0.1
    configuration.lateJoinerFraction = 0.1
    configuration.partitionFraction = 0.2
    configuration.partitionAtSeconds = 1.6
    configuration.healAtSeconds = 2.2
    configuration.invalidFraction = 0.05
    configuration.silentModuleFraction = 0.05
    return configuration
}

/// Runs a configured simulation to its end.
func run(_ configuration: SimulationConfiguration) -> SimulationReport {
    var simulation = Simulation(configuration: configuration)
    return simulation.run()
}

func json(_ report: SimulationReport) throws -> String {
    String(decoding: try report.json(includingSimulation: false), as: UTF8.self)
}

@Suite("Simulation reports")
struct ReportTests {
    @Test("the same seed gives the same report, byte for byte (apart from the simulation block)")
    func sameSeedSameReport() throws {
        let first = run(smallRun(seed: 7))
        let second = run(smallRun(seed: 7))
        #expect(try json(first) == json(second))
        #expect(first.itemSummary.announced == 6)
        #expect(first.killedNodes == 4)
    }

    @Test("the thread count does not change the results")
    func threadsDoNotMatter() throws {
        var one = Simulation(configuration: smallRun(seed: 3, threads: 1))
        var two = Simulation(configuration: smallRun(seed: 3, threads: 2))
        #expect(one.partitionCount == 1 && two.partitionCount == 2)
        #expect(try json(one.run()) == json(two.run()))
    }

    @Test("different seeds give different runs")
    func differentSeedsDiffer() throws {
        let first = run(smallRun(seed: 1))
        let second = run(smallRun(seed: 2))
        #expect(try json(first) != json(second))
        #expect(first.items.map(\.origin) != second.items.map(\.origin))
    }

    @Test("a 1,000-node network with one bootstrapper runs to the end and reports sane figures")
    func thousandNodesSingleBootstrapper() throws {
        var node = quickNode()
        node.gossipIntervalMilliseconds = 1000
        node.antiEntropyIntervalMilliseconds = 1000
        node.viewSize = 8
        var configuration = SimulationConfiguration(node: node)
        configuration.nodeCount = 1000
        configuration.join = .single
        configuration.joinSpreadSeconds = 0.2
        configuration.warmupSeconds = 1
        configuration.itemCount = 2
        configuration.itemRate = 10
        configuration.drainSeconds = 0.5
        configuration.threads = 2
        var simulation = Simulation(configuration: configuration)
        let report = simulation.run()
        #expect(report.nodes == 1000 && report.liveNodes == 1000 && report.killedNodes == 0)
        #expect(report.items.count == 2)
        for item in report.items {
            #expect(item.announced && item.eligible == 1000)
            #expect(item.reliability >= 0 && item.reliability <= 1)
            #expect(item.reached >= 1 && item.reachedTotal >= item.reached)
            if let t100 = item.t100Ms { #expect(t100 >= (item.t50Ms ?? 0)) }
        }
        #expect(report.overlay.liveNodes == 1000)
        #expect(report.overlay.components >= 1 && report.overlay.largestComponent <= 1000)
        #expect(report.overlay.linksMax <= configuration.node.maxPeerConnections)
        #expect(report.overlay.linksMin <= report.overlay.linksMax)
        #expect(report.traffic.totalMessages > 0 && report.traffic.totalBytes > report.traffic.totalMessages)
        #expect(report.simulation.events > 0 && report.simulation.wallS > 0)
        #expect(report.settings.join == "single")
        // However many join through the one bootstrapper, nobody holds more active links than the bound.
        #expect(report.overlay.linksMax <= configuration.node.degree + configuration.node.degreeSlack)
    }

    @Test("the JSON has the documented fields and decodes back")
    func jsonFields() throws {
        let report = run(smallRun(seed: 5))
        let data = try report.json()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["nodes"] as? Int == 40)
        let items = try #require(object["items"] as? [[String: Any]])
        #expect(items.count == 6)
        for item in items {
            for key in [
                "reliability", "t50_ms", "t90_ms", "t99_ms", "t100_ms", "rmr", "last_hop", "messages", "eligible",
            ] {
                #expect(item.keys.contains(key), "item field \(key)")
            }
        }
        let overlay = try #require(object["overlay"] as? [String: Any])
        for key in ["components", "isolated", "links_min", "links_max", "links_mean", "in_degree"] {
            #expect(overlay.keys.contains(key), "overlay field \(key)")
        }
        let simulation = try #require(object["simulation"] as? [String: Any])
        for key in ["wall_s", "events", "events_per_s", "peak_rss_mib"] {
            #expect(simulation.keys.contains(key), "simulation field \(key)")
        }
        #expect(try SimulationReport.decode(data) == report)
    }

    @Test("the CSV files are written with their headers")
    func csvFiles() throws {
        var simulation = Simulation(configuration: smallRun(seed: 5))
        let report = simulation.run()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gossip-sim-test-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CSVWriter.write(report, nodes: simulation.nodeRows(), to: directory)
        let expected = [
            "items.csv": "item,announced,origin,", "coverage.csv": "ms,mean,min,max", "links.csv": "links,nodes",
            "in_degree.csv": "in_degree,nodes", "hops.csv": "hop,deliveries", "nodes.csv": "node,state,",
        ]
        for (name, header) in expected {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            #expect(text.hasPrefix(header), "\(name)")
        }
        let nodes = try String(contentsOfFile: directory + "/nodes.csv", encoding: .utf8)
        #expect(nodes.split(separator: "\n").count == 41)
        let coverage = try String(contentsOfFile: directory + "/coverage.csv", encoding: .utf8)
        #expect(coverage.split(separator: "\n").count == report.coverage.count + 1)
    }

    @Test("configuration problems are named")
    func configurationProblems() {
        var configuration = SimulationConfiguration()
        #expect(configuration.problem == nil)
        configuration.lossRate = 1
        #expect(configuration.problem != nil)
        configuration = SimulationConfiguration()
        configuration.latency = LatencyModel(distribution: .uniform, meanMilliseconds: 10, jitterMilliseconds: 20)
        #expect(configuration.problem?.contains("jitter") == true)
        configuration = SimulationConfiguration()
        configuration.healAtSeconds = 1
        #expect(configuration.problem?.contains("heal") == true)
    }

    @Test("the simulated signer's proofs verify and bind the identity")
    func signer() {
        let signer = SimulatedSigner(index: 4, mix: 99)
        let message: [UInt8] = [1, 2, 3]
        let signature = signer.sign(message)!
        #expect(signer.verify(signature: signature, of: message, publicKey: signer.publicKey) == signer.identity)
        #expect(signer.verify(signature: signature, of: [1, 2, 4], publicKey: signer.publicKey) == nil)
        let other = SimulatedSigner(index: 5, mix: 99)
        #expect(signer.verify(signature: signature, of: message, publicKey: other.publicKey) == nil)
        #expect(SimulatedSigner.index(of: signer.identity, mix: 99) == 4)
        #expect(SimulatedSigner.index(of: signer.identity, mix: 98) == nil)
    }
}
