// Every default and every limit of the configuration, in one place.
// docs/configuration.md restates this file; a test checks that the two agree.

/// The defaults and permitted ranges of every configuration key, plus the loader's own limits.
public enum ConfigurationDefaults {
    /// `[gossip] cache_size`: how many data items the node keeps for spreading.
    public static let cacheSize = 50
    public static let cacheSizeRange: ClosedRange<Int> = 1...1_000_000

    /// `[gossip] degree`: how many peers the node exchanges information with.
    public static let degree = 30
    public static let degreeRange: ClosedRange<Int> = 1...1000

    /// `[gossip] bootstrapper`: none by default (the node starts a network of its own).
    public static let bootstrappers: [Endpoint] = []

    /// `[gossip] validation_timeout_ms`.
    public static let validationTimeoutMilliseconds = 5000
    public static let validationTimeoutMillisecondsRange: ClosedRange<Int> = 1...3_600_000

    /// `[gossip] frame_timeout_ms`.
    public static let frameTimeoutMilliseconds = 5000
    public static let frameTimeoutMillisecondsRange: ClosedRange<Int> = 1...3_600_000

    /// `[gossip] write_timeout_ms`.
    public static let writeTimeoutMilliseconds = 10_000
    public static let writeTimeoutMillisecondsRange: ClosedRange<Int> = 1...3_600_000

    /// `[gossip] announce_queue_size`.
    public static let announceQueueCapacity = 4096
    public static let announceQueueCapacityRange: ClosedRange<Int> = 1...1_000_000

    /// `[gossip] outbox_bytes` (4 MiB).
    public static let outboxCapacityBytes = 4_194_304
    public static let outboxCapacityBytesRange: ClosedRange<Int> = 65_536...1_073_741_824

    /// `[gossip] max_api_connections`.
    public static let maxAPIConnections = 1024
    public static let maxAPIConnectionsRange: ClosedRange<Int> = 1...65_536

    /// `[gossip] gossip_interval_ms`.
    public static let gossipIntervalMilliseconds = 1000
    public static let gossipIntervalMillisecondsRange: ClosedRange<Int> = 10...3_600_000

    /// `[gossip] anti_entropy_interval_ms`.
    public static let antiEntropyIntervalMilliseconds = 1000
    public static let antiEntropyIntervalMillisecondsRange: ClosedRange<Int> = 10...3_600_000

    /// `[gossip] ping_interval_ms`.
    public static let pingIntervalMilliseconds = 2000
    public static let pingIntervalMillisecondsRange: ClosedRange<Int> = 10...3_600_000

    /// `[gossip] peer_timeout_ms`.
    public static let peerTimeoutMilliseconds = 6000
    public static let peerTimeoutMillisecondsRange: ClosedRange<Int> = 50...86_400_000

    /// `[gossip] connect_timeout_ms`.
    public static let connectTimeoutMilliseconds = 3000
    public static let connectTimeoutMillisecondsRange: ClosedRange<Int> = 1...600_000

    /// `[gossip] view_size`.
    public static let viewSize = 128
    public static let viewSizeRange: ClosedRange<Int> = 1...1024

    /// `[gossip] max_peer_connections`.
    public static let maxPeerConnections = 128
    public static let maxPeerConnectionsRange: ClosedRange<Int> = 1...4096

    /// `[gossip] seen_capacity`.
    public static let seenCapacity = 65536
    public static let seenCapacityRange: ClosedRange<Int> = 1...10_000_000

    /// `[gossip] seen_ttl_ms`.
    public static let seenTTLMilliseconds = 600000
    public static let seenTTLMillisecondsRange: ClosedRange<Int> = 2000...86_400_000

    /// `[gossip] digest_size`.
    public static let digestSize = 256
    public static let digestSizeRange: ClosedRange<Int> = 1...4095

    /// `[gossip] link_idle_timeout_ms`.
    public static let linkIdleTimeoutMilliseconds = 300000
    public static let linkIdleTimeoutMillisecondsRange: ClosedRange<Int> = 0...86_400_000

