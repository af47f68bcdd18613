import DequeModule
import Foundation
import GossipSockets

/// The per-connection writer: a byte-bounded outbox drained by a thread of its own, so a slow or
/// stuck module only ever blocks itself.
///
/// Everything queued is written in one `send` per wake-up. A write that cannot finish within the
/// write timeout fails the connection.
///
/// `@unchecked Sendable`: the mutable properties are touched only while holding `condition`.
final class ConnectionSender: @unchecked Sendable {
    enum EnqueueResult: Equatable {
        case queued
        /// The outbox would exceed its byte bound; nothing was queued.
        case full
        /// The connection is closing.
        case closed
    }

    private let condition = NSCondition()
    private var outbox: Deque<[UInt8]> = []
    private var queuedBytes = 0
    private var isStopped = false
    private let finished = DispatchSemaphore(value: 0)

    let socket: Socket
    let capacityBytes: Int
    let writeTimeout: Duration
    private let onWriteFailure: @Sendable (SocketError) -> Void

    init(socket: Socket, capacityBytes: Int, writeTimeout: Duration, onWriteFailure: @escaping @Sendable (SocketError) -> Void) {
        self.socket = socket
        self.capacityBytes = capacityBytes
        self.writeTimeout = writeTimeout
        self.onWriteFailure = onWriteFailure
    }

    func start(name: String) {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Queues one whole message. Never blocks.
    func enqueue(_ message: [UInt8]) -> EnqueueResult {
        condition.lock()
        defer { condition.unlock() }
        guard !isStopped else { return .closed }
        guard queuedBytes + message.count <= capacityBytes else { return .full }
        outbox.append(message)
        queuedBytes += message.count
        if outbox.count == 1 { condition.signal() }
        return .queued
    }

    /// Bytes waiting to be written.
    var pendingBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedBytes
    }

    /// Stops the writer; what is still queued is discarded.
    func stop() {
        condition.lock()
        isStopped = true
        outbox.removeAll()
        queuedBytes = 0
        condition.signal()
        condition.unlock()
    }

    /// Waits for the writer thread to end (after `stop()`).
    func waitUntilFinished() {
        finished.wait()
    }

    private func run() {
        var batch: [UInt8] = []
        batch.reserveCapacity(64 * 1024)
        while true {
            condition.lock()
            while outbox.isEmpty && !isStopped { condition.wait() }
            if isStopped {
                condition.unlock()
                return
            }
            batch.removeAll(keepingCapacity: true)
            for message in outbox { batch.append(contentsOf: message) }
            outbox.removeAll(keepingCapacity: true)
            queuedBytes = 0
            condition.unlock()
            do {
                try socket.send(batch, deadline: .now + writeTimeout)
            } catch {
                onWriteFailure(error)
                return
            }
        }
    }
}
