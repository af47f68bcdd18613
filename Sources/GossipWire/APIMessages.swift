/// 500 GOSSIP ANNOUNCE, module -> node: spread `data` as an item of `dataType`.
public struct GossipAnnounce: Equatable, Sendable {
    /// Hops the item may travel; 0 means unlimited.
    public var ttl: UInt8
    public var reserved: UInt8
    public var dataType: UInt16
    public var data: [UInt8]

    /// Bytes before the data: header, TTL, reserved, data type.
    public static let fixedSize = 8
    /// The most data one ANNOUNCE can carry.
    public static let maximumDataSize = Framing.maximumMessageSize - fixedSize

    public init(ttl: UInt8, reserved: UInt8 = 0, dataType: UInt16, data: [UInt8]) {
        self.ttl = ttl
        self.reserved = reserved
        self.dataType = dataType
        self.data = data
    }
}

/// 501 GOSSIP NOTIFY, module -> node: subscribe this connection to `dataType`. Size exactly 8.
public struct GossipNotify: Equatable, Sendable {
    public var reserved: UInt16
    public var dataType: UInt16

    public static let size = 8

    public init(reserved: UInt16 = 0, dataType: UInt16) {
        self.reserved = reserved
        self.dataType = dataType
    }
}

/// 502 GOSSIP NOTIFICATION, node -> module: a new item; `messageID` pairs it with the VALIDATION.
public struct GossipNotification: Equatable, Sendable {
    public var messageID: UInt16
    public var dataType: UInt16
    public var data: [UInt8]

    public static let fixedSize = 8
    public static let maximumDataSize = Framing.maximumMessageSize - fixedSize

    public init(messageID: UInt16, dataType: UInt16, data: [UInt8]) {
        self.messageID = messageID
        self.dataType = dataType
        self.data = data
    }
}

/// 503 GOSSIP VALIDATION, module -> node: whether the notified item may be propagated. Size exactly 8.
public struct GossipValidation: Equatable, Sendable {
    public var messageID: UInt16
    /// The V bit: the lowest bit of byte 7.
    public var isValid: Bool
    /// The 15 reserved bits above the V bit, kept so a decode/encode round trip is exact.
    public var reserved: UInt16

    public static let size = 8

    public init(messageID: UInt16, isValid: Bool, reserved: UInt16 = 0) {
        self.messageID = messageID
        self.isValid = isValid
        self.reserved = reserved & 0x7FFF
    }
}

/// What a STATUS request (518) asks for: the whole status (a request of 4 bytes) or a part of it
/// (a 5th byte names the part; 0 is never sent, so each request has one encoding).
public enum StatusScope: UInt8, Sendable, CaseIterable {
    /// Everything the node tells (`gossip status`): the request has no body.
    case full = 0
    /// Who the node is and whom it is linked to, nothing else: `identity`, `api_port`,
    /// `p2p_address`, `peers`, `tree_peers`, `view_size` and `uptime_ms`. A small reply, cheap
    /// to make, for whoever polls many nodes (`gossip status --peers`, `gossip-bench net`).
    case peers = 1
}

/// Any message of the Gossip API, decoded from a frame or encoded to bytes.
public enum APIMessage: Equatable, Sendable {
    case announce(GossipAnnounce)
    case notify(GossipNotify)
    case notification(GossipNotification)
    case validation(GossipValidation)
    /// 517 (extension): the API token, 1 to 255 bytes (`APIMessage.maximumTokenSize`).
    case token([UInt8])
    /// 518 (extension): size 4 asks for the whole status; size 5, a one-byte scope, may ask for
    /// less (``StatusScope``).
    case statusRequest(StatusScope)
    /// 519 (extension): UTF-8 JSON.
    case statusReply([UInt8])

    public var type: MessageType {
        switch self {
        case .announce: .gossipAnnounce
        case .notify: .gossipNotify
        case .notification: .gossipNotification
        case .validation: .gossipValidation
        case .token: .gossipToken
        case .statusRequest: .gossipStatusRequest
        case .statusReply: .gossipStatusReply
        }
    }

    /// The longest API token (517): 255 bytes.
    public static let maximumTokenSize = 255