    /// `[gossip] degree_slack`.
    public static let degreeSlack = 2
    public static let degreeSlackRange: ClosedRange<Int> = 0...100

    /// `[gossip] join_walk_length`.
    public static let joinWalkLength = 6
    public static let joinWalkLengthRange: ClosedRange<Int> = 0...20

    /// `[gossip] ihave_interval_ms`.
    public static let ihaveIntervalMilliseconds = 250
    public static let ihaveIntervalMillisecondsRange: ClosedRange<Int> = 1...60_000

    /// `[gossip] graft_timeout_ms`.
    public static let graftTimeoutMilliseconds = 250
    public static let graftTimeoutMillisecondsRange: ClosedRange<Int> = 10...600_000

    /// `[gossip] handshake_timeout_ms`.
    public static let handshakeTimeoutMilliseconds = 5000
    public static let handshakeTimeoutMillisecondsRange: ClosedRange<Int> = 100...600_000

    /// `[gossip] max_pending_handshakes`.
    public static let maxPendingHandshakes = 256
    public static let maxPendingHandshakesRange: ClosedRange<Int> = 1...4096

    /// `[gossip] max_links_per_ip`.
    public static let maxLinksPerIP = 8
    public static let maxLinksPerIPRange: ClosedRange<Int> = 0...4096

    /// `[gossip] max_links_per_prefix`.
    public static let maxLinksPerPrefix = 64
    public static let maxLinksPerPrefixRange: ClosedRange<Int> = 0...4096

    /// `[gossip] identity_work_bits`.
    public static let identityWorkBits = 21
    public static let identityWorkBitsRange: ClosedRange<Int> = 0...32

    /// `[gossip] link_encryption`.
    public static let linkEncryption = 1
    public static let linkEncryptionRange: ClosedRange<Int> = 0...1

    /// `[gossip] log_level`: how much gossipd logs (`gossipd --log-level` overrides it at start).
    public static let logLevel = "info"
    /// The levels `log_level` accepts, most verbose first (swift-log's `Logger.Level` names).
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Ports accepted for the listen addresses (`p2p_address`, `api_address`); 0 lets the OS pick.
    public static let listenPortRange: ClosedRange<Int> = 0...65_535
    /// Ports accepted for a bootstrapper (it must be a real port).
    public static let bootstrapperPortRange: ClosedRange<Int> = 1...65_535

    /// The API and P2P addresses of `ConfigurationLoader.embeddedDefault`.
    public static let embeddedAPIAddress = Endpoint(host: "127.0.0.1", port: 7001)
    public static let embeddedP2PAddress = Endpoint(host: "127.0.0.1", port: 6001)

    /// A configuration file (or string) larger than this many bytes is rejected.
    public static let maximumFileBytes = 1_048_576
    /// The longest line libinih 55 (as Debian builds it: a 200-byte stack buffer) reads whole,
    /// not counting the line break. A longer line is an error, never silently cut.
    public static let maximumLineBytes = 198
    /// At most this many warnings are kept; one more line then says how many were left out.
    public static let maximumWarnings = 100
}

/// Where a key may stand in the file.
public enum ConfigurationPlacement: String, Sendable, CaseIterable {
    /// Before any `[section]` header.
    case topLevel = "top level"
    /// In a `[global]` section.
    case global = "[global]"
    /// In the `[gossip]` section.
    case gossip = "[gossip]"
}

