import GossipCore
import GossipWire

/// Looking at the nodes between `run(until:)` calls (tests) or after a run.
extension Simulation {
    /// The virtual clock, in seconds.
    public var time: Double { Double(clock) / 1e9 }

    /// Nodes added so far.
    public var nodeCount: Int { nodes.count }

    /// Items scheduled so far (announced or not yet).
    public var itemCount: Int { metrics.items.count }

    /// Whether `node` has started and is not dead.
    public func isRunning(_ node: Int) -> Bool { nodes[node].isRunning }

    /// The node's protocol state (nil before it starts and after it is killed).
    public func protocolState(of node: Int) -> GossipProtocol? { protocols[node] }

    /// The node's identity.
    public func identity(of node: Int) -> PeerIdentity { SimulatedSigner.identity(of: node, mix: identityMix) }

    /// The node's listening address.
    public func address(of node: Int) -> PeerAddress { SimulatedNetwork.address(of: node) }

    /// The nodes `node` has an established link to, by its own account, ascending.
    public func peers(of node: Int) -> [Int] {
        guard let state = protocols[node] else { return [] }
        return state.overlay.establishedLinks.compactMap { link in
            let endpoint = Int(link.rawValue)
            guard endpoint < network.endpoints.count else { return nil }
            return Int(network.endpoints[Int(network.endpoints[endpoint].peer)].node)
        }.sorted()
    }

    /// Whether the established links between running members of `subset` (nil: all running
    /// nodes) join them into one graph.
    public func isConnected(_ subset: [Int]? = nil) -> Bool {
        let members = (subset ?? running.members).filter { nodes[$0].isRunning }
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

    /// NOTIFICATIONs `node`'s subscriber got for `item`.
    public func notifications(at node: Int, item: Int) -> Int {
        let record = metrics.items[item]
        return node < record.notifications.count ? Int(record.notifications[node]) : 0
    }

    /// Whether `node` got `item` (its NOTIFICATION; the origin counts from the announcement).
    public func hasReceived(_ node: Int, item: Int) -> Bool {
        let record = metrics.items[item]
        return node < record.reachedAt.count && record.reachedAt[node] != ItemRecord.notReached
    }

    /// Seconds from the announcement of `item` until `node` got it.
    public func deliveryDelay(_ node: Int, item: Int) -> Double? {
        guard hasReceived(node, item: item) else { return nil }
        return Double(metrics.items[item].reachedAt[node]) / 1e6
    }

    /// Hop count of the first ITEM that reached `node` (0 at the origin).
    public func hops(_ node: Int, item: Int) -> Int? {
        let record = metrics.items[item]
        guard node < record.hops.count, record.hops[node] != ItemRecord.noHop else { return nil }
        return Int(record.hops[node])
    }

    /// The network-wide ID the core gave `item` (nil until announced).
    public func itemID(_ item: Int) -> ItemID? { metrics.items[item].id }

    /// The node that announced `item` (nil until announced).
    public func origin(of item: Int) -> Int? {
        metrics.items[item].announcedAt == nil ? nil : metrics.items[item].origin
    }

    /// A core counter summed over all nodes.
    public func total(_ counter: GossipCounter) -> Int { metrics.counters[counter.rawValue] }

    /// A core counter of one node.
    public func count(_ counter: GossipCounter, at node: Int) -> Int { metrics.counter(counter, node: node) }

    /// Links closed for `reason` (counted at the closing node).
    public func closes(_ reason: CloseReason) -> Int {
        metrics.closeReasons[Metrics.reasonIndex[reason]!]
    }

    /// Bytes and messages `node` sent.
    public func sent(by node: Int) -> (bytes: Int, messages: Int) {
        (Int(metrics.bytesSent[node]), Int(metrics.messagesSent[node]))
    }
}
