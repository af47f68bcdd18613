import CEpoll
import Foundation
import GossipClient
import GossipSockets
import GossipWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A few threads that serve the benchmark's subscriber connections, each waiting on its share of
/// them with epoll, and answer every NOTIFICATION with a VALIDATION (valid).
///
/// The benchmark's modules share the machine's CPUs with the nodes they measure. A thread per
/// module, blocking in `recv`, costs a wake-up and two context switches per NOTIFICATION; a thread
/// that serves hundreds of connections takes the NOTIFICATIONs that arrive while it is running
/// without either, so the nodes keep more of the machine. What the modules do is the same: read
/// each NOTIFICATION, note when its bytes came, answer it.
final class SubscriberLoops: Sendable {
    /// Called on a loop's thread for every NOTIFICATION, with the subscriber's node and the time
    /// its bytes were read.
    typealias Handler = @Sendable (_ node: Int, _ notification: GossipNotification, _ received: ContinuousClock.Instant) -> Void

    private let loops: [SubscriberLoop]
    private let next = Atomic<Int>(0)

    init(threads: Int, handler: @escaping Handler) throws(SocketError) {
        var loops: [SubscriberLoop] = []
        for _ in 0..<max(1, threads) { loops.append(try SubscriberLoop(handler: handler)) }
        // Started once all exist, so that a failure above leaves no thread behind.
        for (index, loop) in loops.enumerated() {
            let thread = Thread { loop.run() }
            thread.name = "probe-loop-\(index)"
            thread.start()
        }
        self.loops = loops
    }

    /// How many threads serve the subscribers.
    var threadCount: Int { loops.count }

    /// Serves `client` (already subscribed, nothing read from it yet) from now on, on the loops in
    /// turn. Throws after `stop()`.
    func add(_ client: GossipAPIClient, node: Int) throws(SocketError) {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count
        try loops[index].add(client, node: node)
    }

    /// Shuts every connection down; each loop's thread ends once it has let go of all of its own.
    func stop() {
        for loop in loops { loop.stop() }
    }
}

/// One thread's share of the subscriber connections.
private final class SubscriberLoop: Sendable {
    /// A connection's state, touched by the loop's thread alone once it is in the table.
    final class Subscriber: @unchecked Sendable {
        let client: GossipAPIClient
        let node: Int
        var reader = FrameReader()
        var answers: [UInt8] = []

        init(client: GossipAPIClient, node: Int) {
            self.client = client
            self.node = node
        }
    }

    private struct Table: ~Copyable {
        var subscribers: [Int32: Subscriber] = [:]
        var stopping = false
    }

    private let epoll: Int32
    /// Raised by `stop()` to wake the loop; its token is `stopToken`.
    private let stopSignal: Int32
    private static let stopToken = UInt64.max
    private let handler: SubscriberLoops.Handler
    /// The loop's connections by descriptor (a connection's token). The loop holds each client,
    /// and so its descriptor, which closes when the client goes, until it took it out of epoll:
    /// a token can never name a descriptor that was closed and given to another socket.
    private let table = Mutex(Table())

    init(handler: @escaping SubscriberLoops.Handler) throws(SocketError) {
        epoll = gossip_epoll_create()
        guard epoll >= 0 else { throw SocketError("epoll_create1", .system(errno)) }
        stopSignal = gossip_signal_create()
        guard stopSignal >= 0, gossip_epoll_add(epoll, stopSignal, Self.stopToken) == 0 else {
            let code = errno
            if stopSignal >= 0 { close(stopSignal) }
            close(epoll)
            throw SocketError("eventfd", .system(code))
        }
        self.handler = handler
    }

    // Closed only once nothing can use them: the loop's thread holds the loop until it returns,
    // and `SubscriberLoops` until it is gone, so no `stop()` can raise a closed (or reused) signal.
    deinit {
        close(epoll)
        close(stopSignal)
    }

