import DequeModule
import Dispatch
import GossipCore
import GossipSockets
import GossipWire

#if canImport(FoundationEssentials)
import FoundationEssentials  // Date; not Foundation (Threads.swift says why)
#else
import Foundation
#endif

/// The thread that consumes the item queue (modules' ANNOUNCEs and peers' ITEMs): it hands each
/// batch to the core under one lock acquisition and carries out the effects (NOTIFICATIONs to
/// the subscribers' senders, ITEMs to the peers' senders), one write per connection per batch.
/// While it waits idle, a reader with one item hands it to the core itself instead of waking it
/// (`NodeContext.handleAtOnce`); a backlog and back-pressure are the handler's alone.
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

    /// How often a paused handler looks again at the lagging modules' outboxes.
    static let pausedPoll = 0.02

    private func run() {
        // Subscribed modules that fell behind, and since when.
        var behind: [UInt64: NodeContext.ModuleBehind] = [:]
        // Peer items taken from the queue but not yet handed to the core: they go in chunks, so
        // that a module's outbox is looked at between chunks. At most one lane's worth.
        var held = Deque<InboundItem>()
        // Each round: wait for items (unless peer items are held and may go on), hand over the
        // local ones, look at the modules once, then hand over one chunk of peer items if none is
        // behind. One look per round: an item costs one look, not one before each step.
        while true {
            let paused = !behind.isEmpty
            if held.isEmpty || paused {
                let batch =
                    !paused
                    ? context.itemQueue.popAll(until: Date(timeIntervalSinceNow: 3600))  // a bounded deadline: the wait is re-armed each hour
                    : context.itemQueue.popAll(until: Date(timeIntervalSinceNow: Self.pausedPoll), only: InboundItem.localLane)
                guard let batch else {
                    // Closed and drained: what is held still goes to the core, as the queue's did.
                    if !held.isEmpty { context.handleItems(Array(held)) }
                    break
                }
                var local: [InboundItem] = []
                for entry in batch {
                    if case .local = entry { local.append(entry) } else { held.append(entry) }
                }
                if !local.isEmpty { context.handleItems(local) }
            }
            // Back-pressure: while a module has fallen behind (its outbox over half full, until it
            // is down to a quarter), peer items wait: first those held here, then their lane,
            // whose readers then stop reading their links. They do not pile up in that module's
            // outbox until it is cut off. Local announcements still go through. A module behind
            // for longer than a validation may take is cut off after all, so one stuck module
            // cannot stall the node's intake for good.
            let now = context.clock.now()  // the node clock: no `ContinuousClock` read per item
            behind = context.modulesBehind(behind, now: now)
            for (number, entry) in behind where .nanoseconds(Int64(clamping: now.nanoseconds(since: entry.since))) > context.lagLimit {
                entry.module.terminate(.moduleLagging, detail: "behind for over \(context.lagLimit)")
                behind[number] = nil
            }
            if !behind.isEmpty && !paused {
                context.statistics.peerIntakePauses.increment(by: 1)
                context.abuseLog.log(
                    level: .notice, "holding back peer items: subscribed modules are behind",
                    metadata: [
                        "modules": "\(behind.values.map(\.module.label).sorted().joined(separator: ","))",
                        "limit": "outbox over half of \(context.configuration.outboxCapacityBytes) bytes",
                    ])
            }
            if behind.isEmpty && !held.isEmpty { context.handleItems(takeChunk(from: &held)) }
        }
    }

    /// The next peer items from `held`: as many as fit in a quarter of a module's outbox (at least
    /// one), so that a module below half its bound cannot overflow on one chunk. (A reader standing
    /// in for the handler meanwhile may add one item more: `NodeContext.handleAtOnce`.)
    private func takeChunk(from held: inout Deque<InboundItem>) -> [InboundItem] {
        let budget = context.limits.withLock { $0.outboxCapacityBytes } / 4
        var chunk: [InboundItem] = []
        var bytes = 0
        while let next = held.first {
            let size: Int
            if case .peer(_, let item, _) = next { size = GossipNotification.fixedSize + item.data.count } else { size = 0 }
            if !chunk.isEmpty && bytes + size > budget { break }
            chunk.append(held.removeFirst())
            bytes += size
        }
        return chunk
    }
}
