import Foundation
import Testing

@testable import GossipConfig

@Suite("Keys and values")
struct ValueTests {
    @Test("defaults when the optional keys are absent")
    func defaults() throws {
        let loaded = try ConfigurationLoader.parse(minimalGossip)
        let configuration = loaded.configuration
        #expect(configuration.hostkeyPath == nil)
        #expect(configuration.cacheSize == 50)
        #expect(configuration.degree == 30)
        #expect(configuration.bootstrappers == [])
        #expect(configuration.validationTimeoutMilliseconds == 5000)
        #expect(configuration.frameTimeoutMilliseconds == 5000)
        #expect(configuration.writeTimeoutMilliseconds == 10_000)
        #expect(configuration.announceQueueCapacity == 4096)
        #expect(configuration.outboxCapacityBytes == 4_194_304)
        #expect(configuration.maxAPIConnections == 1024)
        #expect(loaded.warnings.isEmpty)
        let expected = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 7001), p2pAddress: Endpoint(host: "127.0.0.1", port: 6001))
        #expect(configuration == expected)
    }

    @Test("log_level takes a swift-log level in any case; anything else is an error naming them")
    func logLevel() throws {
        #expect(try ConfigurationLoader.parse(minimalGossip).configuration.logLevel == "info")
        #expect(try ConfigurationLoader.parse(gossipSection("log_level = Debug")).configuration.logLevel == "debug")
        let error = parseError(gossipSection("log_level = verbose"))
        #expect(error?.key == "log_level")
        #expect(error?.problem == "must be one of trace, debug, info, notice, warning, error, critical, got 'verbose'")
    }

    @Test("the documented ranges")
    func ranges() {
        #expect(ConfigurationDefaults.cacheSizeRange == 1...1_000_000)
        #expect(ConfigurationDefaults.degreeRange == 1...1000)
        #expect(ConfigurationDefaults.validationTimeoutMillisecondsRange == 1...3_600_000)
        #expect(ConfigurationDefaults.frameTimeoutMillisecondsRange == 1...3_600_000)
        #expect(ConfigurationDefaults.writeTimeoutMillisecondsRange == 1...3_600_000)
        #expect(ConfigurationDefaults.announceQueueCapacityRange == 1...1_000_000)
        #expect(ConfigurationDefaults.outboxCapacityBytesRange == 65_536...1_073_741_824)
        #expect(ConfigurationDefaults.maxAPIConnectionsRange == 1...65_536)
        #expect(ConfigurationDefaults.seenTTLMillisecondsRange == 2000...86_400_000, "below 2 s no item would be fresh for a second")
        for key in ConfigurationKey.allCases {
            #expect((key.integerRange == nil) == (key.integerDefault == nil), "\(key)")
            if let range = key.integerRange, let value = key.integerDefault {
                #expect(range.contains(value), "\(key)")
            }
        }
    }

    @Test("an api_socket whose folder is too long to bind in is refused when the file loads, not at the start")
    func apiSocketFolderTooLong() throws {
        let folder = "/" + String(repeating: "f", count: 95)  // 96 bytes
        let error = try #require(parseError(gossipSection("api_socket = \(folder)/a.sock")))
        #expect("\(error)".contains("a socket's folder is at most 95 bytes"), "\(error)")
        let fits = try ConfigurationLoader.parse(gossipSection("api_socket = /\(String(repeating: "f", count: 94))/a.sock"), source: "t.ini")
        #expect(fits.configuration.apiSocketPath?.utf8.count == 95 + 7)
    }

    @Test("every node knob is parsed")
    func everyKnob() throws {
        let loaded = try ConfigurationLoader.parse(
            """
            [gossip]
            cache_size = 7
            degree = 3
            bootstrapper = 10.0.0.2:6001
            p2p_address = [::1]:0
            api_address = localhost:0
            validation_timeout_ms = 250
            frame_timeout_ms = 1500
            write_timeout_ms = 2500
            announce_queue_size = 12
            outbox_bytes = 65536
            max_api_connections = 3
            """)
        let configuration = loaded.configuration
        #expect(configuration.cacheSize == 7)
        #expect(configuration.degree == 3)
        #expect(configuration.bootstrappers == [Endpoint(host: "10.0.0.2", port: 6001)])
        #expect(configuration.p2pAddress == Endpoint(host: "::1", port: 0))
        #expect(configuration.apiAddress == Endpoint(host: "localhost", port: 0))
        #expect(configuration.validationTimeoutMilliseconds == 250)
        #expect(configuration.frameTimeoutMilliseconds == 1500)
        #expect(configuration.writeTimeoutMilliseconds == 2500)
        #expect(configuration.announceQueueCapacity == 12)
        #expect(configuration.outboxCapacityBytes == 65536)
        #expect(configuration.maxAPIConnections == 3)
        #expect(loaded.warnings.isEmpty)
    }

    static let integerKeys = ConfigurationKey.allCases.filter { $0.integerRange != nil }

    @Test("each integer key accepts both ends of its range", arguments: integerKeys)
    func rangeEnds(key: ConfigurationKey) throws {
        let range = try #require(key.integerRange)
        let field = try #require(key.integerField)
        // Keys that other keys must stay below or above get partners that keep the file consistent.
        let partners: [ConfigurationKey: String] = [
            .degree: "max_peer_connections = 4096",
            .pingIntervalMilliseconds: "peer_timeout_ms = 86400000",
            .peerTimeoutMilliseconds: "ping_interval_ms = 10",
            .maxPeerConnections: "degree = 1\ndegree_slack = 0",
            .degreeSlack: "max_peer_connections = 4096",
        ]
        for value in [range.lowerBound, range.upperBound] {
            let text = [partners[key], "\(key.name) = \(value)"].compactMap { $0 }.joined(separator: "\n")
            let loaded = try ConfigurationLoader.parse(gossipSection(text))
            #expect(loaded.configuration[keyPath: field] == value)
        }
    }

    @Test("each integer key rejects one below and one above its range", arguments: integerKeys)
    func outOfRange(key: ConfigurationKey) throws {
        let range = try #require(key.integerRange)
        for value in [range.lowerBound - 1, range.upperBound + 1] {
            let error = parseError(gossipSection("\(key.name) = \(value)"))
            #expect(error?.key == key.name)
            #expect(error?.section == "gossip")
            #expect(error?.line == 4)
            #expect(
                error?.description
                    == "t.ini:4: [gossip] \(key.name): must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(value)'"
            )
        }
    }

    @Test(
        "bad integer values",
        arguments: [
            "abc", "-5", "-0", "0x10", "1e3", "42abc", "4 2", "1.5", "+5", "4_096", "\u{0663}",
            "99999999999999999999999", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "30 # a comment that is not one",
        ])
    func badIntegers(value: String) {
        for key in Self.integerKeys {
            let error = parseError(gossipSection("\(key.name) = \(value)"))
            #expect(error?.key == key.name)
            #expect(error?.line == 4)
            #expect(error?.description.contains("[gossip] \(key.name): must be an integer from") == true)
            #expect(error?.description.contains("got '\(value)'") == true)
        }
    }

    @Test("an empty value for an integer key")
    func emptyInteger() {
        let error = parseError(gossipSection("degree ="))
        #expect(error?.key == "degree")
        #expect(error?.description == "t.ini:4: [gossip] degree: empty value")
    }

    @Test("surrounding whitespace and a ';' comment are not part of a value")
    func trimmedValues() throws {
        let loaded = try ConfigurationLoader.parse(gossipSection("degree =    42   \t"))
        #expect(loaded.configuration.degree == 42)
        // libinih only takes ';' as a comment after whitespace.
        let error = parseError(gossipSection("cache_size=7;x"))
        #expect(error?.key == "cache_size")
        #expect(error?.description.contains("got '7;x'") == true)
        let commented = try ConfigurationLoader.parse(gossipSection("cache_size = 7 ; a comment"))
        #expect(commented.configuration.cacheSize == 7)
    }

    @Test("each required key missing", arguments: ["p2p_address", "api_address"])
    func requiredMissing(key: String) {
        let text = minimalGossip.split(separator: "\n").filter { !$0.hasPrefix(key) }.joined(separator: "\n")
        let error = parseError(text)
        #expect(error?.key == key)
        #expect(error?.section == "gossip")
        #expect(error?.line == nil)
        #expect(error?.description == "t.ini: [gossip] \(key): missing (required)")
    }

    @Test func noGossipSectionAtAll() {
        let error = parseError("[rps]\napi_address = 127.0.0.1:7001\n", source: "x.ini")
        #expect(error?.key == "p2p_address")
        #expect(error?.description == "x.ini: [gossip] p2p_address: missing (required)")
        #expect(parseError("", source: "x.ini")?.description == "x.ini: [gossip] p2p_address: missing (required)")
    }

    @Test("each required key with an empty value", arguments: ["p2p_address", "api_address"])
    func requiredEmpty(key: String) {
        for empty in ["\(key) =", "\(key) =   ; only a comment", "\(key):"] {
            let text = minimalGossip.split(separator: "\n").map { $0.hasPrefix(key) ? empty : String($0) }
                .joined(separator: "\n")
            let error = parseError(text)
            #expect(error?.key == key)
            #expect(error?.line != nil)
            #expect(error?.description.contains("[gossip] \(key): empty value") == true)
        }
    }

    @Test(
        "bad listen addresses",
        arguments: [
            ("[::1", "missing ']'"),
            ("::1:7001", "an IPv6 address must be in brackets"),
            ("host:", "no port"),
            ("host", "no port"),
            (":7001", "empty host"),
            ("host:99999", "port must be an integer from 0 to 65535"),
            ("host:-1", "port must be an integer from 0 to 65535"),
            ("host:7a", "port must be an integer from 0 to 65535"),
            ("ho st:1", "contains whitespace"),
            ("[::1]x:1", "expected ':' and a port after ']'"),
        ])
    func badListenAddress(value: String, reason: String) {
        for key in ["p2p_address", "api_address"] {
            let text = "[gossip]\np2p_address = 127.0.0.1:6001\napi_address = 127.0.0.1:7001\n"
                .replacingOccurrences(of: "\(key) = 127.0.0.1:\(key == "p2p_address" ? 6001 : 7001)", with: "\(key) = \(value)")
            let error = parseError(text)
            #expect(error?.key == key)
            #expect(error?.section == "gossip")
            #expect(error?.description.contains("[gossip] \(key): \(reason)") == true)
            #expect(error?.description.contains("got '\(value)'") == true)
        }
    }

    @Test("bracketed IPv6 and host names")
    func ipv6AndHostnames() throws {
        let configuration = try ConfigurationLoader.parse(
            """
            [gossip]
            p2p_address = [2001:db8::1]:6001
            api_address = gossip.example.org:7001
            bootstrapper = [::1]:6002
            """
        ).configuration
        #expect(configuration.p2pAddress == Endpoint(host: "2001:db8::1", port: 6001))
        #expect(configuration.p2pAddress.isIPv6Literal)
        #expect(configuration.apiAddress == Endpoint(host: "gossip.example.org", port: 7001))
        #expect(configuration.bootstrappers.map(\.description) == ["[::1]:6002"])
    }

    @Test("comma-separated bootstrappers")
    func bootstrapperList() throws {
        let loaded = try ConfigurationLoader.parse(gossipSection("bootstrapper = a.example:1, 10.0.0.1:2,[::1]:3 ,b:4"))
        #expect(
            loaded.configuration.bootstrappers == [
                Endpoint(host: "a.example", port: 1), Endpoint(host: "10.0.0.1", port: 2),
                Endpoint(host: "::1", port: 3), Endpoint(host: "b", port: 4),
            ])
        #expect(loaded.warnings.isEmpty)
    }

    @Test("an empty bootstrapper means none")
    func emptyBootstrapper() throws {
        #expect(try ConfigurationLoader.parse(gossipSection("bootstrapper =")).configuration.bootstrappers == [])
    }

    @Test("the node's own address as bootstrapper is kept")
    func selfBootstrapper() throws {
        let loaded = try ConfigurationLoader.parse(gossipSection("bootstrapper = 127.0.0.1:6001"))
        #expect(loaded.configuration.bootstrappers == [loaded.configuration.p2pAddress])
    }

    @Test("a repeated bootstrapper is dropped with a warning")
    func repeatedBootstrapper() throws {
        let loaded = try ConfigurationLoader.parse(gossipSection("bootstrapper = a:1, b:2, a:1"), source: "t.ini")
        #expect(loaded.configuration.bootstrappers == [Endpoint(host: "a", port: 1), Endpoint(host: "b", port: 2)])
        #expect(loaded.warnings == ["t.ini:4: [gossip] bootstrapper: a:1 is listed twice, the repeat is ignored"])
    }

    @Test(
        "bad bootstrappers",
        arguments: [
            ("host:0", "a bootstrapper needs a port from 1 to 65535"),
            ("a:1,,b:2", "entry 2 of the list is empty"),
            ("a:1,", "entry 2 of the list is empty"),
            (",a:1", "entry 1 of the list is empty"),
            ("a:1, [::1", "missing ']'"),
            ("a:1, ::1:7001", "an IPv6 address must be in brackets"),
            ("host:", "no port"),
            (":7001", "empty host"),
            ("host:99999", "port must be an integer from 0 to 65535"),
            ("host:-1", "port must be an integer from 0 to 65535"),
            ("host:7a", "port must be an integer from 0 to 65535"),
            ("a:1 b:2", "contains whitespace"),
        ])
    func badBootstrapper(value: String, reason: String) {
        let error = parseError(gossipSection("bootstrapper = \(value)"))
        #expect(error?.key == "bootstrapper")
        #expect(error?.line == 4)
        #expect(error?.description.contains("t.ini:4: [gossip] bootstrapper: \(reason)") == true)
    }

    @Test("listen addresses may use port 0")
    func portZero() throws {
        let configuration = try ConfigurationLoader.parse(
            "[gossip]\np2p_address = 127.0.0.1:0\napi_address = [::1]:0\n"
        ).configuration
        #expect(configuration.p2pAddress.port == 0)
        #expect(configuration.apiAddress.port == 0)
    }

    @Test("unknown keys in [gossip] are warnings naming the file, the line and the key")
    func unknownKey() throws {
        let loaded = try ConfigurationLoader.parse(gossipSection("degre = 5\nFancy_Option = yes"), source: "n.ini")
        #expect(loaded.configuration.degree == 30)
        #expect(
            loaded.warnings == [
                "n.ini:4: [gossip] degre: unknown key, ignored (did you mean `degree`?)",
                "n.ini:5: [gossip] fancy_option: unknown key, ignored",
            ])
    }

    @Test("at most 100 warnings are kept, then one line counts the rest")
    func warningCap() throws {
        let unknown = (1...250).map { "unknown\($0) = x" }.joined(separator: "\n")
        let loaded = try ConfigurationLoader.parse(gossipSection(unknown), source: "t.ini")
        #expect(ConfigurationDefaults.maximumWarnings == 100)
        #expect(loaded.warnings.count == 101)
        #expect(loaded.warnings.first == "t.ini:4: [gossip] unknown1: unknown key, ignored")
        #expect(loaded.warnings[99] == "t.ini:103: [gossip] unknown100: unknown key, ignored")
        #expect(loaded.warnings.last == "t.ini: 150 more warnings not shown")
    }

    @Test("a [gossip] key outside [gossip] is a warning and has no effect")
    func gossipKeyElsewhere() throws {
        let loaded = try ConfigurationLoader.parse(
            "degree = 5\n[global]\ncache_size = 9\nother = 1\n" + minimalGossip, source: "t.ini")
        #expect(loaded.configuration.degree == 30)
        #expect(loaded.configuration.cacheSize == 50)
        #expect(
            loaded.warnings == [
                "t.ini:1: degree: belongs in [gossip], ignored here",
                "t.ini:3: [global] cache_size: belongs in [gossip], ignored here",
            ])
    }

    @Test("section and key names are case-insensitive")
    func caseInsensitive() throws {
        let folder = try TemporaryFolder()
        let hostkey = try folder.write("k.pem", "k")
        let loaded = try ConfigurationLoader.parse(
            """
            [GLOBAL]
            HostKey = \(hostkey)
            [ Gossip ]
            P2P_Address = 127.0.0.1:6001
            API_ADDRESS = 127.0.0.1:7001
            Degree = 8
            [RPS]
            degree = nonsense
            """)
        #expect(loaded.configuration.hostkeyPath == hostkey)
        #expect(loaded.configuration.degree == 8)
        #expect(loaded.warnings.isEmpty)
        let error = parseError(gossipSection("DEGREE = 4\n[GOSSIP]\ndegree = 5"))
        #expect(error?.key == "degree")
        #expect(error?.line == 6)
    }

    @Test("the embedded default parses")
    func embeddedDefault() throws {
        let loaded = try ConfigurationLoader.parse(ConfigurationLoader.embeddedDefault, source: "<embedded>")
        let configuration = loaded.configuration
        #expect(configuration.apiAddress == Endpoint(host: "127.0.0.1", port: 7001))
        #expect(configuration.p2pAddress == Endpoint(host: "127.0.0.1", port: 6001))
        #expect(configuration.bootstrappers.isEmpty)
        #expect(configuration.hostkeyPath == nil)
        #expect(configuration == NodeConfiguration(apiAddress: configuration.apiAddress, p2pAddress: configuration.p2pAddress))
        #expect(loaded.warnings.isEmpty)
    }
}

