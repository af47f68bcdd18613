import GossipSockets
import GossipWire

/// A blocking client of a node's Gossip API: what a module does, in a few calls.
///
/// `@unchecked Sendable` so a reader thread and a writer thread can share it: at most one thread
/// may receive at a time (the frame stream is its state) and at most one may send at a time.
public final class GossipAPIClient: @unchecked Sendable {
    public let socket: Socket
    private var stream: FrameStream

    /// Why a receive did not produce a message.
    public enum ReceiveError: Error, CustomStringConvertible {
        case timedOut
        case stream(FrameStream.ReadError)
        case malformed(WireError)
        /// The node sent a P2P HELLO (type 504): the address is its P2P port, not its API port.
        case peerHello
        /// The node closed the connection before the answer came.
        case closed

        public var description: String {
            switch self {
            case .timedOut: "no message arrived in time"
            case .peerHello: "the node answered with a P2P HELLO: this is its P2P port, not its API port"
            case .closed: "the node closed the connection"
            case .stream(let error): "\(error)"
            case .malformed(let error): "malformed message from the node: \(error)"
            }
        }
    }

    /// Connects to the node's API at `host:port`.
    public init(host: String, port: UInt16, connectTimeout: Duration = .seconds(5)) throws(SocketError) {
        socket = try Socket.connect(host: host, port: port, deadline: .now + connectTimeout)
        stream = FrameStream(socket: socket, frameTimeout: .seconds(30))
    }

    /// Presents the node's `api_token` (517): it must be the first message on a connection to a
    /// node that requires one; a node that does not ignores it.
    public func present(token: String, timeout: Duration = .seconds(10)) throws(SocketError) {
        let bytes = Array(token.utf8)
        guard (1...APIMessage.maximumTokenSize).contains(bytes.count) else {
            throw SocketError("send the token", .resolution("a token is 1 to \(APIMessage.maximumTokenSize) bytes"))
        }
        try send(.token(bytes), timeout: timeout)
    }

    /// Connects to the node's API on the Unix-domain socket at `path` (its `api_socket`).
    public init(unixPath path: String, connectTimeout: Duration = .seconds(5)) throws(SocketError) {
        socket = try Socket.connect(unixPath: path, deadline: .now + connectTimeout)
        stream = FrameStream(socket: socket, frameTimeout: .seconds(30))
    }

    /// Sends one message.
    public func send(_ message: APIMessage, timeout: Duration = .seconds(10)) throws(SocketError) {
        try socket.send(message.encoded(), deadline: .now + timeout)
    }

    /// Sends raw bytes as they are: for tests of malformed input.
    public func sendRaw(_ bytes: [UInt8], timeout: Duration = .seconds(10)) throws(SocketError) {
        try socket.send(bytes, deadline: .now + timeout)
    }

    public func notify(dataType: UInt16) throws(SocketError) {
        try send(.notify(GossipNotify(dataType: dataType)))
    }

    public func announce(dataType: UInt16, ttl: UInt8, data: [UInt8]) throws(SocketError) {
        try send(.announce(GossipAnnounce(ttl: ttl, dataType: dataType, data: data)))
    }

    public func validate(messageID: UInt16, isValid: Bool) throws(SocketError) {
        try send(.validation(GossipValidation(messageID: messageID, isValid: isValid)))
    }

    /// Asks the node for its status (our extension, type 518), the whole of it or only what
    /// `scope` names, and returns the JSON it answers. Call it on a connection that has not
    /// subscribed, so no NOTIFICATION can come first. (A node older than scopes closes the
    /// connection on a request for ``StatusScope/peers``.)
    public func status(_ scope: StatusScope = .full, timeout: Duration = .seconds(5)) throws -> [UInt8] {
        try send(.statusRequest(scope))
        let message: APIMessage?
        do {
            message = try receive(timeout: timeout)
        } catch .stream(.socket) {
            throw ReceiveError.closed  // reset by the node
        }
        guard let message else { throw ReceiveError.closed }
        guard case .statusReply(let json) = message else {
            throw ReceiveError.malformed(.invalidField("expected a STATUS reply"))
        }
        return json
    }

