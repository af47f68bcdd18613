import HeapModule
import GossipWire

/// Which active links carry items eagerly and which only announce them (Plumtree-style), with no
/// sockets and no clocks.
///
/// The **eager** links form a spanning tree: a new item goes out on them as an ITEM, and only its
/// ID goes out on the other (**lazy**) active links, in batched IHAVEs. The tree is built as the
/// overlay grows rather than by flooding: a link becomes eager when one of its ends has no eager
/// link yet (it joins the tree through it), so each node hangs on to the tree by the link it joined
/// with, and the first items travel without duplicates. If an announced item does not arrive within
/// the graft timeout, the node asks the announcer for it with GRAFT, which makes that link eager:
/// the tree repairs itself when a tree link fails. A copy the node already had shows a cycle in the
/// tree, and the cycle's **heaviest** link leaves the tree (PRUNE, both ends make it lazy): each
/// link has a weight both ends agree on (`PathWeight.link`), and every ITEM carries the weights
/// of its path's heavy links (`TreePath`), so the two copies name the cycle's heaviest link; a
/// node at one of its ends prunes it, and one that is not sends a CUT up the path that holds it. Cutting only the
/// heaviest link of a cycle never splits the tree, however many nodes cut at once (the lightest
/// spanning tree of the links is never cut), which pruning whichever link brought the duplicate
/// does as soon as several items are in flight. What is sent, announced and answered is decided
/// by `GossipProtocol`, which applies validation first; this type only keeps the links' state and
/// the timers.
public struct BroadcastTree: Sendable {
    public struct Configuration: Sendable {
        /// How long announcements wait to share one IHAVE per link.
        public var announceIntervalNanoseconds: UInt64
        /// How long after an announcement the item may still arrive before the node fetches or
        /// grafts, at least: the node waits longer if the tree's copies come later than this
        /// (`graftTimeout`). Each wait is drawn between the timeout and twice it, so the nodes
        /// that heard the same announcements do not all ask at once (the first answer reaches the
        /// others).
        public var graftTimeoutNanoseconds: UInt64
        /// Most announced-but-missing items tracked at once, shared among the links that
        /// announced them (`MissingItems`); announcements beyond a link's share are ignored
        /// (anti-entropy still finds them).
        public var maximumMissing: Int
        /// Most IDs in one IHAVE or GRAFT.
        public var maximumBatch: Int
        /// Most lazy links an item is announced on (gossipsub's D_lazy); 0: all of them. Each node
        /// keeps announcing on the same ones while its links last, so a wide active view costs
        /// few IHAVE frames, and every node still hears of each item from several neighbours.
        public var lazyFanout: Int
        /// Entries the tables of recent items make room for when created (gossipd: `ItemTableRoom`);
        /// 0: they grow from empty.
        public var reservedItems: Int

        public init(
            announceIntervalNanoseconds: UInt64, graftTimeoutNanoseconds: UInt64, maximumMissing: Int = 4096,
            maximumBatch: Int = 256, lazyFanout: Int = 6, reservedItems: Int = 0
        ) {
            self.announceIntervalNanoseconds = announceIntervalNanoseconds
            self.graftTimeoutNanoseconds = graftTimeoutNanoseconds
            self.maximumMissing = maximumMissing
            self.maximumBatch = maximumBatch
            self.lazyFanout = lazyFanout
            self.reservedItems = reservedItems
        }
    }

    /// The most announcers remembered for one missing item.
    static let maximumAnnouncers = 4

    public private(set) var configuration: Configuration

    /// Takes new announcement and graft timings while the node runs; waits already under way keep
    /// their deadlines. `reservedItems` stays as it was: the tables made their room when the tree
    /// was made, and a reload (which reads the INI file, where the room is not a key) says 0.
    public mutating func reconfigure(_ new: Configuration) {
        let room = configuration.reservedItems
        configuration = new
        configuration.reservedItems = room
    }
    /// The active links in the tree: a few, kept in an array (`SmallSet`), since every item a
    /// node passes on looks up each of its active links here (`targets`), and a scan of a few
    /// link numbers costs far less than as many hashes.
    private var eager = SmallSet<LinkID>()

