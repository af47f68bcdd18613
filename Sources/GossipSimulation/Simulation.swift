import GossipConfig
import GossipCore
import GossipWire

/// A deterministic discrete-event simulation of many gossip nodes: each node is the protocol core
/// gossipd runs (`GossipProtocol`), driven over a simulated network on a virtual clock.
///
/// A configured run (`SimulationConfiguration` with nodes and items) is set up by `init` and played
/// by `run()`:
///
///     var simulation = Simulation(configuration: configuration)
///     let report = simulation.run()
///
/// Tests script scenarios instead: start from `SimulationConfiguration.scripted()`, add nodes,
/// announcements, kills and partitions, advance the clock with `run(until:)`, and inspect the
/// nodes in between:
///
///     var simulation = Simulation(configuration: .scripted(node: node))
///     let a = simulation.addNode()
///     let b = simulation.addNode(at: 0.1, bootstrappers: [a], module: .invalid)
///     simulation.run(until: 3)
///     let item = simulation.announce(from: a, ttl: 2)
///     simulation.run(until: 4)
///     simulation.notifications(at: b, item: item)   // 1
///
/// Times in this API are virtual seconds from the start; nodes and items are indices. A copy of a
/// `Simulation` shares the run with the original (the state lives in one engine).
public struct Simulation {
    /// The local API connection of each node's subscribing module.
    public static let subscriberConnection: ConnectionID = 1
    /// The local API connection that announces items.
    public static let announcerConnection: ConnectionID = 2

    let engine: SimulationEngine

    public init(configuration: SimulationConfiguration) {
        engine = SimulationEngine(configuration: configuration)
    }

    public var configuration: SimulationConfiguration { engine.configuration }

    /// Partitions (and so at most threads) the run uses; results do not depend on it.
    public var partitionCount: Int { engine.partitionCount }

    /// Called about every 2 s of wall time while `run` works (nil: quiet).
    public var progressHandler: ((SimulationProgress) -> Void)? {
        get { engine.progressHandler }
        nonmutating set { engine.progressHandler = newValue }
    }

    // MARK: Scripting

    /// Adds a node that starts at `seconds` (nil: now) and returns its index.
    ///
    /// - Parameters:
    ///   - bootstrappers: nodes it bootstraps from; nil: the configured join mode decides (for
    ///     `.random`, a random node running when it starts).
    ///   - module: what its local module does.
    ///   - configure: changes to the node knobs for this node only.
    @discardableResult
    public mutating func addNode(
        at seconds: Double? = nil, bootstrappers: [Int]? = nil, module: ModuleBehaviour = .valid,
        configure: ((inout NodeConfiguration) -> Void)? = nil
    ) -> Int {
        engine.addNode(at: seconds, bootstrappers: bootstrappers, module: module, configure: configure)
    }

    /// Announces an item from `node`'s local module at `seconds` (nil: now); returns the item's
    /// index in the report. With `node` nil, a random running node announces it (one of a fixed
    /// origin set if the configuration has one). TTL, data type and data default to the configuration's.
    @discardableResult
    public mutating func announce(
        from node: Int?, at seconds: Double? = nil, ttl: UInt8? = nil, dataType: UInt16? = nil, data: [UInt8]? = nil
    ) -> Int {
        engine.announce(from: node, at: seconds, ttl: ttl, dataType: dataType, data: data)
    }

    /// Kills `nodes` at `seconds` (nil: now); the crash mode decides what their peers see.
    public mutating func kill(_ nodes: [Int], at seconds: Double? = nil) {
        engine.kill(nodes, at: seconds)
    }

    /// Cuts `group` off from every other node at `seconds` (nil: now) until `healAt` (nil: never).
    /// Segments between the sides wait for the heal (TCP retransmits them), or are lost if it
    /// never comes; dials across fail after the connect timeout.
    public mutating func partition(_ group: [Int], at seconds: Double? = nil, healAt: Double? = nil) {
        engine.partition(group, at: seconds, healAt: healAt)
    }

