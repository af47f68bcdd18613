import Foundation
import GossipCore
import GossipClient
import GossipConfig
import GossipIdentity
import GossipNode
import GossipWire
import Logging
import Testing

/// Several real nodes on 127.0.0.1 with OS-chosen ports, with short intervals so the overlay
/// settles quickly. Every node is stopped when the test ends.
final class TestNetwork {
    private(set) var nodes: [Node] = []

    deinit {
        for node in nodes { node.stop() }
    }

    /// The settings of test networks: a small degree and short intervals, so an overlay settles
    /// quickly. The simulator agreement test runs the same.
    static func shortIntervals(_ configuration: inout NodeConfiguration) {
        configuration.degree = 3
        configuration.gossipIntervalMilliseconds = 50
        configuration.antiEntropyIntervalMilliseconds = 100
        configuration.pingIntervalMilliseconds = 100
        configuration.peerTimeoutMilliseconds = 3000
        configuration.connectTimeoutMilliseconds = 500
        configuration.validationTimeoutMilliseconds = 1000
        configuration.identityWorkBits = 0  // tests start many throwaway identities
    }

    /// Starts a node bootstrapping from `bootstrap` (a node of this network), or alone.
    @discardableResult
    func add(bootstrap: Node? = nil, configure: (inout NodeConfiguration) -> Void = { _ in }) throws -> Node {
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        Self.shortIntervals(&configuration)
        if let bootstrap { configuration.bootstrappers = [Endpoint(host: "127.0.0.1", port: bootstrap.p2pPort)] }
        configure(&configuration)
        var logger = Logger(label: "net-node-\(nodes.count)")
        logger.logLevel = .critical
        let node = try Node(configuration: configuration, logger: logger)
        try node.start()
        nodes.append(node)
        return node
    }

    /// Each node's peers and closed links, for failure messages.
    var links: String {
        nodes.enumerated().map { index, node in
            "node \(index) \(node.identity): peers \(node.connectedPeers), closed \(node.statistics.closedPeerLinks)"
        }.joined(separator: "; ")
    }

    /// Whether the established links join every listed node into one graph.
    func isConnected(_ subset: [Node]? = nil) -> Bool {
        let members = subset ?? nodes
        guard let first = members.first else { return true }
        let byIdentity = Dictionary(uniqueKeysWithValues: members.map { ($0.identity, $0) })
        var reached: Set<PeerIdentity> = [first.identity]
        var frontier = [first]
        while let node = frontier.popLast() {
            for peer in node.connectedPeers where byIdentity[peer] != nil && reached.insert(peer).inserted {
                frontier.append(byIdentity[peer]!)
            }
        }
        return reached.count == members.count
    }
}

@Suite("Gossip network", .serialized)
struct NetworkTests {
    /// Nodes of a line topology: degree 1, joins that introduce nobody, and no shuffles, so each
    /// node knows only the neighbours it said HELLO to and a lost link can only be re-dialed along
    /// the line.
    static func line(_ configuration: inout NodeConfiguration) {
        configuration.degree = 1
        configuration.joinWalkLength = 0
        configuration.gossipIntervalMilliseconds = 3_600_000
    }

    /// A validating subscriber on every node; returns them in node order.
    func subscribers(_ nodes: [Node], type: UInt16) throws -> [GossipAPIClient] {
        try nodes.map { try $0.subscriber(of: type) }
    }

    /// Reads one NOTIFICATION and answers it.
    func receiveAndAnswer(_ client: GossipAPIClient, valid: Bool = true, timeout: Duration = .seconds(5)) throws -> GossipNotification {
        let notification = try client.expectNotification(timeout: timeout)
        try client.validate(messageID: notification.messageID, isValid: valid)
        return notification
    }

    @Test("an item announced on one node reaches the subscribers of all others exactly once")
    func exactlyOnceEverywhere() throws {
        let network = TestNetwork()
        let seed = try network.add()
        for _ in 0..<5 { try network.add(bootstrap: seed) }
        #expect(waitUntil(timeout: .seconds(10)) { network.isConnected() }, "\(network.links)")
        let clients = try subscribers(network.nodes, type: 1337)
        let announcer = try network.nodes[2].connect()
        for n in 0..<5 { try announcer.announce(dataType: 1337, ttl: 0, data: [UInt8(n)]) }
        for (index, client) in clients.enumerated() where index != 2 {
            var seen: [UInt8] = []
            for _ in 0..<5 { seen.append(try receiveAndAnswer(client).data[0]) }
            #expect(Set(seen) == Set(0..<5), "node \(index) got each item")
            #expect(client.staysQuiet(for: .milliseconds(300)), "node \(index) got no item twice")
        }
    }

    @Test("an invalid verdict on a node stops the item there; a valid one lets it through")
    func invalidStopsForwarding() throws {
        let network = TestNetwork()
        // A line a - b - c: with degree 1 nobody dials a second peer.
        let a = try network.add(configure: Self.line)
        let b = try network.add(bootstrap: a, configure: Self.line)
        let c = try network.add(bootstrap: b, configure: Self.line)
        #expect(waitUntil(timeout: .seconds(10)) { network.isConnected() }, "\(network.links)")
        let atB = try b.subscriber(of: 7)
        let atC = try c.subscriber(of: 7)
        let announcer = try a.connect()
        try announcer.announce(dataType: 7, ttl: 0, data: [1])
        #expect(try receiveAndAnswer(atB, valid: false).data == [1])
        #expect(atC.staysQuiet(for: .milliseconds(600)), "c never sees what b rejected, not even by anti-entropy")
        #expect(b.statistics.itemsDroppedInvalid == 1)
        try announcer.announce(dataType: 7, ttl: 0, data: [2])
        #expect(try receiveAndAnswer(atB, valid: true).data == [2])
        #expect(try receiveAndAnswer(atC).data == [2])
    }

