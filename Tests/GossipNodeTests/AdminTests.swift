import Foundation
import GossipAdmin
import GossipClient
import GossipConfig
import GossipNode
import GossipWire
import Logging
import Prometheus
import Testing

/// The admin HTTP endpoints (`admin_address`): /metrics, /status, /ready, /reload, scraped over
/// HTTP as Prometheus or an operator would.
@Suite("Admin endpoints", .serialized)
struct AdminTests {
    /// A node that keeps metrics, with its admin server on an OS-picked port.
    final class AdminNode {
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
        let b = try AdminNode()
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

        // A second scrape carries over only what grew since: counters do not double.
        let again = try a.scrape()
        #expect(Self.value(again, "gossip_announces_received_total") == 1)
        #expect(Self.value(again, "gossip_malformed_input_total{kind=\"api\",reason=\"unknown_type\"}") == 1)
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

    @Test("a request that never completes is closed at the deadline's end, and connections beyond the limit are turned away")
    func boundedConnections() throws {
        let a = try AdminNode(requestDeadline: .milliseconds(300))
        defer { a.stop() }
        let slow = try GossipAPIClient(host: "127.0.0.1", port: UInt16(a.server.port))
        try slow.sendRaw(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8))  // and never the blank line
        #expect(slow.waitForClose(timeout: .seconds(5)), "closed at the deadline")
        // Half-made requests hold connections; beyond the limit, new ones are closed at once.
        var held: [GossipAPIClient] = []
        defer { for client in held { client.close() } }
        for _ in 0..<AdminServer.maxConnections {
            let client = try GossipAPIClient(host: "127.0.0.1", port: UInt16(a.server.port))
            try client.sendRaw(Array("GET /metrics HTTP/1.1\r\n".utf8))
            held.append(client)
        }
        let extra = try GossipAPIClient(host: "127.0.0.1", port: UInt16(a.server.port))
        #expect(extra.waitForClose(), "over the limit")
        for client in held { client.close() }  // room again
        #expect(waitUntil { (try? a.client().request("GET", "/ready").status) == 200 })
    }
}
