import GossipConfig
import GossipCore
import GossipWire
import Logging
import Synchronization

/// What the node's threads share: the protocol engine behind its lock, the live API connections,
/// the counters, the clock and the logs.
final class NodeContext: Sendable {
    let configuration: NodeConfiguration
    let engine: Mutex<GossipEngine>
    let connections = Mutex<[ConnectionID: APIConnection]>([:])
    let statistics = NodeStatistics()
    let clock = NodeClock()
    let logger: Logger
    /// For reports about bad input, which a client controls and could otherwise use to flood the log.
    let abuseLog: RateLimitedLogger
    let announceQueue: BoundedQueue<(ConnectionID, GossipAnnounce)>
    private let nextConnectionID = Atomic<UInt64>(1)

    init(configuration: NodeConfiguration, logger: Logger, random: SeededRandom) {
        self.configuration = configuration
        self.logger = logger
        self.abuseLog = RateLimitedLogger(logger: logger)
        self.engine = Mutex(
            GossipEngine(
                configuration: .init(
                    cacheSize: configuration.cacheSize,
                    validationTimeoutNanoseconds: UInt64(configuration.validationTimeoutMilliseconds) * 1_000_000),
                random: random))
        self.announceQueue = BoundedQueue(capacity: configuration.announceQueueCapacity)
    }

    func makeConnectionID() -> ConnectionID {
        ConnectionID(nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    /// Writes one NOTIFICATION to every listed subscriber, encoded once. A subscriber whose outbox
    /// is full is disconnected: it stopped keeping up, and holding more would grow memory without bound.
    func deliver(_ delivery: GossipEngine.Delivery) {
        let bytes = APIMessage.notification(delivery.notification).encoded()
        let targets = connections.withLock { table in delivery.subscribers.compactMap { table[$0] } }
        for connection in targets {
            switch connection.sender.enqueue(bytes) {
            case .queued:
                statistics.notificationsQueued.increment()
            case .full:
                connection.terminate(.outboxOverflow, detail: "outbox over \(configuration.outboxCapacityBytes) bytes")
            case .closed:
                break
            }
        }
    }

    /// Accounts for items whose validation ended.
    func record(_ completions: [ValidationTracker.Completion]) {
        for completion in completions where completion.outcome == .timedOut {
            statistics.validationsTimedOut.increment()
            logger.debug("validation timed out", metadata: ["message_id": "\(completion.messageID)", "item": "\(completion.itemID)"])
        }
    }
}
