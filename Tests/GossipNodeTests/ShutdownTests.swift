import Foundation
import GossipClient
import GossipConfig
import GossipCore
import GossipNode
import GossipSockets
import GossipWire
import Testing

/// Stopping a node (issue 9): readiness for the service manager, what SIGTERM delivers before the
/// process exits, and neighbours that repair at once because the node told them it leaves.
@Suite("Readiness and shutdown", .serialized)
struct ShutdownTests {
    @Test("SIGTERM while gossipd is still finding its proof of work stops it at once, with exit status 0")
    func sigtermDuringProofOfWork() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pow-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ini = folder.appendingPathComponent("node.ini")
        // 32 bits: about 4 billion hashes, far longer than this test waits.
        try "[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\nidentity_work_bits = 32\n".write(to: ini, atomically: true, encoding: .utf8)
        let log = folder.appendingPathComponent("node.log")
        let process = try RunningDaemon.spawn(ini: ini, log: log)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
        func text() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        try #require(waitUntil(timeout: .seconds(10)) { text().contains("finding the identity's proof of work") }, "\(text())")
        kill(process.processIdentifier, SIGTERM)
        #expect(waitUntil(timeout: .seconds(10)) { !process.isRunning }, "gossipd stopped: \(text())")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text().contains("stopped while starting"), "\(text())")
    }

    @Test("gossipd says READY=1 to NOTIFY_SOCKET; on SIGTERM it says STOPPING=1, delivers every notification it took, and exits 0")
    func sigtermDeliversQueuedNotifications() throws {
        // The service manager's end: a datagram socket at a path of our own.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        let manager = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(manager >= 0)
        defer {
            close(manager)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(manager, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)

        let node = try GossipdProcess(environment: ["NOTIFY_SOCKET": path])
        defer { node.kill() }
        var buffer = [UInt8](repeating: 0, count: 512)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(manager, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let received = recv(manager, &buffer, buffer.count, 0)
        #expect(received > 0 && String(decoding: buffer[..<max(0, received)], as: UTF8.self).hasPrefix("READY=1"))

        // A subscriber that does not read while 150 items of 16 KB are announced: more than the
        // socket buffers take, so the node's outbox for it holds the rest.
        let subscriber = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        defer { subscriber.close() }
        try subscriber.notify(dataType: 7)
        let announcer = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        defer { announcer.close() }
        Thread.sleep(forTimeInterval: 0.2)  // the subscription is in before the first item
        let count = 150
        for index in 0..<count {
            try announcer.announce(dataType: 7, ttl: 0, data: [UInt8](repeating: UInt8(index & 0xFF), count: 16_384))
        }
        Thread.sleep(forTimeInterval: 0.5)  // handled and queued
        kill(node.process.processIdentifier, SIGTERM)
        let stopping = recv(manager, &buffer, buffer.count, 0)
        #expect(stopping > 0 && String(decoding: buffer[..<max(0, stopping)], as: UTF8.self).hasPrefix("STOPPING=1"))

        var delivered = 0
        while case .notification? = try? subscriber.receive(timeout: .seconds(5)) { delivered += 1 }
        #expect(delivered == count, "every queued notification arrived before the connection closed")
        #expect(node.waitForExit() == 0, "exit 0 after a graceful stop")
        #expect(node.log.contains("node stopped"))
    }

    @Test("a second SIGTERM during the graceful stop exits at once with 128 + 15")
    func secondSignalExitsAtOnce() throws {
        let node = try GossipdProcess()
        defer { node.kill() }
        // A subscriber that never reads, with a full outbox: the graceful stop waits the whole
        // grace period (2 s) for it, which is when the second signal comes.
        let subscriber = try Socket.connect(host: "127.0.0.1", port: node.apiPort, deadline: .now + .seconds(5))
        defer { subscriber.close() }
        var size: Int32 = 4096
        setsockopt(subscriber.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        try subscriber.send(APIMessage.notify(GossipNotify(dataType: 7)).encoded(), deadline: .now + .seconds(5))
        let announcer = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        defer { announcer.close() }
        Thread.sleep(forTimeInterval: 0.2)  // the subscription is in before the first item
        for _ in 0..<300 { try announcer.announce(dataType: 7, ttl: 0, data: [UInt8](repeating: 1, count: 16_384)) }
        Thread.sleep(forTimeInterval: 0.3)
        let started = ContinuousClock.now
        kill(node.process.processIdentifier, SIGTERM)
        #expect(waitUntil { node.log.contains("stopping") })
        kill(node.process.processIdentifier, SIGTERM)
        #expect(node.waitForExit(timeout: .seconds(5)) == 128 + SIGTERM)
        #expect(ContinuousClock.now - started < Node.shutdownGrace, "before the grace period ended")
        #expect(node.log.contains("again: exiting at once"), "\(node.log)")
    }

    @Test("a stopping node writes what a module's outbox holds before it closes the connection")
    func stopDeliversOutbox() throws {
        let network = TestNetwork()
        // Room for more than the kernel's socket buffers (up to 4 MiB each way here) take.
        let node = try network.add { $0.outboxCapacityBytes = 32 * 1_048_576 }
        let subscriber = try node.subscriber(of: 7)
        defer { subscriber.close() }
        let announcer = try node.connect()
        defer { announcer.close() }
        // The subscriber does not read: once the socket buffers are full, the rest waits in the
        // node's outbox.
        var count = 0
        while node.moduleOutboxBytes < 256 * 1024 && count < 1200 {
            for _ in 0..<16 {
                try announcer.announce(dataType: 7, ttl: 0, data: [UInt8](repeating: UInt8(count & 0xFF), count: 16_384))
                count += 1
            }
            _ = waitUntil(timeout: .seconds(2)) { node.statistics.notificationsQueued == count }
        }
        #expect(node.moduleOutboxBytes >= 256 * 1024, "the outbox holds \(node.moduleOutboxBytes) bytes after \(count) items")
        let stopping = BackgroundJob { node.stop() }
        Thread.sleep(forTimeInterval: 0.3)  // the node is stopping before the module reads a byte
        var delivered = 0
        while case .notification? = try? subscriber.receive(timeout: .seconds(5)) { delivered += 1 }
        try stopping.join()
        #expect(delivered == count, "all \(count) notifications arrived, the outbox's included")
    }

    @Test("the neighbours of a stopping node are told, drop it at once and keep their own links")
    func neighboursRepairAtOnce() throws {
        let network = TestNetwork()
        // A long peer timeout: only the LEAVE can make the neighbours notice within the test.
        let slow: (inout NodeConfiguration) -> Void = { $0.peerTimeoutMilliseconds = 60_000 }
        let a = try network.add(configure: slow)
        let b = try network.add(bootstrap: a, configure: slow)
        let c = try network.add(bootstrap: a, configure: slow)
        #expect(waitUntil(timeout: .seconds(10)) { a.establishedPeerCount == 2 && b.establishedPeerCount == 2 && c.establishedPeerCount == 2 })
        let leaving = c.identity
        let started = ContinuousClock.now
        c.stop()
        #expect(ContinuousClock.now - started < .seconds(3), "a graceful stop is bounded")
        #expect(waitUntil(timeout: .seconds(2)) { !a.connectedPeers.contains(leaving) && !b.connectedPeers.contains(leaving) })
        #expect(a.statistics.closedLinks(.peerLeft) == 1 && b.statistics.closedLinks(.peerLeft) == 1, "closed because it said so")
        #expect(a.connectedPeers == [b.identity] && b.connectedPeers == [a.identity], "the survivors keep their link")
        let subscriber = try b.subscriber(of: 3)
        try a.connect().announce(dataType: 3, ttl: 0, data: [3])
        #expect(try subscriber.expectNotification().data == [3])
    }
}
