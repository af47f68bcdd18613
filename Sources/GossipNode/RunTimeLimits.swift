import GossipConfig

/// The node's own limits and timeouts that a reload may change (`Node.reload`), in one place
/// (`NodeContext.limits`), read where each applies rather than copied into the parts that use
/// them. The protocol's settings live in the core (`GossipProtocol.reconfigure`) and the item
/// queue's bound in the queue (`BoundedQueue.capacity`).
struct RunTimeLimits: Sendable, Equatable {
    /// `outbox_bytes`: each connection's send queue, read at every enqueue, so it applies to live
    /// connections too (`ConnectionSender` says what a smaller bound does to a fuller outbox),
    /// and by the item handler's back-pressure on lagging modules.
    var outboxCapacityBytes: Int
    /// `max_api_connections`, read as each API connection is admitted.
    var maxAPIConnections: Int
    /// `frame_timeout_ms`, for connections made from then on.
    var frameTimeout: Duration
    /// `write_timeout_ms`, for connections made from then on.
    var writeTimeout: Duration
    /// `connect_timeout_ms`, for dials begun from then on.
    var connectTimeout: Duration
    /// `validation_timeout_ms` and `peer_timeout_ms`, which bound how long peer items wait for a
    /// lagging module (`NodeContext.lagLimit`).
    var validationTimeoutMilliseconds: Int
    var peerTimeoutMilliseconds: Int

    init(_ configuration: NodeConfiguration) {
        outboxCapacityBytes = configuration.outboxCapacityBytes
        maxAPIConnections = configuration.maxAPIConnections
        frameTimeout = .milliseconds(configuration.frameTimeoutMilliseconds)
        writeTimeout = .milliseconds(configuration.writeTimeoutMilliseconds)
        connectTimeout = .milliseconds(configuration.connectTimeoutMilliseconds)
        validationTimeoutMilliseconds = configuration.validationTimeoutMilliseconds
        peerTimeoutMilliseconds = configuration.peerTimeoutMilliseconds
    }
}
