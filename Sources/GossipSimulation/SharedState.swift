import GossipCore

/// A node's life as the scenario sees it.
struct NodeState: Sendable {
    /// When it is due to start (virtual ns).
    var startAt: UInt64
    var startedAt: UInt64?
    var diedAt: UInt64?
    var module: ModuleBehaviour
    var announcerConnected = false
    /// Index into `SharedState.protocolConfigurations`.
    var configuration: UInt16
    /// Index into `SharedState.bootstrapLists`, or -1 if a random running node is picked when it starts.
    var bootstrapList: Int32

    var isRunning: Bool { startedAt != nil && diedAt == nil }
}

/// What every partition reads and only the coordinator writes, between windows (starts, kills,
/// partitions, module changes). During a window it is read-only, so partitions share it without locks.
///
/// `@unchecked Sendable`: written only by the coordinator while no partition runs; the worker
/// pool's semaphores order those writes before the next window's reads.
final class SharedState: @unchecked Sendable {
    let configuration: SimulationConfiguration
    let model: NetworkModel
    /// Nodes are split over partitions by index: node n belongs to partition n % partitionCount.
    let partitionCount: Int
    /// Mixed into identities so runs with different seeds differ everywhere.
    let identityMix: UInt64
    /// Nanoseconds a module takes to answer.
    let validationDelay: UInt64

    var nodes: [NodeState] = []
    /// Per node, what `nodes` says, packed for the partitions' hot paths.
    var isDead: [Bool] = []
    var modules: [ModuleBehaviour] = []
    /// Bootstrappers of the nodes whose list is known before they start.
    var bootstrapLists: [[Int]] = []
    var protocolConfigurations: [GossipProtocol.Configuration]
    /// Partition group per node; nodes in different groups cannot reach each other while a
    /// partition is active.
    var groups: [UInt8] = []
    var isPartitioned = false
    /// When the active partition heals, if ever.
    var healAt: UInt64?

    init(configuration: SimulationConfiguration, partitionCount: Int, identityMix: UInt64) {
        self.configuration = configuration
        self.model = NetworkModel(
            latency: configuration.latency, lossRate: configuration.lossRate,
            retransmissionTimeoutMilliseconds: configuration.retransmissionTimeoutMilliseconds,
            connectTimeoutMilliseconds: configuration.node.connectTimeoutMilliseconds)
        self.partitionCount = partitionCount
        self.identityMix = identityMix
        self.validationDelay = UInt64(max(0, configuration.validationDelayMilliseconds) * 1_000_000)
        self.protocolConfigurations = [configuration.node.simulatedProtocolConfiguration]
    }

    func canReach(_ a: Int, _ b: Int) -> Bool {
        !isPartitioned || groups[a] == groups[b]
    }

    func partition(of node: Int) -> Int { node % partitionCount }

    func local(_ node: Int) -> Int { node / partitionCount }
}
