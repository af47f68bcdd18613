import GossipCore
import GossipWire

extension SimulationEngine {
    /// The partitions' tallies summed.
    var totals: RunTallies {
        partitions.reduce(into: RunTallies()) { $0.add($1.metrics.tallies) }
    }

    /// The report of the run so far (normally called after `run`).
    func report() -> SimulationReport {
        let items = itemReports()
        let overlay = overlayState()
        let totals = self.totals
        let wall = wallSeconds
        return SimulationReport(
            nodes: shared.nodes.count,
            liveNodes: running.count,
            killedNodes: shared.nodes.count { $0.diedAt != nil },
            virtualS: significant(Double(clock) / 1e9),
            settings: settings,
            items: items.map(\.report),
            itemSummary: summary(of: items.map(\.report)),
            coverage: coverage(items),
            hopHistogram: hopHistogram(items),
            overlay: overlay.report,
            traffic: traffic(totals),
            counters: Dictionary(
                uniqueKeysWithValues: GossipCounter.allCases.map { (snakeCase("\($0)"), totals.counters[$0.rawValue]) }),
            closeReasons: Dictionary(
                uniqueKeysWithValues: CloseReason.allCases.enumerated().map { ($1.rawValue, totals.closeReasons[$0]) }),
            network: .init(
                dials: totals.dials, linksOpened: totals.linksOpened, dialsRefused: totals.dialsRefused,
                dialsTimedOut: totals.dialsTimedOut, messagesDropped: totals.messagesDropped,
                validationsAnswered: totals.validationsAnswered, modulesClosed: totals.modulesClosed,
                eventsByKind: Dictionary(uniqueKeysWithValues: zip(EventKind.names, totals.eventsByKind)),
                staleTicks: totals.staleTicks),
            simulation: .init(
                wallS: significant(wall, digits: 4), events: totals.events,
                eventsPerS: significant(wall > 0 ? Double(totals.events) / wall : 0, digits: 4),
                peakRssMib: significant(peakResidentMebibytes(), digits: 4), threads: partitions.count,
                windows: windows, parallelWindows: parallelWindows, peakPendingEvents: totals.peakPendingEvents))
    }

    /// One row per node for nodes.csv.
    func nodeRows() -> [NodeRow] {
        let overlay = overlayState()
        return shared.nodes.indices.map { node in
            let state = shared.nodes[node]
            let metrics = partitions[shared.partition(of: node)].metrics
            let local = shared.local(node)
            return NodeRow(
                node: node,
                state: state.diedAt != nil ? "killed" : (state.startedAt != nil ? "running" : "pending"),
                startS: state.startedAt.map { significant(Double($0) / 1e9) },
                diedS: state.diedAt.map { significant(Double($0) / 1e9) },
                module: state.module.rawValue,
                bootstrappers: state.bootstrapList >= 0 ? shared.bootstrapLists[Int(state.bootstrapList)] : [],
                links: overlay.links[node],
                inDegree: overlay.inDegree[node],
                bytesSent: Int(metrics.bytesSent[local]),
                messagesSent: Int(metrics.messagesSent[local]),
                itemsReached: metrics.items.reduce(0) { $0 + ($1.reachedAt[local] != ItemTrace.notReached ? 1 : 0) })
        }
    }

    private var settings: SimulationReport.Settings {
        let c = configuration
        let n = c.node
        return .init(
            seed: c.seed, join: c.join.rawValue, seeds: c.seedCount, joinSpreadS: c.joinSpreadSeconds,
            lateJoiners: c.lateJoinerFraction, warmupS: c.warmupSeconds,
            latencyDistribution: c.latency.distribution.rawValue,
            latencyMs: c.latency.meanMilliseconds, latencyJitterMs: c.latency.jitterMilliseconds, loss: c.lossRate,
            retransmissionTimeoutMs: c.retransmissionTimeoutMilliseconds, crashMode: c.crashMode.rawValue,
            kill: c.killFraction,
            killAtS: significant(c.effectiveKillSeconds), partition: c.partitionFraction,
            partitionAtS: significant(c.effectivePartitionSeconds), healAtS: c.healAtSeconds, itemRate: c.itemRate,
            itemSize: c.itemSize, ttl: Int(c.itemTTL), origins: c.originCount,
            validationDelayMs: c.validationDelayMilliseconds,
            invalidFraction: c.invalidFraction, silentModuleFraction: c.silentModuleFraction, drainS: c.drainSeconds,
            degree: n.degree, cacheSize: n.cacheSize, viewSize: n.viewSize, maxPeerConnections: n.maxPeerConnections,
            gossipIntervalMs: n.gossipIntervalMilliseconds, antiEntropyIntervalMs: n.antiEntropyIntervalMilliseconds,
            pingIntervalMs: n.pingIntervalMilliseconds, peerTimeoutMs: n.peerTimeoutMilliseconds,
            validationTimeoutMs: n.validationTimeoutMilliseconds, connectTimeoutMs: n.connectTimeoutMilliseconds,
            seenCapacity: n.seenCapacity, digestSize: n.digestSize, linkIdleTimeoutMs: n.linkIdleTimeoutMilliseconds,
            degreeSlack: n.degreeSlack, joinWalkLength: n.joinWalkLength, ihaveIntervalMs: n.ihaveIntervalMilliseconds,
            graftTimeoutMs: n.graftTimeoutMilliseconds)
    }

