import GossipConfig
import GossipCore
import GossipWire

/// How a crashed node looks to its peers.
public enum CrashMode: String, Sendable, CaseIterable, Codable {
    /// The host answers for the dead process: open links are reset (the peers see the link close
    /// one latency later) and dials to it are refused after one round trip.
    case reset
    /// The host is gone: links go silent (the peers notice only by their peer timeout) and dials
    /// to it fail after the connect timeout.
    case silent
}

/// The one-way latency of a link, drawn once when the link opens (and once per dial attempt).
/// Every distribution has mean `meanMilliseconds`.
public struct LatencyModel: Sendable, Equatable {
    public enum Distribution: String, Sendable, CaseIterable, Codable {
        /// Always the mean.
        case constant
        /// Uniform in [mean - jitter, mean + jitter].
        case uniform
        /// A floor of mean - jitter plus an exponential tail with mean jitter.
        case exponential
    }

    public var distribution: Distribution
    public var meanMilliseconds: Double
    public var jitterMilliseconds: Double

    public init(distribution: Distribution = .uniform, meanMilliseconds: Double = 50, jitterMilliseconds: Double = 20) {
        self.distribution = distribution
        self.meanMilliseconds = meanMilliseconds
        self.jitterMilliseconds = jitterMilliseconds
    }
}

/// What a node's local module does with each NOTIFICATION.
public enum ModuleBehaviour: String, Sendable, CaseIterable, Codable {
    /// Subscribed; answers valid after the validation delay.
    case valid
    /// Subscribed; answers invalid after the validation delay.
    case invalid
    /// Subscribed; never answers (the node's validation timeout decides).
    case silent
    /// No module subscribed: the node relays items unvalidated.
    case unsubscribed
}

/// Everything a simulated run is made of. The defaults describe a configured run; a scripted
/// scenario (tests) sets `nodeCount` and `itemCount` to 0 and adds nodes and items by hand.
public struct SimulationConfiguration: Sendable {
    /// The node knobs every simulated node runs with (the same settings gossipd reads from its
    /// INI file). The listen addresses are ignored: each node gets a fake 10.x.y.z:6001.
    public var node: NodeConfiguration
    /// Nodes of a configured run (late joiners included).
    public var nodeCount: Int
    /// Seeds every random choice: the same seed gives the same run.
    public var seed: UInt64
    public var join: JoinMode
    /// Seeds for `JoinMode.seeds`.
    public var seedCount: Int
    /// The first nodes start evenly over this many seconds from time 0.
    public var joinSpreadSeconds: Double
    /// This fraction of the nodes (the highest indices) starts during the item phase instead,
    /// evenly between the first and the last announcement.
    public var lateJoinerFraction: Double
    /// Virtual seconds before the first item, for the overlay to form.
    public var warmupSeconds: Double

    public var latency: LatencyModel
    /// Probability that a segment is lost; each loss delays the message by the retransmission timeout.
    public var lossRate: Double
    public var retransmissionTimeoutMilliseconds: Double

    public var crashMode: CrashMode
    /// Fraction of the running nodes killed at once at `killAtSeconds`.
    public var killFraction: Double
    /// nil: halfway through the item phase.
    public var killAtSeconds: Double?

    /// Fraction of the nodes cut off from the rest between `partitionAtSeconds` and `healAtSeconds`.
    public var partitionFraction: Double
    /// nil: at the first announcement.
    public var partitionAtSeconds: Double?
    /// nil: never heals.
    public var healAtSeconds: Double?

    /// Items announced, one every 1 / `itemRate` seconds from the end of the warm-up.
    public var itemCount: Int
    public var itemRate: Double
    public var itemSize: Int
    /// 0: unlimited.
    public var itemTTL: UInt8
    public var dataType: UInt16
    /// 0: each item from a random running node; N: from a set of N nodes picked at start (a
    /// random running one of them each time).
    public var originCount: Int

    /// Delay between a NOTIFICATION and the module's VALIDATION.
    public var validationDelayMilliseconds: Double
    /// Fraction of nodes whose module answers invalid.
    public var invalidFraction: Double
    /// Fraction of nodes whose module never answers.
    public var silentModuleFraction: Double

    /// Virtual seconds simulated after the last announcement.
    public var drainSeconds: Double
    /// Bucket width of the coverage-over-time series.
    public var coverageBucketMilliseconds: Double
    /// Threads (and partitions) to run on; 0: 2 for 5,000 nodes or more (if there are 2 cores), else 1.
    /// The results do not depend on it.
    public var threads: Int

    public init(node: NodeConfiguration = SimulationConfiguration.defaultNode) {
        self.node = node
        nodeCount = 1000
        seed = 1
        join = .random
        seedCount = 3
        joinSpreadSeconds = 10
        lateJoinerFraction = 0
        warmupSeconds = 15
        latency = LatencyModel()
        lossRate = 0
        retransmissionTimeoutMilliseconds = 200
        crashMode = .reset
        killFraction = 0
        killAtSeconds = nil
        partitionFraction = 0
        partitionAtSeconds = nil
        healAtSeconds = nil
        itemCount = 100
        itemRate = 10
        itemSize = 64
        itemTTL = 0
        dataType = 1337
        originCount = 0
        validationDelayMilliseconds = 5
        invalidFraction = 0
        silentModuleFraction = 0
        drainSeconds = 15
        coverageBucketMilliseconds = 10
        threads = 0
    }

