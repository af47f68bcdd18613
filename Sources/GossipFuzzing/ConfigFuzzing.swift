import GossipConfig

/// Fuzz target: the input as INI text through `ConfigurationLoader.parse`.
///
/// Bytes that are not UTF-8 are repaired by `String(decoding:)` first, as the string entry is the
/// only public one that takes text. Either a configuration or a `ConfigurationError` comes back;
/// a configuration that loads must be one the daemon can run: every integer key within its
/// documented range, no contradicting settings, and a protocol configuration derivable from it.
public func fuzzConfig(_ input: [UInt8]) {
    let text = String(decoding: input, as: UTF8.self)
    guard let loaded = try? ConfigurationLoader.parse(text, source: "fuzz.ini", baseDirectory: "/nonexistent") else {
        return
    }
    let configuration = loaded.configuration
    for key in ConfigurationKey.allCases {
        guard let range = key.integerRange else { continue }
        guard let value = Int(key.value(in: configuration)) else {
            preconditionFailure("\(key.name) has no integer value")
        }
        precondition(range.contains(value), "\(key.name) = \(value) is outside \(range)")
    }
    precondition(configuration.inconsistency == nil, "a contradicting configuration was accepted")
    precondition(loaded.warnings.count <= ConfigurationDefaults.maximumWarnings + 1, "warnings are not bounded")
    _ = configuration.protocolConfiguration
}
