import GossipCore
import GossipWire

extension Simulation {
    /// The report of the run so far (normally called after `run`).
    public func report() -> SimulationReport {
        let items = itemReports()
        let overlay = overlayState()
        let wall = wallSeconds
        return SimulationReport(
            nodes: nodes.count,
            liveNodes: running.count,
            killedNodes: nodes.count { $0.diedAt != nil },
            virtualS: significant(Double(clock) / 1e9),
            settings: settings,
            items: items.map(\.report),
            itemSummary: summary(of: items.map(\.report)),
            coverage: coverage(items),
            hopHistogram: hopHistogram(items),
            overlay: overlay.report,
            traffic: traffic,
            counters: Dictionary(uniqueKeysWithValues: GossipCounter.allCases.map { (snakeCase("\($0)"), metrics.counters[$0.rawValue]) }),
            closeReasons: Dictionary(uniqueKeysWithValues: CloseReason.allCases.enumerated().map { ($1.rawValue, metrics.closeReasons[$0]) }),
            network: .init(
                dials: metrics.dials, linksOpened: metrics.linksOpened, dialsRefused: metrics.dialsRefused,
                dialsTimedOut: metrics.dialsTimedOut, messagesDropped: metrics.messagesDropped,
                validationsAnswered: metrics.validationsAnswered, modulesClosed: metrics.modulesClosed,
                peakPendingEvents: queue.peakCount,
                eventsByKind: Dictionary(uniqueKeysWithValues: zip(Event.kindNames, eventsByKind)),
                staleTicks: staleTicks),
            simulation: .init(
                wallS: significant(wall, digits: 4), events: eventCount,
                eventsPerS: significant(wall > 0 ? Double(eventCount) / wall : 0, digits: 4),
                peakRssMib: significant(peakResidentMebibytes(), digits: 4)))
    }

    /// One row per node for nodes.csv.
    public func nodeRows() -> [NodeRow] {
        let overlay = overlayState()
        return nodes.indices.map { node in
            let state = nodes[node]
            return NodeRow(
                node: node,
                state: state.diedAt != nil ? "killed" : (state.startedAt != nil ? "running" : "pending"),
                startS: state.startedAt.map { significant(Double($0) / 1e9) },
                diedS: state.diedAt.map { significant(Double($0) / 1e9) },
                module: state.module.rawValue,
                links: overlay.links[node],
                inDegree: overlay.inDegree[node],
                bytesSent: Int(metrics.bytesSent[node]),
                messagesSent: Int(metrics.messagesSent[node]),
                itemsReached: metrics.items.reduce(0) { $0 + (node < $1.reachedAt.count && $1.reachedAt[node] != ItemRecord.notReached ? 1 : 0) })
        }
    }

    private var settings: SimulationReport.Settings {
        let c = configuration
        let n = c.node
        return .init(
            seed: c.seed, join: c.join.rawValue, seeds: c.seedCount, joinSpreadS: c.joinSpreadSeconds,
            lateJoiners: c.lateJoinerFraction, warmupS: c.warmupSeconds, latencyDistribution: c.latency.distribution.rawValue,
            latencyMs: c.latency.meanMilliseconds, latencyJitterMs: c.latency.jitterMilliseconds, loss: c.lossRate,
            retransmissionTimeoutMs: c.retransmissionTimeoutMilliseconds, crashMode: c.crashMode.rawValue, kill: c.killFraction,
            killAtS: significant(c.effectiveKillSeconds), partition: c.partitionFraction,
            partitionAtS: significant(c.effectivePartitionSeconds), healAtS: c.healAtSeconds, itemRate: c.itemRate,
            itemSize: c.itemSize, ttl: Int(c.itemTTL), origins: c.originCount, validationDelayMs: c.validationDelayMilliseconds,
            invalidFraction: c.invalidFraction, silentModuleFraction: c.silentModuleFraction, drainS: c.drainSeconds,
            degree: n.degree, cacheSize: n.cacheSize, viewSize: n.viewSize, maxPeerConnections: n.maxPeerConnections,
            gossipIntervalMs: n.gossipIntervalMilliseconds, antiEntropyIntervalMs: n.antiEntropyIntervalMilliseconds,
            pingIntervalMs: n.pingIntervalMilliseconds, peerTimeoutMs: n.peerTimeoutMilliseconds,
            validationTimeoutMs: n.validationTimeoutMilliseconds, connectTimeoutMs: n.connectTimeoutMilliseconds,
            seenCapacity: n.seenCapacity, digestSize: n.digestSize, linkIdleTimeoutMs: n.linkIdleTimeoutMilliseconds)
    }

    // MARK: Items

    /// An item's report with the sorted reach times (microseconds) of its eligible nodes.
    struct ItemAnalysis {
        var report: SimulationReport.ItemReport
        var times: [UInt32]
        var hops: [UInt8]
    }

    /// Whether `node` counts for an item announced at `moment`: running then and at the end.
    private func isEligible(_ node: Int, at moment: UInt64) -> Bool {
        guard let started = nodes[node].startedAt else { return false }
        return started <= moment && nodes[node].diedAt == nil
    }

