import GossipWire

/// Everything the node reads from its configuration file. Defaults and ranges live in
/// `ConfigurationDefaults`.
public struct NodeConfiguration: Sendable, Equatable {
    /// Top-level `hostkey`, or `hostkey` in [global] or [gossip]; a relative path is resolved
    /// against the config file's folder. nil: no host key configured.
    public var hostkeyPath: String?
    /// `api_socket`: a Unix-domain socket path where the node serves the API besides
    /// `api_address` (file mode 0600); nil: none.
    public var apiSocketPath: String?
    /// `api_allow`: the networks TCP API clients may come from; empty: any.
    public var apiAllow: [NetworkPrefix]
    /// `api_token`: the secret API clients must send first (517); nil: none required.
    public var apiToken: String?
    /// `admin_address`: where the admin HTTP endpoints (/metrics, /status, /ready, /reload,
    /// /tap) listen; nil: nowhere.
    public var adminAddress: Endpoint?
    /// `record_file`: where the node appends every item it takes in (`ItemRecording`); nil: nowhere.
    public var recordPath: String?
    /// [gossip] cache_size.
    public var cacheSize: Int
    /// [gossip] degree.
    public var degree: Int
    /// [gossip] bootstrapper, a comma-separated list; each has a non-zero port. May contain the
    /// node's own p2p_address (the node decides what to do with it).
    public var bootstrappers: [Endpoint]
    /// [gossip] p2p_address (required). Port 0: the OS picks.
    public var p2pAddress: Endpoint
    /// [gossip] api_address (required). Port 0: the OS picks.
    public var apiAddress: Endpoint
    /// [gossip] profile: the set of timing defaults the file asked for (the timing keys
    /// themselves hold the values in effect).
    public var profile: NetworkProfile
    /// [gossip] validation_timeout_ms.
    public var validationTimeoutMilliseconds: Int
    /// [gossip] frame_timeout_ms: time allowed to complete a started frame.
    public var frameTimeoutMilliseconds: Int
    /// [gossip] write_timeout_ms: a blocked write longer than this closes the connection.
    public var writeTimeoutMilliseconds: Int
    /// [gossip] announce_queue_size, in items.
    public var announceQueueCapacity: Int
    /// [gossip] outbox_bytes: per-connection send queue bound.
    public var outboxCapacityBytes: Int
    /// [gossip] max_api_connections.
    public var maxAPIConnections: Int
    /// [gossip] gossip_interval_ms.
    public var gossipIntervalMilliseconds: Int
    /// [gossip] anti_entropy_interval_ms.
    public var antiEntropyIntervalMilliseconds: Int
    /// [gossip] ping_interval_ms.
    public var pingIntervalMilliseconds: Int
    /// [gossip] peer_timeout_ms.
    public var peerTimeoutMilliseconds: Int
    /// [gossip] connect_timeout_ms.
    public var connectTimeoutMilliseconds: Int
    /// [gossip] view_size.
    public var viewSize: Int
    /// [gossip] max_peer_connections.
    public var maxPeerConnections: Int
    /// [gossip] seen_capacity.
    public var seenCapacity: Int
    /// [gossip] seen_ttl_ms.
    public var seenTTLMilliseconds: Int
    /// [gossip] digest_size.
    public var digestSize: Int
    /// [gossip] link_idle_timeout_ms.
    public var linkIdleTimeoutMilliseconds: Int
    /// [gossip] degree_slack.
    public var degreeSlack: Int
    /// [gossip] join_walk_length.
    public var joinWalkLength: Int
    /// [gossip] ihave_interval_ms.
    public var ihaveIntervalMilliseconds: Int
    /// [gossip] graft_timeout_ms.
    public var graftTimeoutMilliseconds: Int
    /// [gossip] handshake_timeout_ms.
    public var handshakeTimeoutMilliseconds: Int
    /// [gossip] max_pending_handshakes.
    public var maxPendingHandshakes: Int
    /// [gossip] max_links_per_ip.
    public var maxLinksPerIP: Int
    /// [gossip] max_links_per_prefix.
    public var maxLinksPerPrefix: Int
    /// [gossip] identity_work_bits.
    public var identityWorkBits: Int
    /// `link_encryption`: 1 encrypts links after the handshake, 0 leaves them in plain text.
    public var linkEncryption: Int
    /// `log_level`: one of `ConfigurationDefaults.logLevels`, lower case. The runtime's logging
    /// reads it (gossipd: `--log-level` overrides it at start).
    public var logLevel: String

