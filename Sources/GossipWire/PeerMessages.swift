/// 504 HELLO: opens every P2P connection, sent by both sides before anything else.
public struct PeerHello: Equatable, Sendable {
    public var version: UInt8
    /// Bit 0: `plaintextFlag`; the other bits are reserved, sent as 0 and ignored.
    public var flags: UInt8
    /// The sender's identity: the SHA-256 of its public key.
    public var identity: PeerIdentity
    /// Where the sender accepts P2P connections.
    public var listenAddress: PeerAddress
    /// 16 random bytes the other side must sign in its AUTH, so an AUTH cannot be replayed.
    public var nonce: [UInt8]

    /// 2 added the active/passive membership (513) and the broadcast tree (514-516); 3 binds item
    /// IDs to their content and adds the identity's proof of work to AUTH; 4 adds the path weight
    /// to ITEM and the CUT form of PRUNE; 5 encrypts every frame after the handshake (AUTH carries
    /// an X25519 key); 6 replaces ITEM's path weight by its path's heavy links (`TreePath`) and
    /// makes link weights 64 bits (so CUT is 28 bytes).
    public static let currentVersion: UInt8 = 6
    /// The flag of a node whose links stay in plain text (`link_encryption = 0`, for debugging).
    /// Two nodes talk only if both set it or neither does.
    public static let plaintextFlag: UInt8 = 0x01
    public static let nonceSize = 16
    public static let size = 4 + 4 + 32 + PeerAddress.encodedSize + nonceSize

    public init(
        version: UInt8 = currentVersion, flags: UInt8 = 0, identity: PeerIdentity, listenAddress: PeerAddress,
        nonce: [UInt8] = Array(repeating: 0, count: nonceSize)
    ) {
        self.version = version
        self.flags = flags
        self.identity = identity
        self.listenAddress = listenAddress
        self.nonce = nonce
    }
}

/// 512 AUTH: the sender's public key (DER, SubjectPublicKeyInfo) and its signature of
/// `PeerAuth.signedBytes`; the receiver checks that the key hashes to the identity of the HELLO.
public struct PeerAuth: Equatable, Sendable {
    public var publicKey: [UInt8]
    public var signature: [UInt8]
    /// The proof of work for the sender's identity (`IdentityWork`): a nonce found once per
    /// identity, that makes new identities cost CPU time.
    public var work: UInt64
    /// The sender's X25519 public key for this link alone (32 bytes): both ends agree on the
    /// link's frame keys from it (`LinkKeys`), and the signature covers it. The default, 32 zero
    /// bytes, is no usable key: an encrypting receiver refuses it (`auth_failed`).
    public var agreementKey: [UInt8]

    /// Each field is at most this long (an RSA-16384 key fits).
    public static let maximumFieldSize = 4096
    public static let agreementKeySize = 32
    /// The bytes besides the key and the signature: header, both lengths, the work, the agreement key.
    public static let fixedSize = 4 + 2 + 2 + 8 + agreementKeySize

    public init(
        publicKey: [UInt8], signature: [UInt8], work: UInt64 = 0,
        agreementKey: [UInt8] = Array(repeating: 0, count: agreementKeySize)
    ) {
        self.publicKey = publicKey
        self.signature = signature
        self.work = work
        self.agreementKey = agreementKey
    }

    /// What the sender of an AUTH signs: a label, the receiver's nonce, the sender's nonce, the
    /// sender's identity, the receiver's identity, the sender's agreement key. Binding both nonces
    /// and both identities ties the proof to this one connection; binding the agreement key keeps
    /// anyone in the middle from putting in their own.
    public static func signedBytes(
        receiverNonce: [UInt8], senderNonce: [UInt8], senderIdentity: PeerIdentity, receiverIdentity: PeerIdentity,
        senderAgreementKey: [UInt8]
    ) -> [UInt8] {
        Array("gossip-auth-v2".utf8) + receiverNonce + senderNonce + senderIdentity.bytes + receiverIdentity.bytes
            + senderAgreementKey
    }
}

/// 506 PUSH: the sender's address and a list of peers it knows; also the answer to a PULL.
public struct PeerPush: Equatable, Sendable {
    public var listenAddress: PeerAddress
    public var entries: [PeerEntry]

