import ArgumentParser
import Foundation
import GossipAdmin
import GossipClient
import GossipConfig
import GossipNode
import GossipWire
import Logging
import Prometheus
import Synchronization

/// One node, one announcing client, one subscribed client that validates every item.
struct APIBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Pipelined throughput and closed-loop latency of the local API.")

    @Option(help: "Items announced back to back in the pipelined run.")
    var items = 200_000

    @Option(help: "Bytes of data per item.")
    var size = 64

    @Option(help: "Announce-to-notification round trips in the closed-loop run.")
    var rounds = 20_000

    @Option(help: "Benchmark a running node at this API address instead of one started in-process.")
    var api: String?

    @Flag(help: "Keep metrics and serve the admin endpoint, scraped every --scrape-interval ms during the run (the cost of observability).")
    var admin = false

    @Option(help: "Milliseconds between /metrics scrapes with --admin.")
    var scrapeInterval = 1000

    func validate() throws {
        guard size >= 8 && size <= GossipAnnounce.maximumDataSize else { throw ValidationError("--size must be 8...\(GossipAnnounce.maximumDataSize)") }
        guard items > 0 && rounds > 0 else { throw ValidationError("--items and --rounds must be positive") }
        guard scrapeInterval > 0 else { throw ValidationError("--scrape-interval must be positive") }
        guard !(admin && api != nil) else { throw ValidationError("--admin applies to the in-process node; leave out --api") }
    }

    func run() throws {
        var node: Node?
        var adminServer: AdminServer?
        let scraping = Atomic<Bool>(true)
        let scrapes = Atomic<Int>(0)
        let endpoint: Endpoint
        if let api {
            endpoint = try Endpoint(parsing: api)
        } else {
            var logger = Logger(label: "bench-node")
            logger.logLevel = .warning
            let registry = admin ? PrometheusCollectorRegistry() : nil
            let started = try Node(
                configuration: NodeConfiguration(
                    apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0)),
                logger: logger, metrics: registry.map(AdminServer.metricsFactory))
            try started.start()
            node = started
            endpoint = Endpoint(host: "127.0.0.1", port: started.apiPort)
            if let registry {
                let server = try AdminServer(
                    address: Endpoint(host: "127.0.0.1", port: 0), node: started, registry: registry, logger: logger,
                    reload: { .init(loaded: false, message: "not in the benchmark") }, token: { nil })
                adminServer = server
                let client = AdminClient(host: "127.0.0.1", port: server.port)
                let interval = Double(scrapeInterval) / 1000
                let thread = Thread {
                    while scraping.load(ordering: .relaxed) {
                        if (try? client.request("GET", "/metrics"))?.status == 200 { scrapes.add(1, ordering: .relaxed) }
                        Thread.sleep(forTimeInterval: interval)
                    }
                }
                thread.start()
            }
        }
        defer {
            scraping.store(false, ordering: .relaxed)
            node?.stop()
            adminServer?.stop()
        }
        let observed = admin ? ", metrics on, /metrics scraped every \(scrapeInterval) ms" : ""
        print("gossip-bench api: \(items) items of \(size) bytes, 1 announcer, 1 validating subscriber, node \(api ?? "in-process")\(observed)")
        try pipelined(endpoint: endpoint, node: node)
        try closedLoop(endpoint: endpoint, node: node)
        if let node {
            let stats = node.statistics
            if admin { print("admin: \(scrapes.load(ordering: .relaxed)) scrapes of /metrics") }
            print("node: \(stats.notificationsQueued) notifications queued, \(stats.validationsValid) valid answers, connections closed by node: \(stats.closedConnections.isEmpty ? "none" : "\(stats.closedConnections)")")
        }
    }

    private func subscribe(_ endpoint: Endpoint, type: UInt16, node: Node?) throws -> GossipAPIClient {
        let client = try GossipAPIClient(host: endpoint.host, port: endpoint.port)
        try client.notify(dataType: type)
        if let node {
            while node.subscriberCount(of: type) == 0 { Thread.sleep(forTimeInterval: 0.001) }
        } else {
            Thread.sleep(forTimeInterval: 0.1)
        }
        return client
    }

    private func pipelined(endpoint: Endpoint, node: Node?) throws {
        let type: UInt16 = 4001
        let subscriber = try subscribe(endpoint, type: type, node: node)
        defer { subscriber.close() }
        let announcer = try GossipAPIClient(host: endpoint.host, port: endpoint.port)
        defer { announcer.close() }

        // Pre-encode every ANNOUNCE so the announcer measures the node, not its own encoding.
        var payload = [UInt8](repeating: 0xAB, count: size)
        var wire: [UInt8] = []
        wire.reserveCapacity(items * (size + 8))
        for sequence in 0..<items {
            withUnsafeBytes(of: UInt64(sequence).bigEndian) { payload.replaceSubrange(0..<8, with: $0) }
            APIMessage.announce(GossipAnnounce(ttl: 0, dataType: type, data: payload)).encode(into: &wire)
        }

        let start = ContinuousClock.now
        let sender = Thread { [wire] in
            var offset = 0
            while offset < wire.count {
                let end = min(offset + 65_536, wire.count)
                try? announcer.sendRaw(Array(wire[offset..<end]), timeout: .seconds(60))
                offset = end
            }
        }
        sender.start()

        var seen = [Bool](repeating: false, count: items)
        var delivered = 0, duplicates = 0
        var last = start
        var answers: [UInt8] = []
        receiving: while delivered < items {
            let message: APIMessage?
            do {
                message = try subscriber.receive(timeout: .seconds(3))
            } catch {
                break receiving
            }
            guard case .notification(let notification)? = message else { break receiving }
            last = .now
            let sequence = notification.data.prefix(8).reduce(0) { $0 << 8 | Int($1) }
            if sequence < items && !seen[sequence] {
                seen[sequence] = true
                delivered += 1
            } else {
                duplicates += 1
            }
            APIMessage.validation(GossipValidation(messageID: notification.messageID, isValid: true)).encode(into: &answers)
            if !subscriber.hasBufferedData || answers.count > 60_000 {
                try subscriber.sendRaw(answers)
                answers.removeAll(keepingCapacity: true)
            }
        }
        if !answers.isEmpty { try? subscriber.sendRaw(answers) }
        let seconds = Double((last - start).components.attoseconds) / 1e18 + Double((last - start).components.seconds)
        let rate = Double(delivered) / seconds
        print(String(format: "pipelined: %d sent, %d delivered, %d lost, %d duplicates, %.3f s, %.0f items/s",
                     items, delivered, items - delivered, duplicates, seconds, rate))
    }

    private func closedLoop(endpoint: Endpoint, node: Node?) throws {
        let type: UInt16 = 4002
        let subscriber = try subscribe(endpoint, type: type, node: node)
        defer { subscriber.close() }
        let announcer = try GossipAPIClient(host: endpoint.host, port: endpoint.port)
        defer { announcer.close() }
        let announce = APIMessage.announce(GossipAnnounce(ttl: 0, dataType: type, data: [UInt8](repeating: 0xCD, count: size))).encoded()
        var samples: [Double] = []
        samples.reserveCapacity(rounds)
        for _ in 0..<rounds {
            let sent = ContinuousClock.now
            try announcer.sendRaw(announce)
            guard case .notification(let notification)? = try subscriber.receive(timeout: .seconds(5)) else {
                throw BenchFailure("closed loop: no notification")
            }
            let elapsed = ContinuousClock.now - sent
            samples.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
            try subscriber.validate(messageID: notification.messageID, isValid: true)
        }
        func at(_ p: Double) -> Double { percentile(samples, p) ?? 0 }
        print(String(format: "closed loop: %d rounds, p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us",
                     rounds, at(0.5), at(0.9), at(0.99), samples.max() ?? 0))
    }
}

