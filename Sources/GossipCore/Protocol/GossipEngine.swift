import GossipWire

/// The node's protocol logic for local modules, with no sockets and no clocks: the runtime feeds
/// it events (with the current `Moment`) and carries out what it returns.
///
/// Not thread-safe: the runtime owns one engine behind one lock.
public struct GossipEngine: Sendable {
    public struct Configuration: Sendable {
        /// Items kept for spreading; the oldest go first.
        public var cacheSize: Int
        /// How long subscribers have to answer a NOTIFICATION.
        public var validationTimeoutNanoseconds: UInt64
        /// Budget for item data held while awaiting validation.
        public var maximumHeldBytes: Int
        /// How many item IDs the duplicate filter remembers.
        public var seenCapacity: Int
        /// How long an item ID is remembered after it was first seen. Also the age (by the stamp
        /// in its ID) past which an item is refused as stale: older than that, this node may have
        /// forgotten it, and would take a replayed copy for new.
        public var seenTTLNanoseconds: UInt64
        /// The Unix time, in seconds, at `Moment.zero`: where the wall clock stood when the
        /// driver's clock started. Item IDs carry the Unix second of their announcement.
        public var unixSecondsAtZero: UInt64
        /// Entries the cache and the seen set make room for when created (each at most its
        /// capacity), so that the first items do not grow them (gossipd: `ItemTableRoom`). 0: they grow
        /// from empty, as a simulation of many nodes wants.
        public var reservedItems: Int

        /// How far in the future (by our clock) an item's stamp may be: origins' clocks differ.
        public static let maximumClockSkewSeconds: UInt64 = 60

        public init(
            cacheSize: Int, validationTimeoutNanoseconds: UInt64, maximumHeldBytes: Int = 64 << 20,
            seenCapacity: Int = 65_536, seenTTLNanoseconds: UInt64 = 600 * 1_000_000_000,
            unixSecondsAtZero: UInt64 = 1_800_000_000, reservedItems: Int = 0
        ) {
            self.cacheSize = cacheSize
            self.validationTimeoutNanoseconds = validationTimeoutNanoseconds
            self.maximumHeldBytes = maximumHeldBytes
            self.seenCapacity = seenCapacity
            self.seenTTLNanoseconds = seenTTLNanoseconds
            self.unixSecondsAtZero = unixSecondsAtZero
            self.reservedItems = reservedItems
        }
    }

    /// NOTIFICATIONs to write: one message, encoded once, for every listed connection.
    public struct Delivery: Equatable, Sendable {
        public var subscribers: [ConnectionID]
        public var notification: GossipNotification
    }

    /// What a local ANNOUNCE led to.
    public struct Announced: Sendable {
        /// The item as it will travel, with its fresh network-wide ID.
        public var item: GossipItem
        /// Notifications for the other local subscribers of its type, if any.
        public var delivery: Delivery?
        /// Items given up to make room for this one's validation.
        public var evicted: [ValidationTracker.Completion]
    }

    public private(set) var configuration: Configuration
    public private(set) var subscriptions = SubscriptionTable()
    public private(set) var cache: ItemCache
    public private(set) var validations: ValidationTracker
    public private(set) var seen: SeenSet
    /// For peer items awaiting validation: the links that already sent us a copy. They have the
    /// item, so forwarding skips them.
    private var holders: [ItemID: SmallSet<LinkID>] = [:]
    /// Fixes item IDs for tests and simulations; nil draws them from the system generator, so
    /// nobody can predict the next ID from the last one and pre-empt an item with junk.
    private var random: SeededRandom?
    /// New items this node takes in (see `admissionBucket`): what keeps the seen set from
    /// forgetting an ID before the item is stale, so no item can loop.
    private var admission: TokenBucket
    /// New items of types no local module subscribed to, relayed unvalidated: a share of
    /// `admission` of their own, so such traffic cannot take the whole budget.
    private var unvalidatedAdmission: TokenBucket
    /// Types a local module subscribed to at some point: with no subscriber left, their items
    /// are dropped rather than relayed unvalidated.
    public private(set) var validatedTypes: Set<UInt16> = []

