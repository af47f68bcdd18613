/// Splits a byte stream into frames. Feed it whatever chunks the socket returns, in any split,
/// and take out whole frames as they complete.
///
/// The reader checks the header (size at least 4, at most `maximumFrameSize`, and, with a
/// `HeaderRule`, a type this endpoint accepts with a size that type allows) as soon as its 4 bytes
/// are in, before waiting for the body; the layout of each type is checked by the message decoders.
public struct FrameReader: Sendable {
    private var buffer: [UInt8] = []
    private var readIndex = 0
    public let maximumFrameSize: Int
    public let headerRule: HeaderRule?
    /// Bytes that follow each frame's body and belong to it (an encrypted link's 16-byte tag,
    /// `FrameSealer`): the returned body includes them. Set between frames.
    public var trailerSize = 0

    public init(maximumFrameSize: Int = Framing.maximumMessageSize, headerRule: HeaderRule? = nil) {
        self.maximumFrameSize = maximumFrameSize
        self.headerRule = headerRule
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether a frame has started but not completed: the time it may take is bounded by the caller.
    public var hasPartialFrame: Bool { bufferedByteCount > 0 }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil if more bytes are needed.
    /// Throws if the header is impossible; the stream cannot be resynchronised after that.
    public mutating func nextFrame() throws(WireError) -> Frame? {
        guard bufferedByteCount >= Framing.headerSize else { return nil }
        let size = Int(buffer[readIndex]) << 8 | Int(buffer[readIndex + 1])
        guard size >= Framing.headerSize else { throw .sizeBelowHeader(size: size) }
        guard size <= maximumFrameSize else { throw .frameTooLarge(size: size, limit: maximumFrameSize) }
        let type = UInt16(buffer[readIndex + 2]) << 8 | UInt16(buffer[readIndex + 3])
        if let headerRule, let error = headerRule.check(type, size) { throw error }
        let end = size + trailerSize
        guard bufferedByteCount >= end else { return nil }
        let body = Array(buffer[(readIndex + Framing.headerSize)..<(readIndex + end)])
        readIndex += end
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return Frame(type: type, body: body)
    }

    /// Drops consumed bytes once they dominate the buffer, so it never grows past about two frames.
    private mutating func compactIfWorthwhile() {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}

/// Which headers an endpoint accepts: a type it handles with a size that type allows. A header
/// that fails is rejected on its first 4 bytes, so a peer cannot hold the connection for the
/// frame timeout with a body that could never be valid.
public struct HeaderRule: Sendable {
    /// The error for a header (type, size) that cannot start a valid message; nil if it may.
    public let check: @Sendable (UInt16, Int) -> WireError?

    public init(check: @escaping @Sendable (UInt16, Int) -> WireError?) {
        self.check = check
    }

    /// What a node accepts on its API port (module -> node): ANNOUNCE, NOTIFY, VALIDATION, the
    /// STATUS request, and NOTIFICATION and STATUS reply, which the server then refuses by name.
    public static let apiFromModule = HeaderRule { type, size in
        switch MessageType(rawValue: type) {
        case .gossipAnnounce, .gossipNotification:
            size >= GossipAnnounce.fixedSize ? nil : .badSize(type: type, size: size, expected: "at least 8")
        case .gossipNotify, .gossipValidation:
            size == GossipNotify.size ? nil : .badSize(type: type, size: size, expected: "exactly 8")
        case .gossipStatusRequest:
            size == Framing.headerSize || size == Framing.headerSize + 1 ? nil : .badSize(type: type, size: size, expected: "4 or 5")
        case .gossipToken:
            (Framing.headerSize + 1...Framing.headerSize + APIMessage.maximumTokenSize).contains(size)
                ? nil : .badSize(type: type, size: size, expected: "5 to 259")
        case .gossipStatusReply:
            nil
        default:
            .unknownType(type)
        }
    }

    /// What a node accepts on its P2P port: the peer messages 504-516 (`PeerMessage.checkHeader`).
    public static let peer = HeaderRule { type, size in PeerMessage.checkHeader(type: type, size: size) }
}
