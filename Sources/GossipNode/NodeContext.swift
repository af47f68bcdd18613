import GossipConfig
import GossipCore
import GossipIdentity
import GossipWire
import Logging
import Synchronization

/// What enters the announce queue: a module's ANNOUNCE or a peer's ITEM.
enum QueuedItem: Sendable {
    case local(ConnectionID, GossipAnnounce)
    case peer(link: UInt64, GossipItem)

    /// Local announcements and peer items wait in lanes of their own.
    static let localLane = 0
    static let peerLane = 1
}

/// What the node's threads share: the protocol engine and the overlay behind their locks, the
/// live connections, the counters, the clock and the logs.
final class NodeContext: Sendable {
    let configuration: NodeConfiguration
    /// Signs our side of every P2P handshake.
    let key: NodeKey
    var identity: NodeIdentity { key.identity }
    let engine: Mutex<GossipEngine>
    let overlay: Mutex<Overlay>
    let apiConnections = Mutex<[ConnectionID: Connection]>([:])
    let peerLinks = Mutex<[UInt64: Connection]>([:])
    let statistics = NodeStatistics()
    let clock = NodeClock()
    let logger: Logger
    /// For reports about bad input, which a client controls and could otherwise use to flood the log.
    let abuseLog: RateLimitedLogger
    let announceQueue: BoundedQueue<QueuedItem>
    private let nextConnectionNumber = Atomic<UInt64>(1)
    /// Set when the node begins to stop: late dials and accepts are turned away.
    let isStopping = Atomic<Bool>(false)
    /// Reader threads (API and P2P) still running; `Node.stop` waits for them.
    let liveReaders = Atomic<Int>(0)
    /// The bound API port, once known, for STATUS replies.
    let apiPort = Atomic<UInt16>(0)

    init(configuration: NodeConfiguration, key: NodeKey, advertised: PeerAddress, logger: Logger, seed: UInt64?) {
        self.configuration = configuration
        self.key = key
        self.logger = logger
        self.abuseLog = RateLimitedLogger(logger: logger)
        var seeds = seed.map { SeededRandom(seed: $0) } ?? SeededRandom()
        let milliseconds: (Int) -> UInt64 = { UInt64($0) * 1_000_000 }
        self.engine = Mutex(
            GossipEngine(
                configuration: .init(
                    cacheSize: configuration.cacheSize,
                    validationTimeoutNanoseconds: milliseconds(configuration.validationTimeoutMilliseconds),
                    seenCapacity: configuration.seenCapacity,
                    seenTTLNanoseconds: milliseconds(configuration.seenTTLMilliseconds)),
                // Item IDs come from the system generator unless a test fixed the seed.
                random: seed.map { _ in SeededRandom(seed: seeds.next()) }))
        self.overlay = Mutex(
            Overlay(
                configuration: .init(
                    degree: configuration.degree,
                    viewCapacity: configuration.viewSize,
                    maximumLinks: configuration.maxPeerConnections,
                    gossipIntervalNanoseconds: milliseconds(configuration.gossipIntervalMilliseconds),
                    antiEntropyIntervalNanoseconds: milliseconds(configuration.antiEntropyIntervalMilliseconds),
                    pingIntervalNanoseconds: milliseconds(configuration.pingIntervalMilliseconds),
                    peerTimeoutNanoseconds: milliseconds(configuration.peerTimeoutMilliseconds),
                    idleTimeoutNanoseconds: milliseconds(configuration.linkIdleTimeoutMilliseconds)),
                selfIdentity: key.identity.bytes,
                selfAddress: advertised,
                bootstrappers: configuration.bootstrappers.map { Overlay.DialTarget(host: $0.host, port: $0.port) },
                random: SeededRandom(seed: seeds.next())))
        self.announceQueue = BoundedQueue(capacity: configuration.announceQueueCapacity, lanes: 2)
    }

