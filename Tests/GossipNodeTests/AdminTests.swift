import Foundation
import GossipAdmin
import GossipClient
import GossipConfig
import GossipIdentity
import GossipCore
import GossipNode
import GossipSockets
import GossipWire
import Logging
import NIOCore
import Prometheus
import Synchronization
import Testing

/// The admin HTTP endpoints (`admin_address`): /metrics, /status, /ready, /reload, scraped over
/// HTTP as Prometheus or an operator would.
@Suite("Admin endpoints", .serialized)
struct AdminTests {
    /// A node that keeps metrics, with its admin server on an OS-picked port.
    final class AdminNode: Sendable {
        let node: Node
        let server: AdminServer

        init(
            configure: (inout NodeConfiguration) -> Void = { _ in },
            reload: @escaping @Sendable () -> AdminServer.ReloadOutcome = { .init(loaded: true, message: "reloaded") },
            requestDeadline: Duration = .seconds(10)
        ) throws {
            var configuration = NodeConfiguration(
                apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
            configuration.identityWorkBits = 0
            configure(&configuration)
            var logger = Logger(label: "admin-test")
            logger.logLevel = .critical
            let registry = PrometheusCollectorRegistry()
            node = try Node(configuration: configuration, logger: logger, metrics: AdminServer.metricsFactory(registry: registry))
            try node.start()
            let node = node
            server = try AdminServer(
                address: Endpoint(host: "127.0.0.1", port: 0), node: node, registry: registry, logger: logger, reload: reload,
                token: { node.apiToken }, requestDeadline: requestDeadline)
        }

        func client(token: String? = nil) -> AdminClient { AdminClient(host: "127.0.0.1", port: server.port, token: token) }

        /// `/metrics`, as text.
        func scrape() throws -> String {
            let response = try client().request("GET", "/metrics")
            #expect(response.status == 200)
            return response.text
        }

        func stop() {
            node.stop()
            server.stop()
        }
    }

