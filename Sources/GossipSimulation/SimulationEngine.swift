import GossipConfig
import GossipCore
import GossipWire

/// A deterministic discrete-event simulation of many gossip nodes: each node is the protocol core
/// gossipd runs (`GossipProtocol`), driven over a simulated network on a virtual clock.
///
/// A configured run (`SimulationConfiguration` with nodes and items) is set up by `init` and
/// played by `run()`. Tests script scenarios instead: start from `SimulationConfiguration.scripted()`,
/// add nodes, announcements, kills and partitions, advance the clock with `run(until:)` and inspect
/// the nodes in between. Times in this API are virtual seconds from the start.
///
/// Nothing here sleeps, starts a thread or reads a clock (except wall time for the progress line
/// and the `simulation` block of the report).
public struct Simulation {
    /// A node's life as the simulator sees it.
    struct NodeState: Sendable {
        /// When it starts (virtual ns), or nil if it never was scheduled.
        var startAt: UInt64?
        var startedAt: UInt64?
        var diedAt: UInt64?
        /// The pending tick, or `.max`.
        var nextTick: UInt64 = .max
        var module: ModuleBehaviour
        var announcerConnected = false
        /// Index into `Simulation.protocolConfigurations`.
        var configuration: UInt16
        /// Index into `Simulation.explicitBootstrappers`, or -1 for the join mode's choice.
        var bootstrapList: Int32

        var isRunning: Bool { startedAt != nil && diedAt == nil }
    }

    /// A scripted action, run when its event fires.
    enum Action: Sendable {
        case announce(item: Int)
        case kill([Int])
        case killFraction(Double)
        case partition(group: [Int], healAt: UInt64?)
        case partitionFraction(Double, healAt: UInt64?)
        case heal
        case setModule(node: Int, ModuleBehaviour)
    }

    /// The local API connection of each node's subscribing module.
    public static let subscriberConnection: ConnectionID = 1
    /// The local API connection that announces items.
    public static let announcerConnection: ConnectionID = 2

    public let configuration: SimulationConfiguration

    /// Virtual nanoseconds.
    private(set) var clock: UInt64 = 0
    var queue = EventQueue()
    var network: SimulatedNetwork
    /// Latency, loss and nonces.
    var networkRandom: SeededRandom
    /// Scenario choices: modules, contacts, origins, victims.
    var scenarioRandom: SeededRandom
    /// Mixed into identities so runs with different seeds differ everywhere.
    let identityMix: UInt64

    var protocols: [GossipProtocol?] = []
    var nodes: [NodeState] = []
    var protocolConfigurations: [GossipProtocol.Configuration] = []
    var explicitBootstrappers: [[Int]] = []
    var running = LiveSet()
    /// Nodes fixed as origins (`originCount`).
    var originSet: [Int] = []
    var actions: [Action] = []
    var metrics = Metrics()
    var itemData: [UInt8]

    /// Events handled so far.
    public private(set) var eventCount = 0
    /// Events handled, by kind (stale ticks included).
    var eventsByKind = [Int](repeating: 0, count: EventKind.allCases.count)
    /// Ticks skipped because a newer one replaced them, or the node died.
    var staleTicks = 0
    private var wallStart: UInt64 = 0
    private var wallSpent: UInt64 = 0
    private var lastProgress: UInt64 = 0
    /// Called about every 2 s of wall time while `run` works (nil: quiet).
    public var progressHandler: ((SimulationProgress) -> Void)?

    // MARK: Setting up

    public init(configuration: SimulationConfiguration) {
        self.configuration = configuration
        network = SimulatedNetwork(
            latency: configuration.latency, lossRate: configuration.lossRate,
            retransmissionTimeoutMilliseconds: configuration.retransmissionTimeoutMilliseconds,
            connectTimeoutMilliseconds: configuration.node.connectTimeoutMilliseconds)
        var seeder = SeededRandom(seed: configuration.seed)
        networkRandom = SeededRandom(seed: seeder.next())
        scenarioRandom = SeededRandom(seed: seeder.next())
        identityMix = seeder.next()
        itemData = [UInt8](repeating: 0, count: configuration.itemSize)
        protocolConfigurations = [configuration.node.protocolConfiguration]
        setUpConfiguredRun()
    }