/// Every key the loader understands: the one table the parser dispatches on and the
/// documentation restates.
public enum ConfigurationKey: String, Sendable, CaseIterable {
    case hostkey
    case cacheSize = "cache_size"
    case degree
    case bootstrapper
    case p2pAddress = "p2p_address"
    case apiAddress = "api_address"
    case apiSocket = "api_socket"
    case apiAllow = "api_allow"
    case apiToken = "api_token"
    case adminAddress = "admin_address"
    case recordFile = "record_file"
    case profile
    case validationTimeoutMilliseconds = "validation_timeout_ms"
    case frameTimeoutMilliseconds = "frame_timeout_ms"
    case writeTimeoutMilliseconds = "write_timeout_ms"
    case announceQueueCapacity = "announce_queue_size"
    case outboxCapacityBytes = "outbox_bytes"
    case maxAPIConnections = "max_api_connections"
    case gossipIntervalMilliseconds = "gossip_interval_ms"
    case antiEntropyIntervalMilliseconds = "anti_entropy_interval_ms"
    case pingIntervalMilliseconds = "ping_interval_ms"
    case peerTimeoutMilliseconds = "peer_timeout_ms"
    case connectTimeoutMilliseconds = "connect_timeout_ms"
    case viewSize = "view_size"
    case maxPeerConnections = "max_peer_connections"
    case seenCapacity = "seen_capacity"
    case seenTTLMilliseconds = "seen_ttl_ms"
    case digestSize = "digest_size"
    case linkIdleTimeoutMilliseconds = "link_idle_timeout_ms"
    case degreeSlack = "degree_slack"
    case joinWalkLength = "join_walk_length"
    case ihaveIntervalMilliseconds = "ihave_interval_ms"
    case graftTimeoutMilliseconds = "graft_timeout_ms"
    case handshakeTimeoutMilliseconds = "handshake_timeout_ms"
    case maxPendingHandshakes = "max_pending_handshakes"
    case maxLinksPerIP = "max_links_per_ip"
    case maxLinksPerPrefix = "max_links_per_prefix"
    case identityWorkBits = "identity_work_bits"
    case linkEncryption = "link_encryption"
    case logLevel = "log_level"

    /// The key as written in the file (lower case; matching is case-insensitive).
    public var name: String { rawValue }

    /// The sections the key may stand in.
    public var placements: [ConfigurationPlacement] {
        switch self {
        case .hostkey: [.topLevel, .global, .gossip]
        default: [.gossip]
        }
    }

    /// Whether loading fails when the key is absent.
    public var isRequired: Bool {
        switch self {
        case .p2pAddress, .apiAddress: true
        default: false
        }
    }

    /// The permitted range of an integer key; nil for the other keys.
    public var integerRange: ClosedRange<Int>? {
        typealias D = ConfigurationDefaults
        switch self {
        case .cacheSize: return D.cacheSizeRange
        case .degree: return D.degreeRange
        case .validationTimeoutMilliseconds: return D.validationTimeoutMillisecondsRange
        case .frameTimeoutMilliseconds: return D.frameTimeoutMillisecondsRange
        case .writeTimeoutMilliseconds: return D.writeTimeoutMillisecondsRange
        case .announceQueueCapacity: return D.announceQueueCapacityRange
        case .outboxCapacityBytes: return D.outboxCapacityBytesRange
        case .maxAPIConnections: return D.maxAPIConnectionsRange
        case .gossipIntervalMilliseconds: return D.gossipIntervalMillisecondsRange
        case .antiEntropyIntervalMilliseconds: return D.antiEntropyIntervalMillisecondsRange
        case .pingIntervalMilliseconds: return D.pingIntervalMillisecondsRange
        case .peerTimeoutMilliseconds: return D.peerTimeoutMillisecondsRange
        case .connectTimeoutMilliseconds: return D.connectTimeoutMillisecondsRange
        case .viewSize: return D.viewSizeRange
        case .maxPeerConnections: return D.maxPeerConnectionsRange
        case .seenCapacity: return D.seenCapacityRange
        case .seenTTLMilliseconds: return D.seenTTLMillisecondsRange
        case .digestSize: return D.digestSizeRange
        case .linkIdleTimeoutMilliseconds: return D.linkIdleTimeoutMillisecondsRange
        case .degreeSlack: return D.degreeSlackRange
        case .joinWalkLength: return D.joinWalkLengthRange
        case .ihaveIntervalMilliseconds: return D.ihaveIntervalMillisecondsRange
        case .graftTimeoutMilliseconds: return D.graftTimeoutMillisecondsRange
        case .handshakeTimeoutMilliseconds: return D.handshakeTimeoutMillisecondsRange
        case .maxPendingHandshakes: return D.maxPendingHandshakesRange
        case .maxLinksPerIP: return D.maxLinksPerIPRange
        case .maxLinksPerPrefix: return D.maxLinksPerPrefixRange
        case .identityWorkBits: return D.identityWorkBitsRange
        case .linkEncryption: return D.linkEncryptionRange
        case .hostkey, .bootstrapper, .p2pAddress, .apiAddress, .apiSocket, .apiAllow, .apiToken, .adminAddress, .logLevel, .recordFile, .profile: return nil
        }
    }

