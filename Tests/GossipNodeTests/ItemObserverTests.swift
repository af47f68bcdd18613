import Foundation
import GossipCore
import GossipClient
import GossipNode
import GossipWire
import Testing

/// Watching the items that pass through a node (`ItemObservers`): what an observer sees, and that
/// one which never reads costs the node's modules nothing.
@Suite("Item observers")
struct ItemObserverTests {
    @Test("an observer that never reads neither stops nor loses delivery to a subscribed module; it skips and counts")
    func neverReading() throws {
        try withNode { node in
            let stuck = node.itemObservers.attach(capacity: 4)
            defer { node.itemObservers.detach(stuck) }
            let subscriber = try node.subscriber(of: 9)
            let announcer = try node.connect()
            let count = 500
            for index in 0..<count { try announcer.announce(dataType: 9, ttl: 0, data: Array("item \(index)".utf8)) }
            for index in 0..<count {
                let notification = try subscriber.expectNotification()
                #expect(notification.data == Array("item \(index)".utf8))
                try subscriber.validate(messageID: notification.messageID, isValid: true)
            }
            #expect(stuck.queuedCount == 4, "the queue stays at its bound")
            #expect(stuck.skipped == count - 4, "every other item was skipped for it, and counted")
            #expect(stuck.isAttached)
        }
    }

    @Test("a reader sees each item with its source, type, ttl, data and outcome; detached, it is told so")
    func reading() throws {
        let network = TestNetwork()
        let a = try network.add()
        let b = try network.add(bootstrap: a)
        #expect(waitUntil(timeout: .seconds(10)) { a.establishedPeerCount > 0 && b.establishedPeerCount > 0 }, "\(network.links)")
        let tapA = a.itemObservers.attach(capacity: 100)
        let tapB = b.itemObservers.attach(capacity: 100) { $0.dataType == 5 }
        let subscriber = try b.subscriber(of: 5)
        let announcer = try a.connect()
        try announcer.announce(dataType: 6, ttl: 0, data: [6])  // not for tapB's filter
        try announcer.announce(dataType: 5, ttl: 3, data: [1, 2, 3])

        let local = try #require(tapA.next(timeout: .seconds(5)))
        #expect(local.observation.outcome == .announced)
        #expect(local.observation.dataType == 6)
        if case .local = local.observation.source {} else { Issue.record("a module's item, got \(local.observation.source)") }
        let wallClock = UInt64(Date().timeIntervalSince1970 * 1e9)
        #expect(local.unixNanoseconds <= wallClock && local.unixNanoseconds > wallClock - 60_000_000_000)

        let arrived = try #require(tapB.next(timeout: .seconds(5)))
        #expect(arrived.observation.outcome == .awaitingValidation)
        #expect(arrived.observation.peer == a.identity)
        if case .peer = arrived.observation.source {} else { Issue.record("a peer's item, got \(arrived.observation.source)") }
        #expect(arrived.observation.dataType == 5 && arrived.observation.ttl == 3 && arrived.observation.data == [1, 2, 3])
        let notification = try subscriber.expectNotification()
        try subscriber.validate(messageID: notification.messageID, isValid: true)
        let verdict = try #require(tapB.next(timeout: .seconds(5)))
        #expect(verdict.observation.outcome == .valid)
        #expect(verdict.observation.id == arrived.observation.id)

        b.itemObservers.detach(tapB)
        #expect(!tapB.isAttached)
        let start = ContinuousClock.now
        #expect(tapB.next(timeout: .seconds(5)) == nil)
        #expect(ContinuousClock.now - start < .seconds(1), "a detached observer's reader is not kept waiting")
        #expect(tapB.skipped == 0)
        a.itemObservers.detach(tapA)
        #expect(a.itemObservers.count == 0 && b.itemObservers.count == 0)
    }
}