    /// A configuration with the given listen addresses and every other value at its default.
    public init(apiAddress: Endpoint, p2pAddress: Endpoint) {
        typealias D = ConfigurationDefaults
        self.hostkeyPath = nil
        self.apiSocketPath = nil
        self.apiAllow = []
        self.apiToken = nil
        self.adminAddress = nil
        self.recordPath = nil
        self.cacheSize = D.cacheSize
        self.degree = D.degree
        self.bootstrappers = D.bootstrappers
        self.p2pAddress = p2pAddress
        self.apiAddress = apiAddress
        self.profile = .lan
        self.validationTimeoutMilliseconds = D.validationTimeoutMilliseconds
        self.frameTimeoutMilliseconds = D.frameTimeoutMilliseconds
        self.writeTimeoutMilliseconds = D.writeTimeoutMilliseconds
        self.announceQueueCapacity = D.announceQueueCapacity
        self.outboxCapacityBytes = D.outboxCapacityBytes
        self.maxAPIConnections = D.maxAPIConnections
        self.gossipIntervalMilliseconds = D.gossipIntervalMilliseconds
        self.antiEntropyIntervalMilliseconds = D.antiEntropyIntervalMilliseconds
        self.pingIntervalMilliseconds = D.pingIntervalMilliseconds
        self.peerTimeoutMilliseconds = D.peerTimeoutMilliseconds
        self.connectTimeoutMilliseconds = D.connectTimeoutMilliseconds
        self.viewSize = D.viewSize
        self.maxPeerConnections = D.maxPeerConnections
        self.seenCapacity = D.seenCapacity
        self.seenTTLMilliseconds = D.seenTTLMilliseconds
        self.digestSize = D.digestSize
        self.linkIdleTimeoutMilliseconds = D.linkIdleTimeoutMilliseconds
        self.degreeSlack = D.degreeSlack
        self.joinWalkLength = D.joinWalkLength
        self.ihaveIntervalMilliseconds = D.ihaveIntervalMilliseconds
        self.graftTimeoutMilliseconds = D.graftTimeoutMilliseconds
        self.handshakeTimeoutMilliseconds = D.handshakeTimeoutMilliseconds
        self.maxPendingHandshakes = D.maxPendingHandshakes
        self.maxLinksPerIP = D.maxLinksPerIP
        self.maxLinksPerPrefix = D.maxLinksPerPrefix
        self.identityWorkBits = D.identityWorkBits
        self.linkEncryption = D.linkEncryption
        self.logLevel = D.logLevel
    }
}

extension NodeConfiguration {
    /// The first pair of settings that contradict each other, if any: the key to blame and why.
    public var inconsistency: (key: ConfigurationKey, problem: String)? {
        if pingIntervalMilliseconds >= peerTimeoutMilliseconds {
            return (
                .pingIntervalMilliseconds,
                "must be below peer_timeout_ms (\(peerTimeoutMilliseconds)), got \(pingIntervalMilliseconds): links would close before their first PING"
            )
        }
        if degree + degreeSlack > maxPeerConnections {
            return (
                .degree,
                "plus degree_slack (\(degreeSlack)) must be at most max_peer_connections (\(maxPeerConnections)), got \(degree): "
                    + "raise max_peer_connections to \(degree + degreeSlack) or more"
            )
        }
        return nil
    }
}

/// Why a configuration could not be loaded.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path of the file, or the source name given to `ConfigurationLoader.parse`.
    public var file: String
    /// The line the problem is on, when it is on one.
    public var line: Int?
    /// The section (lower case, "gossip" or "global"); nil for top-level keys and file-level problems.
    public var section: String?
    /// The key (lower case), when the problem concerns one.
    public var key: String?
    /// What is wrong.
    public var problem: String

    public init(file: String, line: Int? = nil, section: String? = nil, key: String? = nil, problem: String) {
        self.file = file
        self.line = line
        self.section = section
        self.key = key
        self.problem = problem
    }

    /// One line: `file[:line]: [[section] ][key: ]problem`, e.g.
    /// `configs/node.ini:7: [gossip] degree: duplicate key (first set on line 4)`.
    public var description: String {
        formatMessage(file: file, line: line, section: section, key: key, problem: problem)
    }
}

/// A loaded configuration and the warnings found on the way.
public struct LoadedConfiguration: Sendable, Equatable {
    public var configuration: NodeConfiguration
    /// One line each, naming the file, the line and the key, e.g.
    /// `node.ini:9: [gossip] degre: unknown key, ignored (did you mean `degree`?)`.
    public var warnings: [String]

    public init(configuration: NodeConfiguration, warnings: [String] = []) {
        self.configuration = configuration
        self.warnings = warnings
    }
}

/// The one format of errors and warnings: `file[:line]: [[section] ][key: ]problem`.
func formatMessage(file: String, line: Int?, section: String?, key: String?, problem: String) -> String {
    var text = escapedForOneLine(file)
    if let line { text += ":\(line)" }
    text += ": "
    if let section { text += "[\(escapedForOneLine(section))] " }
    if let key { text += "\(escapedForOneLine(key)): " }
    return text + escapedForOneLine(problem)
}