    /// The active links in the tree.
    public var eagerLinks: Set<LinkID> { Set(eager) }
    /// Every active link's weight, agreed with its peer.
    private var weights: [LinkID: PathWeight] = [:]
    /// How the first copy of each recent item came: the link (nil: announced here) and the path
    /// it had on arrival, to find the heaviest link of a cycle when a second copy comes.
    struct Arrival: Sendable {
        var link: LinkID?
        var path: TreePath
    }
    private var arrivals: RecentMemory<Arrival>
    private var pending: [LinkID: [ItemID]] = [:]
    private var nextFlush: Moment?
    private var missing: MissingItems
    struct Timer: Comparable, Sendable {
        var deadline: Moment
        var id: ItemID
        static func < (lhs: Timer, rhs: Timer) -> Bool {
            (lhs.deadline, lhs.id.high, lhs.id.low) < (rhs.deadline, rhs.id.high, rhs.id.low)
        }
    }

    /// Graft deadlines, earliest first; entries whose item arrived meanwhile are skipped when
    /// they come up.
    private var timers = Heap<Timer>()
    private var random: SeededRandom
    private let rankSalt: UInt64
    /// Items whose first copy did not come over a tree link (a lazy link whose PRUNE the peer had
    /// not yet seen, or an anti-entropy answer): the tree's own copy may still be on its way, and
    /// its arrival is no sign of a cycle. Bounded, oldest forgotten first.
    private var offTree: RecentMemory<Void>

    /// The graft timeout in use: how late the tree's copies have come after their first
    /// announcement here (`LatenessEstimate.wait`), within the configured timeout and 8 times it.
    /// Each item the tree brings gives one sample: 0 if its copy came before any announcement,
    /// the delay from its first announcement otherwise, also when the node fetched or grafted it
    /// meanwhile (the ask was needless). So a node whose tree copies come late waits longer, and
    /// one whose tree is prompt again comes back down.
    public var graftTimeout: UInt64 {
        let base = configuration.graftTimeoutNanoseconds
        return min(8 * base, max(base, lateness?.wait ?? 0))
    }
    private var lateness: LatenessEstimate?
    /// An item this node fetched, grafted or pulled by anti-entropy after an announcement: the
    /// links it asked (their answers are not the tree's copy), and when the item was first
    /// announced; `sampled` once the tree's copy told how late it was.
    struct Asked: Sendable {
        var links: [LinkID]
        var announced: Moment
        var sampled = false
    }
    /// Items asked for lately.
    private var asked: RecentMemory<Asked>
    /// When each item announced lately was first announced here, until the tree's copy came
    /// (whether or not the node tracked the item as missing: its table may have been full).
    private var firstAnnounced: RecentMemory<Moment>
    /// Items whose first copy came over the tree before any announcement: the first announcement
    /// after it is a lateness sample of 0.
    private var treeFirst: RecentMemory<Void>

    /// When the node last fetched a missed item without grafting.
    private var lastFetch: Moment?
    /// Whether a first copy came over a tree link since that fetch (true before any fetch).
    private var treeDeliveredSinceFetch = true
    /// A miss within this many graft timeouts of a fetch grafts.
    static let fetchWindowFactor: UInt64 = 8

    /// The most items remembered as having come off the tree.
    static let memoryCapacity = 4096

    public init(configuration: Configuration, random: SeededRandom) {
        self.configuration = configuration
        self.missing = MissingItems(capacity: configuration.maximumMissing)
        let (capacity, room) = (BroadcastTree.memoryCapacity, configuration.reservedItems)
        arrivals = RecentMemory(capacity: capacity, reserving: room)
        offTree = RecentMemory(capacity: capacity, reserving: room)
        asked = RecentMemory(capacity: capacity, reserving: room)
        firstAnnounced = RecentMemory(capacity: capacity, reserving: room)
        treeFirst = RecentMemory(capacity: capacity, reserving: room)
        var random = random
        self.rankSalt = random.next()
        self.random = random
    }

