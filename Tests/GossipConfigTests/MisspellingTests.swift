import Testing

@testable import GossipConfig

@Suite("Hints for misspelt keys and sections")
struct MisspellingTests {
    @Test(
        "an unknown key in [gossip] suggests the nearest key within two edits, or the only one it is a prefix of",
        arguments: [
            ("degre", "degree"),
            ("dgree", "degree"),
            ("degere", "degree"),
            ("DEGREES", "degree"),
            ("cache_sise", "cache_size"),
            ("host_key", "hostkey"),
            ("p2p_adress", "p2p_address"),
            ("peer_timeout", "peer_timeout_ms"),
            ("cache", "cache_size"),
            ("hostkey_file", "hostkey"),
        ])
    func suggestion(written: String, meant: String) throws {
        let loaded = try ConfigurationLoader.parse(gossipSection("\(written) = 5"), source: "t.ini")
        #expect(
            loaded.warnings == [
                "t.ini:4: [gossip] \(written.lowercased()): unknown key, ignored (did you mean `\(meant)`?)"
            ])
        #expect(loaded.configuration == (try ConfigurationLoader.parse(minimalGossip).configuration))
    }

    @Test(
        "no suggestion when nothing is near or a prefix fits several keys",
        arguments: ["fancy_option", "max", "seen", "xy", "verbose"])
    func noSuggestion(written: String) throws {
        let loaded = try ConfigurationLoader.parse(gossipSection("\(written) = 5"), source: "t.ini")
        #expect(loaded.warnings == ["t.ini:4: [gossip] \(written): unknown key, ignored"])
    }

    @Test("a section within two edits of [gossip] is a warning at its header, once for each header")
    func misspeltSection() throws {
        let text =
            minimalGossip + "[Gosip]\ndegree = 5\ncache_size = 9\n[rps]\nx = 1\n  [gossips]  \ndegree = 4\n[gossi]\n"
        let loaded = try ConfigurationLoader.parse(text, source: "t.ini")
        #expect(loaded.configuration.degree == ConfigurationDefaults.degree)
        #expect(loaded.configuration.cacheSize == ConfigurationDefaults.cacheSize)
        #expect(
            loaded.warnings == [
                "t.ini:4: [gosip] unknown section, its keys are ignored (did you mean [gossip]?)",
                "t.ini:9: [gossips] unknown section, its keys are ignored (did you mean [gossip]?)",
            ])
    }

    @Test("a misspelt [gossip] that holds the required keys is named in the missing-key error")
    func misspeltSectionMissingKeys() throws {
        let error = parseError("\u{FEFF}[gosip]\np2p_address = 127.0.0.1:6001\napi_address = 127.0.0.1:7001\n")
        #expect(
            error?.description
                == "t.ini: [gossip] p2p_address: missing (required; is [gosip] on line 1 meant to be [gossip]?)")
    }

    @Test(
        "other modules' sections stay silent, whatever they hold",
        arguments: ["rps", "nse", "onion", "dht", "auth", "global2", "gossip-extra", "cadet", "peer", "transport"])
    func otherModules(section: String) throws {
        let text = "hostname = x\n[\(section)]\ndegree = 5\nfoo = bar\n" + minimalGossip + "[\(section)]\nbaz = 1\n"
        let loaded = try ConfigurationLoader.parse(text, source: "t.ini")
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.configuration.degree == ConfigurationDefaults.degree)
    }

    @Test("the edit distance counts insertions, deletions, substitutions and swaps, capped at three")
    func distance() {
        #expect(Misspelling.distance("degree", "degree") == 0)
        #expect(Misspelling.distance("degre", "degree") == 1)
        #expect(Misspelling.distance("degrees", "degree") == 1)
        #expect(Misspelling.distance("degrea", "degree") == 1)
        #expect(Misspelling.distance("dgeree", "degree") == 1)
        #expect(Misspelling.distance("gosip", "gossip") == 1)
        #expect(Misspelling.distance("gsosip", "gossip") == 1)
        #expect(Misspelling.distance("gosp", "gossip") == 2)
        #expect(Misspelling.distance("", "ab") == 2)
        #expect(Misspelling.distance("rps", "gossip") == 3)
        #expect(Misspelling.distance("abcdef", "uvwxyz") == 3)
        #expect(Misspelling.distance(String(repeating: "x", count: 198), "gossip") == 3)
    }
}
