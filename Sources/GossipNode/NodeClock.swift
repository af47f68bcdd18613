import GossipCore

/// Where the runtime reads the time it hands the core with each event. gossipd uses the
/// monotonic clock; tests may pass a clock they move by hand.
public protocol NodeClock: Sendable {
    func now() -> Moment
}

/// The continuous (monotonic) clock, counted from the node's start.
public struct MonotonicNodeClock: NodeClock {
    private let epoch = ContinuousClock.now

    public init() {}

    public func now() -> Moment {
        let (seconds, attoseconds) = (ContinuousClock.now - epoch).components
        return Moment(nanoseconds: UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000))
    }
}
