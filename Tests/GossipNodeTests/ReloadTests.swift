import Foundation
import GossipClient
import GossipConfig
import GossipSockets
import GossipWire
import Testing

@testable import GossipNode

/// SIGHUP: gossipd reads its configuration file again (issue 9's live reload, in part).
@Suite("Reload on SIGHUP", .serialized)
struct ReloadTests {
    static let token = "correct-horse-battery-staple"

    @Test("SIGHUP applies a new api_token, degree and cache_size at once, names what needs a restart, and a broken file changes nothing")
    func reload() throws {
        let node = try GossipdProcess()
        defer { node.kill() }
        let original = try String(contentsOfFile: node.configPath, encoding: .utf8)
        #expect(try GossipAPIClient(host: "127.0.0.1", port: node.apiPort).status().count > 2, "no token yet")

        let edited = original.replacingOccurrences(of: "identity_work_bits = 0", with: "identity_work_bits = 20")
        try (edited + "api_token = \(Self.token)\ndegree = 9\ncache_size = 7\nseen_capacity = 77\n").write(
            toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("configuration read again") }, "\(node.log)")
        #expect(node.log.contains("applied=cache_size, degree, api_token") && node.log.contains("needs_restart=seen_capacity"), "\(node.log)")
        // The node found its own work for the bits it started with: asking more of peers at once
        // would have nodes reloaded together refuse each other.
        #expect(node.log.contains("needs_restart=seen_capacity, identity_work_bits"), "\(node.log)")
        let without = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        try without.sendRaw([0, 4, 0x02, 0x06])  // a STATUS request, no token
        #expect(without.waitForClose(), "the token is required from now on")
        let with = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        try with.present(token: Self.token)
        #expect(try with.status().count > 2)

        try (original + "degree = banana\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("the running configuration is unchanged") }, "\(node.log)")
        let still = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        try still.present(token: Self.token)
        #expect(try still.status().count > 2, "the token from the last good file still holds")
        #expect(node.process.isRunning, "SIGHUP never stops the node")
        #expect(node.stop() == 0)
    }

    @Test("SIGHUP applies a new profile: its timing keys change at once, and none needs a restart")
    func reloadProfile() throws {
        let node = try GossipdProcess()
        defer { node.kill() }
        let original = try String(contentsOfFile: node.configPath, encoding: .utf8)
        try (original + "profile = wan\ngraft_timeout_ms = 250\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("configuration read again") }, "\(node.log)")
        let line = node.log.split(separator: "\n").first { $0.contains("configuration read again") }.map(String.init) ?? ""
        for key in ["profile", "ping_interval_ms", "peer_timeout_ms", "gossip_interval_ms", "ihave_interval_ms"] {
            #expect(line.contains(key), "\(key) applied: \(line)")
        }
        #expect(!line.contains("graft_timeout_ms"), "the file's own graft_timeout_ms (the old value) is not a change: \(line)")
        #expect(line.contains("needs_restart=nothing"), "\(line)")
        #expect(node.stop() == 0)
    }

    @Test("gossip reload (POST /reload on admin_address) applies a new degree, and a broken file changes nothing and exits 1")
    func reloadOverAdmin() throws {
        let node = try GossipdProcess(extraConfig: "admin_address = 127.0.0.1:0\n")
        defer { node.kill() }
        let port = try #require(node.adminPort, "\(node.log)")
        let original = try String(contentsOfFile: node.configPath, encoding: .utf8)
        let cli = CommandLineTests()

        try (original + "degree = 9\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        let applied = try cli.run("gossip", ["reload", "--admin", "127.0.0.1:\(port)"])
        #expect(applied.status == 0 && applied.output.contains("applied degree"), "\(applied)")
        #expect(node.log.contains("admin /reload: configuration read again"), "\(node.log)")
        #expect(node.log.contains("applied=degree"), "\(node.log)")

        try (original + "degree = banana\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        let refused = try cli.run("gossip", ["reload", "--admin", "127.0.0.1:\(port)"])
        #expect(refused.status == 1 && refused.error.contains("the running configuration is unchanged"), "\(refused)")
        let metrics = try AdminClient(host: "127.0.0.1", port: port).request("GET", "/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("gossip_announces_received_total 0"))
        #expect(node.stop() == 0)
    }

    @Test("log_level: --log-level wins at start; SIGHUP applies a changed log_level at once, in both directions")
    func logLevel() throws {
        // The file says warning, the command line info: "node started" (info) shows.
        let node = try GossipdProcess(extraConfig: "log_level = warning\n")
        defer { node.kill() }
        let original = try String(contentsOfFile: node.configPath, encoding: .utf8)
        func opened() -> Int { node.log.components(separatedBy: "API connection opened").count - 1 }
        _ = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort).status()  // a debug line, not shown at info

        try original.replacingOccurrences(of: "log_level = warning", with: "log_level = DEBUG").write(
            toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("configuration read again") }, "\(node.log)")
        #expect(node.log.contains("applied=log_level"), "\(node.log)")
        #expect(opened() == 0, "nothing at debug before the reload")
        _ = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort).status()
        #expect(waitUntil { opened() == 1 }, "debug lines from now on: \(node.log)")
        let announcer = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        try announcer.announce(dataType: 77, ttl: 0, data: [1, 2, 3])
        #expect(waitUntil { node.log.contains("item received") }, "\(node.log)")
        let line = node.log.split(separator: "\n").first { $0.contains("item received") } ?? ""
        #expect(line.contains("type=77") && line.contains("size=3") && line.contains("from=api#"), "\(line)")
        #expect(line.range(of: "item=[0-9a-f]{16}", options: .regularExpression) != nil, "\(line)")
        announcer.close()

        // Down to warning: the reload's own notice no longer shows, nor do debug lines.
        try original.write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        _ = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort).status()
        try (original + "degree = banana\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("the running configuration is unchanged") }, "an error shows: \(node.log)")
        #expect(opened() == 2, "the STATUS query and the announcer at debug, nothing after: \(node.log)")
        #expect(node.log.components(separatedBy: "configuration read again").count == 2, "the notice at warning is not shown")
        #expect(node.stop() == 0)
    }
}

/// `Node.reload` in process: the bounds and timeouts a reload changes take effect at once, and
/// no API or peer connection is dropped for it.
@Suite("Reloading bounds and timeouts", .serialized)
struct ReloadLimitsTests {
    /// What `node` runs with, as a file would give it: its bound configuration.
    static func configuration(of node: Node) throws -> NodeConfiguration {
        try #require(node.context).configuration
    }