    /// The value of one series (name with its labels, as printed) in a scrape; nil if absent.
    static func value(_ scrape: String, _ series: String) -> Double? {
        for line in scrape.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test("every metric moves when its event happens: items, validations, frames and bytes per type, malformed input, handshake failures, links, the delivery histogram")
    func metricsMove() throws {
        let a = try AdminNode()
        defer { a.stop() }
        let b = try AdminNode { $0.validationTimeoutMilliseconds = 300 }
        defer { b.stop() }
        let before = try a.scrape()
        #expect(Self.value(before, "gossip_announces_received_total") == 0, "every counter shows from the first scrape")
        #expect(Self.value(before, "gossip_p2p_frames_total{direction=\"out\",type=\"item\"}") == 0)

        b.node.join(Endpoint(host: "127.0.0.1", port: a.node.p2pPort))
        try #require(waitUntil(timeout: .seconds(10)) { a.node.establishedPeerCount == 1 && b.node.establishedPeerCount == 1 })
        let module = try b.node.subscriber(of: 7)
        let announcer = try a.node.connect()
        try announcer.announce(dataType: 7, ttl: 0, data: Array(repeating: 0xAB, count: 300))
        let notification = try module.expectNotification()
        try module.validate(messageID: notification.messageID, isValid: true)

        // Malformed input on both ports: an unknown type on the API, and a PING before HELLO on P2P.
        let junk = try a.node.connect()
        try junk.sendRaw([0, 4, 0x01, 0xF3])  // type 499
        #expect(junk.waitForClose())
        let peerJunk = try GossipAPIClient(host: "127.0.0.1", port: a.node.p2pPort)
        try peerJunk.sendRaw(PeerMessage.ping(1).encoded())  // a PING, but no HELLO first
        #expect(peerJunk.waitForClose())

        #expect(waitUntil { (try? b.scrape()).flatMap { Self.value($0, "gossip_validations_valid_total") } == 1 })
        let scrapeA = try a.scrape()
        #expect(Self.value(scrapeA, "gossip_announces_received_total") == 1)
        #expect((Self.value(scrapeA, "gossip_p2p_frames_total{direction=\"out\",type=\"item\"}") ?? 0) >= 1)
        #expect((Self.value(scrapeA, "gossip_p2p_bytes_total{direction=\"out\",type=\"item\"}") ?? 0) >= 300)
        #expect((Self.value(scrapeA, "gossip_p2p_frames_total{direction=\"in\",type=\"hello\"}") ?? 0) >= 1)
        #expect(Self.value(scrapeA, "gossip_malformed_input_total{kind=\"api\",reason=\"unknown_type\"}") == 1, "\(scrapeA)")
        #expect(Self.value(scrapeA, "gossip_connections_closed_total{kind=\"api\",reason=\"unknown_type\"}") == 1)
        #expect(Self.value(scrapeA, "gossip_handshake_failures_total") == 1, "the PING before HELLO: \(a.node.statistics.closedPeerLinks)")
        #expect(Self.value(scrapeA, "gossip_api_connections_accepted_total") == 2)
        let activeLinks = ["tree", "neighbour"].compactMap { Self.value(scrapeA, "gossip_links{state=\"\($0)\"}") }.reduce(0, +)
        #expect(activeLinks == 1)
        #expect(Self.value(scrapeA, "gossip_active_view_size") == 1)

        let scrapeB = try b.scrape()
        #expect(Self.value(scrapeB, "gossip_peer_items_received_total") == 1)
        #expect(Self.value(scrapeB, "gossip_notifications_queued_total") == 1)
        #expect(Self.value(scrapeB, "gossip_validations_valid_total") == 1)
        #expect(Self.value(scrapeB, "gossip_first_sight_to_delivery_seconds_count") == 1, "one item delivered to a module")
        #expect((Self.value(scrapeB, "gossip_p2p_bytes_total{direction=\"in\",type=\"item\"}") ?? 0) >= 300)
        #expect(Self.value(scrapeB, "gossip_subscribed_types") == 1)
        #expect(Self.value(scrapeB, "gossip_cached_items") == 1)

        // A verdict of invalid, and one that never comes (timed out).
        try announcer.announce(dataType: 7, ttl: 0, data: [2])
        try module.validate(messageID: try module.expectNotification().messageID, isValid: false)
        try announcer.announce(dataType: 7, ttl: 0, data: [3])
        _ = try module.expectNotification()
        #expect(waitUntil { b.node.statistics.validationsTimedOut == 1 })
        let later = try b.scrape()
        #expect(Self.value(later, "gossip_validations_invalid_total") == 1)
        #expect(Self.value(later, "gossip_validations_timed_out_total") == 1)
        #expect(Self.value(later, "gossip_items_dropped_invalid_total") == 1)
        #expect(Self.value(later, "gossip_items_forwarded_after_validation_total") == 1, "the first item, found valid")
        // Every counter STATUS keeps is in /metrics with the same value.
        let statistics = b.node.statistics
        for child in Mirror(reflecting: statistics).children {
            guard let label = child.label, let value = child.value as? Int, !label.hasSuffix("Open") else { continue }
            let name = "gossip_" + label.replacing(/([a-z0-9])([A-Z])/) { "\($0.output.1)_\($0.output.2)" }.lowercased() + "_total"
            #expect(Self.value(later, name) == Double(value), "\(name)")
        }

        try announcer.announce(dataType: 8, ttl: 0, data: [4])  // a type nobody on B subscribed to
        #expect(waitUntil { (try? b.scrape()).flatMap { Self.value($0, "gossip_items_relayed_unvalidated_total") } == 1 })
        // A second scrape carries over only what grew since: counters do not double.
        let again = try a.scrape()
        #expect(Self.value(again, "gossip_announces_received_total") == 4)
        #expect(Self.value(again, "gossip_malformed_input_total{kind=\"api\",reason=\"unknown_type\"}") == 1)
        #expect(Self.value(again, "gossip_peer_links_open") == 1)
        #expect((Self.value(again, "gossip_api_connections_open") ?? 0) >= 1, "the announcer is still connected")

        // The peer leaves: the link's close shows under its reason, and the link gauges fall.
        b.stop()
        #expect(waitUntil { a.node.establishedPeerCount == 0 })
        let gone = try a.scrape()
        #expect(Self.value(gone, "gossip_connections_closed_total{kind=\"peer\",reason=\"peer_left\"}") == 1, "\(a.node.statistics.closedPeerLinks)")
        #expect(Self.value(gone, "gossip_active_view_size") == 0)
    }

    @Test("/status answers the STATUS JSON, agreeing with what was done; /ready is 200 while running and 503 once stopping; unknown paths 404, wrong methods 405")
    func statusAndReady() throws {
        let a = try AdminNode()
        defer { a.server.stop() }
        let module = try a.node.subscriber(of: 42)
        let ready = try a.client().request("GET", "/ready")
        #expect(ready.status == 200 && ready.text == "ready\n")

        let response = try a.client().request("GET", "/status")
        #expect(response.status == 200)
        let status = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(status["subscribed_types"] as? Int == 1)
        #expect((status["modules"] as? [[String: Any]])?.first?["subscribed_types"] as? [Int] == [42])
        #expect(status["identity"] as? String == a.node.identity.hex)
        let viaAPI = try #require(try JSONSerialization.jsonObject(with: Data(module.status())) as? [String: Any])
        #expect(viaAPI["identity"] as? String == status["identity"] as? String)
        #expect(viaAPI["subscribed_types"] as? Int == 1)

        #expect(try a.client().request("GET", "/nothing-here").status == 404)
        #expect(try a.client().request("GET", "/reload").status == 405)
        #expect(try a.client().request("POST", "/metrics").status == 405)

        a.node.stop()
        #expect(try a.client().request("GET", "/ready").status == 503)
    }

    @Test("with api_token, /status and /reload want it as a bearer token; /metrics and /ready do not")
    func token() throws {
        let token = "correct-horse-battery-staple"
        let a = try AdminNode { $0.apiToken = token }
        defer { a.stop() }
        #expect(try a.client().request("GET", "/status").status == 401)
        #expect(try a.client(token: "wrong-horse-battery-staple").request("GET", "/status").status == 401)
        #expect(try a.client().request("POST", "/reload").status == 401)
        #expect(try a.client(token: token).request("GET", "/status").status == 200)
        let reload = try a.client(token: token).request("POST", "/reload")
        #expect(reload.status == 200 && reload.text == "reloaded\n")
        #expect(try a.client().request("GET", "/metrics").status == 200)
        #expect(try a.client().request("GET", "/ready").status == 200)
    }

    @Test("a request that never completes is closed at the deadline's end")
    func requestDeadline() throws {
        let a = try AdminNode(requestDeadline: .milliseconds(300))
        defer { a.stop() }
        let slow = try GossipAPIClient(host: "127.0.0.1", port: UInt16(a.server.port))
        defer { slow.close() }
        try slow.sendRaw(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8))  // and never the blank line
        #expect(slow.waitForClose(timeout: .seconds(5)), "closed at the deadline")
    }

