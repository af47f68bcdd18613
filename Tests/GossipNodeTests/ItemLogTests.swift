import GossipClient
import GossipConfig
import GossipCore
import GossipWire
import Logging
import Synchronization
import Testing

@testable import GossipNode

@Suite("Item lines in the log", .serialized)
struct ItemLogTests {
    struct LoggedNode {
        let node: Node
        let log: RecordingLogHandler
        var configuration: NodeConfiguration
    }

    /// A node whose logger asks a `LogLevelSwitch` at `info`, as gossipd's do.
    func start(bootstrap: Node? = nil) throws -> LoggedNode {
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        TestNetwork.shortIntervals(&configuration)
        if let bootstrap { configuration.bootstrappers = [Endpoint(host: "127.0.0.1", port: bootstrap.p2pPort)] }
        let recorder = RecordingLogHandler()
        let logger = Logger(label: "item-log") { _ in SwitchedLogHandler(recorder, levelSwitch: LogLevelSwitch(.info)) }
        let node = try Node(configuration: configuration, logger: logger)
        try node.start()
        return LoggedNode(node: node, log: recorder, configuration: configuration)
    }

    @Test("at info no item lines; after a reload to debug one item can be followed by its ID from module to module across two nodes")
    func followOneItem() throws {
        let a = try start()
        defer { a.node.stop() }
        let b = try start(bootstrap: a.node)
        defer { b.node.stop() }
        try #require(waitUntil { a.node.establishedPeerCount == 1 && b.node.establishedPeerCount == 1 })
        let subscriber = try b.node.subscriber(of: 4711)
        let silent = try b.node.subscriber(of: 4712)  // never answers: its item times out
        let announcer = try a.node.connect()

        try announcer.announce(dataType: 4711, ttl: 0, data: Array("at info".utf8))
        guard case .notification(let first) = try subscriber.receive() else { throw TestFailure.unexpected }
        try subscriber.validate(messageID: first.messageID, isValid: true)
        #expect(waitUntil { b.node.pendingValidations == 0 })
        for node in [a, b] {
            #expect(node.log.lines.withLock { $0.allSatisfy { $0.metadata["item"] == nil } }, "no item lines at info")
        }

        for var node in [a, b] {
            node.configuration.logLevel = "debug"
            #expect(node.node.reload(node.configuration).applied == ["log_level"])
        }
        try announcer.announce(dataType: 4711, ttl: 0, data: Array("at debug".utf8))
        guard case .notification(let second) = try subscriber.receive() else { throw TestFailure.unexpected }
        try subscriber.validate(messageID: second.messageID, isValid: false)
        let received = try #require(waitUntil { !a.log.messages("item received").isEmpty } ? a.log.messages("item received").first : nil)
        let item = try #require(received.metadata["item"])
        #expect(item.count == 16 && received.metadata["from"]?.hasPrefix("api#") == true && received.metadata["type"] == "4711")
        #expect(received.metadata["size"] == "8")
        #expect(waitUntil { b.log.about(item).contains { $0.message == "item validated" } }, "\(b.log.about(item).map(\.message))")
        #expect(a.log.about(item).map(\.message) == ["item received", "item forwarded"])
        let onB = b.log.about(item)
        #expect(onB.map(\.message) == ["item received", "item delivered", "item validated"])
        #expect(onB.first?.metadata["peer"] == "\(a.node.identity)" && onB.first?.metadata["from"]?.hasPrefix("peer#") == true)
        #expect(onB.last?.metadata["valid"] == "false" && onB.last?.metadata["outcome"] == "dropped_invalid")

        try announcer.announce(dataType: 4712, ttl: 0, data: [1])
        guard case .notification = try silent.receive() else { throw TestFailure.unexpected }
        #expect(waitUntil(timeout: .seconds(5)) { !b.log.messages("item validation timed out").isEmpty })
        let timedOut = try #require(b.log.messages("item validation timed out").first?.metadata["item"])
        #expect(b.log.about(timedOut).first?.message == "item received", "the same ID as at first sight")
        #expect(a.log.about(timedOut).first?.metadata["from"]?.hasPrefix("api#") == true, "and as at the origin")
    }
}