    /// How many keys each memory of recent items holds before it must grow (for tests of the
    /// room reserved).
    var memoryTableCapacities: [Int] {
        [arrivals.tableCapacity, offTree.tableCapacity, asked.tableCapacity, firstAnnounced.tableCapacity,
         treeFirst.tableCapacity]
    }

    private mutating func sampleLateness(_ sample: UInt64) {
        if lateness == nil { lateness = LatenessEstimate(first: sample) } else { lateness!.add(sample) }
    }

    /// A copy of `id` came over `link` `now` (first or not): if it is the tree's copy of an item
    /// announced here before, or of one this node asked for after an announcement, the delay is a
    /// lateness sample (once per item). An answer to the node's own asks is not the tree's copy;
    /// nor is a copy of an item pulled by anti-entropy without an announcement.
    private mutating func copyCame(_ id: ItemID, on link: LinkID, now: Moment) {
        guard eager.contains(link) else { return }
        if var entry = asked[id] {
            guard !entry.links.contains(link), !entry.sampled else { return }
            entry.sampled = true
            asked.replace(id, with: entry)
            sampleLateness(now.nanoseconds(since: entry.announced))
        } else if !offTree.contains(id), let announced = firstAnnounced.remove(id) {
            sampleLateness(now.nanoseconds(since: announced))
        }
    }

    /// A copy of the known item `id` came over active link `link`: the tree's copy of an item
    /// this node asked for tells how late the tree was. Called for every such copy, before any
    /// budget decides whether the copy is looked at for cycles.
    public mutating func duplicateArrived(_ id: ItemID, on link: LinkID, now: Moment) {
        copyCame(id, on: link, now: now)
    }

    /// Adds `link` to the links asked for `id`, if the node asked for it already; returns
    /// whether it had.
    @discardableResult
    private mutating func alsoAsked(_ link: LinkID, for id: ItemID) -> Bool {
        guard var entry = asked[id] else { return false }
        if !entry.links.contains(link) { entry.links.append(link) }
        asked.replace(id, with: entry)
        return true
    }

    private mutating func graftDeadline(after now: Moment) -> Moment {
        let timeout = graftTimeout
        return now.adding(nanoseconds: timeout + UInt64.random(in: 0...timeout, using: &random))
    }

    /// Whether `link` carries items eagerly.
    public func isEager(_ link: LinkID) -> Bool { eager.contains(link) }

    /// Whether any of `links` is in the tree.
    public func hasEager(among links: [LinkID], excluding excluded: LinkID? = nil) -> Bool {
        links.contains { $0 != excluded && eager.contains($0) }
    }

    /// A link joined the active view: eager if `inTree` (agreed with the peer), lazy otherwise.
    /// `weight` is the link's weight (`PathWeight.link`).
    public mutating func add(_ link: LinkID, inTree: Bool, weight: PathWeight) {
        weights[link] = weight
        if inTree { makeEager(link) } else { eager.remove(link) }
    }

    /// A link left the active view.
    /// Returns whether it was in the tree.
    @discardableResult
    public mutating func remove(_ link: LinkID) -> Bool {
        pending[link] = nil
        weights[link] = nil
        return eager.remove(link)
    }

