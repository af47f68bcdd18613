import Foundation
import Testing

@testable import GossipNode

@Suite("JSON log lines")
struct JSONLogTests {
    @Test("strings are escaped so every line is one valid JSON object")
    func escaping() throws {
        let nasty = "quote \" backslash \\ newline \n tab \t bell \u{7} é"
        let json = "{\"message\":\(JSONLogHandler.quoted(nasty))}"
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(object?["message"] == nasty)
        #expect(!JSONLogHandler.quoted(nasty).contains("\n"), "one line")
    }

    @Test("gossipd --log-format json writes one JSON object per line, with the event's metadata")
    func gossipdWritesJSON() throws {
        let node = try GossipdProcess(shell: "exec \"$0\" --config \"$1\" --log-format json")
        defer { node.kill() }
        #expect(node.stop() == 0)
        let lines = node.log.split(separator: "\n")
        #expect(lines.count >= 3, "node started, the signal, node stopped")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object?["level"] != nil && object?["time"] != nil && object?["message"] != nil, "\(line)")
        }
        let started = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
            .first { $0["message"] == "node started" }
        #expect(started?["api"]?.hasPrefix("127.0.0.1:") == true, "metadata becomes fields")
    }
}