    /// Schedules the configured population, items, churn and partition.
    private mutating func setUpConfiguredRun() {
        let c = configuration
        let total = c.nodeCount
        let late = Int((Double(total) * c.lateJoinerFraction).rounded(.down))
        let early = total - late
        for index in 0..<total {
            let start: Double
            if index < early {
                start = early > 1 ? c.joinSpreadSeconds * Double(index) / Double(early) : 0
            } else {
                let span = c.lastItemSeconds - c.firstItemSeconds
                start = c.firstItemSeconds + span * Double(index - early + 1) / Double(late + 1)
            }
            _ = addNode(at: start, module: pickModule())
        }
        if c.originCount > 0 && total > 0 {
            var candidates = Array(0..<early)
            let take = min(c.originCount, candidates.count)
            for index in 0..<take { candidates.swapAt(index, index + scenarioRandom.below(candidates.count - index)) }
            originSet = Array(candidates.prefix(take))
        }
        if c.itemCount > 0 {
            for index in 0..<c.itemCount {
                _ = announce(from: nil, at: c.firstItemSeconds + Double(index) / c.itemRate)
            }
        }
        if c.killFraction > 0 {
            schedule(.killFraction(c.killFraction), at: Self.nanoseconds(c.effectiveKillSeconds))
        }
        if c.partitionFraction > 0 {
            let heal = c.healAtSeconds.map(Self.nanoseconds)
            schedule(.partitionFraction(c.partitionFraction, healAt: heal), at: Self.nanoseconds(c.effectivePartitionSeconds))
            if let heal { schedule(.heal, at: heal) }
        }
    }

    private mutating func pickModule() -> ModuleBehaviour {
        let draw = scenarioRandom.unitInterval()
        if draw < configuration.silentModuleFraction { return .silent }
        if draw < configuration.silentModuleFraction + configuration.invalidFraction { return .invalid }
        return .valid
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : UInt64((seconds * 1e9).rounded())
    }

    private func moment(_ seconds: Double?) -> UInt64 {
        seconds.map { max(clock, Self.nanoseconds($0)) } ?? clock
    }

    private mutating func schedule(_ action: Action, at time: UInt64) {
        actions.append(action)
        queue.schedule(.action, at: max(time, clock), UInt32(actions.count - 1))
    }

    // MARK: Scripting

    /// Adds a node that starts at `seconds` (nil: now) and returns its index.
    ///
    /// - Parameters:
    ///   - bootstrappers: nodes it bootstraps from; nil: the configured join mode decides when it
    ///     starts.
    ///   - module: what its local module does.
    ///   - configure: changes to the node knobs for this node only.
    @discardableResult
    public mutating func addNode(
        at seconds: Double? = nil, bootstrappers: [Int]? = nil, module: ModuleBehaviour = .valid,
        configure: ((inout NodeConfiguration) -> Void)? = nil
    ) -> Int {
        let index = nodes.count
        precondition(index < Int(UInt32.max) / 2, "too many nodes")
        var configurationIndex: UInt16 = 0
        if let configure {
            var node = configuration.node
            configure(&node)
            protocolConfigurations.append(node.protocolConfiguration)
            precondition(protocolConfigurations.count <= Int(UInt16.max), "too many node configurations")
            configurationIndex = UInt16(protocolConfigurations.count - 1)
        }
        var list: Int32 = -1
        if let bootstrappers {
            explicitBootstrappers.append(bootstrappers)
            list = Int32(explicitBootstrappers.count - 1)
        }
        let start = moment(seconds)
        nodes.append(NodeState(startAt: start, module: module, configuration: configurationIndex, bootstrapList: list))
        protocols.append(nil)
        network.groups.append(0)
        running.grow(to: nodes.count)
        metrics.addNode()
        queue.schedule(.start, at: start, UInt32(index))
        return index
    }