    /// The active links an item goes to, split into eager and lazy, leaving out `excluded`.
    /// At most `lazyFanout` lazy links are returned: those that rank first in this node's own
    /// (seeded) order of links.
    public func targets(among links: [LinkID], excluding excluded: SmallSet<LinkID>) -> (eager: [LinkID], lazy: [LinkID]) {
        var treeTargets: [LinkID] = [], lazyLinks: [LinkID] = []
        treeTargets.reserveCapacity(eager.count)
        lazyLinks.reserveCapacity(links.count)
        for link in links where !excluded.contains(link) {
            if eager.contains(link) { treeTargets.append(link) } else { lazyLinks.append(link) }
        }
        let fanout = configuration.lazyFanout
        if fanout > 0 && lazyLinks.count > fanout {
            // The `fanout` first in rank order, lowest rank first: kept in a short sorted buffer as
            // the links pass (each ranked once; no sort of them all), shifted by hand. Ranks of
            // two links differ, since `rank` scrambles the number one-to-one.
            let salt = rankSalt
            var best = [(rank: UInt64, link: LinkID)](repeating: (.max, LinkID(0)), count: fanout)
            var filled = 0
            for link in lazyLinks {
                let rank = Self.rank(link, salt: salt)
                if filled == fanout && rank >= best[fanout - 1].rank { continue }
                // Written at the end (over the highest rank once the buffer is full), then moved
                // up past every higher rank.
                var place = filled < fanout ? filled : fanout - 1
                if filled < fanout { filled += 1 }
                while place > 0 && best[place - 1].rank > rank {
                    best[place] = best[place - 1]
                    place -= 1
                }
                best[place] = (rank, link)
            }
            lazyLinks.removeAll(keepingCapacity: true)
            for entry in best.prefix(filled) { lazyLinks.append(entry.link) }
        }
        return (treeTargets, lazyLinks)
    }

    /// A link's place in this node's announcement order: a fixed scramble of its number.
    private static func rank(_ link: LinkID, salt rankSalt: UInt64) -> UInt64 {
        var x = link.rawValue &+ rankSalt
        x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
        x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
        return x ^ (x >> 31)
    }

    /// Queues an announcement of `id` on each of `links`; returns IHAVEs for batches that filled up.
    public mutating func announce(_ id: ItemID, on links: [LinkID], now: Moment) -> [(LinkID, PeerMessage)] {
        var full: [(LinkID, PeerMessage)] = []
        let maximum = configuration.maximumBatch
        for link in links {
            // One lookup of the link's batch, not two.
            if Self.append(id, to: &pending[link, default: []], fillsUpTo: maximum) {
                full.append((link, .ihave(pending.removeValue(forKey: link)!)))
            }
        }
        if nextFlush == nil && !pending.isEmpty { nextFlush = now.adding(nanoseconds: configuration.announceIntervalNanoseconds) }
        return full
    }

    /// Appends `id` to `batch`; returns whether the batch is full.
    private static func append(_ id: ItemID, to batch: inout [ItemID], fillsUpTo maximum: Int) -> Bool {
        batch.append(id)
        return batch.count >= maximum
    }

    /// The path an item carrying `path` has once it arrived on `link` (nil: a link outside the
    /// active view): extended by the link if it is a tree link and the item was not asked for
    /// outside the tree, `.offTree` otherwise.
    public func path(_ path: TreePath, arrivingOn link: LinkID?, id: ItemID) -> TreePath {
        guard let link, eager.contains(link), let linkWeight = weights[link], !offTree.contains(id) else { return .offTree }
        return path.crossing(linkWeight)
    }

    /// `id` was announced here: its path starts here.
    public mutating func originated(_ id: ItemID) {
        missing.remove(id)
        arrivals.insert(id, Arrival(link: nil, path: .origin))
    }

    /// The first copy of `id` arrived on active link `link` (nil: a link outside the active view)
    /// with path `path` (as `path(_:arrivingOn:id:)` found it): the item is no longer
    /// missing. A first copy over a lazy link (the peer had not yet heard our PRUNE, or answered a
    /// GRAFT late) does not shape the tree.
    public mutating func delivered(_ id: ItemID, from link: LinkID?, path: TreePath, now: Moment) {
        missing.remove(id)
        if let link {
            if eager.contains(link) && !firstAnnounced.contains(id) && !asked.contains(id) && !offTree.contains(id) {
                treeFirst.insert(id, ())
            }
            copyCame(id, on: link, now: now)
        }
        if let link, !eager.contains(link) { markOffTree(id) }
        if let link, eager.contains(link), !offTree.contains(id) { treeDeliveredSinceFetch = true }
        arrivals.insert(id, Arrival(link: link, path: path))
    }

    /// Whether this node asked for `id` lately (a fetch, a graft, or anti-entropy).
    public func wasAsked(_ id: ItemID) -> Bool { asked.contains(id) || offTree.contains(id) }