    public static let fixedSize = 4 + PeerAddress.encodedSize + 2
    /// The most entries that fit in one message: 1,310.
    public static let maximumEntries = (Framing.maximumMessageSize - fixedSize) / PeerEntry.encodedSize

    public init(listenAddress: PeerAddress, entries: [PeerEntry]) {
        self.listenAddress = listenAddress
        self.entries = entries
    }
}

/// 513 MEMBERSHIP: one step of the active view's upkeep. `entry` is the peer the step is about:
/// the joiner for a forwarded join, the sender itself for every other kind.
public struct PeerMembership: Equatable, Sendable {
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// A new node asks its contact to take it in and introduce it to the network.
        case join = 1
        /// Introduce `entry` (a joiner) further: a random walk of `ttl` more hops.
        case forwardJoin = 2
        /// Make this link active; the receiver must accept, dropping a neighbour if it is full
        /// (the sender has no active link, or answers a forwarded join).
        case neighborHigh = 3
        /// Make this link active if you have room.
        case neighborLow = 4
        /// The link is active now.
        case accept = 5
        /// No room: the link closes (a PUSH of peers to try comes first).
        case reject = 6
        /// The sender dropped this link from its active view; the link closes.
        case disconnect = 7
        /// The sender is shutting down: the link closes, and the receiver forgets the sender's
        /// address (it will come back by dialing) and repairs at once.
        case leave = 8
    }

    public var kind: Kind
    /// Hops left for a forwarded join; 0 for the other kinds.
    public var ttl: UInt8
    /// On JOIN and NEIGHBOR: the sender has no tree link, and asks for this one to be one. On
    /// ACCEPT: the link is a tree link (eager) at both ends. Ignored on the other kinds.
    public var tree: Bool
    public var entry: PeerEntry

    public static let size = 4 + 4 + PeerEntry.encodedSize

    public init(kind: Kind, ttl: UInt8 = 0, tree: Bool = false, entry: PeerEntry) {
        self.kind = kind
        self.ttl = ttl
        self.tree = tree
        self.entry = entry
    }
}

/// Any message of the P2P protocol.
public enum PeerMessage: Equatable, Sendable {
    case hello(PeerHello)
    case auth(PeerAuth)
    /// 505: carries the asker's listening address.
    case pull(PeerAddress)
    case push(PeerPush)
    case item(GossipItem)
    /// 508: an opaque nonce the PONG echoes.
    case ping(UInt64)
    case pong(UInt64)
    /// 510: IDs of items the sender holds, newest last.
    case digest([ItemID])
    /// 511: IDs of items the sender wants.
    case request([ItemID])
    case membership(PeerMembership)
    /// 514: IDs of items the sender received and holds (lazy push).
    case ihave([ItemID])
    /// 515: IDs of items the sender misses; the link joins the receiver's tree.
    case graft([ItemID])
    /// 516: the link leaves the receiver's tree.
    case prune
    /// 516 with an item ID and a weight (a CUT): cut the tree link of this weight on the path the
    /// item took to the receiver.
    case cut(ItemID, PathWeight)

    public static let pruneSize = 4
    public static let cutSize = 4 + ItemID.encodedSize + PathWeight.encodedSize
    /// The ITEM path length byte (3.4) of a path off the tree.
    public static let offTreePathLength: UInt8 = 0xFF

    /// The path an ITEM carries for `item`: its own, or off the tree if the weights do not fit
    /// beside the data in one message.
    static func sentPath(of item: GossipItem) -> TreePath {
        let room = Framing.maximumMessageSize - GossipItem.fixedSize - item.data.count
        return PathWeight.encodedSize * item.path.weights.count <= room ? item.path : .offTree
    }

    public static let pullSize = 4 + PeerAddress.encodedSize
    public static let pingSize = 4 + 8
    public static let idListFixedSize = 4 + 2
    /// The most IDs one DIGEST or REQUEST carries: 4,095.
    public static let maximumIDs = (Framing.maximumMessageSize - idListFixedSize) / ItemID.encodedSize

