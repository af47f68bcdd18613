import GossipCore

#if canImport(Glibc)
import Glibc
#endif

/// Where the runtime reads the time it hands the core with each event. gossipd uses the
/// monotonic clock; tests may pass a clock they move by hand.
public protocol NodeClock: Sendable {
    func now() -> Moment
}

/// The monotonic clock, counted from the node's start.
///
/// Read straight from `clock_gettime` in whole nanoseconds: every event the core takes reads it,
/// and going through `ContinuousClock` and `Duration` (128-bit attoseconds, split by division)
/// cost more than the rest of handling a PING.
public struct MonotonicNodeClock: NodeClock {
    private let epoch = Self.monotonicNanoseconds()

    public init() {}

    public func now() -> Moment {
        let current = Self.monotonicNanoseconds()
        return Moment(nanoseconds: current >= epoch ? current - epoch : 0)
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
