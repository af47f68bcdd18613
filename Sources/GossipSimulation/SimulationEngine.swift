import Foundation
import GossipConfig
import GossipCore
import GossipWire
import HeapModule

/// The machinery behind `Simulation`: the coordinator of the partitions.
///
/// The nodes are split into partitions (node n in partition n % count), each with its own event
/// queue. Node events run in windows no longer than the network's minimum latency, in which no
/// partition can affect another, so partitions run them on parallel threads; scenario steps
/// (announcements, kills, partitions, starts that pick a random running contact) run between
/// windows. Events are ordered by time, then by the node that scheduled them and its own count,
/// and every random draw of a node's comes from the node's own generator, so a seed gives the
/// same run whatever the thread count.
final class SimulationEngine {
    /// A scenario step, run between windows.
    enum Action: Sendable {
        case start(node: Int)
        case announce(item: Int)
        case kill([Int])
        case killFraction(Double)
        case partition(group: [Int], healAt: UInt64?)
        case partitionFraction(Double, healAt: UInt64?)
        case heal
        case setModule(node: Int, ModuleBehaviour)
    }

    struct ScheduledAction: Comparable, Sendable {
        var time: UInt64
        var sequence: UInt64
        var action: Int

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence) }
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
    }

    let configuration: SimulationConfiguration
    let shared: SharedState
    let partitions: [SimulationPartition]
    private var pool: WorkerPool?

    /// Virtual nanoseconds.
    private(set) var clock: UInt64 = 0
    private var actionQueue = Heap<ScheduledAction>()
    private var actions: [Action] = []
    private var actionSequence: UInt64 = 0
    /// Scenario choices: modules, contacts, origins, victims.
    private var scenarioRandom: SeededRandom
    /// Seeds each node's own generator.
    private let nodeSeed: UInt64
    var running = LiveSet()
    /// Nodes fixed as origins (`originCount`).
    private var originSet: [Int] = []
    var items: [ItemInfo] = []
    private var itemIDs: [ItemID: Int32] = [:]
    private let itemData: [UInt8]

    private var wallSpent: UInt64 = 0
    private var lastProgress: UInt64 = 0
    /// Windows run, and those run on several threads.
    private(set) var windows = 0
    private(set) var parallelWindows = 0
    /// Called about every 2 s of wall time while `run` works (nil: quiet).
    var progressHandler: ((SimulationProgress) -> Void)?

    // MARK: Setting up

    public init(configuration: SimulationConfiguration) {
        self.configuration = configuration
        var seeder = SeededRandom(seed: configuration.seed)
        scenarioRandom = SeededRandom(seed: seeder.next())
        nodeSeed = seeder.next()
        let identityMix = seeder.next()
        let model = NetworkModel(
            latency: configuration.latency, lossRate: configuration.lossRate,
            retransmissionTimeoutMilliseconds: configuration.retransmissionTimeoutMilliseconds,
            connectTimeoutMilliseconds: configuration.node.connectTimeoutMilliseconds)
        var threads = configuration.threads
        if threads <= 0 {
            threads = configuration.nodeCount >= 5000 ? min(2, ProcessInfo.processInfo.activeProcessorCount) : 1
        }
        if model.lookahead == 0 { threads = 1 }  // no latency, no window to share
        let shared = SharedState(
            configuration: configuration, partitionCount: max(1, threads), identityMix: identityMix)
        self.shared = shared
        partitions = (0..<shared.partitionCount).map { SimulationPartition(index: $0, shared: shared) }
        itemData = [UInt8](repeating: 0, count: configuration.itemSize)
        setUpConfiguredRun()
    }

    deinit {
        pool?.stop()
    }

    /// Partitions (and so at most threads) this run uses.
    var partitionCount: Int { partitions.count }

    /// Schedules the configured population, items, churn and partition.
    private func setUpConfiguredRun() {
        let c = configuration
        let total = c.nodeCount
        let late = Int((Double(total) * c.lateJoinerFraction).rounded(.down))
        let early = total - late
        // Nodes that start before any other scenario step runs can have their random contact
        // picked now, among the nodes started before them: they then start inside windows.
        var firstStep = c.itemCount > 0 ? c.firstItemSeconds : Double.infinity
        if c.killFraction > 0 { firstStep = min(firstStep, c.effectiveKillSeconds) }
        if c.partitionFraction > 0 { firstStep = min(firstStep, c.effectivePartitionSeconds) }
        for index in 0..<total {
            let start: Double
            if index < early {
                start = early > 1 ? c.joinSpreadSeconds * Double(index) / Double(early) : 0
            } else {
                let span = c.lastItemSeconds - c.firstItemSeconds
                start = c.firstItemSeconds + span * Double(index - early + 1) / Double(late + 1)
            }
            let module = pickModule()
            var contacts: [Int]?
            if c.join == .random && start < firstStep {
                contacts = index == 0 ? [] : [scenarioRandom.below(index)]
            }
            addNode(at: start, bootstrappers: contacts, module: module)
        }
        if c.originCount > 0 && early > 0 {
            var candidates = Array(0..<early)
            let take = min(c.originCount, candidates.count)
            for index in 0..<take { candidates.swapAt(index, index + scenarioRandom.below(candidates.count - index)) }
            originSet = Array(candidates.prefix(take))
        }
        for index in 0..<c.itemCount {
            announce(from: nil, at: c.firstItemSeconds + Double(index) / c.itemRate)
        }
        if c.killFraction > 0 {
            schedule(.killFraction(c.killFraction), at: Self.nanoseconds(c.effectiveKillSeconds))
        }
        if c.partitionFraction > 0 {
            let heal = c.healAtSeconds.map(Self.nanoseconds)
            schedule(
                .partitionFraction(c.partitionFraction, healAt: heal), at: Self.nanoseconds(c.effectivePartitionSeconds)
            )
            if let heal { schedule(.heal, at: heal) }
        }
    }

    private func pickModule() -> ModuleBehaviour {
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

    private func schedule(_ action: Action, at time: UInt64) {
        actions.append(action)
        actionSequence += 1
        actionQueue.insert(ScheduledAction(time: max(time, clock), sequence: actionSequence, action: actions.count - 1))
    }

    // MARK: Scripting

    /// Adds a node that starts at `seconds` (nil: now) and returns its index.
    ///
    /// - Parameters:
    ///   - bootstrappers: nodes it bootstraps from; nil: the configured join mode decides when it starts.
    ///   - module: what its local module does.
    ///   - configure: changes to the node knobs for this node only.
    @discardableResult
    func addNode(
        at seconds: Double? = nil, bootstrappers: [Int]? = nil, module: ModuleBehaviour = .valid,
        configure: ((inout NodeConfiguration) -> Void)? = nil
    ) -> Int {
        let index = shared.nodes.count
        precondition(index < (1 << 24) - 2, "at most 16,777,213 nodes")
        var configurationIndex: UInt16 = 0
        if let configure {
            var node = configuration.node
            configure(&node)
            shared.protocolConfigurations.append(node.simulatedProtocolConfiguration)
            precondition(shared.protocolConfigurations.count <= Int(UInt16.max), "too many node configurations")
            configurationIndex = UInt16(shared.protocolConfigurations.count - 1)
        }
        // Known bootstrappers let the node start inside a window, on its partition's thread; a
        // random running contact is picked between windows instead.
        var list: Int32 = -1
        if let known = bootstrappers ?? fixedBootstrappers(of: index) {
            shared.bootstrapLists.append(known)
            list = Int32(shared.bootstrapLists.count - 1)
        }
        let start = moment(seconds)
        shared.nodes.append(
            NodeState(startAt: start, module: module, configuration: configurationIndex, bootstrapList: list))
        shared.isDead.append(false)
        shared.modules.append(module)
        shared.groups.append(0)
        running.grow(to: shared.nodes.count)
        let partition = partitions[shared.partition(of: index)]
        partition.addNode(index, seed: SimulatedSigner.mixBits(nodeSeed ^ UInt64(index) &* 0xD6E8_FEB8_6659_FD93))
        if list >= 0 {
            partition.scheduleStart(shared.local(index), at: start)
        } else {
            schedule(.start(node: index), at: start)
        }
        return index
    }

    /// Announces an item from `node`'s local module at `seconds` (nil: now); returns the item's
    /// index in the report. With `node` nil, a random running node announces it (one of a fixed
    /// origin set if the configuration has one).
    @discardableResult
    func announce(
        from node: Int?, at seconds: Double? = nil, ttl: UInt8? = nil, dataType: UInt16? = nil, data: [UInt8]? = nil
    ) -> Int {
        let index = items.count
        items.append(
            ItemInfo(
                index: index, requestedOrigin: node, ttl: ttl ?? configuration.itemTTL,
                dataType: dataType ?? configuration.dataType,
                data: data ?? itemData))
        schedule(.announce(item: index), at: moment(seconds))
        return index
    }

    /// Kills `nodes` at `seconds` (nil: now); the crash mode decides what their peers see.
    func kill(_ nodes: [Int], at seconds: Double? = nil) {
        schedule(.kill(nodes), at: moment(seconds))
    }

    /// Cuts `group` off from every other node at `seconds` (nil: now) until `healAt` (nil: never).
    func partition(_ group: [Int], at seconds: Double? = nil, healAt: Double? = nil) {
        let heal = healAt.map(Self.nanoseconds)
        schedule(.partition(group: group, healAt: heal), at: moment(seconds))
        if let heal { schedule(.heal, at: heal) }
    }

    /// Changes what `node`'s module answers from `seconds` on (nil: now). A module can move
    /// between `.valid`, `.invalid` and `.silent`; `.unsubscribed` is fixed when the node is added.
    func setModule(_ node: Int, _ behaviour: ModuleBehaviour, at seconds: Double? = nil) {
        precondition(
            behaviour != .unsubscribed && shared.nodes[node].module != .unsubscribed, "subscription is fixed per node")
        schedule(.setModule(node: node, behaviour), at: moment(seconds))
    }

    // MARK: Running

    /// Plays every event up to `seconds` of virtual time; the clock then reads `seconds`.
    func run(until seconds: Double) {
        let limit = Self.nanoseconds(seconds)
        let began = monotonicNanoseconds()
        if lastProgress == 0 { lastProgress = began }
        let lookahead = shared.model.lookahead
        while true {
            let nextAction = actionQueue.min?.time ?? .max
            var nextEvent = UInt64.max
            for partition in partitions {
                if let time = partition.queue.nextTime, time < nextEvent { nextEvent = time }
            }
            let next = min(nextAction, nextEvent)
            guard next <= limit else { break }
            if nextAction <= nextEvent {
                clock = nextAction
                while let first = actionQueue.min, first.time == nextAction {
                    _ = actionQueue.popMin()
                    act(actions[first.action])
                }
                exchange()
            } else {
                var end = min(nextAction, limit == .max ? .max : limit + 1)
                if partitions.count > 1 { end = min(end, nextEvent &+ lookahead) }
                runWindow(from: nextEvent, until: end)
                clock = max(clock, end &- 1)
            }
            if let progressHandler, windows & 0x3F == 0 {
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
    func run() -> SimulationReport {
        run(until: configuration.endSeconds)
        return report()
    }

    /// Wall seconds spent in `run` so far.
    var wallSeconds: Double { Double(wallSpent) / 1e9 }

    /// Events handled so far.
    var eventCount: Int { partitions.reduce(0) { $0 + $1.metrics.tallies.events } }

    private func runWindow(from start: UInt64, until end: UInt64) {
        windows += 1
        // A window cut short by a scenario step holds too little work to hand out.
        if partitions.count == 1 || end &- start < shared.model.lookahead / 4 {
            for partition in partitions { partition.runWindow(until: end) }
        } else {
            parallelWindows += 1
            if pool == nil { pool = WorkerPool(helpers: partitions.count - 1) }
            let partitions = self.partitions
            pool!.run { index in partitions[index].runWindow(until: end) }
        }
        exchange()
    }

    /// Hands each partition the events the others scheduled for it, and takes note of the nodes
    /// that started in the window (in order of time, then index, whatever the partitioning).
    private func exchange() {
        var started: [(time: UInt64, node: Int)] = []
        for partition in partitions where !partition.started.isEmpty {
            started += partition.started
            partition.started.removeAll(keepingCapacity: true)
        }
        if !started.isEmpty {
            started.sort { ($0.time, $0.node) < ($1.time, $1.node) }
            for (time, node) in started {
                shared.nodes[node].startedAt = time
                running.insert(node)
            }
        }
        guard partitions.count > 1 else { return }
        for source in partitions {
            for destination in partitions where !source.outbox[destination.index].isEmpty {
                destination.receive(source.outbox[destination.index])
                source.outbox[destination.index].removeAll(keepingCapacity: true)
            }
        }
    }

    func progress(wallSeconds: Double) -> SimulationProgress {
        SimulationProgress(
            virtualSeconds: Double(clock) / 1e9, events: eventCount, wallSeconds: wallSeconds,
            runningNodes: running.count,
            itemsAnnounced: items.count { $0.announcedAt != nil || $0.skipped }, itemsTotal: items.count,
            pendingEvents: partitions.reduce(0) { $0 + $1.queue.count })
    }

    // MARK: Scenario steps

    private func act(_ action: Action) {
        for partition in partitions { partition.clock = clock }
        switch action {
        case .start(let node):
            start(node)
        case .announce(let item):
            announceNow(item)
        case .kill(let victims):
            killNow(victims.filter { $0 >= 0 && $0 < shared.nodes.count })
        case .killFraction(let fraction):
            var candidates = running.members
            let take = min(candidates.count, Int((Double(candidates.count) * fraction).rounded()))
            for index in 0..<take { candidates.swapAt(index, index + scenarioRandom.below(candidates.count - index)) }
            killNow(Array(candidates.prefix(take)))
        case .partition(let group, let healAt):
            for index in shared.groups.indices { shared.groups[index] = 0 }
            for node in group where node >= 0 && node < shared.nodes.count { shared.groups[node] = 1 }
            shared.isPartitioned = true
            shared.healAt = healAt
        case .partitionFraction(let fraction, let healAt):
            var candidates = Array(0..<shared.nodes.count)
            let take = min(candidates.count, Int((Double(candidates.count) * fraction).rounded()))
            for index in 0..<take { candidates.swapAt(index, index + scenarioRandom.below(candidates.count - index)) }
            act(.partition(group: Array(candidates.prefix(take)), healAt: healAt))
        case .heal:
            shared.isPartitioned = false
            shared.healAt = nil
        case .setModule(let node, let behaviour):
            shared.nodes[node].module = behaviour
            shared.modules[node] = behaviour
        }
    }

    private func start(_ node: Int) {
        guard shared.nodes[node].startedAt == nil, shared.nodes[node].diedAt == nil else { return }
        let contacts = randomContact()
        shared.bootstrapLists.append(contacts)
        shared.nodes[node].bootstrapList = Int32(shared.bootstrapLists.count - 1)
        shared.nodes[node].startedAt = clock
        running.insert(node)
        partitions[shared.partition(of: node)].start(shared.local(node), bootstrappers: contacts)
    }

    /// The join mode's bootstrappers for `node` when they do not depend on who runs: nil for
    /// `.random` (a random running node, picked when it starts).
    private func fixedBootstrappers(of node: Int) -> [Int]? {
        configuration.join.fixedBootstrappers(of: node, seedCount: configuration.seedCount)
    }

    /// A random running node (none if nobody runs) for a node of the `.random` join mode.
    private func randomContact() -> [Int] {
        running.count > 0 ? [running.member(scenarioRandom.below(running.count))] : []
    }

    private func announceNow(_ item: Int) {
        var origin = items[item].requestedOrigin
        if origin == nil {
            let fixed = originSet.filter { shared.nodes[$0].isRunning }
            if !fixed.isEmpty {
                origin = fixed[scenarioRandom.below(fixed.count)]
            } else if originSet.isEmpty && running.count > 0 {
                origin = running.member(scenarioRandom.below(running.count))
            }
        }
        guard let node = origin, node >= 0, node < shared.nodes.count, shared.nodes[node].isRunning else {
            items[item].skipped = true
            return
        }
        let partition = partitions[shared.partition(of: node)]
        let local = shared.local(node)
        let connect = !shared.nodes[node].announcerConnected
        shared.nodes[node].announcerConnected = true
        let info = items[item]
        let (effects, id) = partition.announce(
            GossipAnnounce(ttl: info.ttl, dataType: info.dataType, data: info.data), at: local,
            connectAnnouncer: connect)
        guard let id, itemIDs[id] == nil else {
            items[item].skipped = true
            partition.perform(effects, at: local)
            return
        }
        items[item].id = id
        items[item].origin = node
        items[item].announcedAt = clock
        itemIDs[id] = Int32(item)
        for each in partitions { each.registerItem(item, id: id, announcedAt: clock) }
        partition.markOrigin(local, item: item)
        partition.perform(effects, at: local)
    }

    private func killNow(_ victims: [Int]) {
        var byPartition = [[Int]](repeating: [], count: partitions.count)
        for node in victims.sorted() where shared.nodes[node].diedAt == nil {
            shared.nodes[node].diedAt = clock
            shared.isDead[node] = true
            if shared.nodes[node].startedAt != nil {
                running.remove(node)
                byPartition[shared.partition(of: node)].append(shared.local(node))
            }
        }
        for (index, locals) in byPartition.enumerated() where !locals.isEmpty {
            partitions[index].kill(locals)
        }
    }
}

/// What the progress line shows.
public struct SimulationProgress: Sendable {
    public var virtualSeconds: Double
    public var events: Int
    var wallSeconds: Double
    public var runningNodes: Int
    public var itemsAnnounced: Int
    public var itemsTotal: Int
    public var pendingEvents: Int

    /// One line, e.g. `t=25.0s events=12.3M (1.1M/s) running=1000 items=50/100 queue=12345 wall=12s`.
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
