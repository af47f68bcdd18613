import GossipWire

/// Names one local API connection for as long as the node runs; never reused.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public init(integerLiteral value: UInt64) { self.rawValue = value }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "api#\(rawValue)" }
}

/// Names one P2P connection (link) for as long as the node runs; never reused. A link is a
/// connection, not a peer: a peer that reconnects comes back on a new link.
public struct LinkID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public init(integerLiteral value: UInt64) { self.rawValue = value }

    public static func < (lhs: LinkID, rhs: LinkID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "peer#\(rawValue)" }
}

/// A point on a monotonic time line, in nanoseconds. The core never reads a clock: callers pass
/// the current moment in, so tests and the simulator control time exactly.
public struct Moment: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = Moment(nanoseconds: 0)

    public static func milliseconds(_ value: Int) -> Moment { Moment(nanoseconds: UInt64(value) * 1_000_000) }

    public static func < (lhs: Moment, rhs: Moment) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Nanoseconds from `earlier` to this moment; 0 if `earlier` is later (a driver may hand in
    /// moments read on different threads).
    public func nanoseconds(since earlier: Moment) -> UInt64 {
        nanoseconds > earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }

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
    /// Received on this peer link.
    case peer(LinkID)
}
