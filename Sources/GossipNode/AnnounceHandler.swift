import Foundation
import GossipCore
import GossipWire

/// The thread that consumes the announce queue: it asks the engine what each ANNOUNCE means and
/// hands the resulting NOTIFICATIONs to the subscribers' senders. Between batches it expires
/// validations whose deadline passed.
final class AnnounceHandler: Sendable {
    private let context: NodeContext
    private let done = DispatchSemaphore(value: 0)
    /// The longest the handler sleeps with nothing queued, so expiry is never far behind.
    private static let idleWake: TimeInterval = 0.25

    init(context: NodeContext) {
        self.context = context
    }

    func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "announce-handler"
        thread.start()
    }

    /// Waits for the handler to drain the (closed) queue and end.
    func waitUntilFinished() {
        done.wait()
    }

    private func run() {
        while let batch = context.announceQueue.popAll(until: Date(timeIntervalSinceNow: Self.idleWake)) {
            let now = context.clock.now()
            var deliveries: [GossipEngine.Delivery] = []
            var completions: [ValidationTracker.Completion] = []
            context.engine.withLock { engine in
                for (connection, announce) in batch {
                    let result = engine.announce(announce, from: connection, now: now)
                    if let delivery = result.delivery { deliveries.append(delivery) }
                    completions += result.evicted
                }
                completions += engine.expire(now: now)
            }
            for delivery in deliveries { context.deliver(delivery) }
            context.record(completions)
        }
    }
}