    public init(configuration: Configuration, random: SeededRandom? = nil) {
        self.configuration = configuration
        self.cache = ItemCache(capacity: configuration.cacheSize, reserving: configuration.reservedItems)
        self.validations = ValidationTracker(
            timeoutNanoseconds: configuration.validationTimeoutNanoseconds,
            maximumHeldBytes: configuration.maximumHeldBytes)
        self.seen = SeenSet(
            capacity: configuration.seenCapacity, ttlNanoseconds: configuration.seenTTLNanoseconds,
            reserving: configuration.reservedItems)
        self.random = random
        self.admission = Self.admissionBucket(configuration)
        self.unvalidatedAdmission = TokenBucket(
            capacity: max(1, admission.capacity / 2), perSecond: max(1, admission.perSecond / 2))
    }

    /// Takes the settings that can change while the node runs: the cache's size (shrinking evicts
    /// the oldest items at once; returns them, oldest first) and the validation timeout (pending
    /// items too are judged by it, from when they were notified: `ValidationTracker.changeTimeout`).
    /// The seen set's capacity and TTL and the admission budget made from them stay as they were:
    /// the budget is what keeps the seen set from forgetting a fresh item, so they change together,
    /// at a restart. So do the held-bytes budget and the clock's zero.
    @discardableResult
    public mutating func reconfigure(_ new: Configuration) -> [GossipItem] {
        configuration.cacheSize = new.cacheSize
        configuration.validationTimeoutNanoseconds = new.validationTimeoutNanoseconds
        validations.changeTimeout(to: new.validationTimeoutNanoseconds)
        return cache.resize(to: new.cacheSize)
    }

    /// The budget a new item of `dataType` would draw on: whether it is below half full, and its
    /// rate. Items of types relayed unvalidated draw on their own share (and the node's budget).
    /// Congested if any budget it draws on is below half; its rate is the smallest of theirs.
    public mutating func admissionState(for dataType: UInt16, now: Moment) -> (congested: Bool, perSecond: UInt64) {
        let congested = admission.isBelowHalf(now: now)
        guard relaysUnvalidated(dataType) else { return (congested, admission.perSecond) }
        return (unvalidatedAdmission.isBelowHalf(now: now) || congested, min(admission.perSecond, unvalidatedAdmission.perSecond))
    }

    /// Whether items of `dataType` are relayed without validation here: no local module
    /// subscribes to the type, and none ever did (`validatedTypes`).
    private func relaysUnvalidated(_ dataType: UInt16) -> Bool {
        subscriptions.subscribers(of: dataType).isEmpty && !validatedTypes.contains(dataType)
    }

    /// The budget of new items: `seen_capacity / 2` at once, and `seen_capacity / (2 ×
    /// seen_ttl)` a second. In any span of one seen TTL it lets through at most `seen_capacity`
    /// new IDs, so the seen set never has to evict an ID by capacity while the item is still
    /// fresh (`isFresh`): each node takes each item in at most once, and a finite burst causes a
    /// finite number of relays. With the defaults: 32,768 at once, 54 a second.
    public static func admissionBucket(_ configuration: Configuration) -> TokenBucket {
        let capacity = UInt64(max(2, configuration.seenCapacity))
        let seconds = max(1, configuration.seenTTLNanoseconds / 1_000_000_000)
        return TokenBucket(capacity: capacity / 2, perSecond: max(1, capacity / (2 * seconds)))
    }

    /// NOTIFY: `connection` receives every later item of `dataType`.
    public mutating func subscribe(_ connection: ConnectionID, to dataType: UInt16) {
        subscriptions.subscribe(connection, to: dataType)
        validatedTypes.insert(dataType)
    }

    /// The ID the latest local announcement was given (a driver that logs reads it after
    /// handing over an ANNOUNCE: a new value means that announcement made this item).
    public private(set) var lastAnnouncedID: ItemID?

