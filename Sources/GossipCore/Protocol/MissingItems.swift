import DequeModule
import GossipWire

/// Items announced to this node that have not arrived, each with the links that announced it and
/// when to graft or fetch it: at most `capacity` of them, **shared fairly among the links that
/// announced them first**. One link's IHAVEs of made-up fresh IDs (within its budget) could fill
/// a first-come table, and honest announcements were then ignored until its entries timed out.
/// Now, when the table is full, a new announcement takes the place of the oldest entry of the link
/// that holds the most, if that link holds more than the announcing link would: a link can keep
/// at most its share of the table while others announce.
struct MissingItems: Sendable {
    /// An item announced to us that has not arrived.
    struct Entry: Sendable {
        /// Links that announced it, the next to graft from first.
        var announcers: [LinkID]
        var deadline: Moment
        /// The link whose announcement made the entry: its share holds it.
        var owner: LinkID
    }

    let capacity: Int
    private var entries: [ItemID: Entry] = [:]
    /// Entries held per owner.
    private var held: [LinkID: Int] = [:]
    /// Each owner's IDs, oldest first; IDs no longer held for that owner are skipped and, past
    /// twice the live ones, compacted away.
    private var order: [LinkID: Deque<ItemID>] = [:]

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { entries.count }

    subscript(id: ItemID) -> Entry? { entries[id] }

    /// Entries `link` made (for tests).
    func heldBy(_ link: LinkID) -> Int { held[link] ?? 0 }

    /// Changes an entry that is held (its announcers, its deadline); its owner stays.
    mutating func update(_ id: ItemID, _ entry: Entry) {
        guard let old = entries[id] else { return }
        var entry = entry
        entry.owner = old.owner
        entries[id] = entry
    }

    /// Adds an entry for `id`, announced first by `entry.owner`. Returns false if the table is
    /// full and the owner already holds its share.
    mutating func insert(_ id: ItemID, _ entry: Entry) -> Bool {
        guard entries[id] == nil else { return false }
        if entries.count >= capacity {
            guard let (heaviest, count) = held.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }),
                count > (held[entry.owner] ?? 0) + 1, let evicted = oldest(of: heaviest)
            else { return false }
            remove(evicted)
        }
        entries[id] = entry
        held[entry.owner, default: 0] += 1
        order[entry.owner, default: []].append(id)
        return true
    }

    /// Forgets `id` (it came, or nobody is left to ask).
    mutating func remove(_ id: ItemID) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        let left = (held[entry.owner] ?? 1) - 1
        if left == 0 {
            held[entry.owner] = nil
            order[entry.owner] = nil
        } else {
            held[entry.owner] = left
            if let ids = order[entry.owner], ids.count > 2 * left + 64 {
                order[entry.owner] = Deque(ids.filter { entries[$0]?.owner == entry.owner })
            }
        }
    }

    /// The oldest ID `owner` still holds.
    private mutating func oldest(of owner: LinkID) -> ItemID? {
        while let id = order[owner]?.popFirst() {
            if entries[id]?.owner == owner { return id }
        }
        return nil
    }
}