    /// The default of an integer key; nil for the other keys.
    public var integerDefault: Int? {
        typealias D = ConfigurationDefaults
        switch self {
        case .cacheSize: return D.cacheSize
        case .degree: return D.degree
        case .validationTimeoutMilliseconds: return D.validationTimeoutMilliseconds
        case .frameTimeoutMilliseconds: return D.frameTimeoutMilliseconds
        case .writeTimeoutMilliseconds: return D.writeTimeoutMilliseconds
        case .announceQueueCapacity: return D.announceQueueCapacity
        case .outboxCapacityBytes: return D.outboxCapacityBytes
        case .maxAPIConnections: return D.maxAPIConnections
        case .gossipIntervalMilliseconds: return D.gossipIntervalMilliseconds
        case .antiEntropyIntervalMilliseconds: return D.antiEntropyIntervalMilliseconds
        case .pingIntervalMilliseconds: return D.pingIntervalMilliseconds
        case .peerTimeoutMilliseconds: return D.peerTimeoutMilliseconds
        case .connectTimeoutMilliseconds: return D.connectTimeoutMilliseconds
        case .viewSize: return D.viewSize
        case .maxPeerConnections: return D.maxPeerConnections
        case .seenCapacity: return D.seenCapacity
        case .seenTTLMilliseconds: return D.seenTTLMilliseconds
        case .digestSize: return D.digestSize
        case .linkIdleTimeoutMilliseconds: return D.linkIdleTimeoutMilliseconds
        case .degreeSlack: return D.degreeSlack
        case .joinWalkLength: return D.joinWalkLength
        case .ihaveIntervalMilliseconds: return D.ihaveIntervalMilliseconds
        case .graftTimeoutMilliseconds: return D.graftTimeoutMilliseconds
        case .handshakeTimeoutMilliseconds: return D.handshakeTimeoutMilliseconds
        case .maxPendingHandshakes: return D.maxPendingHandshakes
        case .maxLinksPerIP: return D.maxLinksPerIP
        case .maxLinksPerPrefix: return D.maxLinksPerPrefix
        case .identityWorkBits: return D.identityWorkBits
        case .linkEncryption: return D.linkEncryption
        case .hostkey, .bootstrapper, .p2pAddress, .apiAddress, .apiSocket, .apiAllow, .apiToken, .adminAddress, .logLevel, .recordFile, .profile: return nil
        }
    }