    /// Changes what `node`'s module answers from `seconds` on (nil: now). A module can move
    /// between `.valid`, `.invalid` and `.silent`; `.unsubscribed` is fixed when the node is added.
    public mutating func setModule(_ node: Int, _ behaviour: ModuleBehaviour, at seconds: Double? = nil) {
        engine.setModule(node, behaviour, at: seconds)
    }

    // MARK: Running

    /// Plays every event up to `seconds` of virtual time; the clock then reads `seconds`.
    public mutating func run(until seconds: Double) {
        engine.run(until: seconds)
    }

    /// Plays a configured run to its end (the last announcement plus the drain time) and reports.
    public mutating func run() -> SimulationReport {
        engine.run()
    }

    /// The report of the run so far.
    public func report() -> SimulationReport { engine.report() }

    /// One row per node, for nodes.csv.
    public func nodeRows() -> [NodeRow] { engine.nodeRows() }

    /// Wall seconds spent in `run` so far.
    public var wallSeconds: Double { engine.wallSeconds }

    /// Events handled so far.
    public var eventCount: Int { engine.eventCount }

    // MARK: Inspecting

    /// The virtual clock, in seconds.
    public var time: Double { engine.time }

    /// Nodes added so far.
    public var nodeCount: Int { engine.nodeCount }

    /// Items scheduled so far (announced or not yet).
    public var itemCount: Int { engine.itemCount }

    /// Whether `node` has started and is not dead.
    public func isRunning(_ node: Int) -> Bool { engine.isRunning(node) }

    /// The node's protocol state (nil before it starts and after it is killed).
    public func protocolState(of node: Int) -> GossipProtocol? { engine.protocolState(of: node) }

    /// The node's identity.
    public func identity(of node: Int) -> PeerIdentity { engine.identity(of: node) }

    /// The node's listening address (10.x.y.z:6001).
    public func address(of node: Int) -> PeerAddress { engine.address(of: node) }

    /// The nodes `node` has an established link to, by its own account, ascending (a peer that
    /// died silently stays until the node notices).
    public func peers(of node: Int) -> [Int] { engine.peers(of: node) }

    /// Whether the established links join the nodes of `subset` into one graph, all of them
    /// running. nil: every node added and not killed (so a node yet to start makes it false).
    public func isConnected(_ subset: [Int]? = nil) -> Bool { engine.isConnected(subset) }

    /// NOTIFICATIONs `node`'s subscriber got for `item`.
    public func notifications(at node: Int, item: Int) -> Int { engine.notifications(at: node, item: item) }

    /// Whether `node` got `item` (its NOTIFICATION; the origin counts from the announcement).
    public func hasReceived(_ node: Int, item: Int) -> Bool { engine.hasReceived(node, item: item) }

    /// Seconds from the announcement of `item` until `node` got it.
    public func deliveryDelay(_ node: Int, item: Int) -> Double? { engine.deliveryDelay(node, item: item) }

    /// Hop count of the first ITEM that reached `node` (0 at the origin).
    public func hops(_ node: Int, item: Int) -> Int? { engine.hops(node, item: item) }

    /// The network-wide ID the core gave `item` (nil until announced).
    public func itemID(_ item: Int) -> ItemID? { engine.itemID(item) }

    /// The node that announced `item` (nil until announced).
    public func origin(of item: Int) -> Int? { engine.origin(of: item) }

    /// A core counter summed over all nodes.
    public func total(_ counter: GossipCounter) -> Int { engine.total(counter) }

    /// A core counter of one node.
    public func count(_ counter: GossipCounter, at node: Int) -> Int { engine.count(counter, at: node) }

    /// Links closed for `reason`, counted at the closing node.
    public func closes(_ reason: CloseReason) -> Int { engine.closes(reason) }

    /// Bytes and messages `node` sent.
    public func sent(by node: Int) -> (bytes: Int, messages: Int) { engine.sent(by: node) }
}