    /// Announces an item from `node`'s local module at `seconds` (nil: now); returns the item's
    /// index in the report. With `node` nil, a random running node announces it (a fixed origin
    /// set if the configuration has one).
    @discardableResult
    public mutating func announce(
        from node: Int?, at seconds: Double? = nil, ttl: UInt8? = nil, dataType: UInt16? = nil, data: [UInt8]? = nil
    ) -> Int {
        let index = metrics.items.count
        metrics.items.append(
            ItemRecord(
                index: index, requestedOrigin: node, ttl: ttl ?? configuration.itemTTL,
                dataType: dataType ?? configuration.dataType, data: data ?? itemData))
        schedule(.announce(item: index), at: moment(seconds))
        return index
    }

    /// Kills `nodes` at `seconds` (nil: now); the crash mode decides what their peers see.
    public mutating func kill(_ nodes: [Int], at seconds: Double? = nil) {
        schedule(.kill(nodes), at: moment(seconds))
    }

    /// Cuts `group` off from every other node at `seconds` (nil: now) until `healAt` (nil: never).
    public mutating func partition(_ group: [Int], at seconds: Double? = nil, healAt: Double? = nil) {
        let heal = healAt.map(Self.nanoseconds)
        schedule(.partition(group: group, healAt: heal), at: moment(seconds))
        if let heal { schedule(.heal, at: heal) }
    }

    /// Changes what `node`'s module answers from `seconds` on (nil: now). A node's module can move
    /// between `.valid`, `.invalid` and `.silent`; `.unsubscribed` is fixed when the node is added.
    public mutating func setModule(_ node: Int, _ behaviour: ModuleBehaviour, at seconds: Double? = nil) {
        precondition(behaviour != .unsubscribed && nodes[node].module != .unsubscribed, "subscription is fixed per node")
        schedule(.setModule(node: node, behaviour), at: moment(seconds))
    }

    // MARK: Running

    /// Plays every event up to `seconds` of virtual time; the clock then reads `seconds`.
    public mutating func run(until seconds: Double) {
        let limit = Self.nanoseconds(seconds)
        let began = monotonicNanoseconds()
        if lastProgress == 0 { lastProgress = began }
        while let event = queue.pop(notAfter: limit) {
            clock = event.time
            eventCount += 1
            eventsByKind[Int(event.kind.rawValue)] += 1
            handle(event)
            if eventCount & 0x3FFF == 0, let progressHandler {
                let wall = monotonicNanoseconds()
                if wall &- lastProgress >= 2_000_000_000 {
                    lastProgress = wall
                    progressHandler(progress(wallSeconds: Double(wallSpent &+ wall &- began) / 1e9))
                }
            }
        }
        clock = max(clock, limit)
        wallSpent &+= monotonicNanoseconds() &- began
    }

    /// Plays a configured run to its end (the last announcement plus the drain time) and reports.
    public mutating func run() -> SimulationReport {
        run(until: configuration.endSeconds)
        return report()
    }

    /// Wall seconds spent in `run` so far.
    public var wallSeconds: Double { Double(wallSpent) / 1e9 }

    func progress(wallSeconds: Double) -> SimulationProgress {
        SimulationProgress(
            virtualSeconds: Double(clock) / 1e9, events: eventCount, wallSeconds: wallSeconds, runningNodes: running.count,
            itemsAnnounced: metrics.items.count { $0.announcedAt != nil }, itemsTotal: metrics.items.count,
            pendingEvents: queue.count)
    }

    // MARK: Events

    private mutating func handle(_ event: Event) {
        switch event.kind {
        case .deliver: deliver(to: Int(event.a), slot: event.b)
        case .close: peerClosed(Int(event.a))
        case .tick: tick(Int(event.a), at: event.time)
        case .connect: connect(event.a)
        case .dialFailed: dialFailed(event.a)
        case .validation: answer(Int(event.a), word: event.b)
        case .start: start(Int(event.a))
        case .action: act(actions[Int(event.a)])
        }
    }

    private var now: Moment { Moment(nanoseconds: clock) }