    /// Where an integer key lands in `NodeConfiguration`; nil for the other keys.
    var integerField: WritableKeyPath<NodeConfiguration, Int>? {
        switch self {
        case .cacheSize: \.cacheSize
        case .degree: \.degree
        case .validationTimeoutMilliseconds: \.validationTimeoutMilliseconds
        case .frameTimeoutMilliseconds: \.frameTimeoutMilliseconds
        case .writeTimeoutMilliseconds: \.writeTimeoutMilliseconds
        case .announceQueueCapacity: \.announceQueueCapacity
        case .outboxCapacityBytes: \.outboxCapacityBytes
        case .maxAPIConnections: \.maxAPIConnections
        case .gossipIntervalMilliseconds: \.gossipIntervalMilliseconds
        case .antiEntropyIntervalMilliseconds: \.antiEntropyIntervalMilliseconds
        case .pingIntervalMilliseconds: \.pingIntervalMilliseconds
        case .peerTimeoutMilliseconds: \.peerTimeoutMilliseconds
        case .connectTimeoutMilliseconds: \.connectTimeoutMilliseconds
        case .viewSize: \.viewSize
        case .maxPeerConnections: \.maxPeerConnections
        case .seenCapacity: \.seenCapacity
        case .seenTTLMilliseconds: \.seenTTLMilliseconds
        case .digestSize: \.digestSize
        case .linkIdleTimeoutMilliseconds: \.linkIdleTimeoutMilliseconds
        case .degreeSlack: \.degreeSlack
        case .joinWalkLength: \.joinWalkLength
        case .ihaveIntervalMilliseconds: \.ihaveIntervalMilliseconds
        case .graftTimeoutMilliseconds: \.graftTimeoutMilliseconds
        case .handshakeTimeoutMilliseconds: \.handshakeTimeoutMilliseconds
        case .maxPendingHandshakes: \.maxPendingHandshakes
        case .maxLinksPerIP: \.maxLinksPerIP
        case .maxLinksPerPrefix: \.maxLinksPerPrefix
        case .identityWorkBits: \.identityWorkBits
        case .linkEncryption: \.linkEncryption
        case .hostkey, .bootstrapper, .p2pAddress, .apiAddress, .apiSocket, .apiAllow, .apiToken, .adminAddress, .logLevel, .recordFile, .profile: nil
        }
    }

    /// The default as the documentation states it.
    public var defaultDescription: String {
        if let value = integerDefault { return String(value) }
        switch self {
        case .hostkey: return "none"
        case .apiSocket: return "none"
        case .apiAllow: return "any address"
        case .apiToken: return "none"
        case .adminAddress: return "none (off)"
        case .recordFile: return "none"
        case .profile: return NetworkProfile.lan.rawValue
        case .bootstrapper: return "none"
        case .logLevel: return ConfigurationDefaults.logLevel
        default: return "required"
        }
    }

    /// The permitted values as the documentation states them.
    public var rangeDescription: String {
        if let range = integerRange { return "integer \(range.lowerBound) to \(range.upperBound)" }
        switch self {
        case .hostkey: return "path of a readable file"
        case .apiSocket: return "path of a Unix-domain socket to create (at most 107 bytes, its folder at most 95)"
        case .apiAllow: return "comma-separated networks, e.g. 127.0.0.0/8, ::1, 10.1.0.0/16"
        case .apiToken: return "16 to 255 bytes, no spaces"
        case .recordFile: return "path of a file to create or append to"
        case .profile: return NetworkProfile.allCases.map(\.rawValue).joined(separator: ", ")
        case .bootstrapper: return "comma-separated host:port list, port 1 to 65535"
        case .logLevel: return ConfigurationDefaults.logLevels.joined(separator: ", ")
        default: return "host:port, port 0 to 65535"
        }
    }

