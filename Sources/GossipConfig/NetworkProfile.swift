/// `[gossip] profile`: a set of timing defaults for the kind of network the node runs on, as
/// memberlist's LAN, WAN and local configurations. A profile only changes defaults: a timing key
/// set in the file wins over it, wherever it stands.
public enum NetworkProfile: String, CaseIterable, Sendable {
    /// A data centre or campus network: round trips under a few milliseconds. The plain defaults.
    case lan
    /// Across the internet: round trips of tens to hundreds of milliseconds, loss, and TCP
    /// retransmissions that stall a link for seconds. Fewer PINGs and shuffles, and more
    /// patience before a link is given up or a copy is asked for.
    case wan
    /// Every node on one machine (a testnet): faster checks and repair, for quick experiments.
    case local

    /// The keys a profile sets, in the order the documentation lists them.
    public static let keys: [ConfigurationKey] = [
        .pingIntervalMilliseconds, .peerTimeoutMilliseconds, .connectTimeoutMilliseconds, .handshakeTimeoutMilliseconds,
        .frameTimeoutMilliseconds, .writeTimeoutMilliseconds, .gossipIntervalMilliseconds,
        .antiEntropyIntervalMilliseconds, .ihaveIntervalMilliseconds, .graftTimeoutMilliseconds,
    ]

    /// This profile's default for `key`; nil where it keeps the key's own default (every key of
    /// `lan`, and every key outside `keys`).
    public func value(of key: ConfigurationKey) -> Int? {
        switch self {
        case .lan:
            return nil
        case .wan:
            switch key {
            case .pingIntervalMilliseconds: return 5000
            case .peerTimeoutMilliseconds: return 20_000
            case .connectTimeoutMilliseconds: return 10_000
            case .handshakeTimeoutMilliseconds: return 10_000
            case .frameTimeoutMilliseconds: return 15_000
            case .writeTimeoutMilliseconds: return 30_000
            case .gossipIntervalMilliseconds: return 2000
            case .antiEntropyIntervalMilliseconds: return 2000
            case .ihaveIntervalMilliseconds: return 500
            case .graftTimeoutMilliseconds: return 1000
            default: return nil
            }
        case .local:
            switch key {
            case .pingIntervalMilliseconds: return 1000
            case .peerTimeoutMilliseconds: return 3000
            case .connectTimeoutMilliseconds: return 1000
            case .handshakeTimeoutMilliseconds: return 2000
            case .frameTimeoutMilliseconds: return 2000
            case .writeTimeoutMilliseconds: return 5000
            case .gossipIntervalMilliseconds: return 500
            case .antiEntropyIntervalMilliseconds: return 500
            case .ihaveIntervalMilliseconds: return 100
            case .graftTimeoutMilliseconds: return 100
            default: return nil
            }
        }
    }

    /// This profile's default for `key`, its own or the key's.
    public func effectiveDefault(of key: ConfigurationKey) -> Int? {
        value(of: key) ?? key.integerDefault
    }

    /// Sets every key of `keys` that the file did not set (`explicit`) to this profile's default.
    func apply(to configuration: inout NodeConfiguration, except explicit: (ConfigurationKey) -> Bool) {
        for key in Self.keys where !explicit(key) {
            if let field = key.integerField, let value = effectiveDefault(of: key) { configuration[keyPath: field] = value }
        }
    }

    /// The profiles' values as a Markdown table (one row per key, one column per profile);
    /// docs/configuration.md contains exactly this table.
    public static var markdownTable: String {
        var lines = [
            "| key | " + allCases.map { "`\($0.rawValue)`" }.joined(separator: " | ") + " |",
            "|---|" + allCases.map { _ in "---|" }.joined(),
        ]
        for key in keys {
            lines.append("| `\(key.name)` | " + allCases.map { "\($0.effectiveDefault(of: key) ?? 0)" }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
