import Foundation
import GossipCore
import Synchronization
import Testing

@testable import GossipNode

@Suite("Bounded queue")
struct BoundedQueueTests {
    @Test("a full lane makes its producer wait but never blocks another lane")
    func lanes() throws {
        let queue = BoundedQueue<Int>(capacity: 2, lanes: 2)
        #expect(queue.push(1, lane: 0) && queue.push(2, lane: 0))
        let blocked = BackgroundJob { _ = queue.push(3, lane: 0) }  // waits: lane 0 is full
        #expect(queue.push(10, lane: 1), "lane 1 takes items while lane 0 is full")
        #expect(queue.count == 3)
        let first = queue.popAll(until: Date(timeIntervalSinceNow: 1))
        #expect(first == [1, 2, 10])
        try blocked.join()
        #expect(queue.popAll(until: Date(timeIntervalSinceNow: 1)) == [3], "the waiting producer got in once there was room")
    }

    @Test("closing wakes a waiting producer, which gives up; the consumer drains, then gets nil")
    func closing() throws {
        let queue = BoundedQueue<Int>(capacity: 1)
        #expect(queue.push(1))
        let result = Mutex<Bool?>(nil)
        let producer = BackgroundJob { result.withLock { $0 = queue.push(2) } }
        Thread.sleep(forTimeInterval: 0.05)
        queue.close()
        try producer.join()
        #expect(result.withLock { $0 } == false)
        #expect(queue.popAll(until: Date(timeIntervalSinceNow: 1)) == [1])
        #expect(queue.popAll(until: Date(timeIntervalSinceNow: 1)) == nil)
    }

    @Test("a larger capacity wakes a producer waiting on a full lane")
    func growing() throws {
        let queue = BoundedQueue<Int>(capacity: 1, lanes: 2)
        #expect(queue.push(1, lane: 0))
        let producer = BackgroundJob { _ = queue.push(2, lane: 0) }
        #expect(waitUntil { queue.waitingProducers == 1 }, "lane 0 is full")
        queue.capacity = 2
        try producer.join()
        #expect(queue.count(lane: 0) == 2 && queue.waitingProducers == 0)
        #expect(queue.popAll(until: Date(timeIntervalSinceNow: 1)) == [1, 2], "no consumer was needed to let it in")
    }

    @Test("a smaller capacity drops nothing queued; a lane over it takes more only once below it")
    func shrinking() throws {
        let queue = BoundedQueue<Int>(capacity: 3, lanes: 2)
        for n in 1...3 { #expect(queue.push(n, lane: 0)) }
        queue.capacity = 1
        #expect(queue.capacity == 1 && queue.count == 3, "everything queued stays")
        #expect(queue.push(10, lane: 1), "another lane below the new bound still takes an element")
        let producer = BackgroundJob { _ = queue.push(4, lane: 0) }
        #expect(waitUntil { queue.waitingProducers == 1 }, "lane 0 is over the new bound")
        #expect(queue.popAll(until: Date(timeIntervalSinceNow: 1)) == [1, 2, 3, 10])
        try producer.join()
        #expect(queue.popAll(until: Date(timeIntervalSinceNow: 1)) == [4])
        #expect(queue.push(5, lane: 0))
        #expect(queue.count(lane: 0) == 1, "and the new bound holds")
    }

    @Test("an empty queue returns an empty batch at the deadline")
    func deadline() {
        let queue = BoundedQueue<Int>(capacity: 4)
        #expect(queue.popAll(until: Date(timeIntervalSinceNow: 0.01)) == [])
    }

    @Test("a producer stands in for the consumer only while it waits for any lane with nothing queued, one at a time")
    func standingIn() throws {
        let queue = BoundedQueue<Int>(capacity: 4, lanes: 2)
        #expect(!queue.claimIdleConsumer(), "no consumer is waiting")
        // A consumer holding peer items back waits for the local lane alone: nobody stands in.
        let pausedTook = Mutex<[Int]?>(nil)
        let paused = BackgroundJob { pausedTook.withLock { $0 = queue.popAll(until: Date(timeIntervalSinceNow: 30), only: 0) } }
        Thread.sleep(forTimeInterval: 0.05)
        #expect(!queue.consumerIsIdle && !queue.claimIdleConsumer())
        #expect(queue.push(7, lane: 0))
        try paused.join()
        #expect(pausedTook.withLock { $0 } == [7], "it was waiting all along")

        let taken = Mutex<[Int]?>(nil)
        let consumer = BackgroundJob { taken.withLock { $0 = queue.popAll(until: Date(timeIntervalSinceNow: 30)) } }
        #expect(waitUntil { queue.consumerIsIdle })
        #expect(queue.claimIdleConsumer())
        #expect(!queue.claimIdleConsumer(), "one producer at a time")
        queue.releaseConsumer()
        #expect(queue.claimIdleConsumer(), "free again once released")
        // Meanwhile a push still queues and wakes the consumer.
        #expect(queue.push(1, lane: 1))
        try consumer.join()
        #expect(taken.withLock { $0 } == [1])
        queue.releaseConsumer()
        #expect(!queue.claimIdleConsumer(), "the consumer is not waiting now")

        // Nobody stands in while anything is queued: the queued item would be handled after the new one.
        let next = BackgroundJob { _ = queue.popAll(until: Date(timeIntervalSinceNow: 30)) }
        #expect(waitUntil { queue.consumerIsIdle })
        #expect(queue.push(2, lane: 1))
        #expect(!queue.claimIdleConsumer(), "an item is queued (or the consumer is awake)")
        try next.join()

        // Closing waits for a producer standing in, so its work comes before what follows the close.
        let idle = BackgroundJob { _ = queue.popAll(until: Date(timeIntervalSinceNow: 30)) }
        #expect(waitUntil { queue.consumerIsIdle })
        #expect(queue.claimIdleConsumer())
        let closed = Mutex(false)
        let closing = BackgroundJob {
            queue.close()
            closed.withLock { $0 = true }
        }
        try idle.join()  // woken by the close
        Thread.sleep(forTimeInterval: 0.05)
        #expect(closed.withLock { !$0 }, "close waits while a producer stands in")
        queue.releaseConsumer()
        try closing.join()
        #expect(closed.withLock { $0 })
    }
}
