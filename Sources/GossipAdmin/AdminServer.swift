import CoreMetrics
import GossipConfig
import GossipNode
import GossipSockets
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
    private let stopped = Atomic<Bool>(false)
    /// The port actually bound (the configuration may ask for 0).
    public let port: Int

    /// At most this many admin connections at once; more are closed as they come.
    public static let maxConnections = 16
    /// At most this many from one address, so one client cannot take every slot.
    public static let maxConnectionsPerAddress = 8
    /// A connection is closed this long after it opened unless its answer is out (the default of
    /// `init`'s `requestDeadline`): the request must come and the answer be taken within it. A tap
    /// is exempt once its request is in (it has its own rule, `AdminTap.stallLimit`).
    public static let requestDeadline: Duration = .seconds(2)

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

    /// The admin address could not be bound: the system's reason, as the node's own listeners
    /// give it ("Address already in use"), not NIO's call description.
    public struct BindError: Error, CustomStringConvertible {
        let underlying: any Error
        public var description: String {
            if let io = underlying as? IOError, let text = strerror(io.errnoCode) { return String(cString: text) }
            return "\(underlying)"
        }
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
        let deadline = TimeAmount.nanoseconds(requestDeadline.totalNanoseconds)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let open = AdminSlots(limit: Self.maxConnections, perAddress: Self.maxConnectionsPerAddress)
        let refusals = AdminRoutes.Refusals(
            log: RateLimitedLogger(logger: logger),
            count: CoreMetrics.Counter(label: "gossip_admin_requests_refused_total", factory: Self.metricsFactory(registry: registry)))
        let routes = AdminRoutes(node: node, registry: registry, reload: reload, token: token, logger: logger, refusals: refusals)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 32)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let address = Self.clientKey(channel.remoteAddress)
                guard open.enter(address) else {
                    refusals.refuse("admin connection refused: too many open", address: address)
                    return channel.close()  // at the limit: honest scrapers retry
                }
                channel.closeFuture.whenComplete { _ in open.leave(address) }
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
            throw BindError(underlying: error)
        }
        self.group = group
        self.port = channel.localAddress?.port ?? 0
        // The tail of a flood of refusals is reported within a second, not at the next refusal.
        group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in refusals.log.flush() }
    }

    /// Whom a connection counts against in the per-address limits: its IPv4 address, or the /64
    /// of its IPv6 address (one host there commonly holds a whole /64); an IPv4-mapped IPv6
    /// address counts as its IPv4 address.
    public static func clientKey(_ address: NIOCore.SocketAddress?) -> String {
        guard case .v6(let v6) = address else { return address?.ipAddress ?? "" }
        let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        if bytes[..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return address?.ipAddress ?? "" }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":") + "::/64"
    }

    /// Closes the listener and every admin connection (taps included), and ends the thread. Safe
    /// to call more than once.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
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

/// Counts what is open (admin connections, taps) against a limit, and against a limit per
/// client address.
final class AdminSlots: Sendable {
    private struct Counts {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())
    let limit: Int
    let perAddress: Int

    init(limit: Int, perAddress: Int) {
        self.limit = limit
        self.perAddress = perAddress
    }

    /// Takes a slot for `address`; false at either limit.
    func enter(_ address: String) -> Bool {
        counts.withLock { counts in
            guard counts.total < limit, counts.byAddress[address, default: 0] < perAddress else { return false }
            counts.total += 1
            counts.byAddress[address, default: 0] += 1
            return true
        }
    }

    func leave(_ address: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.byAddress[address, default: 1] - 1
            counts.byAddress[address] = left > 0 ? left : nil
        }
    }
}
