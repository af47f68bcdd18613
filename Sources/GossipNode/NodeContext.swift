import GossipConfig
import GossipCore
import GossipWire
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What enters the item queue: a module's ANNOUNCE or a peer's ITEM, both bound for the core,
/// with the moment it was read (the first-sight-to-delivery metric).
enum InboundItem: Sendable {
    case local(ConnectionID, GossipAnnounce, read: Moment)
    case peer(LinkID, GossipItem, read: Moment)

    /// When it was read, by the node clock.
    var read: Moment {
        switch self {
        case .local(_, _, let read), .peer(_, _, let read): read
        }
    }

    /// Local announcements and peer items wait in lanes of their own.
    static let localLane = 0
    static let peerLane = 1
}

/// What the node's threads share: the protocol core behind its one lock, the live connections,
/// the counters, the clock and the logs. Threads turn bytes into the core's events and hand the
/// effects it returns to `perform`.
final class NodeContext: Sendable {
    let configuration: NodeConfiguration
    /// The whole protocol: every rule lives here, behind one lock.
    let core: FairMutex<GossipProtocol>
    let identity: PeerIdentity
    /// Makes and checks the handshakes' signatures, which the core asks for
    /// (`GossipEffect.handshakeWork`) and each link's reader does with the core unlocked.
    let signer: any HandshakeSigner
    /// Bounds how many of those (with a slow key) the readers do at once.
    let handshakeWorkSlots: HandshakeWorkSlots
    let apiConnections = FairMutex<[ConnectionID: Connection]>([:])
    let peerLinks = FairMutex<[LinkID: Connection]>([:])
    let statistics = NodeStatistics()
    /// The node's metrics, if it was given a metrics factory (gossipd with `admin_address`).
    let metrics: NodeMetrics?
    let clock: any NodeClock
    let logger: Logger
    /// For reports about bad input, which a client controls and could otherwise use to flood the log.
    let abuseLog: RateLimitedLogger
    /// Debug lines that follow each item (`item=<id>`); nothing is collected for them at info.
    let itemLog: ItemLog
    let itemQueue: BoundedQueue<InboundItem>
    /// When the core next wants its `tick`.
    let wakeups: WakeSchedule
    /// Opens outbound links; set once by the P2P server before anything runs.
    let dialer = Mutex<(@Sendable (Overlay.DialTarget) -> Void)?>(nil)
    private let nextConnectionNumber = Atomic<UInt64>(1)
    /// Set when the node begins to stop: late dials and accepts are turned away.
    let isStopping = Atomic<Bool>(false)
    /// Reader threads (API and P2P) still running; `Node.stop` waits for them.
    let liveReaders = Atomic<Int>(0)
    /// The bound API port, once known, for STATUS replies.
    let apiPort = Atomic<UInt16>(0)
    /// When the node was made, on its own clock (uptime in STATUS).
    let started: Moment
    /// Who may use the API (`api_allow`, `api_token`): read per connection, so a reload applies
    /// to connections made after it.
    let apiAccess: Mutex<APIAccess>
    /// Who watches the items passing through (`ItemObservers`); the core reports them only while
    /// someone does.
    let observers: ItemObservers
    /// The limits a reload may change (outbox bound, API connections, frame, write and connect
    /// timeouts).
    let limits: FairMutex<RunTimeLimits>

    struct APIAccess: Sendable {
        var allow: [NetworkPrefix]
        var token: [UInt8]?

        init(_ configuration: NodeConfiguration) {
            allow = configuration.apiAllow
            token = configuration.apiToken.map { Array($0.utf8) }
        }
    }

