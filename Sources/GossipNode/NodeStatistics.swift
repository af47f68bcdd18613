import GossipCore
import Synchronization

/// Counters of what the node did and refused, readable at any time without stopping it.
public final class NodeStatistics: Sendable {
    let apiConnectionsAccepted = Atomic<Int>(0)
    let apiConnectionsOpen = Atomic<Int>(0)
    let announcesReceived = Atomic<Int>(0)
    let notificationsQueued = Atomic<Int>(0)
    let validationsValid = Atomic<Int>(0)
    let validationsInvalid = Atomic<Int>(0)
    let validationsLate = Atomic<Int>(0)
    let validationsTimedOut = Atomic<Int>(0)
    let peerLinksOpen = Atomic<Int>(0)
    let peerItemsReceived = Atomic<Int>(0)
    let peerDuplicates = Atomic<Int>(0)
    let peerItemsSent = Atomic<Int>(0)
    let itemsRelayedUnvalidated = Atomic<Int>(0)
    let itemsForwardedAfterValidation = Atomic<Int>(0)
    let itemsDroppedInvalid = Atomic<Int>(0)
    let itemsTooLargeToSpread = Atomic<Int>(0)
    let antiEntropyItemsPulled = Atomic<Int>(0)
    let dialsFailed = Atomic<Int>(0)
    let itemIDsAnnounced = Atomic<Int>(0)
    let itemsGrafted = Atomic<Int>(0)
    let prunesSent = Atomic<Int>(0)
    /// Times the item handler held back peer items for a module that fell behind.
    let peerIntakePauses = Atomic<Int>(0)
    let itemsFetched = Atomic<Int>(0)
    let cutsSent = Atomic<Int>(0)
    let answersWithheld = Atomic<Int>(0)
    let itemsStale = Atomic<Int>(0)
    let itemsThrottled = Atomic<Int>(0)
    let itemsNoValidator = Atomic<Int>(0)
    let announcementsThrottled = Atomic<Int>(0)

    /// Adds what the protocol core counted.
    func count(_ counter: GossipCounter, by amount: Int) {
        switch counter {
        case .announcesReceived: announcesReceived.increment(by: amount)
        case .validationsValid: validationsValid.increment(by: amount)
        case .validationsInvalid: validationsInvalid.increment(by: amount)
        case .validationsLate: validationsLate.increment(by: amount)
        case .validationsTimedOut: validationsTimedOut.increment(by: amount)
        case .peerItemsReceived: peerItemsReceived.increment(by: amount)
        case .peerDuplicates: peerDuplicates.increment(by: amount)
        case .itemsRelayedUnvalidated: itemsRelayedUnvalidated.increment(by: amount)
        case .itemsForwardedAfterValidation: itemsForwardedAfterValidation.increment(by: amount)
        case .itemsDroppedInvalid: itemsDroppedInvalid.increment(by: amount)
        case .itemsTooLargeToSpread: itemsTooLargeToSpread.increment(by: amount)
        case .antiEntropyItemsPulled: antiEntropyItemsPulled.increment(by: amount)
        case .dialsFailed: dialsFailed.increment(by: amount)
        case .itemIDsAnnounced: itemIDsAnnounced.increment(by: amount)
        case .itemsGrafted: itemsGrafted.increment(by: amount)
        case .prunesSent: prunesSent.increment(by: amount)
        case .itemsFetched: itemsFetched.increment(by: amount)
        case .cutsSent: cutsSent.increment(by: amount)
        case .answersWithheld: answersWithheld.increment(by: amount)
        case .itemsStale: itemsStale.increment(by: amount)
        case .itemsThrottled: itemsThrottled.increment(by: amount)
        case .itemsNoValidator: itemsNoValidator.increment(by: amount)
        case .announcementsThrottled: announcementsThrottled.increment(by: amount)
        }
    }

    // Closes are rare next to messages, so a lock is cheap enough here.
    private let closes = Mutex<[Connection.Kind: [CloseReason: Int]]>([:])

    func countClose(_ reason: CloseReason, kind: Connection.Kind = .api) {
        closes.withLock { $0[kind, default: [:]][reason, default: 0] += 1 }
    }

