import GossipCore
import GossipSockets
import GossipWire
import Synchronization

/// One socket the node serves, a module's (API) or a peer's (P2P): a reader thread (run by its
/// server) and a `ConnectionSender` for writes.
final class Connection: Sendable {
    enum Kind: String, Sendable {
        case api
        case peer
    }

    let kind: Kind
    /// The API connection ID or the P2P link number.
    let number: UInt64
    let socket: Socket
    let sender: ConnectionSender
    let remote: String
    /// The first reason the node gave for closing; nil while open or if the other side closed.
    let closeReason = FairMutex<CloseReason?>(nil)
    /// Whether the other side has sent a whole valid message yet (API: idle connections that
    /// never did are the first to go when the node runs out of connection slots).
    let hasSpoken = Atomic<Bool>(false)
    /// Whether the module subscribed to some type (API): only subscribers get peer items, so only
    /// they can make the node hold peer items back.
    let isSubscriber = Atomic<Bool>(false)
    /// Whether it sent a NOTIFY or an ANNOUNCE (API): a module, as STATUS lists them; a connection
    /// that only asks STATUS (`gossip status`) is not one.
    let isModule = Atomic<Bool>(false)
    /// Whole messages read from the other side, and queued for it (`gossip status`).
    let framesIn = Atomic<Int>(0)
    let framesOut = Atomic<Int>(0)
    private let context: NodeContext

    init(kind: Kind, number: UInt64, socket: Socket, context: NodeContext) {
        self.kind = kind
        self.number = number
        self.socket = socket
        self.context = context
        self.remote = socket.remoteDescription
        // The failure handler runs on the sender's thread; it only needs the connection to close.
        let box = WeakConnectionBox()
        self.sender = ConnectionSender(
            socket: socket,
            threadName: "\(kind == .peer ? "p2p" : "api")-send-\(number)",
            capacityBytes: { [context] in context.limits.withLock { $0.outboxCapacityBytes } },
            writeTimeout: context.limits.withLock { $0.writeTimeout },
            onWriteFailure: { error in box.connection?.terminate(.writeFailed, detail: "\(error)") })
        box.connection = self
    }

    var apiID: ConnectionID { ConnectionID(number) }

    var linkID: LinkID { LinkID(number) }

    var label: String { "\(kind.rawValue)#\(number)" }

    /// Queues `frames` whole messages; a full outbox closes the connection (it stopped keeping up).
    @discardableResult
    func send(_ bytes: [UInt8], frames: Int = 1) -> Bool {
        switch sender.enqueue(bytes) {
        case .queued:
            framesOut.wrappingAdd(frames, ordering: .relaxed)
            return true
        case .full:
            terminate(.outboxOverflow, detail: "outbox over \(sender.capacityBytes) bytes")
            return false
        case .closed:
            return false
        case .noThread:
            terminate(.noThread, detail: "no thread for the writer")
            return false
        }
    }

    /// Whether the node decided to close this connection.
    var isClosing: Bool { closeReason.withLock { $0 } != nil }

    /// Closes the connection from any thread, for `reason`: counted once and logged at a bounded rate.
    /// The reader thread sees the socket shut down and finishes the clean-up.
    func terminate(_ reason: CloseReason, detail: String) {
        let first = closeReason.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else {
            // Closing already, perhaps gracefully (after a last message); the node stopping or
            // the write failing must still end it now.
            if reason == .nodeStopping || reason == .writeFailed {
                sender.stop()
                socket.shutdown()
            }
            return
        }
        context.statistics.countClose(reason, kind: kind)
        context.abuseLog.log(
            level: reason.isPeerHousekeeping ? .debug : .notice, "closing \(kind.rawValue) connection: \(reason.rawValue)",
            metadata: ["connection": "\(label)", "remote": "\(remote)", "detail": "\(detail)"])
        if kind == .peer && reason.flushesBeforeClosing {
            sender.finish(linger: Self.linger)
        } else {
            sender.stop()
            socket.shutdown()
        }
    }

    /// How long a link closed after a last message (`CloseReason.flushesBeforeClosing`) waits for
    /// the peer to close its side.
    static let linger: Duration = .seconds(1)

    /// Whether the node closes this connection after a last message: the reader then drains the
    /// input (`Socket.discardInput`) before `finishClosing`.
    var isFlushingBeforeClose: Bool { closeReason.withLock { $0 }?.flushesBeforeClosing == true && kind == .peer }

    /// The reader's last step: stop the writer and close the socket once both threads are done.
    func finishClosing() {
        sender.stop()
        socket.shutdown()
        sender.waitUntilFinished()
        socket.close()
        context.connectionsClosed.wrappingAdd(1, ordering: .relaxed)
    }
}

/// Breaks the reference cycle between a connection and its sender's failure handler.
private final class WeakConnectionBox: @unchecked Sendable {
    // Written once in Connection.init before the sender thread starts, read only afterwards.
    weak var connection: Connection?
}
