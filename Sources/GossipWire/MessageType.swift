/// The message types of the Gossip API (500-503, plus our STATUS extension 518/519) and of our
/// peer-to-peer protocol (504-516).
///
/// All messages, API and P2P alike, share one framing: a 4-byte header (`size`, `type`, both
/// big-endian u16) where `size` counts the whole message, header included.
public enum MessageType: UInt16, Sendable, CaseIterable {
    /// Module -> node: spread this item.
    case gossipAnnounce = 500
    /// Module -> node: subscribe this connection to a data type.
    case gossipNotify = 501
    /// Node -> module: a new item of a subscribed data type.
    case gossipNotification = 502
    /// Module -> node: the verdict on a notified item.
    case gossipValidation = 503

    /// Node <-> node: the first message on every P2P connection, each way.
    case peerHello = 504
    /// Node -> node: send me your peer list.
    case peerPull = 505
    /// Node -> node: my peer list (unsolicited, or the answer to a PULL).
    case peerPush = 506
    /// Node -> node: one gossip item.
    case peerItem = 507
    /// Node -> node: are you alive?
    case peerPing = 508
    /// Node -> node: the answer to a PING.
    case peerPong = 509
    /// Node -> node: the IDs of the newest items I hold (anti-entropy).
    case peerDigest = 510
    /// Node -> node: send me these items (answer to a DIGEST).
    case peerRequest = 511
    /// Node <-> node: proof of the identity claimed in HELLO, sent by both sides after HELLO.
    case peerAuth = 512
    /// Node -> node: membership of the active view (join, forwarded join, neighbour request,
    /// its answer, disconnect).
    case peerMembership = 513
    /// Node -> node: the IDs of items I just received (the broadcast tree's lazy path).
    case peerIHave = 514
    /// Node -> node: send me these items, and make this link part of your tree.
    case peerGraft = 515
    /// Node -> node: take this link out of your tree (4 bytes), or, with an item ID and a weight
    /// (28 bytes, a CUT), cut the tree link of that weight on the path that item took to you.
    case peerPrune = 516

    /// Module -> node (our extension): the API token, the first message on a connection to a node
    /// that requires one (`api_token`).
    case gossipToken = 517
    /// Module -> node (our extension, not in the course spec): ask for the node's status.
    case gossipStatusRequest = 518
    /// Node -> module (our extension): the status as UTF-8 JSON, only ever sent to the asker.
    case gossipStatusReply = 519
}

/// Limits of the framing shared by the API and the P2P protocol.
public enum Framing {
    /// Bytes in the header: size (u16) and type (u16).
    public static let headerSize = 4
    /// The largest message the 16-bit size field can describe, header included.
    public static let maximumMessageSize = 65_535
}
