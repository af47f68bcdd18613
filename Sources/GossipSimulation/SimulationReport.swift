/// What a simulated run measured. Encoded as JSON with snake_case keys (see
/// `SimulationReport.json`); docs/simulator.md describes every field. Everything except the
/// `simulation` block depends only on the configuration and the seed.
public struct SimulationReport: Codable, Sendable, Equatable {
    /// Nodes in the run (every node ever added, killed ones and late joiners included).
    public var nodes: Int
    /// Nodes running at the end.
    public var liveNodes: Int
    /// Nodes killed during the run.
    public var killedNodes: Int
    /// Virtual seconds simulated.
    public var virtualS: Double
    public var settings: Settings
    public var items: [ItemReport]
    public var itemSummary: ItemSummary
    /// Mean, min and max coverage across items against time since each announcement.
    public var coverage: [CoveragePoint]
    /// How many first deliveries (eligible nodes) happened at each hop count, over all items.
    public var hopHistogram: [HistogramBin]
    public var overlay: OverlayReport
    public var traffic: TrafficReport
    /// The core's counters (`GossipCounter`), summed over all nodes.
    public var counters: [String: Int]
    /// Links closed by a node, by reason (the closing side only).
    public var closeReasons: [String: Int]
    public var network: NetworkReport
    /// How the simulator itself did: the only block that varies between identical runs.
    public var simulation: SimulationStatistics

