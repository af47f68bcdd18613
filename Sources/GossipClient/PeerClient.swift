import Crypto
import GossipCore
import GossipIdentity
import GossipSockets
import GossipWire

/// One P2P connection to a node, made the way a peer makes it: HELLO and AUTH both ways, then
/// (on an encrypted link, the default) every frame sealed with the link's keys. For the abuse
/// benchmark and the tests, which play peers, honest or not, over real sockets.
///
/// Not thread-safe: one thread uses a client.
public final class PeerClient {
    public let socket: Socket
    /// The node's HELLO.
    public let theirHello: PeerHello
    /// The node's AUTH; nil if the node closed the link instead (it answers only an AUTH that
    /// checked out: it signs for no dialer that has not proved itself).
    public let theirAuth: PeerAuth?
    private var stream: FrameStream
    /// Our keys for the link, once both AUTHs are out (nil in plain text).
    private var keys: LinkKeys?

    /// Connects to `host:port` and completes the handshake as the holder of `key` would,
    /// claiming `claimed` (its own identity unless a test lies) and signing with `signer` (the key
    /// itself unless a test lies). Returns once the node's AUTH arrived, or the node closed the
    /// link without one, having refused ours (`theirAuth` nil; `closes` is then true at once).
    public init(
        host: String, port: UInt16, key: NodeKey, work: UInt64, listenAddress: PeerAddress,
        claiming claimed: PeerIdentity? = nil, signWith signer: NodeKey? = nil,
        nonce: [UInt8] = (0..<PeerHello.nonceSize).map { _ in UInt8.random(in: 0...255) },
        encrypted: Bool = true, timeout: Duration = .seconds(5)
    ) throws {
        let deadline = ContinuousClock.now + timeout
        socket = try Socket.connect(host: host, port: port, deadline: deadline)
        stream = FrameStream(socket: socket, frameTimeout: .seconds(2))
        guard let frame = try stream.readFrame(idleDeadline: deadline), case .hello(let theirs) = try PeerMessage(frame: frame) else {
            socket.close()
            throw PeerClientError.handshake("the node did not say HELLO")
        }
        theirHello = theirs
        let identity = claimed ?? key.identity
        let agreementKey = Curve25519.KeyAgreement.PrivateKey()
        let ourAgreementKey = Array(agreementKey.publicKey.rawRepresentation)
        let ours = PeerHello(flags: encrypted ? 0 : PeerHello.plaintextFlag, identity: identity, listenAddress: listenAddress, nonce: nonce)
        let signed = PeerAuth.signedBytes(
            receiverNonce: theirs.nonce, senderNonce: nonce, senderIdentity: identity, receiverIdentity: theirs.identity,
            senderAgreementKey: ourAgreementKey)
        let auth = PeerAuth(publicKey: (signer ?? key).publicKeyDER, signature: try (signer ?? key).sign(signed), work: work, agreementKey: ourAgreementKey)
        try socket.send(PeerMessage.hello(ours).encoded() + PeerMessage.auth(auth).encoded(), deadline: deadline)
        // The node's AUTH, sent once ours checked out; or the end of the link, if it did not.
        guard let reply = try stream.readFrame(idleDeadline: deadline) else {
            theirAuth = nil
            return
        }
        guard case .auth(let theirAuth) = try PeerMessage(frame: reply) else {
            socket.close()
            throw PeerClientError.handshake("no AUTH from the node")
        }
        self.theirAuth = theirAuth
        if encrypted {
            guard let keys = LinkKeys.derive(
                agreementKey: agreementKey, peerAgreementKey: theirAuth.agreementKey,
                ourNonce: nonce, theirNonce: theirs.nonce, ourIdentity: identity, theirIdentity: theirs.identity)
            else {
                socket.close()
                throw PeerClientError.handshake("the node's agreement key is unusable")
            }
            self.keys = keys
            stream.trailerSize = FrameSealer.tagSize
        }
    }

    /// The wire bytes of `messages`, sealed in order on an encrypted link (each call numbers
    /// frames on, whether or not the bytes are then sent: a test can hold some back or reorder).
    public func wireBytes(_ messages: [PeerMessage]) -> [UInt8] {
        var plain: [UInt8] = []
        for message in messages { message.encode(into: &plain) }
        guard keys != nil else { return plain }
        var sealed: [UInt8] = []
        keys!.sealer.seal(plain, into: &sealed)
        return sealed
    }

    /// Sends `messages` in one write.
    public func send(_ messages: PeerMessage..., timeout: Duration = .seconds(2)) throws {
        try sendWire(wireBytes(messages), timeout: timeout)
    }

    /// Sends bytes as they are (sealed already, or deliberately not).
    public func sendWire(_ bytes: [UInt8], timeout: Duration = .seconds(2)) throws {
        try socket.send(bytes, deadline: .now + timeout)
    }

    /// The next message from the node before `deadline`; nil once the node closed the link, or
    /// the deadline passed, or a frame did not open.
    public func receive(until deadline: ContinuousClock.Instant) -> PeerMessage? {
        guard var frame = try? stream.readFrame(idleDeadline: deadline) else { return nil }
        if keys != nil {
            guard let opened = keys!.opener.open(frame) else { return nil }
            frame = opened
        }
        return try? PeerMessage(frame: frame)
    }

    /// True once the node closed the link within `timeout` (what it sent meanwhile is read and
    /// dropped); false if the link stayed open that long.
    public func closes(within timeout: Duration = .seconds(5)) -> Bool {
        stream.closes(within: timeout)
    }

    public func close() {
        socket.close()
    }
}

/// Why a `PeerClient` could not complete its handshake.
public enum PeerClientError: Error, CustomStringConvertible {
    case handshake(String)

    public var description: String {
        switch self {
        case .handshake(let reason): "handshake failed: \(reason)"
        }
    }
}
