/// Why the node closed a connection, API or P2P: one list for the core's decisions, the
/// runtime's reading errors, and the counters.
public enum CloseReason: String, Sendable, CaseIterable {
    case sizeBelowHeader = "size_below_header"
    case frameTooLarge = "frame_too_large"
    case unknownType = "unknown_type"
    case badSize = "bad_size"
    case notificationFromModule = "notification_from_module"
    case unknownValidationID = "unknown_validation_id"
    case frameTimeout = "frame_timeout"
    case closedMidFrame = "closed_mid_frame"
    case outboxOverflow = "outbox_overflow"
    /// A module whose outbox stayed over half full for longer than `validation_timeout_ms`
    /// while the node held back peer items for it.
    case moduleLagging = "module_lagging"
    case writeFailed = "write_failed"
    case tooManyConnections = "too_many_connections"
    case statusReplyFromModule = "status_reply_from_module"
    // P2P only:
    case helloMissing = "hello_missing"
    case unexpectedHello = "unexpected_hello"
    case unexpectedAuth = "unexpected_auth"
    case authFailed = "auth_failed"
    case selfConnection = "self_connection"
    case duplicateLink = "duplicate_link"
    case versionMismatch = "version_mismatch"
    case unresponsive = "unresponsive"
    case handshakeTimeout = "handshake_timeout"
    case overCapacity = "over_capacity"
    case nodeStopping = "node_stopping"
    case idle = "idle"
    /// A MEMBERSHIP message the link's state does not allow (a JOIN on a link we dialed, say).
    case unexpectedMembership = "unexpected_membership"
    /// A neighbour request was refused, by us or by the peer (its active view is full).
    case neighborRejected = "neighbor_rejected"
    /// The peer dropped the link from its active view (its DISCONNECT).
    case disconnected = "disconnected"
    /// We dropped the link from our active view to make room for another (our DISCONNECT).
    case displaced = "displaced"
    /// A dial for one particular peer (a joiner, a handover) reached another node at its address.
    case wrongPeer = "wrong_peer"
    /// An ITEM whose ID is not the one its content gives (a forged or corrupted copy).
    case itemIDMismatch = "item_id_mismatch"
    /// An inbound connection beyond `max_links_per_ip` from one address.
    case addressLimit = "address_limit"
    /// An inbound connection beyond `max_links_per_prefix` from one /24 or /48.
    case prefixLimit = "prefix_limit"
    /// A connection still in its handshake, closed to make room when `max_pending_handshakes`
    /// were taken.
    case handshakeCrowded = "handshake_crowded"
    /// The system refused a thread for the connection (out of threads or memory).
    case noThread = "no_thread"
    /// A peer's AUTH showed less proof of work for its identity than `identity_work_bits`.
    case insufficientWork = "insufficient_work"
    /// A dialer whose identity, or host, has used up the signatures this node makes for it
    /// (`HandshakeBudget`).
    case handshakeThrottled = "handshake_throttled"
    /// An API connection that never sent a message, closed to make room for a new one at
    /// `max_api_connections`.
    case idleEvicted = "idle_evicted"
    /// An API client from an address outside `api_allow`.
    case notAllowed = "not_allowed"
    /// An API client whose first message was not the right `api_token` (517).
    case unauthorized = "unauthorized"
    /// This node is shutting down and told the peer (LEAVE): the link closes after that message.
    case leaving = "leaving"
    /// The peer is shutting down and said so (its LEAVE).
    case peerLeft = "peer_left"
    /// A sealed frame that did not open: altered, replayed, reordered, cut short, or sealed with
    /// another key.
    case decryptionFailed = "decryption_failed"
    /// One end of a link encrypts and the other does not (`link_encryption`).
    case encryptionMismatch = "encryption_mismatch"

    /// Closes for input that broke the protocol's rules (a frame or message that does not decode,
    /// or that the connection's state does not allow): the `malformed` metrics.
    public var isMalformedInput: Bool {
        switch self {
        case .sizeBelowHeader, .frameTooLarge, .unknownType, .badSize, .notificationFromModule, .unknownValidationID,
            .closedMidFrame, .statusReplyFromModule, .helloMissing, .unexpectedHello, .unexpectedAuth, .unexpectedMembership,
            .itemIDMismatch, .decryptionFailed:
            true
        default: false
        }
    }

    /// Closes of a peer connection whose handshake failed: the `handshake failures` metric.
    public var isHandshakeFailure: Bool {
        switch self {
        case .helloMissing, .unexpectedHello, .unexpectedAuth, .authFailed, .versionMismatch, .handshakeTimeout, .insufficientWork,
            .encryptionMismatch, .wrongPeer, .handshakeCrowded:
            true
        default: false
        }
    }

    /// Closes that are the overlay's routine upkeep rather than a peer's fault.
    public var isPeerHousekeeping: Bool {
        switch self {
        case .selfConnection, .duplicateLink, .overCapacity, .nodeStopping, .idle, .neighborRejected, .disconnected, .displaced,
            .leaving, .peerLeft:
            true
        default: false
        }
    }

    /// Closes that follow a last message to the peer (REJECT, DISCONNECT, a full node's peers):
    /// the runtime sends what is queued and ends its side before it stops reading, so that the
    /// peer gets that message rather than a reset.
    public var flushesBeforeClosing: Bool {
        switch self {
        case .overCapacity, .idle, .neighborRejected, .disconnected, .displaced, .leaving: true
        default: false
        }
    }
}