    private mutating func start(_ node: Int) {
        guard nodes[node].startedAt == nil, nodes[node].diedAt == nil else { return }
        let targets = bootstrappers(of: node).map { other in
            let address = SimulatedNetwork.address(of: other)
            return Overlay.DialTarget(host: address.host, port: address.port)
        }
        var random = SeededRandom(seed: SimulatedSigner.mixBits(configuration.seed ^ UInt64(node) &* 0x9E37_79B9_7F4A_7C15))
        protocols[node] = GossipProtocol(
            configuration: protocolConfigurations[Int(nodes[node].configuration)],
            signer: SimulatedSigner(index: node, mix: identityMix), selfAddress: SimulatedNetwork.address(of: node),
            bootstrappers: targets, random: &random, fixedItemIDs: true)
        nodes[node].startedAt = clock
        running.insert(node)
        if nodes[node].module != .unsubscribed {
            perform(protocols[node]!.moduleConnected(Self.subscriberConnection, now: now), at: node)
            perform(
                protocols[node]!.received(
                    apiMessage: .notify(GossipNotify(dataType: configuration.dataType)), from: Self.subscriberConnection, now: now),
                at: node)
        }
        perform(protocols[node]!.tick(now: now), at: node)
    }

    /// Whom `node` bootstraps from: its explicit list, or the join mode's choice.
    private mutating func bootstrappers(of node: Int) -> [Int] {
        let list = nodes[node].bootstrapList
        if list >= 0 { return explicitBootstrappers[Int(list)] }
        switch configuration.join {
        case .single:
            return node == 0 ? [] : [0]
        case .seeds:
            let seeds = min(configuration.seedCount, nodes.count)
            if node == 0 { return [] }
            return node < seeds ? [0] : Array(0..<seeds)
        case .random:
            guard running.count > 0 else { return [] }
            return [running.member(scenarioRandom.below(running.count))]
        }
    }

    private mutating func tick(_ node: Int, at time: UInt64) {
        guard nodes[node].nextTick == time, nodes[node].isRunning else {
            staleTicks += 1
            return
        }
        nodes[node].nextTick = .max
        perform(protocols[node]!.tick(now: now), at: node)
    }

    private mutating func deliver(to endpoint: Int, slot: UInt32) {
        let (message, item) = network.take(slot)
        let receiver = network.endpoints[endpoint]
        let node = Int(receiver.node)
        guard receiver.isOpen, nodes[node].diedAt == nil else {
            metrics.messagesDropped += 1
            return
        }
        if item >= 0 {
            let sender = Int(network.endpoints[Int(receiver.peer)].node)
            arrived(item: Int(item), at: node, from: sender)
        }
        perform(protocols[node]!.received(peerMessage: message, on: LinkID(UInt64(endpoint)), now: now), at: node)
    }

    /// Hop bookkeeping for an ITEM arriving at `node` from `sender`.
    private mutating func arrived(item: Int, at node: Int, from sender: Int) {
        metrics.items[item].grow(to: nodes.count)
        guard metrics.items[item].hops[node] == ItemRecord.noHop else { return }
        let previous = metrics.items[item].hops[sender]
        metrics.items[item].hops[node] = previous == ItemRecord.noHop ? ItemRecord.noHop : min(previous + 1, ItemRecord.noHop - 1)
        if nodes[node].module == .unsubscribed { metrics.items[item].reach(node, now: clock) }
    }

    private mutating func peerClosed(_ endpoint: Int) {
        let node = Int(network.endpoints[endpoint].node)
        guard network.endpoints[endpoint].isOpen, nodes[node].isRunning else { return }
        network.close(endpoint)
        perform(protocols[node]!.linkClosed(LinkID(UInt64(endpoint)), now: now), at: node)
    }