    /// `id` came or will come outside the tree: its copies do not shape the tree.
    mutating func markOffTree(_ id: ItemID) {
        offTree.insert(id, ())
    }

    /// The node asks `link` for `id` by anti-entropy (REQUEST after a DIGEST): its copies do not
    /// shape the tree, and the answer is not the tree's copy.
    public mutating func pulled(_ id: ItemID, from link: LinkID) {
        markOffTree(id)
        alsoAsked(link, for: id)
    }

    /// A copy of a known item `id` arrived on active link `link`, carrying path `carried`:
    /// returns what to send, if anything. The two copies' paths close a cycle, whose heaviest link
    /// they name (`TreePath.heaviestOfCycle`). If that link is this one or the first copy's, it
    /// leaves the tree here (PRUNE); otherwise a CUT goes up the path that holds it. Nothing is
    /// cut for an item whose first copy came off the tree. A lazy link should not have carried
    /// the item at all: its peer is told again with PRUNE.
    public mutating func duplicate(_ id: ItemID, from link: LinkID, carrying carried: TreePath) -> (LinkID, PeerMessage)? {
        guard !offTree.contains(id) else { return nil }
        guard eager.contains(link) else { return (link, .prune) }  // the peer sent eagerly: it has not heard our PRUNE
        guard let first = arrivals[id], let linkWeight = weights[link] else { return nil }
        // The first copy's last link must still be in the tree: if it is gone, the cycle the two
        // paths made is gone with it, and cutting another of its links could split the tree.
        if let firstLink = first.link, !eager.contains(firstLink) { return nil }
        guard let (heaviest, side) = TreePath.heaviestOfCycle(first.path, carried.crossing(linkWeight)) else { return nil }
        switch side {
        case .second: return cut(heaviest, on: link, id: id)
        case .first:
            guard let firstLink = first.link else { return nil }  // announced here: the first path is empty
            return cut(heaviest, on: firstLink, id: id)
        }
    }

    /// A peer asks to cut the tree link of weight `weight` on the path `id` took to it, which is
    /// the path it took to us and on: if it is the link the item came over, it leaves the tree
    /// (PRUNE); if it lies further up, the CUT goes on up. Nothing is done if the item's path here
    /// does not name the link (it is not on it, or not heavier than all after it), or a link on
    /// the way left the tree meanwhile (the cycle is gone).
    public mutating func cutRequested(_ id: ItemID, weight: PathWeight, from sender: LinkID) -> (LinkID, PeerMessage)? {
        // Only a tree neighbour the item went on to can have seen it come round a cycle.
        guard weight != .offTree, eager.contains(sender), let first = arrivals[id], first.path.contains(weight),
            let link = first.link, link != sender
        else { return nil }
        return cut(weight, on: link, id: id)
    }

    /// Prunes `link` if its weight is `weight`; otherwise passes a CUT for `weight` up it. Only
    /// a tree link is pruned or passed through.
    private mutating func cut(_ weight: PathWeight, on link: LinkID, id: ItemID) -> (LinkID, PeerMessage)? {
        guard eager.contains(link), let linkWeight = weights[link] else { return nil }
        guard linkWeight == weight else { return (link, .cut(id, weight)) }
        eager.remove(link)
        return (link, .prune)
    }

    /// The peer pruned `link`.
    public mutating func pruned(_ link: LinkID) { eager.remove(link) }

    /// The peer grafted `link`: it is eager again.
    public mutating func grafted(_ link: LinkID) { makeEager(link) }

    private mutating func makeEager(_ link: LinkID) { eager.insert(link) }

    /// Whether an IHAVE announced `id` and its graft timer runs: the item is on its way or will
    /// be grafted, so anti-entropy leaves it alone.
    public func isAwaiting(_ id: ItemID) -> Bool { missing[id] != nil }