    /// ANNOUNCE from a local module: cache the item and notify the other subscribers of its type.
    /// The announcer never gets its own item back.
    public mutating func announce(_ announce: GossipAnnounce, from connection: ConnectionID, now: Moment) -> Announced {
        admission.drain(now: now)  // a local item always goes out, but uses up the budget too
        let id = ItemBinding.id(stamp: unixSeconds(at: now), salt: nextSalt(), dataType: announce.dataType, data: announce.data)
        lastAnnouncedID = id
        let item = GossipItem(id: id, ttl: announce.ttl, dataType: announce.dataType, data: announce.data)
        cache.insert(item, at: now)
        seen.observe(item.id, now: now)
        let subscribers = subscriptions.subscribers(of: item.dataType).filter { $0 != connection }
        guard !subscribers.isEmpty else { return Announced(item: item, delivery: nil, evicted: []) }
        // A local item is spread at once; validations are still paired so answers are recognised.
        let (messageID, evicted) = validations.begin(
            itemID: item.id, origin: .local(connection), item: nil, subscribers: subscribers, now: now)
        let notification = GossipNotification(messageID: messageID, dataType: item.dataType, data: item.data)
        return Announced(item: item, delivery: Delivery(subscribers: subscribers, notification: notification), evicted: evicted)
    }

    /// What an ITEM from a peer led to.
    public enum Received: Equatable, Sendable {
        /// Seen before: ignored.
        case duplicate
        /// Its ID is not the one its content gives (`ItemBinding`): a forgery, or a corrupted
        /// copy. Not recorded as seen, so the real item is still taken when it comes.
        case unbound
        /// Announced longer ago than this node remembers items (or too far in the future): a
        /// replay, or a clock far off. Dropped.
        case stale
        /// Over the budget of new items (`admissionBucket`, or the share for unvalidated relaying):
        /// dropped without a trace, so it can be taken later.
        case throttled
        /// Of a type a local module validated but none does now: dropped (and remembered as
        /// seen) rather than relayed unvalidated.
        case noValidator
        /// Notified to local subscribers; forwarding waits for their verdict.
        case awaitingValidation(Delivery, evicted: [ValidationTracker.Completion])
        /// No local module subscribed to its type: relayed unvalidated (nil if its TTL ends here).
        case relayed(forward: GossipItem?)
    }

    /// ITEM from the peer on link `peer`: drop duplicates; notify local subscribers and hold the
    /// item until they answer; or, with no subscribers for its type, relay it at once.
    public mutating func receive(_ item: GossipItem, fromPeer peer: LinkID, now: Moment) -> Received {
        if seen.contains(item.id) || cache.contains(item.id) {
            holders[item.id]?.insert(peer)
            return .duplicate
        }
        // A new ID. Nothing is recorded for an item refused here, so the real one (or the same
        // one, once the budget allows) is still taken when it comes.
        guard isFresh(item.id, now: now) else { return .stale }
        guard ItemBinding.isBound(item) else { return .unbound }
        let subscribers = subscriptions.subscribers(of: item.dataType)
        let unvalidated = subscribers.isEmpty && !validatedTypes.contains(item.dataType)
        if unvalidated && !unvalidatedAdmission.take(now: now) { return .throttled }
        guard admission.take(now: now) else {
            if unvalidated { unvalidatedAdmission.giveBack() }
            return .throttled
        }
        seen.observe(item.id, now: now)
        guard subscribers.isEmpty else {
            let (messageID, evicted) = validations.begin(
                itemID: item.id, origin: .peer(peer), item: item, subscribers: subscribers, now: now)
            holders[item.id] = [peer]
            let notification = GossipNotification(messageID: messageID, dataType: item.dataType, data: item.data)
            return .awaitingValidation(Delivery(subscribers: subscribers, notification: notification), evicted: evicted)
        }
        guard unvalidated else { return .noValidator }
        let forward = Self.forwarded(item)
        if let forward { cache.insert(forward, at: now) }
        return .relayed(forward: forward)
    }

    /// An item to send on, and the links not to send it to (they sent it to us).
    public struct Forward: Equatable, Sendable {
        public var item: GossipItem
        public var excluding: SmallSet<LinkID>
    }

    /// What to forward once a peer item's validation ended, or nil: only items every subscriber
    /// found valid travel on, and only while their TTL allows. What travels on is also what the
    /// cache offers to anti-entropy, so a pull can never stretch an item past its TTL.
    public mutating func settle(_ completion: ValidationTracker.Completion, now: Moment = .zero) -> Forward? {
        var knownHolders = holders.removeValue(forKey: completion.itemID) ?? []
        guard case .peer(let sender) = completion.origin, completion.outcome == .valid, let item = completion.item,
            let forward = Self.forwarded(item)
        else { return nil }
        cache.insert(forward, at: now)
        knownHolders.insert(sender)
        return Forward(item: forward, excluding: knownHolders)
    }

