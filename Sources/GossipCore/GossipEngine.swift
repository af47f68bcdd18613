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

        public init(cacheSize: Int, validationTimeoutNanoseconds: UInt64, maximumHeldBytes: Int = 64 << 20) {
            self.cacheSize = cacheSize
            self.validationTimeoutNanoseconds = validationTimeoutNanoseconds
            self.maximumHeldBytes = maximumHeldBytes
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

    public let configuration: Configuration
    public private(set) var subscriptions = SubscriptionTable()
    public private(set) var cache: ItemCache
    public private(set) var validations: ValidationTracker
    private var random: SeededRandom

    public init(configuration: Configuration, random: SeededRandom = SeededRandom()) {
        self.configuration = configuration
        self.cache = ItemCache(capacity: configuration.cacheSize)
        self.validations = ValidationTracker(
            timeoutNanoseconds: configuration.validationTimeoutNanoseconds,
            maximumHeldBytes: configuration.maximumHeldBytes)
        self.random = random
    }

    /// NOTIFY: `connection` receives every later item of `dataType`.
    public mutating func subscribe(_ connection: ConnectionID, to dataType: UInt16) {
        subscriptions.subscribe(connection, to: dataType)
    }

    /// ANNOUNCE from a local module: cache the item and notify the other subscribers of its type.
    /// The announcer never gets its own item back.
    public mutating func announce(_ announce: GossipAnnounce, from connection: ConnectionID, now: Moment) -> Announced {
        let item = GossipItem(
            id: .random(using: &random), ttl: announce.ttl, dataType: announce.dataType, data: announce.data)
        cache.insert(item)
        let subscribers = subscriptions.subscribers(of: item.dataType).filter { $0 != connection }
        guard !subscribers.isEmpty else { return Announced(item: item, delivery: nil, evicted: []) }
        // A local item is spread at once; validations are still paired so answers are recognised.
        let (messageID, evicted) = validations.begin(
            itemID: item.id, origin: .local(connection), item: nil, subscribers: subscribers, now: now)
        let notification = GossipNotification(messageID: messageID, dataType: item.dataType, data: item.data)
        return Announced(item: item, delivery: Delivery(subscribers: subscribers, notification: notification), evicted: evicted)
    }

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
        validations.expire(now: now)
    }

    /// When `expire` next has work, if ever.
    public var nextDeadline: Moment? { validations.nextDeadline }
}
