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

    /// The next validation deadline, or the idle wake-up if that comes first.
    private func nextWake() -> Date {
        let idle = Date(timeIntervalSinceNow: Self.idleWake)
        guard let deadline = context.engine.withLock({ $0.nextDeadline }) else { return idle }
        let now = context.clock.now()
        let wait = deadline > now ? Double(deadline.nanoseconds - now.nanoseconds) / 1e9 : 0
        return min(idle, Date(timeIntervalSinceNow: wait))
    }

    private func run() {
        while let batch = context.announceQueue.popAll(until: nextWake()) {
            let now = context.clock.now()
            var deliveries: [GossipEngine.Delivery] = []
            var spreads: [(item: GossipItem, excluding: Set<UInt64>)] = []
            var completions: [ValidationTracker.Completion] = []
            var duplicates = 0, relayed = 0
            context.engine.withLock { engine in
                for queued in batch {
                    switch queued {
                    case .local(let connection, let announce):
                        let result = engine.announce(announce, from: connection, now: now)
                        if let delivery = result.delivery { deliveries.append(delivery) }
                        completions += result.evicted
                        spreads.append((result.item, []))
                    case .peer(let link, let item):
                        switch engine.receive(item, fromPeer: link, now: now) {
                        case .duplicate:
                            duplicates += 1
                        case .awaitingValidation(let delivery, let evicted):
                            deliveries.append(delivery)
                            completions += evicted
                        case .relayed(let forward):
                            relayed += 1
                            if let forward { spreads.append((forward, [link])) }
                        }
                    }
                }
                completions += engine.expire(now: now)
            }
            context.statistics.peerDuplicates.increment(by: duplicates)
            context.statistics.itemsRelayedUnvalidated.increment(by: relayed)
            context.deliver(deliveries)
            context.spread(spreads)
            context.settle(completions)
        }
    }
}