    public var type: MessageType {
        switch self {
        case .hello: .peerHello
        case .auth: .peerAuth
        case .pull: .peerPull
        case .push: .peerPush
        case .item: .peerItem
        case .ping: .peerPing
        case .pong: .peerPong
        case .digest: .peerDigest
        case .request: .peerRequest
        case .membership: .peerMembership
        case .ihave: .peerIHave
        case .graft: .peerGraft
        case .prune: .peerPrune
        case .cut: .peerPrune
        }
    }

    /// Whether a header (type, size) can start a valid peer message: nil if so, else the error
    /// `init(frame:)` would throw once the body is in. Lets a reader close on the first 4 bytes.
    public static func checkHeader(type: UInt16, size: Int) -> WireError? {
        func exactly(_ expected: Int) -> WireError? {
            size == expected ? nil : .badSize(type: type, size: size, expected: "exactly \(expected)")
        }
        func list(fixed: Int, entry: Int) -> WireError? {
            size >= fixed && (size - fixed) % entry == 0 ? nil : .badSize(type: type, size: size, expected: "\(fixed) + n x \(entry)")
        }
        switch MessageType(rawValue: type) {
        case .peerHello: return exactly(PeerHello.size)
        case .peerAuth:
            let largest = PeerAuth.fixedSize + 2 * PeerAuth.maximumFieldSize
            return size >= PeerAuth.fixedSize && size <= largest
                ? nil : .badSize(type: type, size: size, expected: "\(PeerAuth.fixedSize) + key length + signature length")
        case .peerPull: return exactly(Self.pullSize)
        case .peerPush: return list(fixed: PeerPush.fixedSize, entry: PeerEntry.encodedSize)
        case .peerItem:
            return size >= GossipItem.fixedSize ? nil : .badSize(type: type, size: size, expected: "at least \(GossipItem.fixedSize)")
        case .peerPing, .peerPong: return exactly(Self.pingSize)
        case .peerMembership: return exactly(PeerMembership.size)
        case .peerPrune:
            return size == Self.pruneSize || size == Self.cutSize
                ? nil : .badSize(type: type, size: size, expected: "\(Self.pruneSize) or \(Self.cutSize)")
        case .peerDigest, .peerRequest, .peerIHave, .peerGraft: return list(fixed: Self.idListFixedSize, entry: ItemID.encodedSize)
        default: return .unknownType(type)
        }
    }