    func add(_ client: GossipAPIClient, node: Int) throws(SocketError) {
        let descriptor = client.socket.descriptor
        let stopping = table.withLock { table in
            if !table.stopping { table.subscribers[descriptor] = Subscriber(client: client, node: node) }
            return table.stopping
        }
        if stopping { throw SocketError("serve a subscriber", .closed) }
        guard gossip_epoll_add(epoll, descriptor, UInt64(descriptor)) == 0 else {
            let code = errno
            table.withLock { _ = $0.subscribers.removeValue(forKey: descriptor) }
            throw SocketError("epoll_ctl", .system(code))
        }
    }

    func stop() {
        let subscribers = table.withLock { table in
            table.stopping = true
            return Array(table.subscribers.values)
        }
        // Each shut-down connection reads as closed in the loop, which then lets it go.
        for subscriber in subscribers { subscriber.client.shutdown() }
        // A loop with no connections left has nothing else to wake it.
        gossip_signal_raise(stopSignal)
    }

    func run() {
        var tokens = [UInt64](repeating: 0, count: 64)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let ready = gossip_epoll_wait(epoll, &tokens, Int32(tokens.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                // The modules stop answering: the nodes would hold every item awaiting validation.
                fatalError("gossip-bench: epoll_wait failed (\(String(cString: strerror(errno)))); the subscribers cannot be served")
            }
            for token in tokens.prefix(Int(ready)) {
                if token == Self.stopToken {
                    gossip_signal_clear(stopSignal)
                    continue
                }
                let descriptor = Int32(truncatingIfNeeded: token)
                guard let subscriber = table.withLock({ $0.subscribers[descriptor] }) else { continue }
                if !serve(subscriber, buffer: buffer) {
                    _ = gossip_epoll_remove(epoll, descriptor)
                    table.withLock { _ = $0.subscribers.removeValue(forKey: descriptor) }
                }
            }
            if table.withLock({ $0.stopping && $0.subscribers.isEmpty }) { return }
        }
    }

    /// Reads what `subscriber`'s connection holds and answers it; false once it closed or failed.
    private func serve(_ subscriber: Subscriber, buffer: UnsafeMutableRawBufferPointer) -> Bool {
        var open = true
        while true {
            let count: Int?
            do { count = try subscriber.client.socket.receiveAvailable(into: buffer) } catch { count = 0 }
            guard let count else { break }  // all read for now
            guard count > 0 else {
                open = false  // the end, or a failure: the frames read before it still count
                break
            }
            subscriber.reader.append(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            if count < buffer.count { break }
        }
        let received = ContinuousClock.now
        do {
            while let frame = try subscriber.reader.nextFrame() {
                guard case .notification(let notification) = try APIMessage(frame: frame) else { continue }
                handler(subscriber.node, notification, received)
                APIMessage.validation(GossipValidation(messageID: notification.messageID, isValid: true)).encode(into: &subscriber.answers)
            }
        } catch {
            complain("node \(subscriber.node) sent a malformed message (\(error)); its subscriber stops")
            return false
        }
        guard open else { return false }
        guard !subscriber.answers.isEmpty else { return true }
        defer { subscriber.answers.removeAll(keepingCapacity: true) }
        do {
            // Small, and the node reads its API connections all the time: this waits only if a
            // node stops reading, which would stall this loop's other subscribers as well.
            try subscriber.client.socket.send(subscriber.answers, deadline: .now + .seconds(10))
        } catch {
            complain("VALIDATION to node \(subscriber.node) failed (\(error)); its subscriber stops")
            return false
        }
        return true
    }

    /// A subscriber that stops early leaves items awaiting validation at its node: say so, or the
    /// run would only look slow or uncovered.
    private func complain(_ message: String) {
        guard !table.withLock({ $0.stopping }) else { return }
        FileHandle.standardError.write(Data("gossip-bench: \(message)\n".utf8))
    }
}