    /// A scripted scenario: no nodes and no items until the caller adds them.
    public static func scripted(node: NodeConfiguration = SimulationConfiguration.defaultNode, seed: UInt64 = 1)
        -> SimulationConfiguration
    {
        var configuration = SimulationConfiguration(node: node)
        configuration.nodeCount = 0
        configuration.itemCount = 0
        configuration.seed = seed
        return configuration
    }

    /// gossipd's defaults except `degree` 8 (gossipd: 30) and `view_size` 32 (gossipd: 128), which
    /// keep 100,000-node runs within minutes and a few GiB (the addresses are placeholders).
    public static var defaultNode: NodeConfiguration {
        var node = gossipdNode
        node.degree = 8
        node.viewSize = 32
        node.identityWorkBits = 0  // simulated identities are stand-ins (SimulatedSigner) without work
        return node
    }

    /// gossipd's own defaults (the addresses are placeholders).
    public static var gossipdNode: NodeConfiguration {
        NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 6001))
    }

    /// The moment of the first announcement, in seconds.
    public var firstItemSeconds: Double { warmupSeconds }

    /// The moment of the last announcement, in seconds.
    public var lastItemSeconds: Double {
        itemCount > 1 && itemRate > 0 ? warmupSeconds + Double(itemCount - 1) / itemRate : warmupSeconds
    }

    /// Where a configured run stops, in seconds.
    public var endSeconds: Double { lastItemSeconds + drainSeconds }

    /// The kill moment actually used.
    public var effectiveKillSeconds: Double { killAtSeconds ?? (firstItemSeconds + lastItemSeconds) / 2 }

    /// The partition moment actually used.
    public var effectivePartitionSeconds: Double { partitionAtSeconds ?? firstItemSeconds }

    /// The first problem with these settings, if any.
    public var problem: String? {
        func fraction(_ value: Double, _ name: String) -> String? {
            (0...1).contains(value) ? nil : "\(name) must be between 0 and 1, got \(value)"
        }
        if nodeCount < 0 || nodeCount > 10_000_000 { return "nodes must be between 0 and 10,000,000, got \(nodeCount)" }
        if itemCount < 0 { return "items must not be negative, got \(itemCount)" }
        if itemCount > 0 && !(itemRate > 0) { return "item rate must be positive, got \(itemRate)" }
        if itemSize < 0 || itemSize > GossipItem.maximumDataSize { return "item size must be between 0 and \(GossipItem.maximumDataSize) bytes, got \(itemSize)" }
        if join == .seeds && seedCount < 1 { return "seeds must be at least 1, got \(seedCount)" }
        for (value, name) in [
            (lossRate, "loss"), (killFraction, "kill"), (partitionFraction, "partition"),
            (lateJoinerFraction, "late joiners"), (invalidFraction, "invalid fraction"),
            (silentModuleFraction, "silent module fraction"),
        ] {
            if let problem = fraction(value, name) { return problem }
        }
        if lossRate >= 1 { return "loss must be below 1, got \(lossRate)" }
        if invalidFraction + silentModuleFraction > 1 {
            return "invalid and silent module fractions add up to more than 1"
        }
        for (value, name) in [
            (joinSpreadSeconds, "join spread"), (warmupSeconds, "warm-up"), (drainSeconds, "drain"),
            (validationDelayMilliseconds, "validation delay"), (latency.meanMilliseconds, "latency"),
            (latency.jitterMilliseconds, "latency jitter"),
            (retransmissionTimeoutMilliseconds, "retransmission timeout"),
        ] {
            if !(value >= 0) || !value.isFinite { return "\(name) must be a non-negative number, got \(value)" }
        }
        if latency.distribution != .constant && latency.jitterMilliseconds > latency.meanMilliseconds {
            return
                "latency jitter (\(latency.jitterMilliseconds) ms) must not exceed the mean (\(latency.meanMilliseconds) ms)"
        }
        if !(coverageBucketMilliseconds > 0) {
            return "coverage bucket must be positive, got \(coverageBucketMilliseconds)"
        }
        if let heal = healAtSeconds, heal < effectivePartitionSeconds {
            return "heal-at (\(heal) s) is before partition-at (\(effectivePartitionSeconds) s)"
        }
        if let inconsistency = node.inconsistency { return "\(inconsistency.key.name): \(inconsistency.problem)" }
        return nil
    }
}

extension NodeConfiguration {
    /// The core's configuration as the simulator runs it: `protocolConfiguration`, without the
    /// identity proof of work (simulated identities are stand-ins and prove none; finding real
    /// work for 100,000 identities would take days).
    var simulatedProtocolConfiguration: GossipProtocol.Configuration {
        var configuration = protocolConfiguration
        configuration.identityWorkBits = 0
        return configuration
    }
}