    /// One line saying what the key means.
    public var summary: String {
        switch self {
        case .apiAllow:
            "Only clients from these networks may use the TCP API (others are closed as not_allowed); the Unix socket is governed by its file mode."
        case .apiToken:
            "A secret every API client must send first (message 517, docs/api.md) before anything else is accepted; clients without it are closed as unauthorized. Keep the file unreadable to others."
        case .adminAddress:
            "Serve the admin HTTP endpoints here (/metrics for Prometheus, /status, /ready, POST /reload, /tap; docs/operations.md); keep it on loopback or a network you trust. Absent: no admin endpoint."
        case .recordFile:
            "Append every item the node takes in (announced by a local module or new from a peer) to this file, with the time and its source (docs/record-format.md; `gossip replay` announces them again); a new file gets mode 0600 (only the node's user may read it), an existing one keeps its mode; a relative path is taken from the config file's folder. `gossipd --record FILE` overrides it."
        case .apiSocket:
            "Also serve the local API, byte for byte the same, on a Unix-domain socket at this path (file mode 0600: only the node's user may connect); a relative path is taken from the config file's folder."
        case .hostkey:
            "The node's private key (PEM); a relative path is taken from the config file's folder."
        case .profile:
            "Timing defaults for the kind of network: lan (the defaults below), wan (across the internet: fewer PINGs and shuffles, longer timeouts), local (every node on one machine: faster checks); a timing key set in the file wins. The values are under `profile` below."
        case .cacheSize:
            "How many data items the node keeps for spreading; when full, the oldest go first."
        case .degree:
            "How many peers the node keeps as neighbours (active links); items travel only on these."
        case .bootstrapper:
            "Nodes to learn the first peers from; empty or absent: this node starts a network."
        case .p2pAddress:
            "Where the node listens for other nodes (port 0: the OS picks)."
        case .apiAddress:
            "Where the node listens for local modules (port 0: the OS picks)."
        case .validationTimeoutMilliseconds:
            "Milliseconds local modules have to answer a NOTIFICATION; an unanswered peer item is then dropped."
        case .frameTimeoutMilliseconds:
            "Milliseconds allowed to complete a frame once its first byte has arrived (counted while the node waits for the rest)."
        case .writeTimeoutMilliseconds:
            "A write blocked longer than this many milliseconds closes the connection."
        case .announceQueueCapacity:
            "How many items may wait to be processed, per lane (one for local announcements, one for items from peers)."
        case .outboxCapacityBytes:
            "Bound of each connection's send queue, in bytes. A module whose queue is over half full holds back peer items (keep this at least four times the largest item)."
        case .maxAPIConnections:
            "How many local API connections the node serves at once; at the limit, the oldest that never sent a message makes room for a newcomer."
        case .gossipIntervalMilliseconds:
            "Milliseconds between shuffles: push/pull exchanges of known peers with a random neighbour."
        case .antiEntropyIntervalMilliseconds:
            "Milliseconds between anti-entropy digests sent to a random peer."
        case .pingIntervalMilliseconds:
            "A peer link silent this many milliseconds is sent a PING."
        case .peerTimeoutMilliseconds:
            "A peer link silent this many milliseconds (or not through its handshake) is closed."
        case .connectTimeoutMilliseconds:
            "Milliseconds allowed to open a connection to a peer."
        case .viewSize:
            "How many known peers the node keeps (the passive view) to replace neighbours from."
        case .maxPeerConnections:
            "How many peer links that finished their handshake the node keeps at most; a dialer beyond gets peers to try and REJECT."
        case .seenCapacity:
            "How many item IDs the duplicate filter remembers. With seen_ttl_ms it also sets how many new items the node takes in from peers: seen_capacity / 2 at once and seen_capacity / (2 × seen_ttl in seconds) a second (54 with the defaults), half that for types no local module subscribed to."
        case .seenTTLMilliseconds:
            "Milliseconds an item ID is remembered after it was first seen (later copies do not extend it). Also how old a peer's item may be: its ID's stamp (the origin's clock) no older than seen_ttl_ms less 60 s and at most 60 s ahead (half of seen_ttl_ms for both up to 2 minutes), so nodes' clocks must agree within a minute. Longer lowers the intake rate (seen_capacity)."
        case .digestSize:
            "How many of the newest cached item IDs one anti-entropy digest offers."
        case .linkIdleTimeoutMilliseconds:
            "An active link that carried nothing but PING/PONG this many milliseconds is dropped while the node has more than degree active links (one a tick, never a broadcast-tree link); 0: never."
        case .degreeSlack:
            "Active links a node accepts above degree before it drops a neighbour to make room; never more than degree + degree_slack."
        case .joinWalkLength:
            "Hops of the random walks that introduce a joining node to the network; 0: the contact introduces nobody (the joiner links to its contact only)."
        case .ihaveIntervalMilliseconds:
            "Milliseconds announcements of new item IDs wait to share one IHAVE per lazy link."
        case .graftTimeoutMilliseconds:
            "Least milliseconds an announced item may take to arrive before the node asks the announcer for it (a REQUEST for a first miss, a GRAFT for a second one within 8 times this). The node waits longer, up to 8 times this, when the tree's copies come later than this after their announcements (a smoothed lateness, as TCP smooths round trips); each wait is drawn between the timeout and twice it."
        case .handshakeTimeoutMilliseconds:
            "Milliseconds a peer connection has to complete its handshake (HELLO and AUTH both ways) before it is closed; peer_timeout_ms if that is shorter."
        case .maxPendingHandshakes:
            "Inbound peer connections still in their handshake at once, apart from the links; one more closes the oldest of them. Also the most connections of its own the node holds in their handshake before it drops the join walk ends and handovers its neighbours ask it to dial."
        case .maxLinksPerIP:
            "Inbound peer connections from one IP address at once (loopback exempt); 0: no limit."
        case .maxLinksPerPrefix:
            "Inbound peer connections from one /24 (IPv4) or /48 (IPv6) at once (loopback exempt); 0: no limit."
        case .identityWorkBits:
            "Proof of work a peer's identity must show (leading zero bits of a hash; each bit doubles the cost; 21 takes about a second of one core here); the node proves the same for its own, once per key."
        case .linkEncryption:
            "1: every frame between nodes is encrypted and authenticated after the handshake (ChaChaPoly, keys from X25519). 0: plain text, for debugging only; such a node links only with others set to 0."
        case .logLevel:
            "How much gossipd logs: debug adds a line per item (received, delivered, forwarded, dropped) and per connection. gossipd --log-level overrides it at start; a SIGHUP that finds it changed applies it."
        }
    }

