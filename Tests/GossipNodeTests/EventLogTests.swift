import GossipClient
import GossipConfig
import GossipCore
import GossipWire
import Logging
import Testing

@testable import GossipNode

/// One line at info per event that matters to an operator, and none for routine queries.
@Suite("Event lines in the log", .serialized)
struct EventLogTests {
    @Test("a module's arrival and end are one info line each, with the reason; a STATUS query logs nothing at info")
    func moduleConnectedAndGone() throws {
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        configuration.identityWorkBits = 0
        let recorder = RecordingLogHandler()
        let logger = Logger(label: "events") { _ in SwitchedLogHandler(recorder, levelSwitch: LogLevelSwitch(.info)) }
        let node = try Node(configuration: configuration, logger: logger)
        try node.start()
        defer { node.stop() }
        func infoLines() -> [RecordingLogHandler.Line] { recorder.lines.withLock { $0.filter { $0.level >= .info } } }
        let before = infoLines().count

        _ = try node.connect().status()
        let module = try node.subscriber(of: 9)
        #expect(waitUntil { !recorder.messages("module connected").isEmpty })
        module.close()
        #expect(waitUntil { !recorder.messages("module gone").isEmpty })
        let bad = try node.subscriber(of: 9)
        try bad.sendRaw([0, 8, 0x01, 0xF6, 0, 0, 0, 0])  // a NOTIFICATION from a module: closed
        #expect(waitUntil { recorder.messages("module gone").count == 2 })

        let lines = infoLines().dropFirst(before)
        #expect(lines.map(\.message).filter { $0 != "closing api connection: notification_from_module" } == [
            "module connected", "module gone", "module connected", "module gone",
        ], "nothing for the STATUS query: \(lines.map(\.message))")
        let gone = recorder.messages("module gone")
        #expect(gone.first?.metadata["reason"] == "closed by the module" && gone.first?.metadata["messages_in"] == "1")
        #expect(gone.last?.metadata["reason"] == "notification_from_module")
        #expect(gone.allSatisfy { $0.metadata["connection"]?.hasPrefix("api#") == true && $0.metadata["remote"] != nil })
    }
}
