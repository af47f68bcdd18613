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

    @Test("an empty queue returns an empty batch at the deadline")
    func deadline() {
        let queue = BoundedQueue<Int>(capacity: 4)
        #expect(queue.popAll(until: Date(timeIntervalSinceNow: 0.01)) == [])
    }
}
