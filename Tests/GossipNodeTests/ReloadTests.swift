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

        try (original + "api_token = \(Self.token)\ndegree = 9\ncache_size = 77\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("configuration read again") }, "\(node.log)")
        #expect(node.log.contains("applied=degree, api_token") && node.log.contains("needs_restart=cache_size"), "\(node.log)")
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

    @Test("log_level: --log-level wins at start; SIGHUP applies a changed log_level at once, in both directions")
    func logLevel() throws {
        // The file says warning, the command line info: "node started" (info) shows.
        let node = try GossipdProcess(extraConfig: "log_level = warning\n")
        defer { node.kill() }
        let original = try String(contentsOfFile: node.configPath, encoding: .utf8)
        func opened() -> Int { node.log.components(separatedBy: "API connection opened").count - 1 }
        _ = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort).status()  // a debug line, not shown at info

        try original.replacingOccurrences(of: "log_level = warning", with: "log_level = DEBUG").write(
            toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("configuration read again") }, "\(node.log)")
        #expect(node.log.contains("applied=log_level"), "\(node.log)")
        #expect(opened() == 0, "nothing at debug before the reload")
        _ = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort).status()
        #expect(waitUntil { opened() == 1 }, "debug lines from now on: \(node.log)")
        let announcer = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        try announcer.announce(dataType: 77, ttl: 0, data: [1, 2, 3])
        #expect(waitUntil { node.log.contains("item received") }, "\(node.log)")
        let line = node.log.split(separator: "\n").first { $0.contains("item received") } ?? ""
        #expect(line.contains("type=77") && line.contains("size=3") && line.contains("from=api#"), "\(line)")
        #expect(line.range(of: "item=[0-9a-f]{16}", options: .regularExpression) != nil, "\(line)")
        announcer.close()

        // Down to warning: the reload's own notice no longer shows, nor do debug lines.
        try original.write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        _ = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort).status()
        try (original + "degree = banana\n").write(toFile: node.configPath, atomically: true, encoding: .utf8)
        kill(node.process.processIdentifier, SIGHUP)
        #expect(waitUntil { node.log.contains("the running configuration is unchanged") }, "an error shows: \(node.log)")
        #expect(opened() == 2, "the STATUS query and the announcer at debug, nothing after: \(node.log)")
        #expect(node.log.components(separatedBy: "configuration read again").count == 2, "the notice at warning is not shown")
        #expect(node.stop() == 0)
    }
}
