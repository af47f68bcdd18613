import Foundation
import GossipClient
import GossipConfig
import GossipCore
import GossipNode
import GossipWire
import Testing

/// Who may use the API: `api_allow` (client networks) and `api_token` (a secret sent first).
@Suite("API access control", .serialized)
struct AccessControlTests {
    static let token = "correct-horse-battery-staple"

    @Test("a client outside api_allow is closed and counted; one inside, and the Unix socket, are served")
    func allowlist() throws {
        try withNode(configure: { $0.apiAllow = [NetworkPrefix("10.0.0.0/8")!, NetworkPrefix("::1")!] }) { node in
            let outsider = try node.connect()
            #expect(outsider.waitForClose(), "127.0.0.1 is not in 10.0.0.0/8 or ::1")
            #expect(waitUntil { node.statistics.closed(.notAllowed) == 1 })
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("acl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("api.sock").path
        try withNode(configure: {
            $0.apiAllow = [NetworkPrefix("127.0.0.0/8")!]
            $0.apiSocketPath = path
        }) { node in
            let insider = try node.connect()
            #expect(try insider.status().count > 2)
            let local = try GossipAPIClient(unixPath: path)
            #expect(try local.status().count > 2, "the socket is governed by its file mode, not api_allow")
            #expect(node.statistics.closed(.notAllowed) == 0)
        }
    }

    @Test("with api_token, a client must send the token first: nothing, a wrong one or a late one closes it; the right one is served")
    func token() throws {
        try withNode(configure: { $0.apiToken = Self.token }) { node in
            let silent = try node.connect()
            try silent.notify(dataType: 9)
            #expect(silent.waitForClose(), "a NOTIFY before the token")
            let wrong = try node.connect()
            try wrong.present(token: "not-the-right-token-at-all")
            #expect(wrong.waitForClose())
            let asking = try node.connect()
            try asking.sendRaw(APIMessage.statusRequest(.full).encoded())
            #expect(asking.waitForClose(), "STATUS is not answered before the token either")
            #expect(waitUntil { node.statistics.closed(.unauthorized) == 3 })
            #expect(node.subscriberCount(of: 9) == 0)

            let subscriber = try node.connect()
            try subscriber.present(token: Self.token)
            try subscriber.notify(dataType: 9)
            #expect(waitUntil { node.subscriberCount(of: 9) == 1 })
            let announcer = try node.connect()
            try announcer.present(token: Self.token)
            try announcer.announce(dataType: 9, ttl: 0, data: [9])
            #expect(try subscriber.expectNotification().data == [9])
            #expect(try announcer.status().count > 2)
        }
        try withNode { node in
            let client = try node.connect()
            try client.present(token: Self.token)
            #expect(try client.status().count > 2, "a node without a token ignores one")
        }
    }

    @Test("gossip --token or --token-file (or GOSSIP_API_TOKEN) reaches a node that requires it; without it the node closes the connection")
    func commandLine() throws {
        try withNode(configure: { $0.apiToken = Self.token }) { node in
            let cli = CommandLineTests()
            let api = "127.0.0.1:\(node.apiPort)"
            let with = try cli.run("gossip", ["status", "--api", api, "--token", Self.token, "--json"])
            #expect(with.status == 0 && with.output.contains(node.identity.hex), "\(with.error)")
            let without = try cli.run("gossip", ["status", "--api", api])
            #expect(without.status == 1)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID())").path
            try (Self.token + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let fromFile = try cli.run("gossip", ["status", "--api", api, "--token-file", file, "--json"])
            #expect(fromFile.status == 0 && fromFile.output.contains(node.identity.hex), "\(fromFile.error)")
            let missing = try cli.run("gossip", ["status", "--api", api, "--token-file", file + ".missing"])
            #expect(missing.status == 1 && missing.error.contains("--token-file"))
        }
    }
}