    private func itemReports() -> [ItemAnalysis] {
        metrics.items.map { record in
            guard let announced = record.announcedAt else {
                return ItemAnalysis(
                    report: .init(
                        index: record.index, announced: false, origin: -1, announcedS: nil, ttl: Int(record.ttl), eligible: 0,
                        reached: 0, reachedTotal: 0, reliability: 0, t50Ms: nil, t90Ms: nil, t99Ms: nil, t100Ms: nil,
                        messages: record.messages, rmr: nil, lastHop: nil, maxHop: nil, meanHop: nil, duplicateNotifications: 0),
                    times: [], hops: [])
            }
            var eligible = 0
            var reached: [(time: UInt32, node: Int)] = []
            var duplicates = 0
            for node in nodes.indices {
                let time = node < record.reachedAt.count ? record.reachedAt[node] : ItemRecord.notReached
                if node < record.notifications.count, record.notifications[node] > 1 { duplicates += Int(record.notifications[node]) - 1 }
                guard isEligible(node, at: announced) else { continue }
                eligible += 1
                if time != ItemRecord.notReached { reached.append((time, node)) }
            }
            reached.sort { ($0.time, $0.node) < ($1.time, $1.node) }
            let times = reached.map(\.time)
            let hops = reached.map { record.hops[$0.node] }.filter { $0 != ItemRecord.noHop }
            func time(at share: Double) -> Double? {
                let needed = Int((share * Double(eligible)).rounded(.up))
                guard needed >= 1, needed <= times.count else { return needed == 0 && eligible == 0 ? nil : nil }
                return significant(Double(times[needed - 1]) / 1000)
            }
            let lastHop = reached.last.map { record.hops[$0.node] }.flatMap { $0 == ItemRecord.noHop ? nil : Int($0) }
            let total = record.reachedCount
            return ItemAnalysis(
                report: .init(
                    index: record.index, announced: true, origin: record.origin, announcedS: significant(Double(announced) / 1e9),
                    ttl: Int(record.ttl), eligible: eligible, reached: times.count, reachedTotal: total,
                    reliability: eligible > 0 ? significant(Double(times.count) / Double(eligible)) : 0,
                    t50Ms: time(at: 0.5), t90Ms: time(at: 0.9), t99Ms: time(at: 0.99), t100Ms: time(at: 1),
                    messages: record.messages,
                    rmr: total > 1 ? significant(Double(record.messages) / Double(total - 1) - 1) : nil,
                    lastHop: lastHop, maxHop: hops.max().map(Int.init),
                    meanHop: hops.isEmpty ? nil : significant(Double(hops.reduce(0) { $0 + Int($1) }) / Double(hops.count)),
                    duplicateNotifications: duplicates),
                times: times, hops: hops)
        }
    }

    private func summary(of items: [SimulationReport.ItemReport]) -> SimulationReport.ItemSummary {
        let announced = items.filter(\.announced)
        return .init(
            count: items.count, announced: announced.count,
            complete: announced.count { $0.eligible > 0 && $0.reached == $0.eligible },
            reliability: .init(announced.map(\.reliability)),
            t50Ms: .init(announced.compactMap(\.t50Ms)), t90Ms: .init(announced.compactMap(\.t90Ms)),
            t99Ms: .init(announced.compactMap(\.t99Ms)), t100Ms: .init(announced.compactMap(\.t100Ms)),
            rmr: .init(announced.compactMap(\.rmr)), lastHop: .init(announced.compactMap(\.lastHop).map(Double.init)),
            messages: items.reduce(0) { $0 + $1.messages },
            duplicateNotifications: items.reduce(0) { $0 + $1.duplicateNotifications })
    }

    /// Coverage against time since the announcement, in `coverageBucketMilliseconds` steps (wider
    /// if that would take more than 10,000 points) up to the latest first delivery of any item.
    private func coverage(_ items: [ItemAnalysis]) -> [SimulationReport.CoveragePoint] {
        let measured = items.filter { $0.report.announced && $0.report.eligible > 0 }
        guard !measured.isEmpty else { return [] }
        let latest = Double(measured.map { $0.times.last ?? 0 }.max() ?? 0) / 1000
        var bucket = configuration.coverageBucketMilliseconds
        while latest / bucket > 10_000 { bucket *= 2 }
        let points = Int((latest / bucket).rounded(.up)) + 1
        var positions = [Int](repeating: 0, count: measured.count)
        var series: [SimulationReport.CoveragePoint] = []
        series.reserveCapacity(points)
        for point in 0..<points {
            let limit = Double(point) * bucket
            var sum = 0.0
            var low = 1.0
            var high = 0.0
            for (index, item) in measured.enumerated() {
                while positions[index] < item.times.count, Double(item.times[positions[index]]) / 1000 <= limit { positions[index] += 1 }
                let share = Double(positions[index]) / Double(item.report.eligible)
                sum += share
                low = min(low, share)
                high = max(high, share)
            }
            series.append(
                .init(ms: significant(limit), mean: significant(sum / Double(measured.count)), min: significant(low), max: significant(high)))
        }
        return series
    }