    /// A consistent-enough copy of every counter.
    public struct Snapshot: Sendable, Equatable, Codable {
        public var apiConnectionsAccepted: Int
        public var apiConnectionsOpen: Int
        public var announcesReceived: Int
        public var notificationsQueued: Int
        public var validationsValid: Int
        public var validationsInvalid: Int
        public var validationsLate: Int
        public var validationsTimedOut: Int
        /// API connections the node closed, by reason (`CloseReason` raw values).
        public var closedConnections: [String: Int]
        public var peerLinksOpen: Int
        public var peerItemsReceived: Int
        /// Items that arrived from a peer a second time (or more) and were dropped.
        public var peerDuplicates: Int
        /// ITEM messages written to peers.
        public var peerItemsSent: Int
        public var itemsRelayedUnvalidated: Int
        public var itemsForwardedAfterValidation: Int
        public var itemsDroppedInvalid: Int
        public var itemsTooLargeToSpread: Int
        public var antiEntropyItemsPulled: Int
        public var dialsFailed: Int
        /// Item IDs announced in IHAVE messages (the broadcast tree's lazy path).
        public var itemIDsAnnounced: Int
        /// Items asked for with GRAFT (announced, but not received in time).
        public var itemsGrafted: Int
        /// PRUNE messages sent (a duplicate came over a tree link).
        public var prunesSent: Int
        public var peerIntakePauses: Int
        public var itemsFetched: Int
        public var cutsSent: Int
        public var answersWithheld: Int
        public var itemsStale: Int
        public var itemsThrottled: Int
        public var itemsNoValidator: Int
        public var announcementsThrottled: Int
        /// Peer links the node closed, by reason (`CloseReason` raw values).
        public var closedPeerLinks: [String: Int]

        /// The JSON keys (snake case in STATUS): spelled out so that `itemIDsAnnounced` becomes
        /// `item_ids_announced`.
        enum CodingKeys: String, CodingKey {
            case apiConnectionsAccepted
            case apiConnectionsOpen
            case announcesReceived
            case notificationsQueued
            case validationsValid
            case validationsInvalid
            case validationsLate
            case validationsTimedOut
            case closedConnections
            case peerLinksOpen
            case peerItemsReceived
            case peerDuplicates
            case peerItemsSent
            case itemsRelayedUnvalidated
            case itemsForwardedAfterValidation
            case itemsDroppedInvalid
            case itemsTooLargeToSpread
            case antiEntropyItemsPulled
            case dialsFailed
            case itemIDsAnnounced = "itemIdsAnnounced"  // item_ids_announced, not item_i_ds_announced
            case itemsGrafted
            case prunesSent
            case peerIntakePauses
            case itemsFetched
            case cutsSent
            case answersWithheld
            case itemsStale
            case itemsThrottled
            case itemsNoValidator
            case announcementsThrottled
            case closedPeerLinks
        }

        /// API connections closed for `reason`.
        public func closed(_ reason: CloseReason) -> Int { closedConnections[reason.rawValue, default: 0] }

        /// Peer links closed for `reason`.
        public func closedLinks(_ reason: CloseReason) -> Int { closedPeerLinks[reason.rawValue, default: 0] }
    }

    private static func byName(_ counts: [CloseReason: Int]?) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: (counts ?? [:]).map { ($0.key.rawValue, $0.value) })
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
            closedConnections: Self.byName(closed[.api]),
            peerLinksOpen: peerLinksOpen.load(ordering: .relaxed),
            peerItemsReceived: peerItemsReceived.load(ordering: .relaxed),
            peerDuplicates: peerDuplicates.load(ordering: .relaxed),
            peerItemsSent: peerItemsSent.load(ordering: .relaxed),
            itemsRelayedUnvalidated: itemsRelayedUnvalidated.load(ordering: .relaxed),
            itemsForwardedAfterValidation: itemsForwardedAfterValidation.load(ordering: .relaxed),
            itemsDroppedInvalid: itemsDroppedInvalid.load(ordering: .relaxed),
            itemsTooLargeToSpread: itemsTooLargeToSpread.load(ordering: .relaxed),
            antiEntropyItemsPulled: antiEntropyItemsPulled.load(ordering: .relaxed),
            dialsFailed: dialsFailed.load(ordering: .relaxed),
            itemIDsAnnounced: itemIDsAnnounced.load(ordering: .relaxed),
            itemsGrafted: itemsGrafted.load(ordering: .relaxed),
            prunesSent: prunesSent.load(ordering: .relaxed),
            peerIntakePauses: peerIntakePauses.load(ordering: .relaxed),
            itemsFetched: itemsFetched.load(ordering: .relaxed),
            cutsSent: cutsSent.load(ordering: .relaxed),
            answersWithheld: answersWithheld.load(ordering: .relaxed),
            itemsStale: itemsStale.load(ordering: .relaxed),
            itemsThrottled: itemsThrottled.load(ordering: .relaxed),
            itemsNoValidator: itemsNoValidator.load(ordering: .relaxed),
            announcementsThrottled: announcementsThrottled.load(ordering: .relaxed),
            closedPeerLinks: Self.byName(closed[.peer]))
    }
}

extension Atomic where Value == Int {
    /// Counts one more event; counters need no ordering with other memory.
    func increment(by amount: Int = 1) {
        wrappingAdd(amount, ordering: .relaxed)
    }
}
