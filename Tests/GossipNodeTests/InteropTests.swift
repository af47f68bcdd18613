import Foundation
import GossipClient
import GossipWire
import Testing

/// `docs/interop/`: a peer written in Python from docs/protocol.md alone, against a real gossipd.
/// These keep the document and the node in step: a change to the wire that the document does not
/// follow breaks the handshake, the item ID check or the sealed frames here.
@Suite("Interoperation with a peer written from protocol.md")
struct InteropTests {
    static let folder = CommandLineTests.packageRoot.appendingPathComponent("docs/interop")

    /// Python 3 with the `cryptography` package, which the peer needs; without it these tests
    /// are skipped (and say so), as on a machine without Python.
    static let pythonReady: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import cryptography"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// Runs `python3 docs/interop/<script> arguments`, its standard error going to `log`.
    static func python(_ script: String, _ arguments: [String], log: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", folder.appendingPathComponent(script).path] + arguments
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = try FileHandle(forWritingTo: log)
        try process.run()
        return process
    }

    @Test("the document's examples (item IDs, an AUTH's signed bytes and work, link keys, sealed frames, a link weight) come out of its text", .enabled(if: pythonReady, "needs python3 with the cryptography package"))
    func examples() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let log = scratch.appendingPathComponent("vectors.txt")
        let process = try Self.python("vectors.py", [], log: log)
        process.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "vectors.py:\n\(output)")
        #expect(output.components(separatedBy: " ok").count - 1 == 14, "fourteen examples checked:\n\(output)")
        // Each value vectors.py computed is the one the document prints (spaces and backticks
        // aside), so a change to the document's examples cannot pass unnoticed.
        let document = try String(contentsOf: CommandLineTests.packageRoot.appendingPathComponent("docs/protocol.md"), encoding: .utf8)
            .filter { !$0.isWhitespace && $0 != "`" }
        for line in output.split(separator: "\n") where line.hasSuffix(" ok") {
            let value = line.split(separator: " ").dropLast().last.map(String.init) ?? ""
            #expect(value.count >= 32 && document.contains(value), "\(line) is in docs/protocol.md")
        }
    }

    @Test(
        "the Python peer links up with gossipd, gets a module's item, and its own item reaches a subscribed module",
        .enabled(if: pythonReady, "needs python3 with the cryptography package"))
    func peerExchangesItems() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let ini = scratch.appendingPathComponent("node.ini")
        // Encrypted links, as by default; no identity work, which Python would take seconds to find.
        try "[gossip]\napi_address = 127.0.0.1:0\np2p_address = 127.0.0.1:0\nidentity_work_bits = 0\n".write(to: ini, atomically: true, encoding: .utf8)
        let node = try RunningDaemon.start(ini: ini, log: scratch.appendingPathComponent("node.log"))
        defer { node.stop() }

        let subscriber = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        defer { subscriber.close() }
        try subscriber.notify(dataType: 4242)
        let announcer = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
        defer { announcer.close() }
        // Let the node take the NOTIFY before the peer's item can arrive.
        #expect(announcer.staysQuiet(for: .milliseconds(100)))

        let peerData = Array("from the python peer".utf8)
        let moduleData = Array("from a module".utf8)
        let log = scratch.appendingPathComponent("peer.log")
        let peer = try Self.python(
            "peer.py",
            [
                "dial", "127.0.0.1:\(node.p2pPort)", "--work-bits", "0", "--key", scratch.appendingPathComponent("key.pem").path,
                "--hold", "30", "--send", "4242:\(hex(peerData))", "--send-after", "0.2", "--until-received", "1",
            ], log: log)
        defer { if peer.isRunning { peer.terminate() }; peer.waitUntilExit() }
        func peerLog() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        let active = waitUntil(timeout: .seconds(20)) { peerLog().contains("link ACTIVE") || !peer.isRunning }
        try #require(active && peer.isRunning, "the peer's link became active:\n\(peerLog())")
        try announcer.announce(dataType: 4343, ttl: 3, data: moduleData)

        // The peer's own ITEM, validated by the subscriber like any other.
        let notification = try subscriber.expectNotification(timeout: .seconds(10))
        #expect(notification.dataType == 4242 && notification.data == peerData)
        try subscriber.validate(messageID: notification.messageID, isValid: true)

        #expect(waitUntil(timeout: .seconds(20)) { !peer.isRunning }, "the peer ends once it has the module's item")
        let text = peerLog()
        #expect(text.contains("type 4343 data \(hex(moduleData))"), "the peer got the module's item:\n\(text)")
        #expect(text.contains("id_check=OK") && !text.contains("MISMATCH"), "its ID checked out:\n\(text)")
        #expect(peer.terminationStatus == 0, "peer.py exit status:\n\(text)")
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
