import GossipCore
import GossipWire

/// What the simulator tracks of one item while it spreads.
struct ItemRecord: Sendable {
    static let notReached = UInt32.max
    static let noHop = UInt8.max

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
    /// ITEM messages carrying it (one per link of each send), anti-entropy answers included.
    var messages = 0
    var bytes = 0
    /// Per node: microseconds from the announcement to the node's NOTIFICATION (or, on a node
    /// without a subscriber, its first ITEM); `notReached` if never.
    var reachedAt: [UInt32] = []
    /// Per node: the hop count of the first ITEM that reached it (the origin is 0).
    var hops: [UInt8] = []
    /// Per node: NOTIFICATIONs its subscriber got for this item.
    var notifications: [UInt8] = []
    var reachedCount = 0

    mutating func grow(to count: Int) {
        guard reachedAt.count < count else { return }
        let extra = count - reachedAt.count
        reachedAt.append(contentsOf: repeatElement(Self.notReached, count: extra))
        hops.append(contentsOf: repeatElement(Self.noHop, count: extra))
        notifications.append(contentsOf: repeatElement(0, count: extra))
    }

    /// Records that `node` holds the item at `now`.
    mutating func reach(_ node: Int, now: UInt64) {
        grow(to: node + 1)
        guard reachedAt[node] == Self.notReached, let announcedAt else { return }
        let micros = (now &- announcedAt) / 1000
        reachedAt[node] = UInt32(clamping: min(micros, UInt64(UInt32.max - 1)))
        reachedCount += 1
    }
}

/// Counters the simulator keeps besides the items: traffic per node and per message type, the
/// core's own counters, close reasons and network events.
struct Metrics: Sendable {
    var items: [ItemRecord] = []
    var itemByID: [ItemID: Int32] = [:]

    /// Per node.
    var bytesSent: [UInt64] = []
    var messagesSent: [UInt32] = []
    /// Per node, the core's counters (`GossipCounter.allCases.count` per node).
    var nodeCounters: [UInt32] = []

    /// Per message type (`MessageType.rawValue - 504`).
    var typeMessages = [Int](repeating: 0, count: 9)
    var typeBytes = [Int](repeating: 0, count: 9)
    var counters = [Int](repeating: 0, count: GossipCounter.allCases.count)
    var closeReasons = [Int](repeating: 0, count: CloseReason.allCases.count)
    static let reasonIndex: [CloseReason: Int] = Dictionary(
        uniqueKeysWithValues: CloseReason.allCases.enumerated().map { ($1, $0) })

    var linksOpened = 0
    var dials = 0
    var dialsRefused = 0
    var dialsTimedOut = 0
    /// Messages that reached a closed endpoint or a dead node, or were lost to a partition that never heals.
    var messagesDropped = 0
    var validationsAnswered = 0
    var modulesClosed = 0

    static let counterCount = GossipCounter.allCases.count

    mutating func addNode() {
        bytesSent.append(0)
        messagesSent.append(0)
        nodeCounters.append(contentsOf: repeatElement(0, count: Self.counterCount))
    }

    mutating func count(_ counter: GossipCounter, _ amount: Int, node: Int) {
        counters[counter.rawValue] += amount
        let slot = node * Self.counterCount + counter.rawValue
        nodeCounters[slot] = nodeCounters[slot] &+ UInt32(truncatingIfNeeded: amount)
    }

    func counter(_ counter: GossipCounter, node: Int) -> Int {
        Int(nodeCounters[node * Self.counterCount + counter.rawValue])
    }

    mutating func sent(_ message: PeerMessage, size: Int, copies: Int, node: Int, item: Int32) {
        bytesSent[node] &+= UInt64(size * copies)
        messagesSent[node] &+= UInt32(copies)
        let type = Int(message.type.rawValue) - 504
        if type >= 0 && type < typeMessages.count {
            typeMessages[type] += copies
            typeBytes[type] += size * copies
        }
        if item >= 0 {
            items[Int(item)].messages += copies
            items[Int(item)].bytes += size * copies
        }
    }

    mutating func closed(_ reason: CloseReason) {
        closeReasons[Self.reasonIndex[reason]!] += 1
    }
}