    /// The settings the run used.
    public struct Settings: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var join: String
        public var seeds: Int
        public var joinSpreadS: Double
        public var lateJoiners: Double
        public var warmupS: Double
        public var latencyDistribution: String
        public var latencyMs: Double
        public var latencyJitterMs: Double
        public var loss: Double
        public var retransmissionTimeoutMs: Double
        public var crashMode: String
        public var kill: Double
        public var killAtS: Double
        public var partition: Double
        public var partitionAtS: Double
        @Nullable public var healAtS: Double?
        public var itemRate: Double
        public var itemSize: Int
        public var ttl: Int
        public var origins: Int
        public var validationDelayMs: Double
        public var invalidFraction: Double
        public var silentModuleFraction: Double
        public var drainS: Double
        public var degree: Int
        public var cacheSize: Int
        public var viewSize: Int
        public var maxPeerConnections: Int
        public var gossipIntervalMs: Int
        public var antiEntropyIntervalMs: Int
        public var pingIntervalMs: Int
        public var peerTimeoutMs: Int
        public var validationTimeoutMs: Int
        public var connectTimeoutMs: Int
        public var seenCapacity: Int
        public var digestSize: Int
        public var linkIdleTimeoutMs: Int
        public var degreeSlack: Int
        public var joinWalkLength: Int
        public var ihaveIntervalMs: Int
        public var graftTimeoutMs: Int
    }

    /// One item.
    public struct ItemReport: Codable, Sendable, Equatable {
        public var index: Int
        /// False if it could not be announced (its origin was not running).
        public var announced: Bool
        /// The announcing node, -1 if not announced.
        public var origin: Int
        @Nullable public var announcedS: Double?
        public var ttl: Int
        /// Nodes running at the announcement and still running at the end: the population the
        /// reliability and the times refer to.
        public var eligible: Int
        /// Eligible nodes that got the item.
        public var reached: Int
        /// Every node that got it, killed and late-joining ones included.
        public var reachedTotal: Int
        /// reached / eligible.
        public var reliability: Double
        /// Milliseconds from the announcement until 50/90/99/100 % of the eligible nodes had it;
        /// null if that share was never reached.
        @Nullable public var t50Ms: Double?
        @Nullable public var t90Ms: Double?
        @Nullable public var t99Ms: Double?
        @Nullable public var t100Ms: Double?
        /// ITEM messages carrying it, anti-entropy answers included.
        public var messages: Int
        /// Relative message redundancy: messages / (reached_total - 1) - 1; null below 2 nodes.
        @Nullable public var rmr: Double?
        /// Hop count of the first ITEM that reached the last eligible node reached.
        @Nullable public var lastHop: Int?
        @Nullable public var maxHop: Int?
        @Nullable public var meanHop: Double?
        /// NOTIFICATIONs beyond the first per node (should be 0).
        public var duplicateNotifications: Int
    }

    /// The items together.
    public struct ItemSummary: Codable, Sendable, Equatable {
        public var count: Int
        public var announced: Int
        /// Items that reached every eligible node.
        public var complete: Int
        public var reliability: Distribution
        /// Over the items that got that far.
        public var t50Ms: Distribution
        public var t90Ms: Distribution
        public var t99Ms: Distribution
        public var t100Ms: Distribution
        public var rmr: Distribution
        public var lastHop: Distribution
        public var messages: Int
        public var duplicateNotifications: Int
    }

    /// Summary statistics of a set of numbers (all 0 when empty).
    public struct Distribution: Codable, Sendable, Equatable {
        public var count: Int
        public var min: Double
        public var max: Double
        public var mean: Double
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var total: Double

        public init(_ values: [Double]) {
            let sorted = values.sorted()
            count = sorted.count
            guard let first = sorted.first, let last = sorted.last else {
                (min, max, mean, p50, p90, p99, total) = (0, 0, 0, 0, 0, 0, 0)
                return
            }
            let sum = sorted.reduce(0, +)
            func rank(_ share: Double) -> Double {
                let index = Swift.max(0, Int((share * Double(sorted.count)).rounded(.up)) - 1)
                return sorted[Swift.min(index, sorted.count - 1)]
            }
            min = significant(first)
            max = significant(last)
            mean = significant(sum / Double(sorted.count))
            p50 = significant(rank(0.5))
            p90 = significant(rank(0.9))
            p99 = significant(rank(0.99))
            total = significant(sum)
        }
    }

    public struct CoveragePoint: Codable, Sendable, Equatable {
        /// Milliseconds since the announcement.
        public var ms: Double
        /// Fraction of the eligible nodes holding the item, averaged over items, and the extremes.
        public var mean: Double
        public var min: Double
        public var max: Double
    }

    public struct HistogramBin: Codable, Sendable, Equatable {
        public var value: Int
        public var count: Int
    }

    /// The overlay at the end, over the running nodes.
    public struct OverlayReport: Codable, Sendable, Equatable {
        public var liveNodes: Int
        /// Connected components of the graph of established links between running nodes.
        public var components: Int
        public var largestComponent: Int
        /// Running nodes without an established link to another running node.
        public var isolated: Int
        /// Established links per running node (`overlay.activeLinks`, dead peers included).
        public var linksMin: Int
        public var linksMax: Int
        public var linksMean: Double
        public var links: Distribution
        public var linksHistogram: [HistogramBin]
        /// How many running nodes' views hold each running node.
        public var inDegree: Distribution
        public var inDegreeHistogram: [HistogramBin]
        /// Running nodes no running view holds.
        public var inDegreeZero: Int
        /// View entries (over all running views) that name a dead or never started node.
        public var staleViewEntries: Int
        public var viewSize: Distribution
        /// Links between running nodes that are eager (on the broadcast tree) at both ends.
        public var treeLinks: Int
        /// Link ends eager on one side only (the other end treats the link as lazy).
        public var treeOneSidedLinks: Int
        /// Connected components of the broadcast tree (its links eager at both ends); 1 when the
        /// tree spans every running node, more while parts are reached only by IHAVE and GRAFT.
        public var treeComponents: Int
    }

    /// What the nodes sent.
    public struct TrafficReport: Codable, Sendable, Equatable {
        /// Per node that ever ran.
        public var bytesSent: Distribution
        public var messagesSent: Distribution
        public var totalBytes: Int
        public var totalMessages: Int
        /// By message type (hello, auth, pull, push, item, ping, pong, digest, request, membership,
        /// ihave, graft, prune).
        public var byType: [String: TypeTraffic]
    }

    public struct TypeTraffic: Codable, Sendable, Equatable {
        public var messages: Int
        public var bytes: Int
    }

    /// What the simulated network did.
    public struct NetworkReport: Codable, Sendable, Equatable {
        public var dials: Int
        public var linksOpened: Int
        /// Dials to a node not running (RST after one round trip).
        public var dialsRefused: Int
        /// Dials into silence (dead host, partition, unknown address): failed after the connect timeout.
        public var dialsTimedOut: Int
        /// Messages to a closed endpoint or a dead node, or lost to a partition that never heals.
        public var messagesDropped: Int
        public var validationsAnswered: Int
        /// Local module connections the core closed.
        public var modulesClosed: Int
        /// Node events handled, by kind: deliver (a P2P message), close (FIN/RST), tick, syn (a
        /// dial reaches the target's host), reply (its answer reaches the dialer), validation (a
        /// module answers). Scenario steps (starts, announcements, kills) are not events here.
        public var eventsByKind: [String: Int]
        /// Ticks skipped because an earlier wake-up replaced them or the node died.
        public var staleTicks: Int
    }

    /// The simulator's own cost; differs between runs of the same seed.
    public struct SimulationStatistics: Codable, Sendable, Equatable {
        public var wallS: Double
        public var events: Int
        public var eventsPerS: Double
        public var peakRssMib: Double
        /// Threads (partitions) the run used; the other fields do not depend on it.
        public var threads: Int
        /// Windows of events run, and how many of them on several threads.
        public var windows: Int
        public var parallelWindows: Int
        /// Most events waiting at once (summed over partitions).
        public var peakPendingEvents: Int
    }
}

/// Encodes an optional as JSON null instead of leaving the key out, so every item row has the
/// same fields.
@propertyWrapper
public struct Nullable<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }
}
