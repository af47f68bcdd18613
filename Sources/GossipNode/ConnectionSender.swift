#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import DequeModule
import GossipCore
import GossipSockets

/// The per-connection writer: a byte-bounded outbox drained by a thread of its own, so a slow or
/// stuck module only ever blocks itself.
///
/// When nothing is queued or being written, `enqueue` first tries to write the message at once
/// without blocking (most writes on a healthy connection fit in the socket buffer), which spares
/// the writer thread a wake-up; only what the kernel does not take right away is queued. Everything
/// queued is written in one `send` per wake-up. A write that cannot finish within the write timeout
/// fails the connection.
///
/// The writer thread is started when something has to be queued (or at `finish`) and ends after
/// `idleExit` with nothing to write. On loopback and healthy links the kernel takes nearly every
/// write at once, so most connections, and every connection still in its handshake, hold no
/// writer thread: a node's threads are then about one per connection, not two. That matters
/// under a join storm (hundreds of dials at a bootstrapper) and for many nodes on one machine,
/// where the system's thread limit (`kernel.pid_max`) is shared by all of them.
///
/// The byte bound is asked for at every enqueue, so a reload (`outbox_bytes`) reaches live
/// connections. A larger bound applies at once. A smaller one applies once the outbox (queued and
/// being written) is within it: until then the connection keeps the bound it had, so it is not cut
/// off for what it took in under the old one; it overflows, as ever, only past the bound in force.
///
/// `@unchecked Sendable`: the mutable properties are touched only while holding `condition`.
final class ConnectionSender: @unchecked Sendable {
    enum EnqueueResult: Equatable {
        case queued
        /// The outbox would exceed its byte bound; nothing was queued.
        case full
        /// The connection is closing.
        case closed
        /// A writer thread was needed and the system refused one; nothing was queued, and the
        /// sender is stopped.
        case noThread
    }

    private let condition = Condition()
    private var outbox: Deque<[UInt8]> = []
    private var queuedBytes = 0
    /// Bytes of the batch the writer thread is sending now.
    private var inFlightBytes = 0
    private var isStopped = false
    /// `finish` was called, with this linger: write what is queued, end our direction, then wait
    /// for `stop`.
    private var finishLinger: Duration?
    /// The writer thread is sending a batch outside the lock: direct writes must wait their turn.
    private var isWriting = false
    /// `finish` wrote everything and ended our direction.
    private var endedOutput = false
    /// Seals every frame from the link's secureLink on. Sealing under the lock numbers frames in
    /// the order they are queued, which is the order they are written.
    private var sealer: FrameSealer?
    /// Where messages are sealed (see `enqueue`); touched only under the lock.
    private var sealScratch: [UInt8] = []
    /// The most storage `sealScratch` keeps between messages.
    static let sealScratchBytes = 8192
    /// A writer thread is running (or starting). Cleared by the thread itself as it ends.
    private var hasThread = false
    /// The name the writer thread takes (`ps -L`).
    private let threadName: String
    /// How long the writer thread waits with nothing to write before it ends.
    private let idleExit: Duration

    let socket: Socket
    /// The byte bound asked for now (`outbox_bytes`, which a reload may change).
    private let requestedCapacity: @Sendable () -> Int
    /// The byte bound in force: the one asked for, or a larger earlier one while the outbox holds
    /// more than that.
    private var boundBytes: Int
    let writeTimeout: Duration
    private let onWriteFailure: @Sendable (SocketError) -> Void

    /// - Parameters:
    ///   - capacityBytes: the outbox's bound in bytes, asked for at each enqueue.
    ///   - threadName: the writer thread's name, whenever one runs.
    ///   - idleExit: how long the writer thread stays with nothing to write.
    init(
        socket: Socket, threadName: String, capacityBytes: @escaping @Sendable () -> Int, writeTimeout: Duration,
        idleExit: Duration = .seconds(2), onWriteFailure: @escaping @Sendable (SocketError) -> Void
    ) {
        self.socket = socket
        self.threadName = threadName
        self.idleExit = idleExit
        self.requestedCapacity = capacityBytes
        self.boundBytes = capacityBytes()
        self.writeTimeout = writeTimeout
        self.onWriteFailure = onWriteFailure
    }

    /// Starts a writer thread if none runs; the lock must be held. False if the system refused
    /// one (out of threads or memory).
    private func startThreadIfNeeded() -> Bool {
        guard !hasThread else { return true }
        hasThread = startThread(name: threadName) { [self] in run() }
        return hasThread
    }

