import GossipWire
import DequeModule

/// Pairs NOTIFICATION message IDs with VALIDATION answers and decides each item's fate.
///
/// One 16-bit message ID is allocated per notified item and shared by all its subscribers. An ID
/// is never reused while it awaits validation. When all 65,536 are in use, or the held item bytes
/// exceed their budget, the oldest pending item is given up early as timed out. After an item is
/// decided, its ID keeps a tombstone of the subscribers that never answered, so a late answer is
/// ignored rather than treated as a protocol violation; the tombstone goes when the ID is reused.
public struct ValidationTracker: Sendable {
    /// How an item's validation ended.
    public enum Outcome: Equatable, Sendable {
        /// Every notified subscriber answered valid.
        case valid
        /// At least one subscriber answered invalid.
        case invalid
        /// No full verdict: the validation timeout passed, the item was given up to make room, or a
        /// subscriber closed without answering. Such an item is not forwarded.
        case timedOut
    }

    /// A decided item.
    public struct Completion: Equatable, Sendable {
        public var messageID: UInt16
        public var itemID: ItemID
        public var origin: ItemOrigin
        /// The item itself, kept only for items that may need forwarding (from peers).
        public var item: GossipItem?
        public var outcome: Outcome
    }

    /// What an incoming VALIDATION amounted to.
    public enum Answer: Equatable, Sendable {
        /// Not an ID sent to this connection, or already answered: a protocol violation.
        case unknown
        /// The item was already decided by timeout; the answer is ignored.
        case late
        /// Recorded; the item still awaits other subscribers.
        case recorded
        /// Recorded, and it was the last answer awaited.
        case completed(Completion)
    }

    private struct Entry: Sendable {
        var sequence: UInt64
        var itemID: ItemID
        var origin: ItemOrigin
        var item: GossipItem?
        var awaiting: SmallSet<ConnectionID>
        var sawInvalid: Bool
        /// A subscriber closed before answering: a crash on a bad item must not let it through.
        var sawAbandon = false
        var deadline: Moment

        var verdict: Outcome { sawInvalid ? .invalid : (sawAbandon ? .timedOut : .valid) }
    }

    public static let idSpace = 65_536

    public private(set) var timeoutNanoseconds: UInt64
    public let maximumHeldBytes: Int
    private var entries: [UInt16: Entry] = [:]
    private var order: Deque<(id: UInt16, sequence: UInt64)> = []
    private var tombstones: [UInt16: SmallSet<ConnectionID>] = [:]
    private var nextID: UInt16 = 0
    private var nextSequence: UInt64 = 0
    private var heldBytes = 0

    /// - Parameters:
    ///   - timeoutNanoseconds: how long subscribers have to answer.
    ///   - maximumHeldBytes: the budget for item data held while awaiting validation.
    public init(timeoutNanoseconds: UInt64, maximumHeldBytes: Int = 64 << 20) {
        self.timeoutNanoseconds = timeoutNanoseconds
        self.maximumHeldBytes = maximumHeldBytes
    }

    /// Takes a new timeout (a reload of `validation_timeout_ms`). Every pending item is judged by
    /// it too, counted from when it was notified: its deadline moves by the difference, so the
    /// deadlines still grow in allocation order. An item past its new deadline is decided at the
    /// next `expire`.
    public mutating func changeTimeout(to newTimeout: UInt64) {
        guard newTimeout != timeoutNanoseconds else { return }
        let old = timeoutNanoseconds
        timeoutNanoseconds = newTimeout
        for id in Array(entries.keys) {
            let deadline = entries[id]!.deadline.nanoseconds
            // deadline = notified + old, so notified + new (saturating, as `adding` does).
            let notified = deadline >= old ? deadline - old : 0
            entries[id]!.deadline = Moment(nanoseconds: notified).adding(nanoseconds: newTimeout)
        }
    }

    /// Items awaiting validation.
    public var pendingCount: Int { entries.count }

    /// Bytes of item data held for forwarding.
    public var pendingBytes: Int { heldBytes }

    /// Whether `messageID` awaits an answer from `connection`.
    public func isAwaiting(_ messageID: UInt16, from connection: ConnectionID) -> Bool {
        entries[messageID]?.awaiting.contains(connection) ?? false
    }

    /// The item `messageID` stands for while it awaits answers, and how many modules it still
    /// awaits; nil when it awaits none (for logs that name the item a VALIDATION is about).
    public func pending(_ messageID: UInt16) -> (itemID: ItemID, awaiting: Int)? {
        entries[messageID].map { ($0.itemID, $0.awaiting.count) }
    }

