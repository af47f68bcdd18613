import GossipConfig
import GossipNode
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import Synchronization

/// The admin HTTP endpoints of a node (`admin_address`): `/metrics` in Prometheus's text format,
/// `/status` (the STATUS reply's JSON), `/ready`, `POST /reload`, and `/tap`'s stream of items.
///
/// One event-loop thread serves them on SwiftNIO's HTTP/1.1 codec. Each connection carries one
/// request and is closed after the answer; at most `maxConnections` are open at once; a request
/// must be complete within `requestDeadline`. With `api_token` set, `/status`, `/reload` and
/// `/tap` want it as `Authorization: Bearer <token>`; `/metrics` and `/ready` stay open to
/// scrapers and health checks.
public final class AdminServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The port actually bound (the configuration may ask for 0).
    public let port: Int

    /// At most this many admin connections at once; more are closed as they come.
    public static let maxConnections = 16
    /// A request's head and body must have arrived this long after the connection opened (the
    /// default of `init`'s `requestDeadline`).
    public static let requestDeadline: Duration = .seconds(10)

    /// The buckets of the first-sight-to-delivery histogram: 100 µs to 5 s.
    public static let deliveryBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5),
    ]

    /// A metrics factory for `Node(metrics:)` whose metrics go to `registry`, which the server's
    /// `/metrics` prints.
    public static func metricsFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Node.firstSightToDeliveryLabel] = deliveryBuckets
        return factory
    }

    /// Binds `address` and starts serving.
    /// - Parameters:
    ///   - registry: the registry the node's metrics factory writes to (`metricsFactory`).
    ///   - reload: what `POST /reload` does: gossipd reads its configuration file again, as on SIGHUP.
    ///   - token: the token `/status`, `/reload` and `/tap` ask for, read per request (a reload may change it).
    ///   - requestDeadline: how long a connection has to send its whole request.
    public init(
        address: Endpoint, node: Node, registry: PrometheusCollectorRegistry, logger: Logger,
        reload: @escaping @Sendable () -> ReloadOutcome, token: @escaping @Sendable () -> String?,
        requestDeadline: Duration = AdminServer.requestDeadline
    ) throws {
        let (seconds, attoseconds) = requestDeadline.components
        let deadline = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let open = AdminSlots(limit: Self.maxConnections)
        let routes = AdminRoutes(node: node, registry: registry, reload: reload, token: token, logger: logger)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 32)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard open.enter() else {
                    return channel.close()  // at the limit: honest scrapers retry
                }
                channel.closeFuture.whenComplete { _ in open.leave() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminHTTPHandler(routes: routes, deadline: deadline))
                }
            }
            .childChannelOption(.maxMessagesPerRead, value: 1)
        do {
            channel = try bootstrap.bind(host: address.host, port: Int(address.port)).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.group = group
        self.port = channel.localAddress?.port ?? 0
    }

    /// Closes the listener and every admin connection (taps included), and ends the thread.
    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// What `POST /reload` reports.
    public struct ReloadOutcome: Sendable {
        /// Whether the file loaded (nothing changed if not).
        public var loaded: Bool
        /// One line for the person who asked, as the log says it.
        public var message: String

        public init(loaded: Bool, message: String) {
            self.loaded = loaded
            self.message = message
        }
    }
}

/// Counts what is open (admin connections, taps) against a limit.
final class AdminSlots: Sendable {
    private let count = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; false at the limit.
    func enter() -> Bool {
        if count.wrappingAdd(1, ordering: .relaxed).newValue > limit {
            count.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func leave() {
        count.wrappingSubtract(1, ordering: .relaxed)
    }
}