    /// Decodes a frame, checking its size against the type's layout exactly.
    public init(frame: Frame) throws(WireError) {
        guard let type = MessageType(rawValue: frame.type), (504...516).contains(type.rawValue) else { throw .unknownType(frame.type) }
        var reader = ByteReader(frame.body)
        func requireSize(_ expected: Int) throws(WireError) {
            guard frame.size == expected else { throw .badSize(type: frame.type, size: frame.size, expected: "exactly \(expected)") }
        }
        switch type {
        case .peerHello:
            try requireSize(PeerHello.size)
            let version = try reader.readUInt8()
            let flags = try reader.readUInt8()
            _ = try reader.readUInt16()
            let identity = try PeerIdentity.decode(from: &reader)
            let address = try PeerAddress.decode(from: &reader)
            let nonce = try reader.readBytes(PeerHello.nonceSize)
            self = .hello(PeerHello(version: version, flags: flags, identity: identity, listenAddress: address, nonce: nonce))
        case .peerAuth:
            let keyLength = Int(try reader.readUInt16())
            guard keyLength <= PeerAuth.maximumFieldSize else { throw .invalidField("public key of \(keyLength) bytes") }
            let key = try reader.readBytes(keyLength)
            let signatureLength = Int(try reader.readUInt16())
            guard signatureLength <= PeerAuth.maximumFieldSize, signatureLength + 8 + PeerAuth.agreementKeySize == reader.remaining else {
                throw .badSize(type: frame.type, size: frame.size, expected: "\(PeerAuth.fixedSize) + key length + signature length")
            }
            let signature = try reader.readBytes(signatureLength)
            let work = try reader.readUInt64()
            let agreementKey = try reader.readBytes(PeerAuth.agreementKeySize)
            self = .auth(PeerAuth(publicKey: key, signature: signature, work: work, agreementKey: agreementKey))
        case .peerPull:
            try requireSize(Self.pullSize)
            self = .pull(try PeerAddress.decode(from: &reader))
        case .peerPush:
            guard frame.size >= PeerPush.fixedSize else {
                throw .badSize(type: frame.type, size: frame.size, expected: "at least \(PeerPush.fixedSize)")
            }
            let address = try PeerAddress.decode(from: &reader)
            let count = Int(try reader.readUInt16())
            guard count * PeerEntry.encodedSize == reader.remaining else {
                throw .badSize(type: frame.type, size: frame.size, expected: "\(PeerPush.fixedSize) + \(count) x \(PeerEntry.encodedSize)")
            }
            var entries: [PeerEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let identity = try PeerIdentity.decode(from: &reader)
                entries.append(PeerEntry(identity: identity, address: try PeerAddress.decode(from: &reader)))
            }
            self = .push(PeerPush(listenAddress: address, entries: entries))
        case .peerItem:
            guard frame.size >= GossipItem.fixedSize else {
                throw .badSize(type: frame.type, size: frame.size, expected: "at least \(GossipItem.fixedSize)")
            }
            let id = ItemID(high: try reader.readUInt64(), low: try reader.readUInt64())
            let ttl = try reader.readUInt8()
            let pathLength = try reader.readUInt8()
            let dataType = try reader.readUInt16()
            let path: TreePath
            if pathLength == Self.offTreePathLength {
                path = .offTree
            } else {
                guard Int(pathLength) <= TreePath.maximumLength, reader.remaining >= PathWeight.encodedSize * Int(pathLength) else {
                    throw .invalidField("path length \(pathLength)")
                }
                var weights: [PathWeight] = []
                weights.reserveCapacity(Int(pathLength))
                for _ in 0..<pathLength { weights.append(PathWeight(rawValue: try reader.readUInt64())) }
                guard let decoded = TreePath(weights: weights) else { throw .invalidField("path weights not strictly decreasing link weights") }
                path = decoded
            }
            guard reader.remaining <= GossipItem.maximumDataSize else {
                throw .badSize(type: frame.type, size: frame.size, expected: "data of at most \(GossipItem.maximumDataSize) bytes")
            }
            self = .item(GossipItem(id: id, ttl: ttl, dataType: dataType, path: path, data: reader.readRest()))
        case .peerPing, .peerPong:
            try requireSize(Self.pingSize)
            let nonce = try reader.readUInt64()
            self = type == .peerPing ? .ping(nonce) : .pong(nonce)
        case .peerMembership:
            try requireSize(PeerMembership.size)
            let rawKind = try reader.readUInt8()
            guard let kind = PeerMembership.Kind(rawValue: rawKind) else { throw .invalidField("membership kind \(rawKind)") }
            let ttl = try reader.readUInt8()
            let flags = try reader.readUInt8()
            _ = try reader.readUInt8()  // reserved
            let identity = try PeerIdentity.decode(from: &reader)
            let entry = PeerEntry(identity: identity, address: try PeerAddress.decode(from: &reader))
            self = .membership(PeerMembership(kind: kind, ttl: ttl, tree: flags & 1 != 0, entry: entry))
        case .peerPrune:
            switch frame.size {
            case Self.pruneSize:
                self = .prune
            case Self.cutSize:
                let id = ItemID(high: try reader.readUInt64(), low: try reader.readUInt64())
                self = .cut(id, PathWeight(rawValue: try reader.readUInt64()))
            default:
                throw .badSize(type: frame.type, size: frame.size, expected: "\(Self.pruneSize) or \(Self.cutSize)")
            }
        case .peerDigest, .peerRequest, .peerIHave, .peerGraft:
            guard frame.size >= Self.idListFixedSize else {
                throw .badSize(type: frame.type, size: frame.size, expected: "at least \(Self.idListFixedSize)")
            }
            let count = Int(try reader.readUInt16())
            guard count * ItemID.encodedSize == reader.remaining else {
                throw .badSize(type: frame.type, size: frame.size, expected: "\(Self.idListFixedSize) + \(count) x 16")
            }
            var ids: [ItemID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(ItemID(high: try reader.readUInt64(), low: try reader.readUInt64())) }
            switch type {
            case .peerDigest: self = .digest(ids)
            case .peerRequest: self = .request(ids)
            case .peerIHave: self = .ihave(ids)
            default: self = .graft(ids)
            }
        case .gossipAnnounce, .gossipNotify, .gossipNotification, .gossipValidation, .gossipToken, .gossipStatusRequest,
            .gossipStatusReply:
            throw .unknownType(frame.type)
        }
    }

