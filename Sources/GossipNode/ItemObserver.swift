import DequeModule
import GossipCore
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials  // Date; not Foundation (Threads.swift says why)
#else
import Foundation
#endif

/// One watcher of the items passing through a node, attached to its `ItemObservers`: a bounded
/// queue that the node fills without ever waiting and the watcher drains from its own thread.
/// When the queue is full, new items are skipped and counted (`skipped`); the node and its
/// modules never wait for a slow watcher.
///
/// `@unchecked Sendable`: `queue`, `queuedBytes`, `isDetached` and `skippedSinceQueued` are read and written only
/// while holding `condition`.
public final class ItemObserver: @unchecked Sendable {
    /// The most items the queue holds.
    public let capacity: Int
    /// The most bytes of item data the queue holds.
    public let maximumBytes: Int
    private let condition = Condition()
    private var queue = Deque<ObservedItem>()
    private var queuedBytes = 0
    private var isDetached = false
    /// Skipped since the last item queued: stamped on the next one (`skippedBefore`).
    private var skippedSinceQueued = 0
    private let skippedCount = Atomic<Int>(0)
    /// Which items this observer wants; nil: all.
    private let filter: (@Sendable (ItemObservation) -> Bool)?

    init(capacity: Int, maximumBytes: Int, filter: (@Sendable (ItemObservation) -> Bool)?) {
        precondition(capacity > 0 && maximumBytes > 0)
        self.capacity = capacity
        self.maximumBytes = maximumBytes
        self.filter = filter
    }

    /// Items skipped because the queue was full when they came.
    public var skipped: Int { skippedCount.load(ordering: .relaxed) }

    /// Whether the observer is still attached (items queued before a detach can still be taken).
    public var isAttached: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !isDetached
    }

    /// Items waiting to be taken.
    public var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// The next item, waiting up to `timeout` for one. Nil at the timeout, or at once when the
    /// observer is detached and its queue is empty (`isAttached` tells which).
    public func next(timeout: Duration) -> ObservedItem? {
        nextBatch(maximum: 1, timeout: timeout).first
    }

    /// Up to `maximum` items, as many as are queued, waiting up to `timeout` for at least one.
    /// Empty at the timeout, or at once when the observer is detached and its queue is empty.
    public func nextBatch(maximum: Int = .max, timeout: Duration) -> [ObservedItem] {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !isDetached {
            if !condition.wait(until: deadline) && queue.isEmpty { return [] }
        }
        var batch: [ObservedItem] = []
        batch.reserveCapacity(min(maximum, queue.count))
        while batch.count < maximum, let item = queue.popFirst() {
            queuedBytes -= item.observation.data.count
            batch.append(item)
        }
        return batch
    }

    /// Queues `item`, or skips it if the queue is full (an item larger than `maximumBytes` still
    /// fits in an empty queue). Never waits beyond the queue's lock.
    func offer(_ item: ObservedItem) {
        if let filter, !filter(item.observation) { return }
        let size = item.observation.data.count
        condition.lock()
        guard !isDetached else {
            condition.unlock()
            return
        }
        guard queue.count < capacity && (queue.isEmpty || queuedBytes + size <= maximumBytes) else {
            skippedSinceQueued += 1
            condition.unlock()
            skippedCount.add(1, ordering: .relaxed)
            return
        }
        var item = item
        item.skippedBefore = skippedSinceQueued
        skippedSinceQueued = 0
        queue.append(item)
        queuedBytes += size
        if queue.count == 1 { condition.signal() }
        condition.unlock()
    }

    /// Takes no more items and wakes a waiting reader.
    func markDetached() {
        condition.lock()
        isDetached = true
        condition.broadcast()
        condition.unlock()
    }
}