    private func hopHistogram(_ items: [ItemAnalysis]) -> [SimulationReport.HistogramBin] {
        var counts: [Int] = []
        for item in items {
            for hop in item.hops {
                if Int(hop) >= counts.count { counts.append(contentsOf: repeatElement(0, count: Int(hop) + 1 - counts.count)) }
                counts[Int(hop)] += 1
            }
        }
        return counts.enumerated().map { .init(value: $0, count: $1) }
    }

    // MARK: Overlay

    struct OverlayState {
        var report: SimulationReport.OverlayReport
        /// Per node (0 for nodes not running).
        var links: [Int]
        var inDegree: [Int]
    }

    func overlayState() -> OverlayState {
        let count = nodes.count
        var links = [Int](repeating: 0, count: count)
        var inDegree = [Int](repeating: 0, count: count)
        var parent = Array(0..<count)
        func root(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        var hasLivePeer = [Bool](repeating: false, count: count)
        var stale = 0
        var viewSizes: [Double] = []
        let live = running.members.sorted()
        for node in live {
            guard let state = protocols[node] else { continue }
            let established = state.overlay.establishedLinks
            links[node] = established.count
            for link in established {
                let endpoint = Int(link.rawValue)
                guard endpoint < network.endpoints.count else { continue }
                let peerEndpoint = network.endpoints[Int(network.endpoints[endpoint].peer)]
                let peer = Int(peerEndpoint.node)
                guard peer != node, peerEndpoint.isOpen, nodes[peer].isRunning else { continue }
                hasLivePeer[node] = true
                let (a, b) = (root(node), root(peer))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
            let view = state.overlay.view.all
            viewSizes.append(Double(view.count))
            for entry in view {
                if let peer = SimulatedSigner.index(of: entry.identity, mix: identityMix), peer < count, nodes[peer].isRunning {
                    inDegree[peer] += 1
                } else {
                    stale += 1
                }
            }
        }
        var componentSizes: [Int: Int] = [:]
        for node in live { componentSizes[root(node), default: 0] += 1 }
        let liveLinks = live.map { links[$0] }
        let liveInDegree = live.map { inDegree[$0] }
        func histogram(_ values: [Int]) -> [SimulationReport.HistogramBin] {
            guard let top = values.max() else { return [] }
            var counts = [Int](repeating: 0, count: top + 1)
            for value in values { counts[value] += 1 }
            return counts.enumerated().filter { $0.element > 0 }.map { .init(value: $0.offset, count: $0.element) }
        }
        let report = SimulationReport.OverlayReport(
            liveNodes: live.count, components: componentSizes.count, largestComponent: componentSizes.values.max() ?? 0,
            isolated: live.count { !hasLivePeer[$0] }, linksMin: liveLinks.min() ?? 0, linksMax: liveLinks.max() ?? 0,
            linksMean: significant(live.isEmpty ? 0 : Double(liveLinks.reduce(0, +)) / Double(live.count)),
            links: .init(liveLinks.map(Double.init)), linksHistogram: histogram(liveLinks),
            inDegree: .init(liveInDegree.map(Double.init)), inDegreeHistogram: histogram(liveInDegree),
            inDegreeZero: liveInDegree.count { $0 == 0 }, staleViewEntries: stale, viewSize: .init(viewSizes))
        return OverlayState(report: report, links: links, inDegree: inDegree)
    }

    // MARK: Traffic

    static let typeNames = ["hello", "pull", "push", "item", "ping", "pong", "digest", "request", "auth"]

    private var traffic: SimulationReport.TrafficReport {
        let ran = nodes.indices.filter { nodes[$0].startedAt != nil }
        return .init(
            bytesSent: .init(ran.map { Double(metrics.bytesSent[$0]) }),
            messagesSent: .init(ran.map { Double(metrics.messagesSent[$0]) }),
            totalBytes: metrics.typeBytes.reduce(0, +), totalMessages: metrics.typeMessages.reduce(0, +),
            byType: Dictionary(
                uniqueKeysWithValues: Self.typeNames.enumerated().map {
                    ($1, SimulationReport.TypeTraffic(messages: metrics.typeMessages[$0], bytes: metrics.typeBytes[$0]))
                }))
    }
}

/// One node's line in nodes.csv.
public struct NodeRow: Sendable, Equatable {
    public var node: Int
    /// running, killed or pending (never started).
    public var state: String
    public var startS: Double?
    public var diedS: Double?
    public var module: String
    public var links: Int
    public var inDegree: Int
    public var bytesSent: Int
    public var messagesSent: Int
    public var itemsReached: Int
}

/// "peerDuplicates" as "peer_duplicates".
func snakeCase(_ name: String) -> String {
    var result = ""
    for character in name {
        if character.isUppercase {
            result += "_" + character.lowercased()
        } else {
            result.append(character)
        }
    }
    return result
}
