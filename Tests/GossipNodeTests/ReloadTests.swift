import Foundation
import GossipClient
import Testing

/// SIGHUP: gossipd reads its configuration file again (issue 9's live reload, in part).
@Suite("Reload on SIGHUP", .serialized)
struct ReloadTests {
    static let token = "correct-horse-battery-staple"

    @Test("SIGHUP applies a new api_token and degree at once, names what needs a restart, and a broken file changes nothing")
    func reload() throws {
        let node = try GossipdProcess()
        defer { node.kill() }
        let original = try String(contentsOfFile: node.configPath, encoding: .utf8)
        #expect(try GossipAPIClient(host: "127.0.0.1", port: node.apiPort).status().count > 2, "no token yet")

        try (original + "api_token = \(Self.token)\ndegree = 9\nseen_capacity = 77\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("configuration read again") }, "\(node.log)")
        #expect(node.log.contains("applied=degree, api_token") && node.log.contains("needs_restart=seen_capacity"), "\(node.log)")
        let without = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        try without.sendRaw([0, 4, 0x02, 0x06])  // a STATUS request, no token
        #expect(without.waitForClose(), "the token is required from now on")
        let with = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        try with.present(token: Self.token)
        #expect(try with.status().count > 2)

        try (original + "degree = banana\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("the running configuration is unchanged") }, "\(node.log)")
        let still = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        try still.present(token: Self.token)
        #expect(try still.status().count > 2, "the token from the last good file still holds")
        #expect(node.process.isRunning, "SIGHUP never stops the node")
        #expect(node.stop() == 0)
    }

    @Test("gossip reload (POST /reload on admin_address) applies a new degree, and a broken file changes nothing and exits 1")
    func reloadOverAdmin() throws {
        let node = try GossipdProcess(extraConfig: "admin_address = 127.0.0.1:0\n")
        defer { node.kill() }
        let port = try #require(node.adminPort, "\(node.log)")
        let original = try String(contentsOfFile: node.configPath, encoding: .utf8)
        let cli = CommandLineTests()

        try (original + "degree = 9\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        let applied = try cli.run("gossip", ["reload", "--admin", "127.0.0.1:\(port)"])
        #expect(applied.status == 0 && applied.output.contains("applied degree"), "\(applied)")
        #expect(node.log.contains("admin /reload: configuration read again"), "\(node.log)")
        #expect(node.log.contains("applied=degree"), "\(node.log)")

        try (original + "degree = banana\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        let refused = try cli.run("gossip", ["reload", "--admin", "127.0.0.1:\(port)"])
        #expect(refused.status == 1 && refused.error.contains("the running configuration is unchanged"), "\(refused)")
        let metrics = try AdminClient(host: "127.0.0.1", port: port).request("GET", "/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("gossip_announces_received_total 0"))
        #expect(node.stop() == 0)
    }
}