    @Test("cache, queue, outbox and view bounds, API limit, frame, write, connect and validation timeouts change; every connection stays")
    func everyLimitKeepsConnections() throws {
        let network = TestNetwork()
        let origin = try network.add()
        let node = try network.add(bootstrap: origin)
        #expect(waitUntil(timeout: .seconds(10)) { node.connectedPeers == [origin.identity] && origin.establishedPeerCount == 1 })
        let peers = node.connectedPeers
        let subscriber = try node.subscriber(of: 5)
        let announcer = try node.connect()
        for n in 0..<10 {
            try announcer.announce(dataType: 5, ttl: 0, data: [UInt8(n)])
            try subscriber.validate(messageID: try subscriber.expectNotification().messageID, isValid: true)
        }
        #expect(waitUntil { node.status?.cachedItems == 10 && origin.status?.cachedItems == 10 })
        let closedBefore = node.statistics.closedConnections

        var next = try Self.configuration(of: node)
        next.cacheSize = 3
        next.announceQueueCapacity = 7
        next.outboxCapacityBytes = 65_536
        next.maxAPIConnections = 5
        next.frameTimeoutMilliseconds = 1234
        next.writeTimeoutMilliseconds = 2345
        next.validationTimeoutMilliseconds = 3456
        next.connectTimeoutMilliseconds = 4567
        next.viewSize = 5
        let (applied, _) = node.reload(next)
        #expect(
            Set(applied) == [
                "cache_size", "announce_queue_size", "outbox_bytes", "max_api_connections", "frame_timeout_ms",
                "write_timeout_ms", "validation_timeout_ms", "connect_timeout_ms", "view_size",
            ], "\(applied)")
        #expect(node.status?.cachedItems == 3, "the oldest items are gone at once")
        let context = try #require(node.context)
        #expect(context.itemQueue.capacity == 7)
        #expect(context.limits.withLock { $0 } == RunTimeLimits(next))
        #expect(context.core.withLock { $0.engine.validations.timeoutNanoseconds } == 3_456_000_000)
        #expect(context.core.withLock { $0.overlay.view.capacity } == 5)
        // The room the item tables made at start (ItemTableRoom) is not an INI key: a reload keeps it.
        #expect(context.core.withLock { $0.configuration.engine.reservedItems } == 512)
        #expect(context.core.withLock { $0.configuration.broadcast.reservedItems } == 512)

