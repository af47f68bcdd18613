import GossipCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the runtime reads the time it hands the core with each event. gossipd uses the
/// monotonic clock; tests may pass a clock they move by hand.
public protocol NodeClock: Sendable {
    func now() -> Moment
}

/// The monotonic clock, counted from the node's start: the system's time since boot, which also
/// counts time the machine spent suspended (as `ContinuousClock` does), so that the wall-clock
/// time the node derives from it (item IDs' stamps, their freshness) stays right after a suspend.
///
/// Read straight from `clock_gettime` in whole nanoseconds: every event the core takes reads it,
/// and going through `ContinuousClock` and `Duration` (128-bit attoseconds, split by division)
/// cost more than the rest of handling a PING.
public struct MonotonicNodeClock: NodeClock {
    private let epoch = Self.nanosecondsSinceBoot()

    public init() {}

    public func now() -> Moment {
        let current = Self.nanosecondsSinceBoot()
        return Moment(nanoseconds: current >= epoch ? current - epoch : 0)
    }

    private static func nanosecondsSinceBoot() -> UInt64 {
        var time = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_BOOTTIME, &time)
        #else
        clock_gettime(CLOCK_MONOTONIC, &time)
        #endif
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