    /// Decodes a frame, checking its size against the type's layout.
    public init(frame: Frame) throws(WireError) {
        guard let type = MessageType(rawValue: frame.type) else { throw .unknownType(frame.type) }
        var reader = ByteReader(frame.body)
        switch type {
        case .gossipAnnounce:
            guard frame.size >= GossipAnnounce.fixedSize else {
                throw .badSize(type: frame.type, size: frame.size, expected: "at least 8")
            }
            let ttl = try reader.readUInt8()
            let reserved = try reader.readUInt8()
            let dataType = try reader.readUInt16()
            self = .announce(GossipAnnounce(ttl: ttl, reserved: reserved, dataType: dataType, data: reader.readRest()))
        case .gossipNotify:
            guard frame.size == GossipNotify.size else {
                throw .badSize(type: frame.type, size: frame.size, expected: "exactly 8")
            }
            let reserved = try reader.readUInt16()
            self = .notify(GossipNotify(reserved: reserved, dataType: try reader.readUInt16()))
        case .gossipNotification:
            guard frame.size >= GossipNotification.fixedSize else {
                throw .badSize(type: frame.type, size: frame.size, expected: "at least 8")
            }
            let messageID = try reader.readUInt16()
            let dataType = try reader.readUInt16()
            self = .notification(GossipNotification(messageID: messageID, dataType: dataType, data: reader.readRest()))
        case .gossipValidation:
            guard frame.size == GossipValidation.size else {
                throw .badSize(type: frame.type, size: frame.size, expected: "exactly 8")
            }
            let messageID = try reader.readUInt16()
            let flags = try reader.readUInt16()
            self = .validation(GossipValidation(messageID: messageID, isValid: flags & 1 == 1, reserved: flags >> 1))
        case .gossipStatusRequest:
            switch frame.body.count {
            case 0:
                self = .statusRequest(.full)
            case 1:
                // One encoding a message: the whole status is asked with no body, never a 0.
                guard let scope = StatusScope(rawValue: frame.body[0]), scope != .full else {
                    throw .invalidField("STATUS scope \(frame.body[0]); known: 1 (peers), or no byte for the whole status")
                }
                self = .statusRequest(scope)
            default:
                throw .badSize(type: frame.type, size: frame.size, expected: "4 or 5")
            }
        case .gossipStatusReply:
            self = .statusReply(frame.body)
        case .gossipToken:
            guard (1...Self.maximumTokenSize).contains(frame.body.count) else {
                throw .badSize(type: frame.type, size: frame.size, expected: "5 to \(Framing.headerSize + Self.maximumTokenSize)")
            }
            self = .token(frame.body)
        case .peerHello, .peerAuth, .peerPull, .peerPush, .peerItem, .peerPing, .peerPong, .peerDigest, .peerRequest,
            .peerMembership, .peerIHave, .peerGraft, .peerPrune:
            throw .unknownType(frame.type)
        }
    }

    /// Appends this message's bytes, header included.
    public func encode(into bytes: inout [UInt8]) {
        let start = bytes.beginMessage(type.rawValue)
        switch self {
        case .announce(let announce):
            bytes.append(announce.ttl)
            bytes.append(announce.reserved)
            bytes.appendBigEndian(announce.dataType)
            bytes.append(contentsOf: announce.data)
        case .notify(let notify):
            bytes.appendBigEndian(notify.reserved)
            bytes.appendBigEndian(notify.dataType)
        case .notification(let notification):
            bytes.appendBigEndian(notification.messageID)
            bytes.appendBigEndian(notification.dataType)
            bytes.append(contentsOf: notification.data)
        case .validation(let validation):
            bytes.appendBigEndian(validation.messageID)
            bytes.appendBigEndian(validation.reserved << 1 | (validation.isValid ? 1 : 0))
        case .statusRequest(let scope):
            // The whole status keeps the 4-byte form that nodes before scopes understand.
            if scope != .full { bytes.append(scope.rawValue) }
        case .statusReply(let json):
            bytes.append(contentsOf: json)
        case .token(let token):
            precondition((1...Self.maximumTokenSize).contains(token.count), "a token is 1 to 255 bytes")
            bytes.append(contentsOf: token)
        }
        bytes.finishMessage(startingAt: start)
    }

    /// This message's bytes, header included. Data longer than the 16-bit size allows is a
    /// programming error: callers check `maximumDataSize` first.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encodedSize)
        encode(into: &bytes)
        return bytes
    }

    /// The size field this message will carry.
    public var encodedSize: Int {
        switch self {
        case .announce(let announce): GossipAnnounce.fixedSize + announce.data.count
        case .notify: GossipNotify.size
        case .notification(let notification): GossipNotification.fixedSize + notification.data.count
        case .validation: GossipValidation.size
        case .statusRequest(let scope): Framing.headerSize + (scope == .full ? 0 : 1)
        case .statusReply(let json): Framing.headerSize + json.count
        case .token(let token): Framing.headerSize + token.count
        }
    }
}
