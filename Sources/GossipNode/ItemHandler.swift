import Foundation
import GossipCore
import GossipWire

/// The thread that consumes the item queue (modules' ANNOUNCEs and peers' ITEMs): it hands each
/// batch to the core under one lock acquisition and carries out the effects (NOTIFICATIONs to
/// the subscribers' senders, ITEMs to the peers' senders), one write per connection per batch.
final class ItemHandler: Sendable {
    private let context: NodeContext
    private let done = DispatchSemaphore(value: 0)

    init(context: NodeContext) {
        self.context = context
    }

    func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "item-handler"
        thread.start()
    }

    /// Waits for the handler to drain the (closed) queue and end.
    func waitUntilFinished() {
        done.wait()
    }

    private func run() {
        while let batch = context.itemQueue.popAll(until: Date(timeIntervalSinceNow: 3600)) {  // NSCondition traps on .distantFuture
            context.withCore { core, now in
                var effects: [GossipEffect] = []
                for entry in batch {
                    switch entry {
                    case .local(let connection, let announce):
                        effects += core.received(apiMessage: .announce(announce), from: connection, now: now)
                    case .peer(let link, let item):
                        effects += core.receivedScreenedItem(item, on: link, now: now)
                    }
                }
                return effects
            }
        }
    }
}