    func makeConnectionNumber() -> UInt64 {
        nextConnectionNumber.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    // MARK: Local delivery

    /// Writes NOTIFICATIONs, each encoded once, with one write per subscriber for the whole batch.
    /// A subscriber whose outbox is full is disconnected: it stopped keeping up, and holding more
    /// would grow memory without bound.
    func deliver(_ deliveries: [GossipEngine.Delivery]) {
        guard !deliveries.isEmpty else { return }
        var batches: [ConnectionID: (bytes: [UInt8], count: Int)] = [:]
        for delivery in deliveries {
            let bytes = APIMessage.notification(delivery.notification).encoded()
            for subscriber in delivery.subscribers {
                batches[subscriber, default: ([], 0)].bytes.append(contentsOf: bytes)
                batches[subscriber]!.count += 1
            }
        }
        let targets = apiConnections.withLock { table in batches.keys.compactMap { table[$0] } }
        for connection in targets {
            let batch = batches[connection.apiID]!
            if connection.send(batch.bytes) { statistics.notificationsQueued.increment(by: batch.count) }
        }
    }

    // MARK: Spreading

    /// Sends each item to `degree` random established peers (all, if fewer), never back to the
    /// peer it came from; one write per peer for the whole batch.
    func spread(_ items: [(item: GossipItem, excluding: Set<UInt64>)]) {
        let spreadable = items.filter { $0.item.data.count <= PeerItem.maximumDataSize }
        statistics.itemsTooLargeToSpread.increment(by: items.count - spreadable.count)
        guard !spreadable.isEmpty else { return }
        let choices = overlay.withLock { $0.randomLinks(configuration.degree, excludingEach: spreadable.map(\.excluding)) }
        var batches: [UInt64: (bytes: [UInt8], count: Int)] = [:]
        for ((item, _), chosen) in zip(spreadable, choices) where !chosen.isEmpty {
            let bytes = PeerMessage.item(PeerItem(id: item.id, ttl: item.ttl, dataType: item.dataType, data: item.data)).encoded()
            for link in chosen {
                batches[link, default: ([], 0)].bytes.append(contentsOf: bytes)
                batches[link]!.count += 1
            }
        }
        guard !batches.isEmpty else { return }
        let targets = peerLinks.withLock { table in batches.keys.compactMap { table[$0] } }
        for link in targets {
            let batch = batches[link.number]!
            if link.send(batch.bytes) { statistics.peerItemsSent.increment(by: batch.count) }
        }
    }

    /// Accounts for items whose validation ended, and forwards peer items found valid.
    func settle(_ completions: [ValidationTracker.Completion]) {
        guard !completions.isEmpty else { return }
        let forwards = engine.withLock { engine in completions.map { engine.settle($0) } }
        var spreads: [(item: GossipItem, excluding: Set<UInt64>)] = []
        for (completion, forward) in zip(completions, forwards) {
            switch completion.outcome {
            case .timedOut:
                statistics.validationsTimedOut.increment()
                logger.debug("validation timed out", metadata: ["message_id": "\(completion.messageID)", "item": "\(completion.itemID)"])
            case .invalid:
                if case .peer = completion.origin { statistics.itemsDroppedInvalid.increment() }
            case .valid:
                break
            }
            if let forward {
                statistics.itemsForwardedAfterValidation.increment()
                spreads.append((forward.item, forward.excluding))
            }
        }
        spread(spreads)
    }

    // MARK: Peer links

    /// Sends one message to a peer link, if it is still open.
    func send(_ message: PeerMessage, to link: UInt64) {
        guard let connection = peerLinks.withLock({ $0[link] }) else { return }
        connection.send(message.encoded())
    }

    /// Carries out what the overlay decided.
    func perform(_ actions: [Overlay.Action], dialer: @Sendable (Overlay.DialTarget) -> Void) {
        for action in actions {
            switch action {
            case .dial(let target):
                dialer(target)
            case .send(let link, let message):
                send(message, to: link)
            case .close(let link, let reason):
                peerLinks.withLock { $0[link] }?.terminate(NodeStatistics.CloseReason(reason), detail: "overlay decision")
            case .antiEntropy(let link):
                let ids = engine.withLock { $0.digest(limit: configuration.digestSize) }
                if !ids.isEmpty { send(.digest(ids), to: link) }
            }
        }
    }
}

extension NodeStatistics.CloseReason {
    init(_ reason: Overlay.CloseReason) {
        switch reason {
        case .selfConnection: self = .selfConnection
        case .duplicate: self = .duplicateLink
        case .versionMismatch: self = .versionMismatch
        case .unresponsive: self = .unresponsive
        case .handshakeTimeout: self = .handshakeTimeout
        case .overCapacity: self = .overCapacity
        case .idle: self = .idle
        }
    }
}
