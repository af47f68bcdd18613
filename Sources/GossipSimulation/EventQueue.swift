import HeapModule

/// What a node event does. The payload words `a` and `b` mean what each case says.
enum EventKind: UInt8, Sendable, CaseIterable {
    /// A P2P message arrives: a = receiving endpoint, b = message slot.
    case deliver
    /// The peer closed (FIN) or reset (RST) the link: a = receiving endpoint.
    case close
    /// The node's wake-up: a = local node. Stale unless it is the node's pending tick.
    case tick
    /// A dial's SYN reaches the target's host: a = SYN record.
    case syn
    /// The answer to a dial reaches the dialer: a = dial record, b = `DialOutcome`.
    case reply
    /// A module answers a NOTIFICATION: a = local node, b = message ID | verdict << 16.
    case validation
    /// A node whose bootstrappers are known in advance starts: a = local node. (Nodes that pick
    /// a random running node start between windows instead.)
    case start

    static let names = ["deliver", "close", "tick", "syn", "reply", "validation", "start"]
}

/// How a dial ended.
enum DialOutcome: UInt32, Sendable {
    /// SYN-ACK: the link is open.
    case accepted = 0
    /// RST: nothing listens there (not started, or crashed with the host still up).
    case refused = 1
    /// Silence until the connect timeout: dead host, partition or unknown address.
    case timedOut = 2
}

/// One scheduled event: 24 bytes, ordered by time, then by who scheduled it (the node, or 0 for
/// the scenario), then by that scheduler's own count. The order never depends on how nodes are
/// split over partitions, so every run of a seed is the same whatever the thread count.
struct Event: Comparable, Sendable {
    /// Virtual nanoseconds.
    var time: UInt64
    /// (scheduling node + 1) << 40 | its event count << 8 | kind.
    var order: UInt64
    var a: UInt32
    var b: UInt32

    init(time: UInt64, order: UInt64, a: UInt32, b: UInt32) {
        self.time = time
        self.order = order
        self.a = a
        self.b = b
    }

    static func order(source: Int, sequence: UInt32, kind: UInt8) -> UInt64 {
        UInt64(source + 1) << 40 | UInt64(sequence) << 8 | UInt64(kind)
    }

    var kind: EventKind { EventKind(rawValue: UInt8(truncatingIfNeeded: order))! }

    static func < (lhs: Event, rhs: Event) -> Bool {
        lhs.time < rhs.time || (lhs.time == rhs.time && lhs.order < rhs.order)
    }

    static func == (lhs: Event, rhs: Event) -> Bool {
        lhs.time == rhs.time && lhs.order == rhs.order
    }
}

/// A virtual clock's agenda: a heap of events. No sleeping and no threads; the owner pops the
/// earliest event and advances its clock to it.
struct EventQueue: Sendable {
    private var heap = Heap<Event>()
    /// Most events waiting at once.
    private(set) var peakCount = 0

    var count: Int { heap.count }

    /// The earliest pending moment, if any.
    var nextTime: UInt64? { heap.min?.time }

    mutating func insert(_ event: Event) {
        heap.insert(event)
        if heap.count > peakCount { peakCount = heap.count }
    }

    /// Removes and returns the earliest event if it is due before `end`.
    mutating func pop(before end: UInt64) -> Event? {
        guard let first = heap.min, first.time < end else { return nil }
        return heap.popMin()
    }
}