    /// Appends this message's bytes, header included. Lists longer than fit are a programming error.
    public func encode(into bytes: inout [UInt8]) {
        let start = bytes.beginMessage(type.rawValue)
        switch self {
        case .hello(let hello):
            bytes.append(hello.version)
            bytes.append(hello.flags)
            bytes.appendBigEndian(UInt16(0))
            hello.identity.encode(into: &bytes)
            hello.listenAddress.encode(into: &bytes)
            precondition(hello.nonce.count == PeerHello.nonceSize, "nonces are 16 bytes")
            bytes.append(contentsOf: hello.nonce)
        case .auth(let auth):
            precondition(auth.publicKey.count <= PeerAuth.maximumFieldSize && auth.signature.count <= PeerAuth.maximumFieldSize)
            bytes.appendBigEndian(UInt16(auth.publicKey.count))
            bytes.append(contentsOf: auth.publicKey)
            bytes.appendBigEndian(UInt16(auth.signature.count))
            bytes.append(contentsOf: auth.signature)
            bytes.appendBigEndian(auth.work)
            precondition(auth.agreementKey.count == PeerAuth.agreementKeySize, "agreement keys are 32 bytes")
            bytes.append(contentsOf: auth.agreementKey)
        case .pull(let address):
            address.encode(into: &bytes)
        case .push(let push):
            precondition(push.entries.count <= PeerPush.maximumEntries, "too many entries for one PUSH")
            push.listenAddress.encode(into: &bytes)
            bytes.appendBigEndian(UInt16(push.entries.count))
            for entry in push.entries {
                entry.identity.encode(into: &bytes)
                entry.address.encode(into: &bytes)
            }
        case .item(let item):
            bytes.appendBigEndian(item.id.high)
            bytes.appendBigEndian(item.id.low)
            bytes.append(item.ttl)
            let path = Self.sentPath(of: item)
            bytes.append(path.isOffTree ? Self.offTreePathLength : UInt8(path.weights.count))
            bytes.appendBigEndian(item.dataType)
            for weight in path.weights { bytes.appendBigEndian(weight.rawValue) }
            bytes.append(contentsOf: item.data)
        case .ping(let nonce), .pong(let nonce):
            bytes.appendBigEndian(nonce)
        case .membership(let membership):
            bytes.append(membership.kind.rawValue)
            bytes.append(membership.ttl)
            bytes.append(membership.tree ? 1 : 0)  // flags: bit 0 tree, others reserved
            bytes.append(0)
            membership.entry.identity.encode(into: &bytes)
            membership.entry.address.encode(into: &bytes)
        case .prune:
            break
        case .cut(let id, let weight):
            bytes.appendBigEndian(id.high)
            bytes.appendBigEndian(id.low)
            bytes.appendBigEndian(weight.rawValue)
        case .digest(let ids), .request(let ids), .ihave(let ids), .graft(let ids):
            precondition(ids.count <= Self.maximumIDs, "too many IDs for one message")
            bytes.appendBigEndian(UInt16(ids.count))
            for id in ids {
                bytes.appendBigEndian(id.high)
                bytes.appendBigEndian(id.low)
            }
        }
        bytes.finishMessage(startingAt: start)
    }

    /// The bytes `encoded()` would produce, header included, without encoding.
    public var encodedSize: Int {
        switch self {
        case .hello: PeerHello.size
        case .auth(let auth): PeerAuth.fixedSize + auth.publicKey.count + auth.signature.count
        case .pull: Self.pullSize
        case .push(let push): PeerPush.fixedSize + push.entries.count * PeerEntry.encodedSize
        case .item(let item): GossipItem.fixedSize + PathWeight.encodedSize * Self.sentPath(of: item).weights.count + item.data.count
        case .ping, .pong: Self.pingSize
        case .digest(let ids), .request(let ids), .ihave(let ids), .graft(let ids):
            Self.idListFixedSize + ids.count * ItemID.encodedSize
        case .membership: PeerMembership.size
        case .prune: Self.pruneSize
        case .cut: Self.cutSize
        }
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }
}