    /// IDs announced on `link`; those `isKnown` rejects are ignored (the first announcement of
    /// one the tree brought before any announcement is a lateness sample of 0), the rest are
    /// awaited.
    public mutating func announced(_ ids: [ItemID], on link: LinkID, now: Moment, isKnown: (ItemID) -> Bool) {
        for id in ids {
            guard !isKnown(id) else {
                if treeFirst.remove(id) != nil { sampleLateness(0) }
                continue
            }
            firstAnnounced.insert(id, now)  // kept if an earlier announcement set it
            if var entry = missing[id] {
                if entry.announcers.count < Self.maximumAnnouncers && !entry.announcers.contains(link) {
                    entry.announcers.append(link)
                    missing.update(id, entry)
                }
                continue
            }
            let deadline = graftDeadline(after: now)
            guard missing.insert(id, MissingItems.Entry(announcers: [link], deadline: deadline, owner: link)) else { continue }
            timers.insert(Timer(deadline: deadline, id: id))
        }
    }

    /// Everything due at `now`: announcements whose batch waited long enough, and grafts for
    /// items still missing at their deadline (to their first announcer still linked, per
    /// `isActive`; the next announcer gets a turn after another timeout).
    public mutating func tick(now: Moment, isActive: (LinkID) -> Bool) -> [(LinkID, PeerMessage)] {
        var messages: [(LinkID, PeerMessage)] = []
        if let flush = nextFlush, flush <= now {
            for link in pending.keys.sorted() { messages.append((link, .ihave(pending[link]!))) }
            pending.removeAll(keepingCapacity: true)
            nextFlush = nil
        }
        var grafts: [LinkID: [ItemID]] = [:]
        var fetches: [LinkID: [ItemID]] = [:]
        while let first = timers.min, first.deadline <= now {
            timers.removeMin()
            guard var entry = missing[first.id], entry.deadline == first.deadline else { continue }
            entry.announcers.removeAll { !isActive($0) }
            // Prefer an announcer already in the tree (grafted for an earlier item): each new
            // tree link may close a cycle, so a part cut off from the tree is joined once.
            guard let index = entry.announcers.firstIndex(where: { eager.contains($0) }) ?? entry.announcers.indices.first
            else {
                missing.remove(first.id)  // nobody left to ask: anti-entropy is the safety net
                continue
            }
            let announcer = entry.announcers.remove(at: index)
            // A first miss after a quiet spell is most likely one lost copy: fetch it without
            // changing the tree. Another miss soon after, or no tree link at all, means this
            // node's part is cut off: graft.
            // (So does a miss after a fetch with no item come over the tree since: at a low item
            // rate the window alone would let a cut-off part fetch every item for ever.)
            let cutOff = eager.isEmpty || !treeDeliveredSinceFetch
                || lastFetch.map { now.nanoseconds &- $0.nanoseconds < Self.fetchWindowFactor * configuration.graftTimeoutNanoseconds } ?? false
            if cutOff {
                makeEager(announcer)
                grafts[announcer, default: []].append(first.id)
            } else {
                lastFetch = now
                treeDeliveredSinceFetch = false
                fetches[announcer, default: []].append(first.id)
                markOffTree(first.id)
            }
            if !alsoAsked(announcer, for: first.id) {
                asked.insert(first.id, Asked(links: [announcer], announced: firstAnnounced[first.id] ?? now))
            }
            entry.deadline = graftDeadline(after: now)
            if entry.announcers.isEmpty {
                missing.remove(first.id)
            } else {
                missing.update(first.id, entry)
                timers.insert(Timer(deadline: entry.deadline, id: first.id))
            }
        }
        for link in fetches.keys.sorted() {
            messages.append((link, .request(fetches[link]!)))
        }
        for link in grafts.keys.sorted() {
            let ids = grafts[link]!
            for start in stride(from: 0, to: ids.count, by: configuration.maximumBatch) {
                messages.append((link, .graft(Array(ids[start..<min(ids.count, start + configuration.maximumBatch)]))))
            }
        }
        return messages
    }

    /// When `tick` next has work, if ever.
    public var nextDeadline: Moment? {
        switch (nextFlush, timers.min?.deadline) {
        case let (flush?, timer?): min(flush, timer)
        case let (flush?, nil): flush
        case let (nil, timer?): timer
        case (nil, nil): nil
        }
    }
}