    @Test("connections beyond the limit for one address are turned away and counted; closing one makes room")
    func boundedConnections() throws {
        let a = try AdminNode(requestDeadline: .seconds(30))
        defer { a.stop() }
        // Half-made requests hold connections; beyond the limit, new ones are closed at once.
        var held: [GossipAPIClient] = []
        defer { for client in held { client.close() } }
        for _ in 0..<AdminServer.maxConnectionsPerAddress {
            let client = try GossipAPIClient(host: "127.0.0.1", port: UInt16(a.server.port))
            try client.sendRaw(Array("GET /metrics HTTP/1.1\r\n".utf8))
            held.append(client)
        }
        let extra = try GossipAPIClient(host: "127.0.0.1", port: UInt16(a.server.port))
        #expect(extra.waitForClose(), "over the limit for one address")
        held.removeFirst().close()  // room for one again
        #expect(waitUntil { (try? a.client().request("GET", "/ready").status) == 200 })
        #expect(Self.value(try a.scrape(), "gossip_admin_requests_refused_total") ?? 0 >= 1)
    }

    @Test("/tap streams every item passing through as JSON lines, filtered by type; gossip tap prints them and stops after --count")
    func tap() throws {
        let a = try AdminNode()
        defer { a.stop() }
        let lines = SharedText()
        let streaming = BackgroundJob {
            let response = try a.client().request("GET", "/tap?type=5,6", timeout: .seconds(20)) { bytes in
                lines.value.withLock { $0 += String(decoding: bytes, as: UTF8.self) }
                return lines.value.withLock { $0.split(separator: "\n").count } < 2
            }
            #expect(response.status == 200)
        }
        try #require(waitUntil { a.node.itemObservers.count == 1 }, "the tap attached")
        let module = try a.node.connect()
        try module.announce(dataType: 4, ttl: 3, data: [1])  // filtered out
        try module.announce(dataType: 5, ttl: 3, data: [1, 2])
        try module.announce(dataType: 6, ttl: 0, data: [1, 2, 3])
        try streaming.join()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let taps = try lines.value.withLock { $0 }.split(separator: "\n").map { try decoder.decode(ItemTapLine.self, from: Data($0.utf8)) }
        #expect(taps.map(\.type) == [5, 6])
        #expect(taps.map(\.size) == [2, 3] && taps.map(\.ttl) == [3, 0])
        #expect(taps.allSatisfy { $0.outcome == "announced" && $0.from.hasPrefix("api#") && $0.item.count == 16 && $0.skipped == 0 })
        #expect(waitUntil { a.node.itemObservers.count == 0 }, "the tap detached when its client left")

        // The command-line tool, as a person runs it.
        let cli = CommandLineTests()
        let printed = Mutex<CommandLineTests.Result?>(nil)
        let tool = BackgroundJob {
            let result = try cli.run("gossip", ["tap", "--admin", "127.0.0.1:\(a.server.port)", "--count", "2"])
            printed.withLock { $0 = result }
        }
        try #require(waitUntil { a.node.itemObservers.count == 1 }, "gossip tap attached")
        try module.announce(dataType: 7, ttl: 0, data: Array("hello".utf8))
        try module.announce(dataType: 8, ttl: 0, data: Array("world".utf8))
        for extra in 0..<3 { try module.announce(dataType: 9, ttl: 0, data: [UInt8(extra)]) }  // more than --count
        try tool.join()
        let result = try #require(printed.withLock { $0 })
        #expect(result.status == 0, "\(result)")
        let shown = result.output.split(separator: "\n")
        #expect(shown.count == 2 && shown[0].contains("announced") && shown[0].contains("type 7  5 B") && shown[1].contains("type 8"), "\(result.output)")
    }

