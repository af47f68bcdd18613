import Foundation
import GossipClient
import GossipCore
import GossipNode
import GossipSockets
import GossipWire
import Testing

/// A module that falls behind on its notifications holds back the peer items bound for it,
/// rather than being cut off at its outbox bound (issue 8).
@Suite("Back-pressure on a slow module", .serialized)
struct BackpressureTests {
    /// 100 items of 60 KB: far more than a 64 KiB outbox and the socket buffers toward a module
    /// that does not read can hold.
    static let count = 100, size = 60_000

    static func announceItems(from node: Node) throws {
        let announcer = try node.connect()
        for n in 0..<count {
            var data = [UInt8](repeating: 0x5A, count: size)
            data[0] = UInt8(n)
            try announcer.announce(dataType: 9, ttl: 0, data: data)
        }
    }

    /// Reads and validates `count` notifications; returns the first bytes seen.
    static func readAll(_ module: GossipAPIClient) throws -> Set<UInt8> {
        var seen: Set<UInt8> = []
        for _ in 0..<count {
            let notification = try module.expectNotification(timeout: .seconds(20))
            try module.validate(messageID: notification.messageID, isValid: true)
            seen.insert(notification.data[0])
        }
        return seen
    }

    /// An origin and a node linked to it; the node's module outboxes hold four items, and its
    /// validations may take `validationTimeoutMilliseconds`. Keep the network alive while they run.
    static func linkedPair(validationTimeoutMilliseconds: Int) throws -> (TestNetwork, origin: Node, node: Node) {
        let network = TestNetwork()
        let origin = try network.add { $0.validationTimeoutMilliseconds = 20_000 }
        let node = try network.add(bootstrap: origin) {
            $0.outboxCapacityBytes = 262_144  // four items: the node keeps a module's outbox below it
            $0.validationTimeoutMilliseconds = validationTimeoutMilliseconds
        }
        #expect(waitUntil(timeout: .seconds(10)) { network.isConnected() }, "\(network.links)")
        return (network, origin, node)
    }

    /// A module subscribed to type 9 that never reads, with a small receive buffer so that what
    /// the node sends it backs up in the node's outbox rather than in the kernel.
    static func stuckModule(of node: Node) throws -> Socket {
        let before = node.subscriberCount(of: 9)
        let socket = try Socket.connect(host: "127.0.0.1", port: node.apiPort, deadline: .now + .seconds(5))
        var size: Int32 = 4096
        setsockopt(socket.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        try socket.send(APIMessage.notify(GossipNotify(dataType: 9)).encoded(), deadline: .now + .seconds(5))
        try #require(waitUntil { node.subscriberCount(of: 9) > before })
        return socket
    }

    @Test("a validating module that stops reading for a while holds back peer items, is not cut off, and gets every item")
    func slowModuleIsWaitedFor() throws {
        let (network, origin, node) = try Self.linkedPair(validationTimeoutMilliseconds: 20_000)
        defer { withExtendedLifetime(network) {} }  // the nodes run until the test ends
        let slow = try node.subscriber(of: 9)
        try Self.announceItems(from: origin)
        // The module reads nothing until the node has held back peer items for it.
        #expect(waitUntil(timeout: .seconds(10)) { node.statistics.peerIntakePauses > 0 })
        #expect(node.statistics.closed(.outboxOverflow) == 0)
        let seen = try Self.readAll(slow)
        #expect(seen.count == Self.count, "every item, once each")
        #expect(node.statistics.closed(.outboxOverflow) == 0 && node.statistics.closed(.moduleLagging) == 0)
    }

    @Test("a module that never reads is cut off after the validation timeout, and the node's other module then gets every item")
    func stuckModuleIsCutOff() throws {
        let (network, origin, node) = try Self.linkedPair(validationTimeoutMilliseconds: 1000)
        defer { withExtendedLifetime(network) {} }  // the nodes run until the test ends
        let stuck = try Self.stuckModule(of: node)
        defer { stuck.close() }
        let reader = try node.subscriber(of: 9)
        let readerJob = BackgroundJob { _ = try Self.readAll(reader) }
        try Self.announceItems(from: origin)
        #expect(waitUntil(timeout: .seconds(10)) { node.statistics.closed(.moduleLagging) == 1 }, "the stuck module is cut off: pauses \(node.statistics.peerIntakePauses), closed \(node.statistics.closedConnections)")
        #expect(node.statistics.closed(.outboxOverflow) == 0)
        try readerJob.join()
    }
}