@Suite("Settings that contradict each other")
struct ConsistencyTests {
    let base = "[gossip]\np2p_address = 127.0.0.1:6001\napi_address = 127.0.0.1:7001\n"

    @Test("a PING interval at or above the peer timeout is refused, naming ping_interval_ms")
    func pingAbovePeerTimeout() {
        #expect {
            _ = try ConfigurationLoader.parse(base + "ping_interval_ms = 6000\npeer_timeout_ms = 6000\n", source: "x.ini")
        } throws: { error in
            let error = error as! ConfigurationError
            return error.key == "ping_interval_ms" && error.description.contains("below peer_timeout_ms")
        }
    }

    @Test("a degree plus slack above max_peer_connections is refused, naming degree")
    func degreeAboveLinks() throws {
        #expect {
            _ = try ConfigurationLoader.parse(base + "degree = 40\nmax_peer_connections = 30\n", source: "x.ini")
        } throws: { error in
            let error = error as! ConfigurationError
            return error.key == "degree" && error.description.contains("max_peer_connections (30)")
        }
        #expect {
            _ = try ConfigurationLoader.parse(base + "degree = 29\nmax_peer_connections = 30\n", source: "x.ini")
        } throws: { error in
            (error as! ConfigurationError).description.contains("degree_slack (2)")
        }
        _ = try ConfigurationLoader.parse(base + "degree = 28\nmax_peer_connections = 30\n", source: "x.ini")
    }

    @Test("the defaults agree with each other")
    func defaults() {
        #expect(NodeConfiguration(apiAddress: Endpoint(host: "h", port: 1), p2pAddress: Endpoint(host: "h", port: 2)).inconsistency == nil)
    }
}
