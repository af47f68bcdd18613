import GossipCore
import GossipSockets
import GossipWire

/// Accepts module connections and runs one reader thread per connection, as the design card has
/// it. Readers decode frames into the core's events; what the core decides comes back as effects.
final class APIServer: Sendable {
    private let context: NodeContext
    private let accepting: AcceptLoop
    /// The Unix-domain socket endpoint (`api_socket`), if configured: the same API, byte for byte.
    private let socketAccepting: AcceptLoop?

    /// - Parameter socketListener: bound to `api_socket` already, if one is configured.
    init(context: NodeContext, socketListener: Socket? = nil) throws(SocketError) {
        self.context = context
        let address = context.configuration.apiAddress
        let listener = try Socket.listen(host: address.host, port: address.port)
        self.accepting = AcceptLoop(listener: listener, name: "api-accept", context: context) { socket in
            guard Self.isAllowed(socket, context: context) else { return }
            Self.admit(socket, context: context)
        }
        // The socket file's mode decides who may connect there: no address to check.
        self.socketAccepting = socketListener.map {
            AcceptLoop(listener: $0, name: "api-unix-accept", context: context) { socket in Self.admit(socket, context: context) }
        }
    }

    /// The port modules connect to.
    var port: UInt16 { accepting.port }

    func start() {
        accepting.start()
        socketAccepting?.start()
    }

    /// Stops accepting new modules; the connections stay.
    func stopAccepting() {
        accepting.stop()
        socketAccepting?.stop()
    }

    /// Sends each module what its outbox holds, then closes it: its writer ends our direction
    /// once the outbox is empty and shuts the socket down after `linger` at the latest.
    func finishAll(linger: Duration) {
        for connection in context.apiConnections.withLock({ Array($0.values) }) {
            context.statistics.countClose(.nodeStopping, kind: .api)
            connection.sender.finish(linger: linger)
        }
    }

    /// Stops accepting and closes every connection.
    func stop() {
        accepting.stop()
        socketAccepting?.stop()
        for connection in context.apiConnections.withLock({ Array($0.values) }) {
            connection.sender.stop()
            connection.socket.shutdown()
        }
    }

    /// Whether a TCP client's address is in `api_allow` (any, if the list is empty); one that is
    /// not is closed, counted as `not_allowed` and logged at a bounded rate.
    private static func isAllowed(_ socket: Socket, context: NodeContext) -> Bool {
        let allowed = context.apiAccess.withLock { $0.allow }
        guard !allowed.isEmpty else { return true }
        if let address = PeerAddress(host: socket.remoteHost, port: 0), allowed.contains(where: { $0.contains(address) }) { return true }
        context.statistics.countClose(.notAllowed, kind: .api)
        context.abuseLog.log(level: .notice, "closing api connection: not_allowed", metadata: ["remote": "\(socket.remoteDescription)", "detail": "not in api_allow"])
        socket.close()
        return false
    }