    private mutating func connect(_ slot: UInt32) {
        let dial = network.dial(slot)
        let dialer = Int(dial.node)
        guard nodes[dialer].isRunning else {
            network.endDial(slot)
            return
        }
        let timeout = max(clock, dial.startedAt &+ network.connectTimeout)
        guard let target = SimulatedNetwork.node(host: dial.target.host, port: dial.target.port, nodeCount: nodes.count),
            network.canReach(dialer, target)
        else {
            metrics.dialsTimedOut += 1
            queue.schedule(.dialFailed, at: timeout, slot)
            return
        }
        guard nodes[target].isRunning else {
            if nodes[target].diedAt != nil && configuration.crashMode == .silent {
                metrics.dialsTimedOut += 1
                queue.schedule(.dialFailed, at: timeout, slot)
            } else {
                metrics.dialsRefused += 1  // nothing listens: the host answers with RST
                queue.schedule(.dialFailed, at: clock &+ UInt64(dial.latencyMicroseconds) * 1000, slot)
            }
            return
        }
        network.endDial(slot)
        metrics.linksOpened += 1
        let (near, far) = network.openLink(dialer, target, latencyMicroseconds: dial.latencyMicroseconds)
        perform(
            protocols[dialer]!.linkOpened(
                LinkID(UInt64(near)), outbound: true, dialed: dial.target, remote: SimulatedNetwork.address(of: target),
                nonce: nonce(), now: now),
            at: dialer)
        // The dialer's effects cannot have closed the target's end: it does not exist there yet.
        perform(
            protocols[target]!.linkOpened(
                LinkID(UInt64(far)), outbound: false, dialed: nil, remote: SimulatedNetwork.address(of: dialer), nonce: nonce(),
                now: now),
            at: target)
    }

    private mutating func dialFailed(_ slot: UInt32) {
        let dial = network.dial(slot)
        network.endDial(slot)
        let node = Int(dial.node)
        guard nodes[node].isRunning else { return }
        perform(protocols[node]!.dialFailed(dial.target, now: now), at: node)
    }

    private mutating func answer(_ node: Int, word: UInt32) {
        guard nodes[node].isRunning else { return }
        metrics.validationsAnswered += 1
        let validation = GossipValidation(messageID: UInt16(truncatingIfNeeded: word), isValid: word >> 16 == 1)
        perform(protocols[node]!.received(apiMessage: .validation(validation), from: Self.subscriberConnection, now: now), at: node)
    }

    private mutating func nonce() -> [UInt8] {
        let high = networkRandom.next()
        let low = networkRandom.next()
        return (0..<16).map { UInt8(truncatingIfNeeded: ($0 < 8 ? high : low) >> (8 * UInt64($0 % 8))) }
    }

    // MARK: Actions

    private mutating func act(_ action: Action) {
        switch action {
        case .announce(let item): announceNow(item)
        case .kill(let victims): killNow(victims.filter { $0 >= 0 && $0 < nodes.count && nodes[$0].diedAt == nil })
        case .killFraction(let fraction):
            var candidates = running.members
            let take = min(candidates.count, Int((Double(candidates.count) * fraction).rounded()))
            for index in 0..<take { candidates.swapAt(index, index + scenarioRandom.below(candidates.count - index)) }
            killNow(Array(candidates.prefix(take)))
        case .partition(let group, let healAt):
            for index in network.groups.indices { network.groups[index] = 0 }
            for node in group where node >= 0 && node < nodes.count { network.groups[node] = 1 }
            network.isPartitioned = true
            network.healAt = healAt
        case .partitionFraction(let fraction, let healAt):
            var candidates = Array(0..<nodes.count)
            let take = min(candidates.count, Int((Double(candidates.count) * fraction).rounded()))
            for index in 0..<take { candidates.swapAt(index, index + scenarioRandom.below(candidates.count - index)) }
            act(.partition(group: Array(candidates.prefix(take)), healAt: healAt))
        case .heal:
            network.isPartitioned = false
            network.healAt = nil
        case .setModule(let node, let behaviour):
            nodes[node].module = behaviour
        }
    }