    /// Whether a writer thread runs now (tests: the thread comes and goes with the work).
    var hasWriterThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        return hasThread
    }

    /// Seals every frame enqueued from now on (an encrypted peer link, after its handshake).
    func secure(with sealer: FrameSealer) {
        condition.lock()
        self.sealer = sealer
        condition.unlock()
    }

    /// The byte bound in force (see the type's comment on a smaller bound).
    var capacityBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return boundBytes
    }

    /// Writes or queues whole messages (one or more frames). Never blocks.
    func enqueue(_ plaintext: [UInt8]) -> EnqueueResult {
        let requested = requestedCapacity()  // not under our lock: it takes the node's
        condition.lock()
        guard !isStopped && finishLinger == nil else {
            condition.unlock()
            return .closed
        }
        var message = plaintext
        if sealer != nil {
            // Sealed in `sealScratch`, whose storage is kept between messages: nearly every message
            // is written at once, and then sealing it cost no allocation. What has to wait is
            // copied out into the outbox below. A large message's storage is not kept.
            sealScratch.removeAll(keepingCapacity: true)
            sealer!.seal(plaintext, into: &sealScratch)
            message = sealScratch
            if sealScratch.capacity > Self.sealScratchBytes { sealScratch = [] }
        }
        var pending = message[...]
        if outbox.isEmpty && !isWriting {
            // Holding the lock keeps the writer thread from interleaving; the send cannot block.
            do {
                let written = try message.withUnsafeBytes { try socket.sendAvailable($0) }
                if written == message.count {
                    condition.unlock()
                    return .queued
                }
                pending = message[written...]
            } catch let error as SocketError {
                isStopped = true
                condition.unlock()
                onWriteFailure(error)
                return .closed
            } catch {
                condition.unlock()
                return .closed
            }
        }
        if requested >= boundBytes || queuedBytes + inFlightBytes <= requested { boundBytes = requested }
        guard queuedBytes + pending.count <= boundBytes else {
            // Sealed frames were numbered already: nothing may follow them, or the peer would
            // see a gap in the counter. The caller closes the connection on `.full` anyway.
            if sealer != nil {
                stopDiscardingQueued()
            }
            condition.unlock()
            return .full
        }
        guard startThreadIfNeeded() else {
            // Some of a sealed message may be out already; the connection ends here anyway.
            stopDiscardingQueued()
            condition.unlock()
            return .noThread
        }
        // What waits is copied out of the scratch storage: the outbox then holds only the bytes it
        // counts (not the scratch's capacity), and the next message is sealed in place again.
        outbox.append(pending.count == message.count && sealer == nil ? message : Array(pending))
        queuedBytes += pending.count
        if outbox.count == 1 { condition.broadcast() }
        condition.unlock()
        return .queued
    }

    /// Bytes accepted but not yet written: queued, and the batch being written. How far the
    /// other side has fallen behind (the kernel's socket buffer aside).
    var backlogBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedBytes + inFlightBytes
    }

    /// Whether, after `finish`, everything queued was written and our direction ended (the peer
    /// has it all, or will once the kernel delivers it), or the writer stopped.
    var hasEndedOutput: Bool {
        condition.lock()
        defer { condition.unlock() }
        return endedOutput || isStopped
    }

    /// Stops the writer; what is still queued is discarded.
    func stop() {
        condition.lock()
        stopDiscardingQueued()
        condition.unlock()
    }

    /// Writes what is queued, then ends our direction (the peer sees end of stream), and takes no
    /// more messages. If `stop()` has not come by `linger` after that, shuts the socket down in
    /// both directions, which wakes a reader still waiting for the peer to close.
    func finish(linger: Duration) {
        condition.lock()
        if !isStopped && finishLinger == nil {
            finishLinger = linger
            if !startThreadIfNeeded() {
                // No thread to flush and linger: end the connection now instead.
                stopDiscardingQueued()
                condition.unlock()
                socket.shutdown()
                return
            }
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Waits for the writer thread, if one runs, to end (after `stop()`).
    func waitUntilFinished() {
        condition.lock()
        while hasThread { condition.wait() }
        condition.unlock()
    }

    /// Takes no more messages and drops what is queued; the lock must be held.
    private func stopDiscardingQueued() {
        isStopped = true
        outbox.removeAll()
        queuedBytes = 0
        condition.broadcast()
    }

    /// Nothing queued, and neither `stop` nor `finish` came: the writer waits; the lock must be held.
    private var isIdle: Bool { outbox.isEmpty && !isStopped && finishLinger == nil }

    /// Marks the writer thread ended; the lock must be held.
    private func threadEnded() {
        hasThread = false
        condition.broadcast()  // waitUntilFinished
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            condition.lock()
            if isIdle {
                let idleEnd = Date(timeIntervalSinceNow: Double(idleExit.totalNanoseconds) / 1e9)
                while isIdle {
                    if !condition.wait(until: idleEnd) && isIdle {
                        // Nothing to write for a while: the next message that has to wait starts a
                        // new thread.
                        threadEnded()
                        condition.unlock()
                        return
                    }
                }
            }
            if isStopped {
                threadEnded()
                condition.unlock()
                return
            }
            if outbox.isEmpty, let linger = finishLinger {
                condition.unlock()
                lingerAfterFinish(for: linger)
                condition.lock()
                threadEnded()
                condition.unlock()
                return
            }
            batch.removeAll(keepingCapacity: true)
            for message in outbox { batch.append(contentsOf: message) }
            outbox.removeAll(keepingCapacity: true)
            queuedBytes = 0
            inFlightBytes = batch.count
            isWriting = true
            condition.unlock()
            do {
                try socket.send(batch, deadline: .now + writeTimeout)
            } catch {
                onWriteFailure(error)
                // The connection may have been closing already (after a last message), in which
                // case the handler changes nothing: wake the reader ourselves, or it could wait for
                // a silent peer for ever.
                socket.shutdown()
                condition.lock()
                stopDiscardingQueued()  // nothing after a failed write may go out, nor start a thread
                isWriting = false
                inFlightBytes = 0
                threadEnded()
                condition.unlock()
                return
            }
            condition.lock()
            isWriting = false
            inFlightBytes = 0
            condition.unlock()
        }
    }

    /// After `finish`: end our direction, give the peer `linger` to close its side (the
    /// reader drains it), then shut down both directions.
    private func lingerAfterFinish(for linger: Duration) {
        socket.shutdownWrite()
        condition.lock()
        endedOutput = true
        condition.unlock()
        let wallDeadline = Date(timeIntervalSinceNow: Double(linger.components.seconds) + Double(linger.components.attoseconds) / 1e18)
        condition.lock()
        while !isStopped {
            if !condition.wait(until: wallDeadline) { break }
        }
        condition.unlock()
        socket.shutdown()
    }
}
