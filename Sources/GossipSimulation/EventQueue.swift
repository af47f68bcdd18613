import HeapModule

/// What a scheduled event does. The payload words `a` and `b` mean what each case says.
enum EventKind: UInt8, Sendable, CaseIterable {
    /// A P2P message arrives: a = receiving endpoint, b = message slot.
    case deliver
    /// The peer closed (FIN) or reset (RST) the link: a = receiving endpoint.
    case close
    /// The node's wake-up: a = node. Stale unless it is the node's pending tick.
    case tick
    /// A dial's SYN reaches the target: a = dial record.
    case connect
    /// A dial fails: a = dial record.
    case dialFailed
    /// A module answers a NOTIFICATION: a = node, b = message ID | verdict << 16.
    case validation
    /// A node starts: a = node.
    case start
    /// A scripted action runs: a = action index.
    case action
}

/// One scheduled event: 24 bytes, ordered by time and then by the order it was scheduled in, so
/// events at the same moment run first-scheduled first and every run is reproducible.
struct Event: Comparable, Sendable {
    /// Virtual nanoseconds.
    var time: UInt64
    /// Scheduling sequence << 8 | kind.
    var order: UInt64
    var a: UInt32
    var b: UInt32

    var kind: EventKind { EventKind(rawValue: UInt8(truncatingIfNeeded: order))! }

    static let kindNames = ["deliver", "close", "tick", "connect", "dial_failed", "validation", "start", "action"]

    static func < (lhs: Event, rhs: Event) -> Bool {
        lhs.time < rhs.time || (lhs.time == rhs.time && lhs.order < rhs.order)
    }

    static func == (lhs: Event, rhs: Event) -> Bool {
        lhs.time == rhs.time && lhs.order == rhs.order
    }
}

/// The virtual clock's agenda: a heap of events by (time, sequence). No sleeping and no threads;
/// the driver pops the earliest event and advances the clock to it.
struct EventQueue: Sendable {
    private var heap = Heap<Event>()
    private var sequence: UInt64 = 0
    /// Largest number of events waiting at once.
    private(set) var peakCount = 0

    var count: Int { heap.count }

    /// The earliest pending moment, if any.
    var nextTime: UInt64? { heap.min?.time }

    mutating func schedule(_ kind: EventKind, at time: UInt64, _ a: UInt32 = 0, _ b: UInt32 = 0) {
        sequence &+= 1
        heap.insert(Event(time: time, order: sequence << 8 | UInt64(kind.rawValue), a: a, b: b))
        if heap.count > peakCount { peakCount = heap.count }
    }

    /// Removes and returns the earliest event if it is due at or before `limit`.
    mutating func pop(notAfter limit: UInt64) -> Event? {
        guard let first = heap.min, first.time <= limit else { return nil }
        return heap.popMin()
    }
}
