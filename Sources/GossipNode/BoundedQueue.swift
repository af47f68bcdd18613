import DequeModule

#if canImport(FoundationEssentials)
import FoundationEssentials  // Date; not Foundation (Threads.swift says why)
#else
import Foundation
#endif

/// A blocking FIFO in lanes, each with the same capacity: a producer waits while its own lane is
/// full (back-pressure), and the consumer takes everything queued in every lane at once. Lanes
/// keep one kind of producer from starving another: local modules flooding announcements do not
/// stall the peers' readers, nor the other way round. The capacity may change while the queue is
/// in use (a reload of `announce_queue_size`).
///
/// `@unchecked Sendable`: every stored property is read and written only while holding `condition`.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = Condition()
    private var lanes: [Deque<Element>]
    /// Elements in all lanes together, so emptiness is one comparison on the hot path.
    private var total = 0
    private var isClosed = false
    private var bound: Int
    /// Producers waiting for room in their lane.
    private var waiting = 0
    /// The consumer waits in `popAll` for any lane (it holds nothing back) and nothing is queued.
    private var consumerIdle = false
    /// A producer does the consumer's work itself (`claimIdleConsumer`).
    private var stoodIn = false

    /// - Parameters:
    ///   - capacity: the bound of each lane.
    ///   - lanes: how many lanes.
    init(capacity: Int, lanes: Int = 1) {
        precondition(capacity > 0 && lanes > 0)
        self.bound = capacity
        self.lanes = Array(repeating: [], count: lanes)
    }

    /// The bound of each lane. A larger one wakes the producers waiting on a full lane at once; a
    /// smaller one drops nothing already queued: a lane holding more only takes new elements once
    /// the consumer has brought it below the new bound.
    var capacity: Int {
        get {
            condition.lock()
            defer { condition.unlock() }
            return bound
        }
        set {
            precondition(newValue > 0)
            condition.lock()
            let grew = newValue > bound
            bound = newValue
            if grew { condition.broadcast() }
            condition.unlock()
        }
    }

    /// Producers waiting in `push` for room in their lane.
    var waitingProducers: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting
    }

    /// Appends `element` to `lane`, waiting while that lane is full. Returns false if the queue was closed.
    func push(_ element: Element, lane: Int = 0) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if lanes[lane].count >= bound && !isClosed {
            waiting += 1
            while lanes[lane].count >= bound && !isClosed { condition.wait() }
            waiting -= 1
        }
        guard !isClosed else { return false }
        lanes[lane].append(element)
        total += 1
        // The first element of a lane wakes the consumer, which may be waiting for that lane alone.
        if lanes[lane].count == 1 { condition.broadcast() }
        return true
    }

    /// Takes every queued element, lane by lane, waiting until `deadline` for at least one.
    /// With `only`, takes from that lane alone and leaves the others waiting (their producers
    /// block once their lane is full: back-pressure), until the queue is closed. Returns an empty
    /// array at the deadline, and nil once closed and drained.
    func popAll(until deadline: Date, only lane: Int? = nil) -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        func available() -> Int {
            guard let lane, !isClosed else { return total }
            return lanes[lane].count
        }
        while available() == 0 && !isClosed {
            consumerIdle = lane == nil
            defer { consumerIdle = false }
            if !condition.wait(until: deadline) { return [] }
        }
        if total == 0 { return nil }
        var taken: [Element] = []
        taken.reserveCapacity(available())
        for index in lanes.indices where !lanes[index].isEmpty && (lane == nil || isClosed || index == lane) {
            taken.append(contentsOf: lanes[index])
            total -= lanes[index].count
            lanes[index].removeAll(keepingCapacity: true)
        }
        condition.broadcast()  // producers waiting on a full lane
        return taken
    }

    /// Whether a producer may do the consumer's work for its element itself, instead of queueing
    /// it and waking the consumer: only while the consumer waits with nothing queued and nothing
    /// held back (a `popAll` for any lane), and only one producer at a time. The one that gets
    /// true calls `releaseConsumer` when done; meanwhile, pushes queue and wake the consumer as
    /// ever. Like a connection's direct write (`ConnectionSender`), this spares a thread a
    /// wake-up on a quiet path and changes nothing once there is a backlog.
    func claimIdleConsumer() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard consumerIdle, total == 0, !stoodIn, !isClosed else { return false }
        stoodIn = true
        return true
    }

    /// Whether the consumer waits with nothing queued and nothing held back (tests).
    var consumerIsIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return consumerIdle
    }

    /// Ends what `claimIdleConsumer` allowed.
    func releaseConsumer() {
        condition.lock()
        stoodIn = false
        if isClosed { condition.broadcast() }  // `close` waits for it
        condition.unlock()
    }

    /// Wakes every waiter; later pushes fail, and the consumer drains what is left. Returns once
    /// a producer standing in for the consumer (`claimIdleConsumer`) is done, so that what it
    /// handles is, like what is queued, handled before whatever follows the close.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        while stoodIn { condition.wait() }
        condition.unlock()
    }

    /// Elements waiting in `lane`.
    func count(lane: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        return lanes[lane].count
    }

    /// Elements queued in all lanes.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return total
    }
}