    /// The TTL rule: 0 is unlimited and stays 0; 1 means this was the last hop; otherwise one hop less.
    public static func forwarded(_ item: GossipItem) -> GossipItem? {
        switch item.ttl {
        case 0: return item
        case 1: return nil
        default:
            var next = item
            next.ttl -= 1
            return next
        }
    }

    /// Of the IDs a peer offered, those this node has neither seen nor cached, and that are not
    /// too old to take (anti-entropy).
    public func missing(from offered: [ItemID], now: Moment) -> [ItemID] {
        offered.filter { !seen.contains($0) && !cache.contains($0) && isFresh($0, now: now) }
    }

    /// The Unix second at `now`, by this node's clock.
    func unixSeconds(at now: Moment) -> UInt32 {
        UInt32(truncatingIfNeeded: configuration.unixSecondsAtZero + now.nanoseconds / 1_000_000_000)
    }

    /// Whether an item with this ID may be taken at `now`: announced less long ago than the seen
    /// set surely remembers it, and not too far ahead of our clock. The seen set keeps an ID for
    /// its TTL from its first sighting, which may come up to `ahead` before the stamp, so it
    /// surely holds the ID until the stamp is `TTL − ahead` old: that is the age limit. `ahead` is
    /// the clock skew allowed (a minute), or half the TTL if the TTL is two minutes or less (the
    /// age limit is then the other half). Ages are whole seconds, so an ID first seen at the very
    /// edge of the skew allowed may have left the set less than a second before its age limit.
    public func isFresh(_ id: ItemID, now: Moment) -> Bool {
        let stamp = UInt64(ItemBinding.stamp(of: id))
        let current = configuration.unixSecondsAtZero + now.nanoseconds / 1_000_000_000
        let ttl = configuration.seenTTLNanoseconds / 1_000_000_000
        let ahead = ttl > 2 * Configuration.maximumClockSkewSeconds ? Configuration.maximumClockSkewSeconds : ttl / 2
        return stamp + (ttl - ahead) >= current && stamp <= current + ahead
    }

    /// The newest cached item IDs, up to `limit`, oldest first; with `cachedBy`, only items
    /// cached at that moment or before (younger ones are likely still on their way to the peer).
    public func digest(limit: Int, cachedBy latest: Moment? = nil) -> [ItemID] {
        latest.map { cache.newestIDs(limit, insertedBy: $0) } ?? cache.newestIDs(limit)
    }

    private mutating func nextSalt() -> UInt32 {
        if random != nil { return UInt32(truncatingIfNeeded: random!.next()) }
        var system = SystemRandomNumberGenerator()
        return UInt32.random(in: 0...UInt32.max, using: &system)
    }

    /// Whether this node already knows item `id` (seen it, or holds it); a copy from `peer` marks
    /// that link as one not to forward to. A copy does not make the seen set remember the ID
    /// longer (`SeenSet`).
    public mutating func isKnown(_ id: ItemID, fromPeer peer: LinkID? = nil) -> Bool {
        if seen.contains(id) {
            if let peer { holders[id]?.insert(peer) }
            return true
        }
        return cache.contains(id)
    }

    /// Whether this node has seen or holds item `id` (nothing is marked).
    public func knows(_ id: ItemID) -> Bool { seen.contains(id) || cache.contains(id) }

    /// VALIDATION from `connection`. `.unknown` means the connection broke the protocol.
    public mutating func validate(_ validation: GossipValidation, from connection: ConnectionID) -> ValidationTracker.Answer {
        validations.answer(validation.messageID, from: connection, isValid: validation.isValid)
    }

    /// `connection` closed: its subscriptions end and it is no longer awaited.
    public mutating func close(_ connection: ConnectionID) -> [ValidationTracker.Completion] {
        subscriptions.remove(connection)
        return validations.remove(connection)
    }

    /// Decides items whose validation deadline has passed.
    public mutating func expire(now: Moment) -> [ValidationTracker.Completion] {
        seen.expire(now: now)
        return validations.expire(now: now)
    }

    /// When `expire` next has work, if ever.
    public var nextDeadline: Moment? { validations.nextDeadline }
}