    @Test("TTL limits hops: TTL 2 from a reaches b and c but not d")
    func ttlLimitsHops() throws {
        let network = TestNetwork()
        let a = try network.add(configure: Self.line)
        let b = try network.add(bootstrap: a, configure: Self.line)
        let c = try network.add(bootstrap: b, configure: Self.line)
        let d = try network.add(bootstrap: c, configure: Self.line)
        #expect(waitUntil(timeout: .seconds(10)) { network.isConnected() }, "\(network.links)")
        let clients = try subscribers([b, c, d], type: 9)
        let announcer = try a.connect()
        try announcer.announce(dataType: 9, ttl: 2, data: [2])
        #expect(try receiveAndAnswer(clients[0]).data == [2])
        #expect(try receiveAndAnswer(clients[1]).data == [2])
        #expect(clients[2].staysQuiet(for: .milliseconds(600)), "d is three hops away")
        try announcer.announce(dataType: 9, ttl: 0, data: [0])
        for client in clients { #expect(try receiveAndAnswer(client).data == [0], "TTL 0 is unlimited") }
    }

    @Test("a node that joins late through the bootstrapper is connected and receives later items")
    func lateJoiner() throws {
        let network = TestNetwork()
        let seed = try network.add()
        for _ in 0..<3 { try network.add(bootstrap: seed) }
        #expect(waitUntil(timeout: .seconds(10)) { network.isConnected() }, "\(network.links)")
        let late = try network.add(bootstrap: network.nodes[2])
        #expect(waitUntil(timeout: .seconds(10)) { network.isConnected() && late.establishedPeerCount > 0 })
        let client = try late.subscriber(of: 5)
        let announcer = try seed.connect()
        try announcer.announce(dataType: 5, ttl: 0, data: [5])
        #expect(try receiveAndAnswer(client).data == [5])
    }

    @Test("a full bootstrapper hands a joiner peers to try (PUSH, REJECT, then the close), and the joiner links through them")
    func fullBootstrapperHandsOutPeers() throws {
        let network = TestNetwork()
        let full: (inout NodeConfiguration) -> Void = {
            $0.degree = 1
            $0.degreeSlack = 0
            $0.maxPeerConnections = 1
            $0.joinWalkLength = 0
        }
        let seed = try network.add(configure: full)
        let first = try network.add(bootstrap: seed) { $0.joinWalkLength = 0 }
        #expect(waitUntil(timeout: .seconds(10)) { seed.connectedPeers == [first.identity] }, "\(network.links)")
        let joiner = try network.add(bootstrap: seed) { $0.degree = 1; $0.joinWalkLength = 0 }
        #expect(
            waitUntil(timeout: .seconds(10)) { joiner.connectedPeers.contains(first.identity) },
            "the joiner reached the peer the full seed handed it: \(network.links)")
        #expect(seed.statistics.closedLinks(.overCapacity) >= 1, "the seed turned the joiner away as over capacity")
        #expect(joiner.statistics.closedLinks(.neighborRejected) >= 1, "the joiner got the REJECT, not a reset: \(network.links)")
        #expect(!joiner.connectedPeers.contains(seed.identity))
    }

    @Test("a stopped node is noticed and replaced; survivors still reach each other")
    func killedNodeReplaced() throws {
        let network = TestNetwork()
        let seed = try network.add { $0.degree = 2 }
        for _ in 0..<4 { try network.add(bootstrap: seed) { $0.degree = 2 } }
        #expect(waitUntil(timeout: .seconds(10)) { network.isConnected() }, "\(network.links)")
        let victim = network.nodes[1]
        let survivors = network.nodes.filter { $0 !== victim }
        victim.stop()
        #expect(waitUntil(timeout: .seconds(10)) {
            survivors.allSatisfy { !$0.connectedPeers.contains(victim.identity) && $0.establishedPeerCount >= 1 }
                && network.isConnected(survivors)
        })
        let clients = try subscribers(survivors, type: 11)
        let announcer = try survivors[0].connect()
        try announcer.announce(dataType: 11, ttl: 0, data: [11])
        for client in clients.dropFirst() { #expect(try receiveAndAnswer(client).data == [11]) }
    }

    @Test("anti-entropy delivers an item to a node that was cut off when it was first spread")
    func antiEntropyCatchUp() throws {
        let network = TestNetwork()
        let a = try network.add()
        let b = try network.add(bootstrap: a)
        #expect(waitUntil(timeout: .seconds(10)) { network.isConnected() }, "\(network.links)")
        let atB = try b.subscriber(of: 21)
        let announcer = try a.connect()
        try announcer.announce(dataType: 21, ttl: 0, data: [21])
        #expect(try receiveAndAnswer(atB).data == [21])
        // c was not there when the item spread: it starts alone, subscribes, and only then joins.
        let c = try network.add()
        let atC = try c.subscriber(of: 21)
        c.join(Endpoint(host: "127.0.0.1", port: b.p2pPort))
        #expect(try receiveAndAnswer(atC).data == [21])
        #expect(c.statistics.antiEntropyItemsPulled >= 1)
        #expect(c.statistics.peerItemsReceived >= 1)
    }
}