    init(
        configuration: NodeConfiguration, signer: any HandshakeSigner, advertised: PeerAddress, clock: any NodeClock,
        logger: Logger, seed: UInt64?, savedPeers: [PeerEntry] = [], metrics: NodeMetrics? = nil,
        observers: ItemObservers = ItemObservers(), handshakeWorkSlots: HandshakeWorkSlots = HandshakeWorkSlots()
    ) {
        self.handshakeWorkSlots = handshakeWorkSlots
        self.metrics = metrics
        self.configuration = configuration
        self.identity = signer.identity
        self.signer = signer
        self.clock = clock
        self.wakeups = WakeSchedule(clock: clock)
        self.started = clock.now()
        self.apiAccess = Mutex(APIAccess(configuration))
        self.limits = FairMutex(RunTimeLimits(configuration))
        self.logger = logger
        self.abuseLog = RateLimitedLogger(logger: logger)
        self.itemLog = ItemLog(logger: logger)
        var random = seed.map { SeededRandom(seed: $0) } ?? SeededRandom()
        var protocolConfiguration = configuration.protocolConfiguration
        // Item IDs carry the Unix second of their announcement: tell the core where the wall
        // clock stood when the node's clock read zero.
        let wallNow = UInt64(max(0, time(nil)))
        protocolConfiguration.engine.unixSecondsAtZero = wallNow - min(wallNow, clock.now().nanoseconds / 1_000_000_000)
        protocolConfiguration.engine.reservedItems = ItemTableRoom.entries
        protocolConfiguration.broadcast.reservedItems = ItemTableRoom.entries
        var core = GossipProtocol(
            configuration: protocolConfiguration, signer: signer, selfAddress: advertised,
            bootstrappers: configuration.bootstrapTargets, random: &random,
            // Item IDs come from the system generator unless a test fixed the seed.
            fixedItemIDs: seed != nil)
        core.rememberPeers(savedPeers)  // dialed from the passive view, before the bootstrappers are needed
        self.core = FairMutex(core)
        self.savedPeers = Mutex(savedPeers)
        self.itemQueue = BoundedQueue(capacity: configuration.announceQueueCapacity, lanes: 2)
        self.observers = observers
        observers.onChange { [weak self] watched in self?.refreshObservation(watched: watched) }
    }

    /// Whether an observer (tap, recorder) is attached, as the hub last said.
    private let observersWatching = Atomic<Bool>(false)

    /// Tells the core whether to report items (`observesItems`): while an observer is attached, or
    /// while the item log is at debug (it names the verdicts a tick reaches from them). Called by
    /// the hub when observers come and go (`watched`), and after the log level changed.
    func refreshObservation(watched: Bool? = nil) {
        if let watched { observersWatching.store(watched, ordering: .relaxed) }
        let on = observersWatching.load(ordering: .relaxed) || itemLog.isEnabled
        core.withLock { $0.observesItems = on }
    }

    /// Where the long-lived peers are kept, if anywhere (`PeerStateFile`).
    var peerStatePath: String? { configuration.hostkeyPath.map(PeerStateFile.path(forHostkey:)) }

    /// What the peer state file holds: loaded at start, then what `savePeers` last wrote. Its lock
    /// also keeps two saves (the ticker's and the one at stop) from writing at once.
    let savedPeers: Mutex<[PeerEntry]>

    /// Writes the longest-lived neighbours to the peer state file, if the node keeps one, topped
    /// up from what the file held (a node that has few links yet keeps its older peers).
    func savePeers() {
        guard let path = peerStatePath else { return }
        let current = core.withLock { $0.overlay.longLivedPeers(limit: PeerStateFile.capacity) }
        savedPeers.withLock { saved in
            var seen = Set(current.map(\.identity))
            let peers = Array((current + saved.filter { seen.insert($0.identity).inserted }).prefix(PeerStateFile.capacity))
            guard !peers.isEmpty, peers != saved else { return }
            if PeerStateFile.save(peers, to: path, logger: logger) { saved = peers }
        }
    }

    /// Connections (API and P2P) closed so far: the memory trimmer's cue.
    let connectionsClosed = Atomic<Int>(0)

    /// A subscribed module that fell behind, and since when.
    typealias ModuleBehind = (since: Moment, module: Connection)

    /// The subscribed modules that are behind, by connection number: one falls behind when its
    /// outbox holds more than half its bound (the one in force: after a smaller `outbox_bytes`, a
    /// fuller outbox keeps its old bound until it drains) and stays behind until it is down to a
    /// quarter. `previous` is the last answer.
    func modulesBehind(_ previous: [UInt64: ModuleBehind], now: Moment) -> [UInt64: ModuleBehind] {
        // Looked at under the table's lock, without a copy of it: the handler asks once for every
        // round, and a reader before each item it handles in the handler's stead; nearly always
        // nobody is behind.
        apiConnections.withLock { table in
            var behind: [UInt64: ModuleBehind] = [:]
            for module in table.values where module.isSubscriber.load(ordering: .relaxed) && !module.isClosing {
                let capacity = module.sender.capacityBytes
                let backlog = module.sender.backlogBytes
                if let since = previous[module.number]?.since, backlog > capacity / 4 {
                    behind[module.number] = (since, module)
                } else if backlog > capacity / 2 {
                    behind[module.number] = (now, module)
                }
            }
            return behind
        }
    }