    @Test("a tap that never reads does not slow delivery to a module: it skips, and the module gets every item")
    func stuckTap() throws {
        let a = try AdminNode()
        defer { a.stop() }
        let stuck = try Socket.connect(host: "127.0.0.1", port: UInt16(a.server.port), deadline: .now + .seconds(5))
        defer { stuck.close() }
        // The HTTP head and the chunk sizes around the lines are skipped when decoding.
        try stuck.send(Array("GET /tap HTTP/1.1\r\nHost: x\r\n\r\n".utf8), deadline: .now + .seconds(5))  // and never reads
        try #require(waitUntil { a.node.itemObservers.count == 1 })
        let module = try a.node.subscriber(of: 9)
        let announcer = try a.node.connect()
        // About 170 bytes of tap line per item, 10 MB: far more than the socket buffers and the
        // tap's queue hold (the sender's buffer grows to tcp_wmem's maximum, 4 MiB here, and the
        // queue holds 4,096 lines; with 30,000 items, 5 MB, one run in many showed every line).
        let count = 60000
        let data = Array(repeating: UInt8(0x5A), count: 16)
        let announcing = BackgroundJob {
            for _ in 0..<count { try announcer.announce(dataType: 9, ttl: 0, data: data) }
        }
        for _ in 0..<count {
            let notification = try module.expectNotification()
            try module.validate(messageID: notification.messageID, isValid: true)
        }
        try announcing.join()
        #expect(waitUntil { a.node.statistics.notificationsQueued == count }, "counted just after each write")
        #expect(a.node.itemObservers.count == 1, "the stuck tap is still attached")
        // Now read the stream: every item is either a line or counted as skipped on the line after
        // the gap. Markers (type 10) go in until one comes through, to carry the last gap's count.
        let stream = SharedText()
        let reading = BackgroundJob {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while !stream.value.withLock({ $0.contains("\"type\":10") }) {
                let read = try chunk.withUnsafeMutableBytes { try stuck.receive(into: $0, deadline: .now + .seconds(20)) }
                if read <= 0 { return }
                stream.value.withLock { $0 += String(decoding: chunk[..<read], as: UTF8.self) }
            }
        }
        var markers = 0
        while !stream.value.withLock({ $0.contains("\"type\":10") }) && markers < 200 {
            try announcer.announce(dataType: 10, ttl: 0, data: [1])
            markers += 1
            Thread.sleep(forTimeInterval: 0.05)
        }
        try reading.join()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        // Split on the byte: in a Swift String "\r\n" (the chunks' framing) is one Character.
        let lines = stream.value.withLock { $0 }.utf8.split(separator: UInt8(ascii: "\n")).compactMap { line in
            line.firstIndex(of: UInt8(ascii: "{")).flatMap { try? decoder.decode(ItemTapLine.self, from: Data(line[$0...])) }
        }
        let shown = lines.filter { $0.type == 9 }.count
        let skipped = lines.reduce(0) { $0 + $1.skipped }
        #expect(shown < count && skipped > 0, "\(shown) lines of \(count), \(skipped) skipped: the tap fell behind and skipped")
        // (Markers sent after the one that ended the reading are not in it.)
        #expect((count + 1...count + markers).contains(lines.count + skipped), "every item is a line or counted as skipped")
    }

