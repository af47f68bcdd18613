import GossipConfig
import GossipCore
import GossipSockets
import Logging
import Synchronization

/// A gossip node: the API server, the announce queue and its handler, wired to one engine.
///
/// ```swift
/// let node = Node(configuration: configuration)
/// try node.start()
/// // ... modules connect to node.apiPort ...
/// node.stop()
/// ```
public final class Node: Sendable {
    private let context: NodeContext
    private let state = Mutex<State>(.idle)

    private enum State {
        case idle
        case running(APIServer, AnnounceHandler)
        case stopped
    }

    /// - Parameters:
    ///   - seed: fixes the node's random choices (item IDs); nil seeds from the system.
    public init(configuration: NodeConfiguration, logger: Logger = Logger(label: "gossipd"), seed: UInt64? = nil) {
        self.context = NodeContext(
            configuration: configuration, logger: logger, random: seed.map { SeededRandom(seed: $0) } ?? SeededRandom())
    }

    /// Binds the API address and starts the node's threads. Throws if the address cannot be bound.
    public func start() throws(SocketError) {
        let server = try APIServer(context: context)
        let handler = AnnounceHandler(context: context)
        state.withLock { $0 = .running(server, handler) }
        handler.start()
        server.start()
        context.logger.info("API listening", metadata: ["address": "\(context.configuration.apiAddress.host):\(server.port)"])
    }

    /// Closes every connection and stops the threads. Safe to call more than once.
    public func stop() {
        let running = state.withLock { state -> (APIServer, AnnounceHandler)? in
            guard case .running(let server, let handler) = state else { return nil }
            state = .stopped
            return (server, handler)
        }
        guard let (server, handler) = running else { return }
        server.stop()
        context.announceQueue.close()
        handler.waitUntilFinished()
        context.logger.info("node stopped")
    }

    /// The API port actually bound (useful when the configuration asked for port 0).
    public var apiPort: UInt16 {
        state.withLock { state in
            if case .running(let server, _) = state { return server.port }
            return 0
        }
    }

    /// The node's counters.
    public var statistics: NodeStatistics.Snapshot { context.statistics.snapshot() }

    /// How many local connections are subscribed to `dataType`.
    public func subscriberCount(of dataType: UInt16) -> Int {
        context.engine.withLock { $0.subscriptions.subscribers(of: dataType).count }
    }

    /// How many items await validation.
    public var pendingValidations: Int {
        context.engine.withLock { $0.validations.pendingCount }
    }
}
