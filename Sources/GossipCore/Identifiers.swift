import GossipWire

/// Names one local API connection for as long as the node runs; never reused.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "api#\(rawValue)" }
}

/// A point on a monotonic time line, in nanoseconds. The core never reads a clock: callers pass
/// the current moment in, so tests and the simulator control time exactly.
public struct Moment: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = Moment(nanoseconds: 0)

    public static func milliseconds(_ value: Int) -> Moment { Moment(nanoseconds: UInt64(value) * 1_000_000) }

    public static func < (lhs: Moment, rhs: Moment) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// This moment plus a span in nanoseconds, saturating instead of overflowing.
    public func adding(nanoseconds span: UInt64) -> Moment {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(span)
        return Moment(nanoseconds: overflow ? .max : sum)
    }

    public var description: String { "t+\(nanoseconds / 1_000_000)ms" }
}

/// Where an item entered this node.
public enum ItemOrigin: Hashable, Sendable {
    /// Announced by a local module on this connection.
    case local(ConnectionID)
    /// Received on the peer link with this number (the runtime's link, not the peer's identity).
    case peer(UInt64)
}

/// One piece of gossip: what a module announced, plus the network-wide ID and remaining hops.
public struct GossipItem: Hashable, Sendable {
    public var id: ItemID
    /// Hops left; 0 means unlimited.
    public var ttl: UInt8
    public var dataType: UInt16
    public var data: [UInt8]

    public init(id: ItemID, ttl: UInt8, dataType: UInt16, data: [UInt8]) {
        self.id = id
        self.ttl = ttl
        self.dataType = dataType
        self.data = data
    }
}
