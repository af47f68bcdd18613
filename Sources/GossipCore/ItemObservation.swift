import GossipWire

/// One item passing through the node, as the core saw it: where it came from, what it is, and
/// what the node made of it. The core reports these (`GossipEffect.observed`) only while
/// `GossipProtocol.observesItems` is on, so a node nobody watches pays nothing for them.
///
/// Each item is observed once at first sight (`announced`, `awaitingValidation`,
/// `relayedUnvalidated` or `dropped`); an item that awaited validation is observed again with the
/// verdict (`valid`, `invalid`, `timedOut`); each further copy from a peer as `duplicate`.
public struct ItemObservation: Equatable, Sendable {
    /// What the node made of the item.
    public enum Outcome: UInt8, CaseIterable, Equatable, Sendable, CustomStringConvertible {
        /// From a local module: spread at once, and notified to the other local subscribers of its
        /// type (their verdicts are counted, not observed: a local item travels regardless).
        case announced = 1
        /// From a peer: notified to the local subscribers of its type; forwarded only if they all
        /// find it valid. A later observation of the same item gives the verdict.
        case awaitingValidation = 2
        /// From a peer, of a type no local module subscribes to: relayed without validation.
        case relayedUnvalidated = 3
        /// The verdict: every local subscriber found it valid (forwarded while its TTL allows).
        case valid = 4
        /// The verdict: a local subscriber found it invalid (not forwarded).
        case invalid = 5
        /// The verdict: no full answer in time, or a subscriber left without answering (not forwarded).
        case timedOut = 6
        /// From a peer, another copy of an item this node already knows: ignored.
        case duplicate = 7
        /// From a peer, new but not taken: too old, over a budget, of a type no local module
        /// validates any more, or with an ID its content does not give.
        case dropped = 8

        /// Whether the node took the item in here: its first sighting (`announced`,
        /// `awaitingValidation`, `relayedUnvalidated`), rather than a verdict, a copy, or an item
        /// not taken (a dropped item may come again and be taken then).
        public var isFirstSight: Bool { self == .announced || self == .awaitingValidation || self == .relayedUnvalidated }

        public var description: String {
            switch self {
            case .announced: "announced"
            case .awaitingValidation: "awaiting_validation"
            case .relayedUnvalidated: "relayed_unvalidated"
            case .valid: "valid"
            case .invalid: "invalid"
            case .timedOut: "timed_out"
            case .duplicate: "duplicate"
            case .dropped: "dropped"
            }
        }
    }

    /// The item's network-wide ID.
    public var id: ItemID
    /// The local module (`.local`) or the peer link (`.peer`) it came from.
    public var source: ItemOrigin
    /// The peer on that link, if the item came from a peer whose identity the node knows.
    public var peer: PeerIdentity?
    public var dataType: UInt16
    /// The TTL as the item arrived (a module's, or hops left as the peer sent it).
    public var ttl: UInt8
    /// The item's data (shared with the item, not copied).
    public var data: [UInt8]
    public var outcome: Outcome

    public init(
        id: ItemID, source: ItemOrigin, peer: PeerIdentity? = nil, dataType: UInt16, ttl: UInt8, data: [UInt8],
        outcome: Outcome
    ) {
        self.id = id
        self.source = source
        self.peer = peer
        self.dataType = dataType
        self.ttl = ttl
        self.data = data
        self.outcome = outcome
    }
}
