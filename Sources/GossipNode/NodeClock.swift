import GossipCore

/// Turns the continuous clock into the core's `Moment`s, counted from the node's start.
struct NodeClock: Sendable {
    private let epoch = ContinuousClock.now

    func now() -> Moment {
        let (seconds, attoseconds) = (ContinuousClock.now - epoch).components
        return Moment(nanoseconds: UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000))
    }

}
