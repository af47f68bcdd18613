import GossipCore
import GossipWire

/// Looking at the nodes between `run(until:)` calls (tests) or after a run; `Simulation` forwards these.
extension SimulationEngine {
    /// The virtual clock, in seconds.
    var time: Double { Double(clock) / 1e9 }

    /// Nodes added so far.
    var nodeCount: Int { shared.nodes.count }

    /// Items scheduled so far (announced or not yet).
    var itemCount: Int { items.count }

    /// Whether `node` has started and is not dead.
    func isRunning(_ node: Int) -> Bool { shared.nodes[node].isRunning }

    /// The node's protocol state (nil before it starts and after it is killed).
    func protocolState(of node: Int) -> GossipProtocol? {
        partitions[shared.partition(of: node)].protocols[shared.local(node)]
    }

    /// The node's identity.
    func identity(of node: Int) -> PeerIdentity { SimulatedSigner.identity(of: node, mix: shared.identityMix) }

    /// The node's listening address.
    func address(of node: Int) -> PeerAddress { NetworkModel.address(of: node) }

    /// The nodes `node` has an established link to, by its own account, ascending (a peer that
    /// died silently stays until the node notices).
    func peers(of node: Int) -> [Int] {
        let partition = partitions[shared.partition(of: node)]
        guard let state = partition.protocols[shared.local(node)] else { return [] }
        return state.overlay.activeLinks.map { link in
            Int(partition.endpoints[LinkEndpoint.index(of: link)].peerNode)
        }.sorted()
    }

    /// Whether the established links join the nodes of `subset` into one graph, all of them
    /// running. nil: every node added and not killed (so a node yet to start makes it false).
    func isConnected(_ subset: [Int]? = nil) -> Bool {
        let members = subset ?? shared.nodes.indices.filter { shared.nodes[$0].diedAt == nil }
        guard members.allSatisfy({ shared.nodes[$0].isRunning }) else { return false }
        guard let first = members.first else { return true }
        let wanted = Set(members)
        var reached: Set<Int> = [first]
        var frontier = [first]
        while let node = frontier.popLast() {
            for peer in peers(of: node) where wanted.contains(peer) && reached.insert(peer).inserted {
                frontier.append(peer)
            }
        }
        return reached.count == wanted.count
    }

    /// What `node`'s partition recorded of `item`, and the node's index there.
    private func trace(_ node: Int, _ item: Int) -> (ItemTrace, Int)? {
        let metrics = partitions[shared.partition(of: node)].metrics
        guard item < metrics.items.count else { return nil }
        return (metrics.items[item], shared.local(node))
    }

    /// NOTIFICATIONs `node`'s subscriber got for `item`.
    func notifications(at node: Int, item: Int) -> Int {
        guard let (trace, local) = trace(node, item), local < trace.notifications.count else { return 0 }
        return Int(trace.notifications[local])
    }

    /// Whether `node` got `item` (its NOTIFICATION; the origin counts from the announcement).
    func hasReceived(_ node: Int, item: Int) -> Bool {
        deliveryDelay(node, item: item) != nil
    }

    /// Seconds from the announcement of `item` until `node` got it.
    func deliveryDelay(_ node: Int, item: Int) -> Double? {
        guard let (trace, local) = trace(node, item), local < trace.reachedAt.count,
            trace.reachedAt[local] != ItemTrace.notReached
        else { return nil }
        return Double(trace.reachedAt[local]) / 1e6
    }

    /// Hop count of the first ITEM that reached `node` (0 at the origin).
    func hops(_ node: Int, item: Int) -> Int? {
        guard let (trace, local) = trace(node, item), local < trace.hops.count, trace.hops[local] != ItemTrace.noHop
        else { return nil }
        return Int(trace.hops[local])
    }

    /// The network-wide ID the core gave `item` (nil until announced).
    func itemID(_ item: Int) -> ItemID? { items[item].id }

    /// The node that announced `item` (nil until announced).
    func origin(of item: Int) -> Int? {
        items[item].announcedAt == nil ? nil : items[item].origin
    }

    /// A core counter summed over all nodes.
    func total(_ counter: GossipCounter) -> Int {
        partitions.reduce(0) { $0 + $1.metrics.tallies.counters[counter.rawValue] }
    }

    /// A core counter of one node.
    func count(_ counter: GossipCounter, at node: Int) -> Int {
        partitions[shared.partition(of: node)].metrics.counter(counter, local: shared.local(node))
    }

    /// Links closed for `reason`, counted at the closing node.
    func closes(_ reason: CloseReason) -> Int {
        let slot = PartitionMetrics.reasonIndex[reason]!
        return partitions.reduce(0) { $0 + $1.metrics.tallies.closeReasons[slot] }
    }

    /// Bytes and messages `node` sent.
    func sent(by node: Int) -> (bytes: Int, messages: Int) {
        let metrics = partitions[shared.partition(of: node)].metrics
        let local = shared.local(node)
        return (Int(metrics.bytesSent[local]), Int(metrics.messagesSent[local]))
    }
}
