import Dispatch
import GossipCore
import GossipWire

#if canImport(FoundationEssentials)
import FoundationEssentials  // Date; not Foundation (Threads.swift says why)
#else
import Foundation
#endif

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
        startThread(name: "item-handler") { [self] in
            run()
            done.signal()
        }
    }

    /// Waits for the handler to drain the (closed) queue and end.
    func waitUntilFinished() {
        done.wait()
    }

    private func run() {
        while let batch = context.itemQueue.popAll(until: Date(timeIntervalSinceNow: 3600)) {  // a bounded deadline: the wait is re-armed each hour
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
