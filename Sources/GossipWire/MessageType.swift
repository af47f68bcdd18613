/// The message types of the Gossip API (500-503) and of our peer-to-peer protocol (504-519).
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
}

/// Limits of the framing shared by the API and the P2P protocol.
public enum Framing {
    /// Bytes in the header: size (u16) and type (u16).
    public static let headerSize = 4
    /// The largest message the 16-bit size field can describe, header included.
    public static let maximumMessageSize = 65_535
}