        // The same connections carry the next item: to the subscriber, and over the link.
        try announcer.announce(dataType: 5, ttl: 0, data: [99])
        let notification = try subscriber.expectNotification()
        #expect(notification.data == [99])
        try subscriber.validate(messageID: notification.messageID, isValid: true)
        #expect(waitUntil { origin.status?.cachedItems == 11 }, "the peer link still carries items")
        #expect(node.status?.cachedItems == 3, "the new bound holds")
        #expect(node.connectedPeers == peers, "\(node.connectedPeers) \(peers)")
        #expect(node.statistics.closedConnections == closedBefore)
    }

    @Test("a smaller outbox_bytes does not cut off a module holding more; a connection made afterwards has the new bound")
    func outboxBound() throws {
        // Room for what the kernel's socket buffers take besides (a few MiB each here).
        try withNode(configure: { $0.outboxCapacityBytes = 16 * 1_048_576 }) { node in
            let full = try BackpressureTests.stuckModule(of: node)
            defer { full.close() }
            let announcer = try node.connect()
            var count = 0
            func announce(_ items: Int) throws {
                for _ in 0..<items {
                    try announcer.announce(dataType: 9, ttl: 0, data: [UInt8](repeating: UInt8(count & 0xFF), count: 60_000))
                    count += 1
                }
                #expect(waitUntil { node.statistics.announcesReceived >= count }, "handled by the core")
            }
            while node.moduleOutboxBytes < 300_000 && count < 150 { try announce(1) }
            #expect(node.moduleOutboxBytes >= 300_000, "the outbox holds \(node.moduleOutboxBytes) bytes")

            var next = try ReloadLimitsTests.configuration(of: node)
            next.outboxCapacityBytes = 65_536
            #expect(node.reload(next).applied == ["outbox_bytes"])
            let fresh = try BackpressureTests.stuckModule(of: node)
            defer { fresh.close() }
            // Until the new connection's outbox overflows (once the kernel's buffers toward it are
            // full): far under the old bound of the full module.
            let before = count
            while node.statistics.closed(.outboxOverflow) == 0 && count < before + 150 { try announce(1) }
            #expect(node.statistics.closed(.outboxOverflow) == 1, "the new connection overflows at 64 KiB: \(node.statistics.closedConnections)")
            #expect(waitUntil { node.status?.modules.count == 2 }, "the full module and the announcer are still connected")
            #expect(node.moduleOutboxBytes > 65_536, "the full module keeps its backlog, under its old bound")
        }
    }

    @Test("a lower max_api_connections refuses the next connection and keeps the open ones; a higher one admits it")
    func apiConnectionLimit() throws {
        try withNode { node in
            let first = try node.connect(), second = try node.connect()
            #expect(try first.status().count > 2 && second.status().count > 2)
            var next = try ReloadLimitsTests.configuration(of: node)
            next.maxAPIConnections = 2
            #expect(node.reload(next).applied == ["max_api_connections"])
            let third = try node.connect()
            #expect(third.waitForClose(), "at the new limit, with no idle connection to make room")
            #expect(node.statistics.closed(.tooManyConnections) == 1)
            #expect(try first.status().count > 2 && second.status().count > 2, "the open ones stay")
            next.maxAPIConnections = 3
            _ = node.reload(next)
            #expect(try node.connect().status().count > 2)
        }
    }

    @Test("a shorter frame_timeout_ms applies to the next connection")
    func frameTimeout() throws {
        try withNode { node in
            var next = try ReloadLimitsTests.configuration(of: node)
            next.frameTimeoutMilliseconds = 100
            #expect(node.reload(next).applied == ["frame_timeout_ms"])
            let client = try node.connect()
            try client.sendRaw([0])  // the first byte of a frame, then silence
            #expect(waitUntil(timeout: .seconds(3)) { node.statistics.closed(.frameTimeout) == 1 }, "not the 5 s it started with")
        }
    }

    @Test("a shorter validation_timeout_ms decides a pending validation by it; the module stays")
    func validationTimeout() throws {
        try withNode(configure: { $0.validationTimeoutMilliseconds = 600_000 }) { node in
            let silent = try node.subscriber(of: 5)
            let announcer = try node.connect()
            try announcer.announce(dataType: 5, ttl: 0, data: [1])
            _ = try silent.expectNotification()
            #expect(node.pendingValidations == 1)
            var next = try ReloadLimitsTests.configuration(of: node)
            next.validationTimeoutMilliseconds = 100
            #expect(node.reload(next).applied == ["validation_timeout_ms"])
            #expect(waitUntil(timeout: .seconds(3)) { node.pendingValidations == 0 }, "due 100 ms after it was notified")
            try announcer.announce(dataType: 5, ttl: 0, data: [2])
            #expect(try silent.expectNotification().data == [2], "the module is still subscribed")
        }
    }
}