    /// Takes a new connection in. At `max_api_connections`, the oldest connection that has not
    /// sent a single message yet (no NOTIFY, ANNOUNCE or STATUS) is closed to make room, so idle
    /// connections cannot lock modules (or an operator's STATUS) out; only if every connection
    /// is in use is the newcomer refused.
    private static func admit(_ socket: Socket, context: NodeContext) {
        context.statistics.apiConnectionsAccepted.increment()
        let limit = context.limits.withLock { $0.maxAPIConnections }
        let open = context.statistics.apiConnectionsOpen.wrappingAdd(1, ordering: .relaxed).newValue
        if open > limit {
            let idle = context.apiConnections.withLock { table in
                table.values.filter { !$0.hasSpoken.load(ordering: .relaxed) && !$0.isClosing }.min { $0.number < $1.number }
            }
            guard let idle else {
                context.statistics.apiConnectionsOpen.wrappingSubtract(1, ordering: .relaxed)
                context.statistics.countClose(.tooManyConnections)
                context.abuseLog.log(
                    level: .warning, "refusing API connection from \(socket.remoteDescription): \(open - 1) open, limit \(limit), none idle")
                socket.close()
                return
            }
            // The idle one's reader sees the shutdown and ends it; its count goes down then.
            idle.terminate(.idleEvicted, detail: "\(open - 1) open at the limit of \(limit); it never sent a message")
        }
        let connection = Connection(kind: .api, number: context.makeConnectionNumber(), socket: socket, context: context)
        context.apiConnections.withLock { $0[connection.apiID] = connection }
        context.liveReaders.increment()
        // The writer thread starts when the connection first has to queue something.
        let started = startThread(name: "api-read-\(connection.number)") { serve(connection, context: context) }
        if !started {
            // Out of threads: this connection cannot be served. Undo, and say so.
            context.liveReaders.wrappingSubtract(1, ordering: .releasing)
            connection.terminate(.noThread, detail: "no thread for it")
            context.apiConnections.withLock { _ = $0.removeValue(forKey: connection.apiID) }
            connection.sender.waitUntilFinished()
            socket.close()
            context.statistics.apiConnectionsOpen.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    /// The reader: runs until the module closes, breaks the protocol, or the node stops. It
    /// only turns frames into the core's events: ANNOUNCE through the item queue (waiting while
    /// its lane is full, so a fast announcer is slowed rather than dropped), or to the core on this
    /// thread while the item handler is idle (`NodeContext.handleAtOnce`); the rest at once.
    private static func serve(_ connection: Connection, context: NodeContext) {
        defer { context.liveReaders.wrappingSubtract(1, ordering: .releasing) }
        context.logger.debug("API connection opened", metadata: ["connection": "\(connection.label)", "remote": "\(connection.remote)"])
        context.withCore { core, now in core.moduleConnected(connection.apiID, now: now) }
        var stream = FrameStream(socket: connection.socket, frameTimeout: context.limits.withLock { $0.frameTimeout }, headerRule: .apiFromModule)
        // With api_token, the first message must be the token (517); nothing else is taken before.
        let token = context.apiAccess.withLock { $0.token }
        var authorized = token == nil
        // A connection becomes a module with its first NOTIFY or ANNOUNCE (said at info, as its
        // end is); one that only asks STATUS (`gossip status`) stays at debug.
        var isModule = false
        // An ANNOUNCE was dropped because the node is stopping: STATUS goes unanswered from then
        // on, so a client that confirms with it (`gossip announce`) is not told "taken".
        var droppedAnnouncement = false
        reading: while !connection.isClosing {
            let frame: Frame
            do {
                guard let next = try stream.readFrame() else { break reading }
                connection.framesIn.wrappingAdd(1, ordering: .relaxed)
                frame = next
            } catch {
                connection.terminate(for: error)
                break reading
            }
            let message: APIMessage
            do {
                message = try APIMessage(frame: frame)
            } catch {
                connection.terminate(error.closeReason, detail: "\(error)")
                break reading
            }
            if !authorized {
                guard case .token(let offered) = message, let token, APIToken.matches(offered, token) else {
                    connection.terminate(.unauthorized, detail: "the first message was not the right api_token (517)")
                    break reading
                }
                authorized = true
                // It spoke: not an idle connection to make room with (max_api_connections).
                connection.hasSpoken.store(true, ordering: .relaxed)
                continue reading
            }
            connection.hasSpoken.store(true, ordering: .relaxed)
            if case .notify = message { connection.isSubscriber.store(true, ordering: .relaxed) }
            if !isModule, message.type == .gossipNotify || message.type == .gossipAnnounce {
                isModule = true
                connection.isModule.store(true, ordering: .relaxed)
                context.logger.info("module connected", metadata: ["connection": "\(connection.label)", "remote": "\(connection.remote)"])
            }
            switch message {
            case .announce(let announce):
                let entry = InboundItem.local(connection.apiID, announce, read: context.clock.now())
                if context.handleAtOnce(entry) { continue reading }
                guard context.itemQueue.push(entry, lane: InboundItem.localLane) else {
                    // Closed: the node is stopping. Keep reading, so what the module's outbox
                    // still holds reaches it (APIServer.finishAll).
                    droppedAnnouncement = true
                    if context.isStopping.load(ordering: .acquiring) { continue reading }
                    break reading
                }
            case .statusRequest(let scope):
                guard !droppedAnnouncement else { continue reading }
                connection.send(APIMessage.statusReply(context.statusJSON(scope)).encoded())
            case .validation(let validation) where context.itemLog.isEnabled:
                // At debug: which item the answer is about, looked up before the core settles it.
                var pending: (itemID: ItemID, awaiting: Int)?
                var decided: [GossipEffect] = []
                context.withCore { core, now in
                    pending = core.engine.validations.pending(validation.messageID)
                    decided = core.received(apiMessage: message, from: connection.apiID, now: now)
                    return decided
                }
                context.itemLog.reportValidation(
                    pending: pending, isValid: validation.isValid, module: connection.apiID, effects: decided)
            default:
                context.withCore { core, now in core.received(apiMessage: message, from: connection.apiID, now: now) }
            }
        }
        finish(connection, context: context, wasModule: isModule)
    }

    /// Ends the connection's subscriptions, stops its writer, and closes the socket once both threads are done.
    /// A module's end is said at info, with the reason: the node's (`CloseReason`, whose
    /// `closing api connection` line gave the detail) or the module's own.
    private static func finish(_ connection: Connection, context: NodeContext, wasModule: Bool) {
        context.apiConnections.withLock { _ = $0.removeValue(forKey: connection.apiID) }
        context.withCore { core, now in core.moduleDisconnected(connection.apiID, now: now) }
        connection.finishClosing()
        context.statistics.apiConnectionsOpen.wrappingSubtract(1, ordering: .relaxed)
        guard wasModule else {
            context.logger.debug("API connection closed", metadata: ["connection": "\(connection.label)"])
            return
        }
        let reason =
            connection.closeReason.withLock { $0 }?.rawValue
            ?? (context.isStopping.load(ordering: .acquiring) ? CloseReason.nodeStopping.rawValue : "closed by the module")
        context.logger.info(
            "module gone",
            metadata: [
                "connection": "\(connection.label)", "remote": "\(connection.remote)", "reason": "\(reason)",
                "messages_in": "\(connection.framesIn.load(ordering: .relaxed))",
                "messages_out": "\(connection.framesOut.load(ordering: .relaxed))",
            ])
    }
}

extension WireError {
    /// The counter a connection closed for this error is filed under.
    var closeReason: CloseReason {
        switch self {
        case .sizeBelowHeader: .sizeBelowHeader
        case .frameTooLarge: .frameTooLarge
        case .unknownType: .unknownType
        case .badSize, .truncated, .invalidField: .badSize
        }
    }
}
