import Synchronization

/// Counters of what the node did and refused, readable at any time without stopping it.
public final class NodeStatistics: Sendable {
    /// Why a connection was closed by the node.
    public enum CloseReason: String, Sendable, CaseIterable {
        case sizeBelowHeader = "size_below_header"
        case frameTooLarge = "frame_too_large"
        case unknownType = "unknown_type"
        case badSize = "bad_size"
        case notificationFromModule = "notification_from_module"
        case unknownValidationID = "unknown_validation_id"
        case frameTimeout = "frame_timeout"
        case closedMidFrame = "closed_mid_frame"
        case outboxOverflow = "outbox_overflow"
        case writeFailed = "write_failed"
        case tooManyConnections = "too_many_connections"
    }

    let apiConnectionsAccepted = Atomic<Int>(0)
    let apiConnectionsOpen = Atomic<Int>(0)
    let announcesReceived = Atomic<Int>(0)
    let notificationsQueued = Atomic<Int>(0)
    let validationsValid = Atomic<Int>(0)
    let validationsInvalid = Atomic<Int>(0)
    let validationsLate = Atomic<Int>(0)
    let validationsTimedOut = Atomic<Int>(0)
    // Closes are rare next to messages, so a lock is cheap enough here.
    private let closes = Mutex<[CloseReason: Int]>([:])

    func countClose(_ reason: CloseReason) {
        closes.withLock { $0[reason, default: 0] += 1 }
    }

    /// A consistent-enough copy of every counter.
    public struct Snapshot: Sendable, Equatable {
        public var apiConnectionsAccepted: Int
        public var apiConnectionsOpen: Int
        public var announcesReceived: Int
        public var notificationsQueued: Int
        public var validationsValid: Int
        public var validationsInvalid: Int
        public var validationsLate: Int
        public var validationsTimedOut: Int
        /// Connections the node closed, by reason.
        public var closedConnections: [CloseReason: Int]

        public func closed(_ reason: CloseReason) -> Int { closedConnections[reason, default: 0] }
    }

    public func snapshot() -> Snapshot {
        let closed = closes.withLock { $0 }
        return Snapshot(
            apiConnectionsAccepted: apiConnectionsAccepted.load(ordering: .relaxed),
            apiConnectionsOpen: apiConnectionsOpen.load(ordering: .relaxed),
            announcesReceived: announcesReceived.load(ordering: .relaxed),
            notificationsQueued: notificationsQueued.load(ordering: .relaxed),
            validationsValid: validationsValid.load(ordering: .relaxed),
            validationsInvalid: validationsInvalid.load(ordering: .relaxed),
            validationsLate: validationsLate.load(ordering: .relaxed),
            validationsTimedOut: validationsTimedOut.load(ordering: .relaxed),
            closedConnections: closed)
    }
}

extension Atomic where Value == Int {
    /// Counts one more event; counters need no ordering with other memory.
    func increment(by amount: Int = 1) {
        wrappingAdd(amount, ordering: .relaxed)
    }
}
