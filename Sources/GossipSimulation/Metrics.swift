import GossipCore
import GossipWire

/// An item as the scenario knows it (kept by the coordinator).
struct ItemInfo: Sendable {
    var index: Int
    /// nil until announced.
    var id: ItemID?
    /// The node asked to announce it (nil: a random running node, picked at the announcement).
    var requestedOrigin: Int?
    var origin: Int = -1
    var ttl: UInt8
    var dataType: UInt16
    var data: [UInt8]
    /// Virtual nanoseconds of the announcement; nil until then.
    var announcedAt: UInt64?
    /// True if the announcement could not happen (its origin was not running).
    var skipped = false
}

/// What one partition saw of one item, for its own nodes (indexed by local node index).
struct ItemTrace: Sendable {
    static let notReached = UInt32.max
    static let noHop = UInt8.max

    /// Microseconds from the announcement to the node's NOTIFICATION (or, on a node without a
    /// subscriber, its first ITEM); `notReached` if never.
    var reachedAt: [UInt32] = []
    /// Hop count of the first ITEM that reached the node (the origin is 0).
    var hops: [UInt8] = []
    /// NOTIFICATIONs the node's subscriber got.
    var notifications: [UInt8] = []
    /// ITEM messages carrying it sent by this partition's nodes (one per link of each send).
    var messages = 0
    var bytes = 0

    init(nodes: Int) {
        grow(to: nodes)
    }

    mutating func grow(to count: Int) {
        guard reachedAt.count < count else { return }
        let extra = count - reachedAt.count
        reachedAt.append(contentsOf: repeatElement(Self.notReached, count: extra))
        hops.append(contentsOf: repeatElement(Self.noHop, count: extra))
        notifications.append(contentsOf: repeatElement(0, count: extra))
    }

    /// Records that local node `node` holds the item at `now`; returns whether that is news.
    @discardableResult
    mutating func reach(_ node: Int, now: UInt64, announcedAt: UInt64) -> Bool {
        guard reachedAt[node] == Self.notReached else { return false }
        let micros = (now &- announcedAt) / 1000
        reachedAt[node] = UInt32(clamping: min(micros, UInt64(UInt32.max - 1)))
        return true
    }
}

/// Counters one partition keeps: traffic per node and per message type, the core's counters,
/// close reasons, network and event tallies. Summed over partitions for the report.
struct PartitionMetrics: Sendable {
    var items: [ItemTrace] = []

    /// Per local node.
    var bytesSent: [UInt64] = []
    var messagesSent: [UInt32] = []
    /// Per local node, `GossipCounter.allCases.count` each.
    var nodeCounters: [UInt32] = []

    /// The run-wide tallies of this partition.
    var tallies = RunTallies()

    static let counterCount = GossipCounter.allCases.count
    static let reasonIndex: [CloseReason: Int] = Dictionary(
        uniqueKeysWithValues: CloseReason.allCases.enumerated().map { ($1, $0) })

    mutating func addNode() {
        bytesSent.append(0)
        messagesSent.append(0)
        nodeCounters.append(contentsOf: repeatElement(0, count: Self.counterCount))
        for index in items.indices { items[index].grow(to: bytesSent.count) }
    }

    mutating func count(_ counter: GossipCounter, _ amount: Int, local node: Int) {
        tallies.counters[counter.rawValue] += amount
        let slot = node * Self.counterCount + counter.rawValue
        nodeCounters[slot] = nodeCounters[slot] &+ UInt32(truncatingIfNeeded: amount)
    }

    func counter(_ counter: GossipCounter, local node: Int) -> Int {
        Int(nodeCounters[node * Self.counterCount + counter.rawValue])
    }

    mutating func sent(_ message: PeerMessage, size: Int, copies: Int, local node: Int, item: Int32) {
        bytesSent[node] &+= UInt64(size * copies)
        messagesSent[node] &+= UInt32(copies)
        let type = Int(message.type.rawValue) - 504
        if type >= 0 && type < tallies.typeMessages.count {
            tallies.typeMessages[type] += copies
            tallies.typeBytes[type] += size * copies
        }
        if item >= 0 {
            items[Int(item)].messages += copies
            items[Int(item)].bytes += size * copies
        }
    }

    mutating func closed(_ reason: CloseReason) {
        tallies.closeReasons[Self.reasonIndex[reason]!] += 1
    }
}

/// Network-wide tallies: traffic per message type, the core's counters, close reasons, network
/// and event counts. Each partition keeps its own; the report sums them.
struct RunTallies: Sendable {
    /// Per message type (`MessageType.rawValue - 504`).
    var typeMessages = [Int](repeating: 0, count: 13)
    var typeBytes = [Int](repeating: 0, count: 13)
    var counters = [Int](repeating: 0, count: GossipCounter.allCases.count)
    var closeReasons = [Int](repeating: 0, count: CloseReason.allCases.count)

    var linksOpened = 0
    var dials = 0
    var dialsRefused = 0
    var dialsTimedOut = 0
    /// Messages that reached a closed endpoint or a dead node, or were lost to a partition that never heals.
    var messagesDropped = 0
    var validationsAnswered = 0
    var modulesClosed = 0
    var events = 0
    var eventsByKind = [Int](repeating: 0, count: EventKind.allCases.count)
    /// Ticks skipped because an earlier wake-up replaced them or the node died.
    var staleTicks = 0
    var peakPendingEvents = 0

    /// Adds another partition's tallies (the peak of pending events adds up too: the
    /// partitions' queues coexist).
    mutating func add(_ other: RunTallies) {
        func add(_ sum: inout [Int], _ part: [Int]) { for index in sum.indices { sum[index] += part[index] } }
        add(&typeMessages, other.typeMessages)
        add(&typeBytes, other.typeBytes)
        add(&counters, other.counters)
        add(&closeReasons, other.closeReasons)
        add(&eventsByKind, other.eventsByKind)
        linksOpened += other.linksOpened
        dials += other.dials
        dialsRefused += other.dialsRefused
        dialsTimedOut += other.dialsTimedOut
        messagesDropped += other.messagesDropped
        validationsAnswered += other.validationsAnswered
        modulesClosed += other.modulesClosed
        staleTicks += other.staleTicks
        peakPendingEvents += other.peakPendingEvents
        events += other.events
    }
}
