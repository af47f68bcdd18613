import GossipConfig
import GossipCore
import GossipSimulation
import Testing

@Suite("Simulated membership and broadcast tree")
struct OverlayScenarioTests {
    @Test("300 nodes joining through one contact form one overlay, every node within degree..degree + slack")
    func joinThroughOneContact() {
        var simulation = scriptedSimulation { $0.degree = 4 }
        let contact = simulation.addNode()
        for index in 1..<300 { simulation.addNode(at: 0.01 * Double(index), bootstrappers: [contact]) }
        #expect(simulation.run(for: 30) { $0.isConnected() })
        simulation.run(until: simulation.time + 5)
        let links = (0..<300).map { simulation.peers(of: $0).count }
        #expect(links.allSatisfy { $0 <= 4 + 2 }, "never above degree + slack: \(links.max() ?? 0)")
        #expect(links.filter { $0 < 4 }.count <= 3, "nodes below degree: \(links.filter { $0 < 4 }.count)")
        #expect(links[contact] <= 6, "the contact is no hub")
        // Items travel the tree: every node reached once; the first items cut the cycles the join
        // left (each cut needs an item whose copies meet next to the cycle's heaviest link), and
        // the later ones bring almost no duplicates.
        let first = simulation.announce(from: 17)
        simulation.run(until: simulation.time + 3)
        var items = [first]
        var duplicates: [Int] = []
        for batch in 0..<4 {
            let before = simulation.total(.peerDuplicates)
            items += (0..<5).map { simulation.announce(from: 50 * $0 + 3 + batch, data: [UInt8(batch), UInt8($0)]) }
            simulation.run(until: simulation.time + 3)
            duplicates.append(simulation.total(.peerDuplicates) - before)
        }
        for item in items { #expect((0..<300).allSatisfy { simulation.notifications(at: $0, item: item) == 1 }, "item \(item)") }
        #expect(duplicates[0] < 5 * 300 / 5, "the first batch: under 20% of the deliveries are duplicates (a flood would bring degree - 1 each): \(duplicates)")
        #expect(duplicates[3] < 5 * 300 / 50, "the fourth batch: under 2%: \(duplicates)")
    }

    @Test("a node that loses a neighbour replaces it from its passive view, and items reach every survivor", arguments: CrashMode.allCases)
    func repairAfterNeighbourLoss(mode: CrashMode) {
        var simulation = scriptedSimulation(crashMode: mode) { $0.degree = 3 }
        let contact = simulation.addNode()
        for index in 1..<40 { simulation.addNode(at: 0.05 * Double(index), bootstrappers: [contact]) }
        #expect(simulation.run(for: 20) { $0.isConnected() })
        simulation.run(until: simulation.time + 3)
        // The node with the most neighbours goes; each of them must find another.
        let victim = (1..<40).max { simulation.peers(of: $0).count < simulation.peers(of: $1).count }!
        let neighbours = simulation.peers(of: victim)
        simulation.kill([victim])
        let survivors = (0..<40).filter { $0 != victim }
        #expect(
            simulation.run(for: 15) { sim in
                neighbours.allSatisfy { !sim.peers(of: $0).contains(victim) && sim.peers(of: $0).count >= 3 } && sim.isConnected(survivors)
            }, "neighbours \(neighbours) back at degree")
        let item = simulation.announce(from: survivors[5])
        simulation.run(until: simulation.time + 3)
        for node in survivors { #expect(simulation.notifications(at: node, item: item) == 1, "node \(node)") }
    }

    @Test("when a node on the tree holds an item back, the nodes below it fetch or graft it from their other neighbours")
    func graftAroundAStuckNode() {
        // Anti-entropy rarely, so the grafts are what brings the item.
        var simulation = scriptedSimulation {
            $0.degree = 3
            $0.antiEntropyIntervalMilliseconds = 60_000
        }
        let contact = simulation.addNode()
        for index in 1..<30 { simulation.addNode(at: 0.05 * Double(index), bootstrappers: [contact]) }
        #expect(simulation.run(for: 20) { $0.isConnected() })
        let warmUp = simulation.announce(from: 0)
        simulation.run(until: simulation.time + 3)
        #expect((0..<30).allSatisfy { simulation.hasReceived($0, item: warmUp) })
        // A node with the most tree links stops answering its module's notifications: it never
        // forwards, announces or serves the next item.
        let stuck = (1..<30).max { treeLinks(simulation, $0) < treeLinks(simulation, $1) }!
        #expect(treeLinks(simulation, stuck) >= 2, "an inner node of the tree")
        simulation.setModule(stuck, .silent)
        let asked = simulation.total(.itemsGrafted) + simulation.total(.itemsFetched)
        let origin = stuck == 0 ? 1 : 0
        let item = simulation.announce(from: origin)
        simulation.run(until: simulation.time + 5)
        for node in 0..<30 where node != stuck && node != origin {
            #expect(simulation.notifications(at: node, item: item) == 1, "node \(node)")
        }
        #expect(simulation.total(.itemsGrafted) + simulation.total(.itemsFetched) > asked, "the nodes cut off by the stuck one asked their other neighbours for the item")
    }

    func treeLinks(_ simulation: Simulation, _ node: Int) -> Int {
        guard let state = simulation.protocolState(of: node) else { return 0 }
        return state.overlay.activeLinks.filter { state.broadcast.isEager($0) }.count
    }
}