    private mutating func announceNow(_ item: Int) {
        var origin = metrics.items[item].requestedOrigin
        if origin == nil {
            let fixed = originSet.filter { nodes[$0].isRunning }
            if !fixed.isEmpty {
                origin = fixed[scenarioRandom.below(fixed.count)]
            } else if originSet.isEmpty && running.count > 0 {
                origin = running.member(scenarioRandom.below(running.count))
            }
        }
        guard let node = origin, node >= 0, node < nodes.count, nodes[node].isRunning else {
            metrics.items[item].skipped = true
            return
        }
        if !nodes[node].announcerConnected {
            nodes[node].announcerConnected = true
            perform(protocols[node]!.moduleConnected(Self.announcerConnection, now: now), at: node)
        }
        let record = metrics.items[item]
        let announcement = GossipAnnounce(ttl: record.ttl, dataType: record.dataType, data: record.data)
        let effects = protocols[node]!.received(apiMessage: .announce(announcement), from: Self.announcerConnection, now: now)
        guard let id = protocols[node]!.engine.cache.newestIDs(1).last, metrics.itemByID[id] == nil else {
            metrics.items[item].skipped = true
            perform(effects, at: node)
            return
        }
        metrics.items[item].id = id
        metrics.items[item].origin = node
        metrics.items[item].announcedAt = clock
        metrics.items[item].grow(to: nodes.count)
        metrics.items[item].hops[node] = 0
        metrics.items[item].reach(node, now: clock)
        metrics.itemByID[id] = Int32(item)
        perform(effects, at: node)
    }

    private mutating func killNow(_ victims: [Int]) {
        guard !victims.isEmpty else { return }
        var dying = [Bool](repeating: false, count: nodes.count)
        for node in victims where nodes[node].diedAt == nil {
            dying[node] = true
            nodes[node].diedAt = clock
            nodes[node].nextTick = .max
            if nodes[node].startedAt != nil { running.remove(node) }
            protocols[node] = nil
        }
        for endpoint in network.endpoints.indices {
            let state = network.endpoints[endpoint]
            guard state.isOpen, dying[Int(state.node)] else { continue }
            network.close(endpoint)
            guard configuration.crashMode == .reset else { continue }
            let peer = Int(state.peer)
            guard network.endpoints[peer].isOpen, nodes[Int(network.endpoints[peer].node)].isRunning,
                let arrival = network.arrival(from: endpoint, now: clock, random: &networkRandom)
            else { continue }
            queue.schedule(.close, at: arrival, UInt32(peer))
        }
    }

    // MARK: Effects

    private mutating func perform(_ effects: [GossipEffect], at node: Int) {
        for effect in effects {
            switch effect {
            case .send(let links, let message):
                send(message, on: links, from: node)
            case .notify(let connections, let notification, let item):
                notified(node, connections: connections, notification: notification, item: item)
            case .dial(let target):
                dial(target, from: node)
            case .closeLink(let link, let reason):
                close(link, at: node, reason: reason)
            case .closeModule(let connection, _):
                metrics.modulesClosed += 1
                if connection == Self.subscriberConnection { nodes[node].module = .unsubscribed }
                perform(protocols[node]!.moduleDisconnected(connection, now: now), at: node)
            case .count(let counter, let amount):
                metrics.count(counter, amount, node: node)
            case .wake(let moment):
                let time = max(moment.nanoseconds, clock)
                if time < nodes[node].nextTick {
                    nodes[node].nextTick = time
                    queue.schedule(.tick, at: time, UInt32(node))
                }
            }
        }
    }

    private mutating func send(_ message: PeerMessage, on links: [LinkID], from node: Int) {
        guard !links.isEmpty else { return }
        var item: Int32 = -1
        if case .item(let carried) = message { item = metrics.itemByID[carried.id] ?? -1 }
        metrics.sent(message, size: message.encodedSize, copies: links.count, node: node, item: item)
        let slot = network.store(message, copies: links.count, item: item)
        var dropped = 0
        for link in links {
            let endpoint = Int(link.rawValue)
            guard endpoint < network.endpoints.count, network.endpoints[endpoint].isOpen,
                Int(network.endpoints[endpoint].node) == node
            else {
                dropped += 1
                continue
            }
            let peer = Int(network.endpoints[endpoint].peer)
            guard network.endpoints[peer].isOpen, nodes[Int(network.endpoints[peer].node)].diedAt == nil,
                let arrival = network.arrival(from: endpoint, now: clock, random: &networkRandom)
            else {
                dropped += 1
                continue
            }
            queue.schedule(.deliver, at: arrival, UInt32(peer), slot)
        }
        metrics.messagesDropped += dropped
        network.release(slot, count: dropped)
    }