    @Test("at most two taps from one address: a third is answered 503, counted and logged; closing one makes room")
    func tapLimit() throws {
        let a = try AdminNode()
        defer { a.stop() }
        func openTap() throws -> Socket {
            let socket = try Socket.connect(host: "127.0.0.1", port: UInt16(a.server.port), deadline: .now + .seconds(5))
            try socket.send(Array("GET /tap HTTP/1.1\r\nHost: x\r\n\r\n".utf8), deadline: .now + .seconds(5))
            return socket
        }
        var taps = [try openTap(), try openTap()]
        defer { for tap in taps { tap.close() } }
        try #require(waitUntil { a.node.itemObservers.count == AdminTap.maximumTaps / 2 })
        let third = try a.client().request("GET", "/tap")
        #expect(third.status == 503 && third.text.contains("too many taps"), "\(third.text)")
        #expect(Self.value(try a.scrape(), "gossip_admin_requests_refused_total") == 1)
        taps.removeFirst().close()
        #expect(waitUntil { a.node.itemObservers.count == AdminTap.maximumTaps / 2 - 1 })
        let fourth = Mutex<Int?>(nil)
        let job = BackgroundJob {
            let response = try a.client().request("GET", "/tap", timeout: .seconds(5)) { _ in false }
            fourth.withLock { $0 = response.status }
        }
        #expect(waitUntil { a.node.itemObservers.count == AdminTap.maximumTaps / 2 }, "room for a tap again")
        try a.node.connect().announce(dataType: 1, ttl: 0, data: [1])  // a line, so the tap's client can end
        try job.join()
        #expect(fourth.withLock { $0 } == 200)
    }

    @Test("a module that stops reading shows in gossip_outbox_bytes{kind=api}, and the gauge falls when it is gone")
    func outboxGauge() throws {
        let a = try AdminNode { $0.outboxCapacityBytes = 64 << 20 }
        defer { a.stop() }
        let stuck = try BackpressureTests.stuckModule(of: a.node)
        let announcer = try a.node.connect()
        let data = [UInt8](repeating: 0x42, count: 60_000)
        for _ in 0..<100 { try announcer.announce(dataType: 9, ttl: 0, data: data) }  // more than the socket buffers hold
        #expect(waitUntil { (Self.value((try? a.scrape()) ?? "", "gossip_outbox_bytes{kind=\"api\"}") ?? 0) > 0 })
        stuck.close()
        #expect(waitUntil { Self.value((try? a.scrape()) ?? "", "gossip_outbox_bytes{kind=\"api\"}") == 0 })
    }

    @Test("a second copy of an item from a peer moves gossip_peer_duplicates_total")
    func duplicates() throws {
        let a = try AdminNode()
        defer { a.stop() }
        let key = NodeKey.ephemeral()
        let peer = try PeerClient(
            host: "127.0.0.1", port: a.node.p2pPort, key: key, work: 0, listenAddress: PeerAddress(host: "127.0.0.1", port: 9)!)
        defer { peer.close() }
        try peer.send(.membership(PeerMembership(kind: .neighborHigh, entry: PeerEntry(identity: key.identity, address: PeerAddress(host: "127.0.0.1", port: 9)!))))
        #expect(waitUntil { a.node.connectedPeers == [key.identity] })
        let data: [UInt8] = [1, 2, 3]
        let id = ItemBinding.id(stamp: UInt32(time(nil)), salt: 7, dataType: 5, data: data)
        let item = GossipItem(id: id, ttl: 0, dataType: 5, data: data)
        try peer.send(.item(item))
        try peer.send(.item(item))
        #expect(waitUntil { (try? a.scrape()).flatMap { Self.value($0, "gossip_peer_duplicates_total") } == 1 })
        #expect(Self.value(try a.scrape(), "gossip_peer_items_received_total") == 2)
    }

