import Foundation
import Testing

@testable import GossipConfig

@Suite("Shipped files agree with the code")
struct DocumentationTests {
    @Test("configs/node.ini loads with the documented values")
    func shippedNodeConfig() throws {
        let loaded = try ConfigurationLoader.load(path: packageRoot + "/configs/node.ini")
        let configuration = loaded.configuration
        #expect(configuration.apiAddress == Endpoint(host: "127.0.0.1", port: 7001))
        #expect(configuration.p2pAddress == Endpoint(host: "127.0.0.1", port: 6001))
        #expect(configuration.cacheSize == 50)
        #expect(configuration.degree == 30)
        #expect(configuration.bootstrappers.isEmpty)
        #expect(configuration.hostkeyPath == nil)
        #expect(loaded.warnings.isEmpty)
    }

    @Test("configs/node.ini mentions every key")
    func shippedNodeConfigMentionsEveryKey() throws {
        let text = try String(contentsOfFile: packageRoot + "/configs/node.ini", encoding: .utf8)
        for key in ConfigurationKey.allCases {
            #expect(text.contains("\(key.name) ="), "\(key.name)")
        }
    }

    @Test("docs/configuration.md holds the key table generated from ConfigurationKey")
    func documentationTable() throws {
        let text = try String(contentsOfFile: packageRoot + "/docs/configuration.md", encoding: .utf8)
        #expect(text.contains(ConfigurationKey.markdownTable))
        #expect(text.contains(NetworkProfile.markdownTable), "the profiles' table")
        #expect(text.contains("\(ConfigurationDefaults.maximumFileBytes)"))
        #expect(text.contains("\(ConfigurationDefaults.maximumLineBytes)"))
    }

    @Test("the table lists every key once, with its default and range")
    func table() {
        let rows = ConfigurationKey.markdownTable.split(separator: "\n")
        #expect(rows.count == ConfigurationKey.allCases.count + 2)
        #expect(rows.contains("| `degree` | [gossip] | 30 | integer 1 to 1000 | How many peers the node keeps as neighbours (active links); items travel only on these. |"))
        #expect(rows.contains { $0.hasPrefix("| `hostkey` | top level, [global], [gossip] | none |") })
        #expect(rows.contains { $0.hasPrefix("| `api_address` | [gossip] | required | host:port, port 0 to 65535 |") })
    }
}
