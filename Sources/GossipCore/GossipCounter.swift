/// The statistics the protocol core counts (the runtime counts what only it can see, such as
/// bytes that reached an outbox). Each `GossipEffect.count` adds to one of these.
public enum GossipCounter: Int, Sendable, CaseIterable {
    case announcesReceived
    case validationsValid
    case validationsInvalid
    case validationsLate
    case validationsTimedOut
    case peerItemsReceived
    /// Items that arrived from a peer a second time (or more) and were dropped.
    case peerDuplicates
    case itemsRelayedUnvalidated
    case itemsForwardedAfterValidation
    case itemsDroppedInvalid
    case itemsTooLargeToSpread
    case antiEntropyItemsPulled
    case dialsFailed
    /// Item IDs announced lazily (in IHAVE messages).
    case itemIDsAnnounced
    /// Item IDs asked for with GRAFT after an announcement was not followed by the item in time.
    case itemsGrafted
    /// Item IDs asked for with REQUEST after an announcement was not followed by the item in time,
    /// leaving the tree as it is (a first miss: most likely one lost or slow copy).
    case itemsFetched
    /// PRUNE messages sent (a duplicate arrived on a tree link).
    case prunesSent
    /// CUT messages sent: a cycle's heaviest link lies further up an item's path.
    case cutsSent
    /// Items not sent in answer to a REQUEST or GRAFT because the link's answer budget was spent.
    case answersWithheld
    /// Peer items dropped because their ID's stamp was older than the seen set remembers (or too
    /// far ahead of our clock): replays, or origins with a clock far off.
    case itemsStale
    /// New peer items dropped over a budget: the node's admission of new items, a link's share
    /// of it, or the share for relaying unvalidated types (not recorded, so they can come again).
    case itemsThrottled
    /// Peer items of a type a local module used to validate but none does now: dropped rather
    /// than relayed unvalidated.
    case itemsNoValidator
    /// Announced IDs (IHAVE), DIGESTs, REQUESTs, GRAFTs, CUTs and PULLs ignored over a link's rate
    /// limit (`LinkBudgets`).
    case announcementsThrottled
}
