import CoreMetrics
import GossipCore
import GossipWire
import Synchronization

/// The node's metrics, through swift-metrics: whatever factory the node was given (Prometheus's
/// in gossipd with `admin_address`) turns them into a backend's.
///
/// Two kinds. Events the counters of `NodeStatistics` already count (items, validations,
/// closes) cost nothing more on the item path: `export` carries the counters' growth since the
/// last export over when a scraper asks, and sets the gauges (links, views, queues, outboxes)
/// from the node's state at that moment. What `NodeStatistics` does not keep is measured where it
/// happens: P2P frames and bytes per message type and direction, and the time from an item's first
/// sight to its NOTIFICATIONs being queued for the local modules.
final class NodeMetrics: Sendable {
    private let factory: any MetricsFactory
    /// Indexed by `MessageType.rawValue - firstPeerType`: one per P2P message type.
    private let framesIn: [Counter]
    private let bytesIn: [Counter]
    private let framesOut: [Counter]
    private let bytesOut: [Counter]
    /// First sight (the frame or ANNOUNCE read) to the item's NOTIFICATIONs queued for modules.
    let firstSightToDelivery: Timer
    /// What `export` last carried over, by metric and labels.
    private let exported = Mutex<[String: Int]>([:])

    /// The P2P message types (504-516).
    private static let peerTypes = MessageType.peerHello.rawValue...MessageType.peerPrune.rawValue
    private static let firstPeerType = peerTypes.lowerBound


    init(factory: any MetricsFactory) {
        self.factory = factory
        func perType(_ label: String, _ direction: String) -> [Counter] {
            Self.peerTypes.map { raw in
                let name = MessageType(rawValue: raw).map { Self.metricName(of: $0) } ?? "type_\(raw)"
                return Counter(label: label, dimensions: [("direction", direction), ("type", name)], factory: factory)
            }
        }
        framesIn = perType("gossip_p2p_frames_total", "in")
        bytesIn = perType("gossip_p2p_bytes_total", "in")
        framesOut = perType("gossip_p2p_frames_total", "out")
        bytesOut = perType("gossip_p2p_bytes_total", "out")
        firstSightToDelivery = Timer(label: Node.firstSightToDeliveryLabel, factory: factory)
    }

    /// `peerItem` -> "item", `peerIHave` -> "ihave".
    static func metricName(of type: MessageType) -> String {
        let name = "\(type)"
        return (name.hasPrefix("peer") ? String(name.dropFirst(4)) : name).lowercased()
    }

    private func index(_ type: UInt16) -> Int? {
        Self.peerTypes.contains(type) ? Int(type - Self.firstPeerType) : nil
    }

    /// One P2P frame of `type` and `bytes` (header included, as on the wire) read from a peer.
    func countFrameIn(type: UInt16, bytes: Int) {
        guard let index = index(type) else { return }
        framesIn[index].increment()
        bytesIn[index].increment(by: bytes)
    }

    /// `frames` P2P frames of `type`, `bytes` in all, queued for peers.
    func countFramesOut(type: UInt16, frames: Int, bytes: Int) {
        guard let index = index(type) else { return }
        framesOut[index].increment(by: frames)
        bytesOut[index].increment(by: bytes)
    }

    /// What `export` reads from the node.
    struct Readings {
        var statistics: NodeStatistics.Snapshot
        var status: NodeStatus
        var moduleOutboxBytes: Int
        var peerOutboxBytes: Int
    }

    /// Carries the counters' growth since the last export over into the metrics, and sets the
    /// gauges from the node's status (and the outbox totals). `read` runs under the export's lock,
    /// so two exports at once cannot carry the same growth over twice.
    func export(_ read: () -> Readings) {
        exported.withLock { last in
            let readings = read()
            export(readings.statistics, readings.status, readings.moduleOutboxBytes, readings.peerOutboxBytes, last: &last)
        }
    }

    private func export(
        _ statistics: NodeStatistics.Snapshot, _ status: NodeStatus, _ moduleOutboxBytes: Int, _ peerOutboxBytes: Int,
        last: inout [String: Int]
    ) {
        var counters: [(name: String, labels: [(String, String)], value: Int)] = []
        var gauges: [(name: String, labels: [(String, String)], value: Int)] = []
        for child in Mirror(reflecting: statistics).children {
            guard let label = child.label, let value = child.value as? Int else { continue }
            let name = "gossip_" + Self.snakeCase(label)
            if name.hasSuffix("_open") { gauges.append((name, [], value)) } else { counters.append((name + "_total", [], value)) }
        }
        for (kind, closed) in [("api", statistics.closedConnections), ("peer", statistics.closedPeerLinks)] {
            var handshakeFailures = 0
            for (reasonName, count) in closed {
                counters.append(("gossip_connections_closed_total", [("kind", kind), ("reason", reasonName)], count))
                guard let reason = CloseReason(rawValue: reasonName) else { continue }
                if reason.isMalformedInput {
                    counters.append(("gossip_malformed_input_total", [("kind", kind), ("reason", reasonName)], count))
                }
                if kind == "peer" && reason.isHandshakeFailure { handshakeFailures += count }
            }
            if kind == "peer" { counters.append(("gossip_handshake_failures_total", [], handshakeFailures)) }
        }
        let links = Dictionary(grouping: status.links, by: \.state).mapValues(\.count)
        for state in ["tree", "neighbour", "waiting", "handshake"] {
            gauges.append(("gossip_links", [("state", state)], links[state, default: 0]))
        }
        gauges += [
            ("gossip_active_view_size", [], status.peers.count),
            ("gossip_passive_view_size", [], status.viewSize),
            ("gossip_cached_items", [], status.cachedItems),
            ("gossip_seen_items", [], status.seenItems),
            ("gossip_pending_validations", [], status.pendingValidations),
            ("gossip_subscribed_types", [], status.subscribedTypes),
            ("gossip_modules", [], status.modules.count),
            ("gossip_queued_items", [("lane", "local")], status.queuedAnnouncements),
            ("gossip_queued_items", [("lane", "peer")], status.queuedPeerItems),
            ("gossip_outbox_bytes", [("kind", "api")], moduleOutboxBytes),
            ("gossip_outbox_bytes", [("kind", "peer")], peerOutboxBytes),
            ("gossip_uptime_seconds", [], status.uptimeMs / 1000),
        ]
        for counter in counters {
            let key = counter.name + "\(counter.labels)"
            let growth = counter.value - last[key, default: 0]
            last[key] = max(counter.value, last[key, default: 0])
            // Made even when nothing grew, so that every counter shows from the first scrape.
            let metric = Counter(label: counter.name, dimensions: counter.labels, factory: factory)
            if growth > 0 { metric.increment(by: growth) }
        }
        for gauge in gauges {
            Gauge(label: gauge.name, dimensions: gauge.labels, factory: factory).record(gauge.value)
        }
    }

    /// `itemIDsAnnounced` -> `item_ids_announced`: an underscore where a lower-case letter or digit
    /// meets an upper-case one.
    static func snakeCase(_ name: String) -> String {
        var result = ""
        var previous: Character?
        for character in name {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { result.append("_") }
            result.append(contentsOf: character.lowercased())
            previous = character
        }
        return result
    }
}
