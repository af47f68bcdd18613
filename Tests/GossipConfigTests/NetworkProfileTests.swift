import Testing

@testable import GossipConfig

@Suite("Network profiles")
struct NetworkProfileTests {
    @Test("without profile, or with profile = lan, every timing key keeps its default")
    func lanIsTheDefaults() throws {
        let plain = try ConfigurationLoader.parse(minimalGossip).configuration
        let lan = try ConfigurationLoader.parse(gossipSection("profile = lan")).configuration
        #expect(plain.profile == .lan)
        #expect(lan.profile == .lan)
        #expect(lan == plain)
        for key in NetworkProfile.keys {
            #expect(key.value(in: lan) == String(key.integerDefault ?? -1), "\(key.name)")
        }
    }

    @Test("a profile sets each of its keys to its own value", arguments: [NetworkProfile.wan, .local])
    func profileSetsItsKeys(profile: NetworkProfile) throws {
        let configuration = try ConfigurationLoader.parse(gossipSection("profile = \(profile.rawValue)")).configuration
        #expect(configuration.profile == profile)
        for key in NetworkProfile.keys {
            let value = try #require(profile.value(of: key), "\(profile) sets \(key.name)")
            #expect(key.value(in: configuration) == String(value), "\(key.name)")
            #expect(key.integerRange?.contains(value) == true, "\(key.name) within its range")
        }
        // Keys outside the profile keep their defaults.
        #expect(configuration.degree == ConfigurationDefaults.degree)
        #expect(configuration.validationTimeoutMilliseconds == ConfigurationDefaults.validationTimeoutMilliseconds)
        #expect(configuration.inconsistency == nil)
    }

    @Test("the values the documentation gives")
    func documentedValues() throws {
        let wan = try ConfigurationLoader.parse(gossipSection("profile = wan")).configuration
        #expect(wan.pingIntervalMilliseconds == 5000 && wan.peerTimeoutMilliseconds == 20_000)
        #expect(wan.graftTimeoutMilliseconds == 1000 && wan.ihaveIntervalMilliseconds == 500)
        let local = try ConfigurationLoader.parse(gossipSection("profile = local")).configuration
        #expect(local.pingIntervalMilliseconds == 1000 && local.peerTimeoutMilliseconds == 3000)
        #expect(local.gossipIntervalMilliseconds == 500 && local.graftTimeoutMilliseconds == 100)
    }

    @Test("a key set in the file wins over the profile, before or after the profile's line")
    func explicitKeyWins() throws {
        let after = try ConfigurationLoader.parse(gossipSection("profile = wan\nping_interval_ms = 3000")).configuration
        let before = try ConfigurationLoader.parse(gossipSection("ping_interval_ms = 3000\nprofile = wan")).configuration
        for configuration in [after, before] {
            #expect(configuration.pingIntervalMilliseconds == 3000)
            #expect(configuration.peerTimeoutMilliseconds == 20_000, "the profile's other keys still apply")
        }
        // A key set to the plain default is still the file's own choice.
        let atDefault = try ConfigurationLoader.parse(gossipSection("profile = wan\ngraft_timeout_ms = 250")).configuration
        #expect(atDefault.graftTimeoutMilliseconds == 250)
    }

    @Test("the name is taken in any case; anything else is an error naming the profiles")
    func names() throws {
        #expect(try ConfigurationLoader.parse(gossipSection("profile = WAN")).configuration.profile == .wan)
        let error = parseError(gossipSection("profile = internet"))
        #expect(error?.key == "profile")
        #expect(error?.problem == "must be one of lan, wan, local, got 'internet'")
    }

    @Test("a key that contradicts the profile's values says where they came from")
    func contradictionNamesTheProfile() throws {
        // wan pings after 5 s: a peer timeout of 4 s would close links first.
        let error = parseError(gossipSection("profile = wan\npeer_timeout_ms = 4000"))
        #expect(error?.key == "ping_interval_ms")
        #expect(error?.problem.contains("profile wan sets the timing keys the file leaves out") == true)
    }

    @Test("the effective value of a key is the profile's or the key's default")
    func effectiveDefault() {
        #expect(NetworkProfile.wan.effectiveDefault(of: .pingIntervalMilliseconds) == 5000)
        #expect(NetworkProfile.wan.effectiveDefault(of: .degree) == ConfigurationDefaults.degree)
        #expect(NetworkProfile.lan.effectiveDefault(of: .graftTimeoutMilliseconds) == ConfigurationDefaults.graftTimeoutMilliseconds)
    }
}
