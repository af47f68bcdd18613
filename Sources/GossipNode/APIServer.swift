import Foundation
import GossipCore
import GossipSockets
import GossipWire

/// Accepts module connections and runs one reader thread per connection, as the design card has
/// it. Readers decode frames and act on them: ANNOUNCE goes into the announce queue (waiting while
/// it is full, so a fast announcer is slowed rather than dropped), NOTIFY and VALIDATION go
/// straight to the engine, anything else closes the connection.
final class APIServer: Sendable {
    private let context: NodeContext
    private let listener: Socket
    private let acceptDone = DispatchSemaphore(value: 0)

    init(context: NodeContext) throws(SocketError) {
        self.context = context
        let address = context.configuration.apiAddress
        self.listener = try Socket.listen(host: address.host, port: address.port)
    }

    /// The port modules connect to.
    var port: UInt16 { listener.localPort }

    func start() {
        let thread = Thread { [self] in
            acceptLoop()
            acceptDone.signal()
        }
        thread.name = "api-accept"
        thread.start()
    }

    /// Stops accepting, closes every connection and waits for the accept thread.
    func stop() {
        listener.shutdown()
        acceptDone.wait()
        listener.close()
        for connection in context.apiConnections.withLock({ Array($0.values) }) {
            connection.sender.stop()
            connection.socket.shutdown()
        }
    }

    private func acceptLoop() {
        while true {
            let socket: Socket
            do {
                socket = try listener.accept()
            } catch {
                if case .system(let code) = error.kind, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(code) {
                    context.abuseLog.log(level: .warning, "accept failed: \(error); retrying shortly")
                    Thread.sleep(forTimeInterval: 0.05)
                    continue
                }
                return  // the listener was shut down
            }
            context.statistics.apiConnectionsAccepted.increment()
            let open = context.statistics.apiConnectionsOpen.wrappingAdd(1, ordering: .relaxed).newValue
            if open > context.configuration.maxAPIConnections {
                context.statistics.apiConnectionsOpen.wrappingSubtract(1, ordering: .relaxed)
                context.statistics.countClose(.tooManyConnections)
                context.abuseLog.log(level: .warning, "refusing API connection from \(socket.remoteDescription): \(open - 1) open, limit \(context.configuration.maxAPIConnections)")
                socket.close()
                continue
            }
            let connection = Connection(kind: .api, number: context.makeConnectionNumber(), socket: socket, context: context)
            context.apiConnections.withLock { $0[connection.apiID] = connection }
            connection.sender.start(name: "api-send-\(connection.number)")
            let thread = Thread { [context] in
                Self.serve(connection, context: context)
            }
            thread.name = "api-read-\(connection.number)"
            thread.start()
        }
    }

    /// The reader: runs until the module closes, breaks the protocol, or the node stops.
    private static func serve(_ connection: Connection, context: NodeContext) {
        context.logger.debug("API connection opened", metadata: ["connection": "\(connection.label)", "remote": "\(connection.remote)"])
        var stream = FrameStream(socket: connection.socket, frameTimeout: .milliseconds(context.configuration.frameTimeoutMilliseconds))
        reading: while true {
            let frame: Frame
            do {
                guard let next = try stream.readFrame() else { break reading }
                frame = next
            } catch {
                switch error {
                case .malformed(let wireError):
                    connection.terminate(wireError.closeReason, detail: "\(wireError)")
                case .frameTimedOut(let buffered):
                    connection.terminate(.frameTimeout, detail: "\(buffered) bytes of a frame, then silence")
                case .closedMidFrame(let buffered):
                    connection.terminate(.closedMidFrame, detail: "closed after \(buffered) bytes of a frame")
                case .idleTimedOut, .socket:
                    break  // a reset, or our own shutdown: nothing the module did wrong
                }
                break reading
            }
            let message: APIMessage
            do {
                message = try APIMessage(frame: frame)
            } catch {
                connection.terminate(error.closeReason, detail: "\(error)")
                break reading
            }
            switch message {
            case .announce(let announce):
                context.statistics.announcesReceived.increment()
                // Waits while the queue is full: back-pressure on this announcer only.
                guard context.announceQueue.push(.local(connection.apiID, announce)) else { break reading }
            case .notify(let notify):
                context.engine.withLock { $0.subscribe(connection.apiID, to: notify.dataType) }
            case .validation(let validation):
                let answer = context.engine.withLock { $0.validate(validation, from: connection.apiID) }
                switch answer {
                case .unknown:
                    connection.terminate(.unknownValidationID, detail: "message ID \(validation.messageID)")
                    break reading
                case .late:
                    context.statistics.validationsLate.increment()
                case .recorded, .completed:
                    if case .completed(let completion) = answer { context.settle([completion]) }
                    if validation.isValid {
                        context.statistics.validationsValid.increment()
                    } else {
                        context.statistics.validationsInvalid.increment()
                    }
                }
            case .notification:
                connection.terminate(.notificationFromModule, detail: "modules may not send NOTIFICATION")
                break reading
            case .statusRequest:
                connection.send(APIMessage.statusReply(context.statusJSON()).encoded())
            case .statusReply:
                connection.terminate(.statusReplyFromModule, detail: "modules may not send STATUS replies")
                break reading
            }
        }
        finish(connection, context: context)
    }

    /// Ends the connection's subscriptions, stops its writer, and closes the socket once both threads are done.
    private static func finish(_ connection: Connection, context: NodeContext) {
        context.apiConnections.withLock { _ = $0.removeValue(forKey: connection.apiID) }
        let completions = context.engine.withLock { $0.close(connection.apiID) }
        context.settle(completions)
        connection.finishClosing()
        context.statistics.apiConnectionsOpen.wrappingSubtract(1, ordering: .relaxed)
        context.logger.debug("API connection closed", metadata: ["connection": "\(connection.label)"])
    }
}

extension WireError {
    /// The counter a connection closed for this error is filed under.
    var closeReason: NodeStatistics.CloseReason {
        switch self {
        case .sizeBelowHeader: .sizeBelowHeader
        case .frameTooLarge: .frameTooLarge
        case .unknownType: .unknownType
        case .badSize, .truncated, .invalidField: .badSize
        }
    }
}