    /// The earliest deadline among pending items.
    public var nextDeadline: Moment? {
        // Deadlines grow in allocation order (one timeout for all), so the first live entry holds the earliest.
        for place in order {
            if let entry = entries[place.id], entry.sequence == place.sequence { return entry.deadline }
        }
        return nil
    }

    /// Starts awaiting answers from `subscribers` for an item; returns its message ID and any items
    /// given up early to make room.
    ///
    /// - Parameter item: kept until the item is decided (pass it for items that may be forwarded).
    public mutating func begin(
        itemID: ItemID, origin: ItemOrigin, item: GossipItem?, subscribers: [ConnectionID], now: Moment
    ) -> (messageID: UInt16, evicted: [Completion]) {
        precondition(!subscribers.isEmpty, "an item with no subscribers needs no message ID")
        var evicted: [Completion] = []
        let size = item?.data.count ?? 0
        while entries.count >= Self.idSpace || (heldBytes + size > maximumHeldBytes && !entries.isEmpty) {
            guard let oldest = popOldestLive() else { break }
            evicted.append(finish(oldest, outcome: .timedOut, leavingTombstone: true))
        }
        var id = nextID
        while entries.index(forKey: id) != nil { id &+= 1 }  // (no copy of an entry to test it)
        nextID = id &+ 1
        tombstones[id] = nil
        nextSequence += 1
        entries[id] = Entry(
            sequence: nextSequence, itemID: itemID, origin: origin, item: item,
            awaiting: SmallSet(subscribers), sawInvalid: false, deadline: now.adding(nanoseconds: timeoutNanoseconds))
        order.append((id, nextSequence))
        heldBytes += size
        compactOrderIfNeeded()
        return (id, evicted)
    }

    /// Records `connection`'s answer for `messageID`.
    public mutating func answer(_ messageID: UInt16, from connection: ConnectionID, isValid: Bool) -> Answer {
        // Changed in place: a copy of the entry taken out and written back would copy its set too.
        guard let index = entries.index(forKey: messageID), entries.values[index].awaiting.remove(connection) else {
            if tombstones[messageID]?.remove(connection) == true { return .late }
            return .unknown
        }
        if !isValid { entries.values[index].sawInvalid = true }
        guard entries.values[index].awaiting.isEmpty else { return .recorded }
        let entry = entries.values[index]
        return .completed(finish((messageID, entry), outcome: entry.verdict, leavingTombstone: false))
    }

    /// Stops awaiting `connection` (it closed without answering); returns items that no longer
    /// await anyone. Such an item has no full verdict, so it ends `.timedOut` unless someone
    /// already said invalid.
    public mutating func remove(_ connection: ConnectionID) -> [Completion] {
        var completed: [Completion] = []
        // In allocation order, so what follows (spreads, random picks) does not depend on hashing.
        for (id, var entry) in entries.filter({ $0.value.awaiting.contains(connection) }).sorted(by: { $0.value.sequence < $1.value.sequence }) {
            entry.awaiting.remove(connection)
            entry.sawAbandon = true
            if entry.awaiting.isEmpty {
                completed.append(finish((id, entry), outcome: entry.verdict, leavingTombstone: false))
            } else {
                entries[id] = entry
            }
        }
        for id in tombstones.keys { tombstones[id]?.remove(connection) }
        return completed
    }

    /// Decides every item whose deadline is at or before `now`.
    public mutating func expire(now: Moment) -> [Completion] {
        var expired: [Completion] = []
        while let front = order.first {
            guard let entry = entries[front.id], entry.sequence == front.sequence else {
                order.removeFirst()
                continue
            }
            guard entry.deadline <= now else { break }
            order.removeFirst()
            expired.append(finish((front.id, entry), outcome: entry.sawInvalid ? .invalid : .timedOut, leavingTombstone: true))
        }
        return expired
    }

    private mutating func popOldestLive() -> (UInt16, Entry)? {
        while let front = order.popFirst() {
            if let entry = entries[front.id], entry.sequence == front.sequence { return (front.id, entry) }
        }
        return nil
    }

    private mutating func finish(_ pending: (UInt16, Entry), outcome: Outcome, leavingTombstone: Bool) -> Completion {
        let (id, entry) = pending
        entries[id] = nil
        heldBytes -= entry.item?.data.count ?? 0
        if leavingTombstone && !entry.awaiting.isEmpty { tombstones[id] = entry.awaiting }
        return Completion(messageID: id, itemID: entry.itemID, origin: entry.origin, item: entry.item, outcome: outcome)
    }

    /// Answered items leave stale places in `order`; drop them before they outnumber the live ones.
    private mutating func compactOrderIfNeeded() {
        guard order.count > 2 * Self.idSpace else { return }
        order = Deque(order.filter { entries[$0.id]?.sequence == $0.sequence })
    }
}