    // MARK: Items

    /// An item's report with the sorted reach times (microseconds) and hops of its eligible nodes.
    struct ItemAnalysis {
        var report: SimulationReport.ItemReport
        var times: [UInt32]
        var hops: [UInt8]
    }

    /// Whether `node` counts for an item announced at `moment`: running then and at the end.
    private func isEligible(_ node: Int, at moment: UInt64) -> Bool {
        guard let started = shared.nodes[node].startedAt else { return false }
        return started <= moment && shared.nodes[node].diedAt == nil
    }

    private func itemReports() -> [ItemAnalysis] {
        items.map { info in
            guard let announced = info.announcedAt else {
                return ItemAnalysis(
                    report: .init(
                        index: info.index, announced: false, origin: -1, announcedS: nil, ttl: Int(info.ttl),
                        eligible: 0,
                        reached: 0, reachedTotal: 0, reliability: 0, t50Ms: nil, t90Ms: nil, t99Ms: nil, t100Ms: nil,
                        messages: 0, rmr: nil, lastHop: nil, maxHop: nil, meanHop: nil, duplicateNotifications: 0),
                    times: [], hops: [])
            }
            let item = info.index
            var eligible = 0
            var total = 0
            var messages = 0
            var reached: [(time: UInt32, node: Int, hop: UInt8)] = []
            var duplicates = 0
            for partition in partitions {
                let trace = partition.metrics.items[item]
                messages += trace.messages
                for local in trace.reachedAt.indices {
                    let node = partition.global(local)
                    let time = trace.reachedAt[local]
                    if trace.notifications[local] > 1 { duplicates += Int(trace.notifications[local]) - 1 }
                    if time != ItemTrace.notReached { total += 1 }
                    guard isEligible(node, at: announced) else { continue }
                    eligible += 1
                    if time != ItemTrace.notReached { reached.append((time, node, trace.hops[local])) }
                }
            }
            reached.sort { ($0.time, $0.node) < ($1.time, $1.node) }
            let times = reached.map(\.time)
            let hops = reached.map(\.hop).filter { $0 != ItemTrace.noHop }
            func time(at share: Double) -> Double? {
                let needed = Int((share * Double(eligible)).rounded(.up))
                guard needed >= 1, needed <= times.count else { return nil }
                return significant(Double(times[needed - 1]) / 1000)
            }
            let lastHop = reached.last.flatMap { $0.hop == ItemTrace.noHop ? nil : Int($0.hop) }
            return ItemAnalysis(
                report: .init(
                    index: item, announced: true, origin: info.origin, announcedS: significant(Double(announced) / 1e9),
                    ttl: Int(info.ttl), eligible: eligible, reached: times.count, reachedTotal: total,
                    reliability: eligible > 0 ? significant(Double(times.count) / Double(eligible)) : 0,
                    t50Ms: time(at: 0.5), t90Ms: time(at: 0.9), t99Ms: time(at: 0.99), t100Ms: time(at: 1),
                    messages: messages,
                    rmr: total > 1 ? significant(Double(messages) / Double(total - 1) - 1) : nil,
                    lastHop: lastHop, maxHop: hops.max().map(Int.init),
                    meanHop: hops.isEmpty
                        ? nil : significant(Double(hops.reduce(0) { $0 + Int($1) }) / Double(hops.count)),
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
                while positions[index] < item.times.count, Double(item.times[positions[index]]) / 1000 <= limit {
                    positions[index] += 1
                }
                let share = Double(positions[index]) / Double(item.report.eligible)
                sum += share
                low = min(low, share)
                high = max(high, share)
            }
            series.append(
                .init(
                    ms: significant(limit), mean: significant(sum / Double(measured.count)), min: significant(low),
                    max: significant(high)))
        }
        return series
    }

    private func hopHistogram(_ items: [ItemAnalysis]) -> [SimulationReport.HistogramBin] {
        var counts: [Int] = []
        for item in items {
            for hop in item.hops {
                if Int(hop) >= counts.count {
                    counts.append(contentsOf: repeatElement(0, count: Int(hop) + 1 - counts.count))
                }
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
        let count = shared.nodes.count
        var links = [Int](repeating: 0, count: count)
        var inDegree = [Int](repeating: 0, count: count)
        var overlayComponents = Components(count: count)
        // The broadcast tree: links eager at both ends.
        var treeComponents = Components(count: count)
        var treeLinks = 0
        var oneSided = 0
        var hasLivePeer = [Bool](repeating: false, count: count)
        var stale = 0
        var viewSizes: [Double] = []
        let live = running.members.sorted()
        for node in live {
            let partition = partitions[shared.partition(of: node)]
            guard let state = partition.protocols[shared.local(node)] else { continue }
            let established = state.overlay.activeLinks
            links[node] = established.count
            for link in established {
                let endpoint = partition.endpoints[LinkEndpoint.index(of: link)]
                let peer = Int(endpoint.peerNode)
                let peerEnd = partitions[shared.partition(of: peer)].endpoints[Int(endpoint.peerIndex)]
                guard peer != node, peerEnd.isOpen, shared.nodes[peer].isRunning else { continue }
                hasLivePeer[node] = true
                overlayComponents.join(node, peer)
                let peerPartition = partitions[shared.partition(of: peer)]
                guard let peerState = peerPartition.protocols[shared.local(peer)] else { continue }
                let peerLink = LinkEndpoint.linkID(serial: peerEnd.serial, index: Int(endpoint.peerIndex))
                let eagerHere = state.broadcast.isEager(link)
                let eagerThere = peerState.broadcast.isEager(peerLink) && peerState.overlay.isActive(peerLink)
                if eagerHere && eagerThere {
                    if node < peer { treeLinks += 1 }
                    treeComponents.join(node, peer)
                } else if eagerHere {
                    oneSided += 1
                }
            }
            let view = state.overlay.view.all
            viewSizes.append(Double(view.count))
            for entry in view {
                if let peer = SimulatedSigner.index(of: entry.identity, mix: shared.identityMix), peer < count,
                    shared.nodes[peer].isRunning
                {
                    inDegree[peer] += 1
                } else {
                    stale += 1
                }
            }
        }
        let components = Array(overlayComponents.count(among: live).values)
        let treePieces = treeComponents.count(among: live).count
        let liveLinks = live.map { links[$0] }
        let liveInDegree = live.map { inDegree[$0] }
        func histogram(_ values: [Int]) -> [SimulationReport.HistogramBin] {
            guard let top = values.max() else { return [] }
            var counts = [Int](repeating: 0, count: top + 1)
            for value in values { counts[value] += 1 }
            return counts.enumerated().filter { $0.element > 0 }.map { .init(value: $0.offset, count: $0.element) }
        }
        let report = SimulationReport.OverlayReport(
            liveNodes: live.count, components: components.count, largestComponent: components.max() ?? 0,
            isolated: live.count { !hasLivePeer[$0] }, linksMin: liveLinks.min() ?? 0, linksMax: liveLinks.max() ?? 0,
            linksMean: significant(live.isEmpty ? 0 : Double(liveLinks.reduce(0, +)) / Double(live.count)),
            links: .init(liveLinks.map(Double.init)), linksHistogram: histogram(liveLinks),
            inDegree: .init(liveInDegree.map(Double.init)), inDegreeHistogram: histogram(liveInDegree),
            inDegreeZero: liveInDegree.count { $0 == 0 }, staleViewEntries: stale, viewSize: .init(viewSizes),
            treeLinks: treeLinks, treeOneSidedLinks: oneSided, treeComponents: treePieces)
        return OverlayState(report: report, links: links, inDegree: inDegree)
    }

    // MARK: Traffic

    static let typeNames = [
        "hello", "pull", "push", "item", "ping", "pong", "digest", "request", "auth", "membership", "ihave", "graft", "prune",
    ]

    private func traffic(_ totals: RunTallies) -> SimulationReport.TrafficReport {
        var bytes: [Double] = []
        var messages: [Double] = []
        for node in shared.nodes.indices where shared.nodes[node].startedAt != nil {
            let metrics = partitions[shared.partition(of: node)].metrics
            bytes.append(Double(metrics.bytesSent[shared.local(node)]))
            messages.append(Double(metrics.messagesSent[shared.local(node)]))
        }
        return .init(
            bytesSent: .init(bytes), messagesSent: .init(messages),
            totalBytes: totals.typeBytes.reduce(0, +), totalMessages: totals.typeMessages.reduce(0, +),
            byType: Dictionary(
                uniqueKeysWithValues: Self.typeNames.enumerated().map {
                    ($1, SimulationReport.TypeTraffic(messages: totals.typeMessages[$0], bytes: totals.typeBytes[$0]))
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
    /// The nodes it bootstrapped from.
    public var bootstrappers: [Int]
    /// Established links at the end (0 unless running).
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