    private mutating func notified(_ node: Int, connections: [ConnectionID], notification: GossipNotification, item id: ItemID) {
        guard connections.contains(Self.subscriberConnection) else { return }
        if let item = metrics.itemByID[id] {
            let index = Int(item)
            metrics.items[index].grow(to: nodes.count)
            metrics.items[index].notifications[node] &+= 1
            metrics.items[index].reach(node, now: clock)
        }
        let verdict: UInt32
        switch nodes[node].module {
        case .valid: verdict = 1
        case .invalid: verdict = 0
        case .silent, .unsubscribed: return
        }
        let delay = Self.nanoseconds(configuration.validationDelayMilliseconds / 1000)
        queue.schedule(.validation, at: clock &+ delay, UInt32(node), UInt32(notification.messageID) | verdict << 16)
    }

    private mutating func dial(_ target: Overlay.DialTarget, from node: Int) {
        metrics.dials += 1
        let latency = network.sampleLatency(using: &networkRandom)
        let slot = network.beginDial(.init(node: UInt32(node), target: target, startedAt: clock, latencyMicroseconds: latency))
        let arrival = clock &+ UInt64(latency) * 1000 &+ network.lossDelay(using: &networkRandom)
        queue.schedule(.connect, at: arrival, slot)
    }

    private mutating func close(_ link: LinkID, at node: Int, reason: CloseReason) {
        let endpoint = Int(link.rawValue)
        guard endpoint < network.endpoints.count, network.endpoints[endpoint].isOpen, Int(network.endpoints[endpoint].node) == node
        else { return }
        metrics.closed(reason)
        network.close(endpoint)
        perform(protocols[node]!.linkClosed(link, now: now), at: node)
        let peer = Int(network.endpoints[endpoint].peer)
        guard network.endpoints[peer].isOpen, nodes[Int(network.endpoints[peer].node)].diedAt == nil,
            let arrival = network.arrival(from: endpoint, now: clock, random: &networkRandom)
        else { return }
        queue.schedule(.close, at: arrival, UInt32(peer))
    }
}

/// What the progress line shows.
public struct SimulationProgress: Sendable {
    public var virtualSeconds: Double
    public var events: Int
    public var wallSeconds: Double
    public var runningNodes: Int
    public var itemsAnnounced: Int
    public var itemsTotal: Int
    public var pendingEvents: Int

    /// One line, e.g. `t=25.0s events=12.3M (1.1M/s) running=1000 items=50/100 queue=12345`.
    public var line: String {
        let rate = wallSeconds > 0 ? Double(events) / wallSeconds : 0
        return "t=\(format(virtualSeconds, 1))s events=\(abbreviated(Double(events))) (\(abbreviated(rate))/s) "
            + "running=\(runningNodes) items=\(itemsAnnounced)/\(itemsTotal) queue=\(pendingEvents) wall=\(format(wallSeconds, 0))s"
    }
}

/// The running nodes, for O(1) random picks, insertion and removal.
struct LiveSet: Sendable {
    private(set) var members: [Int] = []
    private var positions: [Int32] = []

    var count: Int { members.count }

    func member(_ index: Int) -> Int { members[index] }

    mutating func grow(to count: Int) {
        if positions.count < count { positions.append(contentsOf: repeatElement(-1, count: count - positions.count)) }
    }

    mutating func insert(_ node: Int) {
        guard positions[node] < 0 else { return }
        positions[node] = Int32(members.count)
        members.append(node)
    }

    mutating func remove(_ node: Int) {
        let position = Int(positions[node])
        guard position >= 0 else { return }
        let last = members.removeLast()
        if last != node {
            members[position] = last
            positions[last] = Int32(position)
        }
        positions[node] = -1
    }
}