    /// The keys as a Markdown table (key, where, default, permitted values, meaning);
    /// docs/configuration.md contains exactly this table.
    public static var markdownTable: String {
        var lines = [
            "| key | where | default | permitted values | meaning |",
            "|---|---|---|---|---|",
        ]
        for key in allCases {
            let places = key.placements.map(\.rawValue).joined(separator: ", ")
            lines.append(
                "| `\(key.name)` | \(places) | \(key.defaultDescription) | \(key.rangeDescription) | \(key.summary) |"
            )
        }
        return lines.joined(separator: "\n")
    }
}

extension ConfigurationKey {
    /// Sets this key in `target` to its value in `source`.
    public func copy(from source: NodeConfiguration, into target: inout NodeConfiguration) {
        if let field = integerField {
            target[keyPath: field] = source[keyPath: field]
            return
        }
        switch self {
        case .hostkey: target.hostkeyPath = source.hostkeyPath
        case .bootstrapper: target.bootstrappers = source.bootstrappers
        case .p2pAddress: target.p2pAddress = source.p2pAddress
        case .apiAddress: target.apiAddress = source.apiAddress
        case .apiSocket: target.apiSocketPath = source.apiSocketPath
        case .apiAllow: target.apiAllow = source.apiAllow
        case .apiToken: target.apiToken = source.apiToken
        case .adminAddress: target.adminAddress = source.adminAddress
        case .logLevel: target.logLevel = source.logLevel
        case .recordFile: target.recordPath = source.recordPath
        case .profile: target.profile = source.profile
        default: break
        }
    }

    /// This key's effective value in `configuration`, as it would be written in the file.
    public func value(in configuration: NodeConfiguration) -> String {
        if let field = integerField { return String(configuration[keyPath: field]) }
        switch self {
        case .hostkey: return configuration.hostkeyPath ?? "(none)"
        case .apiSocket: return configuration.apiSocketPath ?? "(none)"
        case .apiAllow: return configuration.apiAllow.isEmpty ? "(any)" : configuration.apiAllow.map(\.description).joined(separator: ", ")
        case .apiToken: return configuration.apiToken == nil ? "(none)" : "(set)"
        case .recordFile: return configuration.recordPath ?? "(none)"
        case .bootstrapper:
            return configuration.bootstrappers.isEmpty
                ? "(none)" : configuration.bootstrappers.map(\.description).joined(separator: ", ")
        case .p2pAddress: return configuration.p2pAddress.description
        case .apiAddress: return configuration.apiAddress.description
        case .adminAddress: return configuration.adminAddress?.description ?? "(none)"
        case .logLevel: return configuration.logLevel
        case .profile: return configuration.profile.rawValue
        default: return ""
        }
    }
}
