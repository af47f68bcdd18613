import Foundation
import GossipCore
import GossipSockets
import GossipWire
import Synchronization

/// One module's connection: a reader thread (in `APIServer`) and a `ConnectionSender`.
final class APIConnection: Sendable {
    let id: ConnectionID
    let socket: Socket
    let sender: ConnectionSender
    let remote: String
    /// The first reason the node gave for closing; nil while open or if the module closed.
    let closeReason = Mutex<NodeStatistics.CloseReason?>(nil)
    private let context: NodeContext

    init(id: ConnectionID, socket: Socket, context: NodeContext) {
        self.id = id
        self.socket = socket
        self.context = context
        self.remote = socket.remoteDescription
        let configuration = context.configuration
        // The failure handler runs on the sender's thread; it only needs the connection to close.
        let box = WeakConnectionBox()
        self.sender = ConnectionSender(
            socket: socket,
            capacityBytes: configuration.outboxCapacityBytes,
            writeTimeout: .milliseconds(configuration.writeTimeoutMilliseconds),
            onWriteFailure: { error in box.connection?.terminate(.writeFailed, detail: "\(error)") })
        box.connection = self
    }

    /// Closes the connection from any thread, for `reason`: counted once and logged at a bounded rate.
    /// The reader thread sees the socket shut down and finishes the clean-up.
    func terminate(_ reason: NodeStatistics.CloseReason, detail: String) {
        let first = closeReason.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return }
        context.statistics.countClose(reason)
        context.abuseLog.log(
            level: .notice, "closing API connection: \(reason.rawValue)",
            metadata: ["connection": "\(id)", "remote": "\(remote)", "detail": "\(detail)"])
        sender.stop()
        socket.shutdown()
    }
}

/// Breaks the reference cycle between a connection and its sender's failure handler.
private final class WeakConnectionBox: @unchecked Sendable {
    // Written once in APIConnection.init before the sender thread starts, read only afterwards.
    weak var connection: APIConnection?
}