    /// How long peer items may wait for a lagging module before it is cut off: as long as a
    /// validation may take (its pending items time out by then anyway), but under half the peer
    /// timeout (held-back readers answer no PING meanwhile), and at least a second.
    var lagLimit: Duration {
        let (validation, peer) = limits.withLock { ($0.validationTimeoutMilliseconds, $0.peerTimeoutMilliseconds) }
        return .milliseconds(max(1000, min(validation, peer / 2)))
    }

    func makeConnectionNumber() -> UInt64 {
        nextConnectionNumber.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Runs `body` on the core under its lock, then carries out the effects it returned.
    /// The time is read under the lock, so the core sees moments in the order it sees events.
    func withCore(_ body: (inout GossipProtocol, Moment) -> [GossipEffect]) {
        let effects = core.withLock { body(&$0, clock.now()) }
        perform(effects)
    }

    /// As `withCore`, and `whileLocked` sees the core and the effects before the lock is released:
    /// for what must be done before any other thread can act on the event's outcome. It may take
    /// effects out that it carried out itself.
    func withCore(
        _ body: (inout GossipProtocol, Moment) -> [GossipEffect], whileLocked: (GossipProtocol, inout [GossipEffect]) -> Void
    ) {
        let effects = core.withLock { core in
            var effects = body(&core, clock.now())
            whileLocked(core, &effects)
            return effects
        }
        perform(effects)
    }

    /// Carries out the core's effects. Each message is encoded once, and everything bound for one
    /// connection goes out in one write, so a handler batch costs one write per connection.
    func perform(_ effects: [GossipEffect]) {
        guard !effects.isEmpty else { return }
        var toModules = WriteBatches<ConnectionID>()
        var toPeers = WriteBatches<LinkID>()
        var closes: [GossipEffect] = []
        for effect in effects {
            switch effect {
            case .notify(let subscribers, let notification, _):
                let bytes = APIMessage.notification(notification).encoded()
                for subscriber in subscribers { toModules.add(bytes, for: subscriber) }
            case .send(let links, let message):
                let bytes = message.encoded()
                metrics?.countFramesOut(type: message.type.rawValue, frames: links.count, bytes: bytes.count * links.count)
                let isItem = message.type == .peerItem
                for link in links { toPeers.add(bytes, for: link, isItem: isItem) }
            case .dial(let target):
                dialer.withLock { $0 }?(target)
            case .closeLink, .closeModule:
                closes.append(effect)  // after the writes, so a HELLO before an over-capacity close goes out
            case .count(let counter, let amount):
                statistics.count(counter, by: amount)
            case .wake(let moment):
                wakeups.schedule(moment)
            case .secureLink:
                break  // installed by the link's reader while it held the core (P2PServer.serve)
            case .handshakeWork:
                // Done by the link's reader, which alone hands HELLO and AUTH to the core and takes
                // the work out of their effects (P2PServer.serve); no other event asks for any.
                assertionFailure("handshake work outside the link's reader")
            case .observed(let observation):
                observers.publish(observation)
            }
        }
        if !toModules.isEmpty {
            let targets = apiConnections.withLock { table in toModules.batches.map { table[$0.key] } }
            for (connection, batch) in zip(targets, toModules.batches) {
                guard let connection else { continue }
                if connection.send(batch.bytes, frames: batch.frames) { statistics.notificationsQueued.increment(by: batch.frames) }
            }
        }
        if !toPeers.isEmpty {
            let targets = peerLinks.withLock { table in toPeers.batches.map { table[$0.key] } }
            for (link, batch) in zip(targets, toPeers.batches) {
                guard let link else { continue }
                if link.send(batch.bytes, frames: batch.frames) { statistics.peerItemsSent.increment(by: batch.items) }
            }
        }
        for effect in closes {
            switch effect {
            case .closeLink(let link, let reason):
                peerLinks.withLock { $0[link] }?.terminate(reason, detail: "protocol decision")
            case .closeModule(let connection, let reason):
                apiConnections.withLock { $0[connection] }?.terminate(reason, detail: "protocol decision")
            default:
                break
            }
        }
    }
}