    /// The next message, waiting at most `timeout` (nil: forever); nil when the node closed the connection.
    public func receive(timeout: Duration? = .seconds(5)) throws(ReceiveError) -> APIMessage? {
        let frame: Frame?
        do {
            frame = try stream.readFrame(idleDeadline: timeout.map { .now + $0 })
        } catch {
            if case .idleTimedOut = error { throw .timedOut }
            throw .stream(error)
        }
        guard let frame else { return nil }
        if frame.type == MessageType.peerHello.rawValue { throw .peerHello }
        do {
            return try APIMessage(frame: frame)
        } catch {
            throw .malformed(error)
        }
    }

    /// What `confirm` found out about the messages sent before it.
    public enum Confirmation: Sendable, Equatable {
        /// The node answered a STATUS request sent after them: it read them, in order, and kept
        /// the connection.
        case taken
        /// The node closed the connection first: it refused the connection (an `api_token` it
        /// did not get, an address outside `api_allow`) or a message; its log says which.
        case closed
        /// No answer within the time: a busy node, or one that ignores unknown types. (A node
        /// without the STATUS extension that closes on unknown types reads as `closed`: `gossip
        /// announce --no-confirm` is for such nodes.)
        case unanswered
    }

    /// Asks the node, after what was sent, whether it took it: `gossipd` answers a STATUS request
    /// (our extension, 518) only after the messages before it on the connection, and closes the
    /// connection instead when it refuses them, which neither ANNOUNCE nor the course's API
    /// would otherwise show. NOTIFICATIONs that arrive meanwhile are skipped.
    public func confirm(timeout: Duration = .seconds(5)) throws(ReceiveError) -> Confirmation {
        do {
            try send(.statusRequest(.full))
        } catch {
            // Closed already; a P2P port's HELLO may still be waiting to be read.
            do {
                _ = try receive(timeout: .milliseconds(200))
            } catch .peerHello {
                throw .peerHello
            } catch {}
            return .closed
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let message: APIMessage?
            do {
                message = try receive(timeout: max(.zero, deadline - ContinuousClock.now))
            } catch .timedOut {
                return .unanswered
            } catch .stream(.socket) {
                return .closed  // reset by the node
            }
            guard let message else { return .closed }
            if case .statusReply = message { return .taken }
        }
    }

    /// Ends our direction after the last send, then waits up to `timeout` for the node to close.
    /// An API port reads what was sent and closes; a P2P port has sent its HELLO, which throws
    /// ``ReceiveError/peerHello``, as nothing sent to it is taken. Silence or any other answer counts as done.
    public func finishSending(timeout: Duration = .milliseconds(200)) throws(ReceiveError) {
        socket.shutdownWrite()
        do {
            _ = try receive(timeout: timeout)
        } catch .peerHello {
            throw .peerHello
        } catch {}
    }

    /// Waits until the node closes the connection, discarding anything it sends; true if it closed
    /// within `timeout`.
    public func waitForClose(timeout: Duration = .seconds(5)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                let remaining = deadline - .now
                guard remaining > .zero else { return false }
                if try receive(timeout: remaining) == nil { return true }
            } catch .timedOut {
                return false
            } catch {
                return true  // a reset or a broken stream: closed all the same
            }
        }
    }

    /// Whether bytes already received wait to be read: a caller batching its answers flushes when false.
    public var hasBufferedData: Bool { stream.bufferedByteCount > 0 }

    /// Ends the connection in both directions and wakes a thread waiting in `receive`, which then
    /// sees the end of the stream; the descriptor stays open until the client is released (or
    /// `close`), so that thread can never read from a descriptor number reused meanwhile.
    public func shutdown() {
        socket.shutdown()
    }

    /// Closes the connection.
    public func close() {
        socket.shutdown()
        socket.close()
    }
}