    @Test("a node that knows more peers than its degree shows them in gossip_passive_view_size")
    func passiveView() throws {
        let nodes = try (0..<3).map { _ in try AdminNode { $0.degree = 1; $0.degreeSlack = 0 } }
        defer { for node in nodes { node.stop() } }
        for joiner in nodes.dropFirst() { joiner.node.join(Endpoint(host: "127.0.0.1", port: nodes[0].node.p2pPort)) }
        #expect(
            waitUntil(timeout: .seconds(10)) {
                nodes.reduce(0) { $0 + (Self.value((try? $1.scrape()) ?? "", "gossip_passive_view_size") ?? 0) } > 0
            }, "with degree 1 among three nodes, someone keeps a peer in reserve")
        #expect(nodes.allSatisfy { (Self.value((try? $0.scrape()) ?? "", "gossip_active_view_size") ?? 0) <= 1 })
    }

    @Test("peer items held back for a module that fell behind show in gossip_queued_items{lane=peer}")
    func queueGauge() throws {
        // The origin queues all 200 items for its link (12 MB): with the default 4 MiB outbox the
        // link could overflow and close while the node's intake is full, and the items then came
        // by anti-entropy, too few within the wait to fill the stuck module's socket (the kernel
        // takes about 4 MB of it) and half its outbox.
        let origin = try AdminNode { $0.outboxCapacityBytes = 32 << 20 }
        defer { origin.stop() }
        let node = try AdminNode {
            $0.announceQueueCapacity = 4
            $0.outboxCapacityBytes = 512 << 10
            $0.validationTimeoutMilliseconds = 30_000
        }
        defer { node.stop() }
        node.node.join(Endpoint(host: "127.0.0.1", port: origin.node.p2pPort))
        try #require(waitUntil(timeout: .seconds(10)) { node.node.establishedPeerCount == 1 && origin.node.establishedPeerCount == 1 })
        let stuck = try BackpressureTests.stuckModule(of: node.node)
        defer { stuck.close() }
        let announcer = try origin.node.connect()
        let data = [UInt8](repeating: 0x42, count: 60_000)
        for _ in 0..<200 { try announcer.announce(dataType: 9, ttl: 0, data: data) }  // far more than the socket buffers hold
        #expect(waitUntil(timeout: .seconds(10)) { (Self.value((try? node.scrape()) ?? "", "gossip_queued_items{lane=\"peer\"}") ?? 0) > 0 })
        let paused = waitUntil(timeout: .seconds(10)) { (Self.value((try? node.scrape()) ?? "", "gossip_peer_intake_pauses_total") ?? 0) >= 1 }
        let statistics = node.node.statistics
        #expect(
            paused,
            "items \(statistics.peerItemsReceived) received (\(statistics.antiEntropyItemsPulled) pulled), \(statistics.notificationsQueued) notified")
    }

    @Test("the per-address limits count an IPv6 client by its /64 and an IPv4 client by its address")
    func clientKeys() throws {
        let a = try SocketAddress(ipAddress: "2001:db8:1:2:aaaa::1", port: 1)
        let b = try SocketAddress(ipAddress: "2001:db8:1:2:bbbb::2", port: 2)
        let c = try SocketAddress(ipAddress: "2001:db8:1:3::1", port: 1)
        #expect(AdminServer.clientKey(a) == AdminServer.clientKey(b))
        #expect(AdminServer.clientKey(a) != AdminServer.clientKey(c))
        #expect(AdminServer.clientKey(a) == "2001:db8:1:2::/64")
        #expect(AdminServer.clientKey(try SocketAddress(ipAddress: "127.0.0.1", port: 1)) == "127.0.0.1")
        #expect(AdminServer.clientKey(try SocketAddress(ipAddress: "::ffff:10.0.0.1", port: 1)) != AdminServer.clientKey(try SocketAddress(ipAddress: "::ffff:10.0.0.2", port: 1)))
    }
}
