import Foundation
import GossipCore
import GossipClient
import GossipConfig
import GossipNode
import GossipWire
import Logging
import Testing

/// `record_file` / `gossipd --record` and `gossip replay`: what a node takes in is written to a
/// recording, and replaying it into another node delivers the same items.
@Suite("Record and replay")
struct RecordReplayTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString.prefix(8))-\(name)").path
    }

    /// The records of the recording at `path`, and what its decoder said at the end.
    static func records(at path: String) throws -> (records: [ItemRecording.Record], error: ItemRecording.FormatError?) {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var decoder = ItemRecording.Decoder()
        decoder.append(bytes)
        var records: [ItemRecording.Record] = []
        do {
            while let record = try decoder.next() { records.append(record) }
            try decoder.finish()
            return (records, nil)
        } catch {
            return (records, error)
        }
    }

    /// A recording of `count` items of one byte each (0, 1, ...), of data types 7 and 8 in turn.
    static func recording(of count: Int) -> [UInt8] {
        var bytes = ItemRecording.header
        for index in 0..<count {
            ItemRecording.Record(
                unixNanoseconds: UInt64(index), outcome: 1, source: .module(1), id: ItemID(high: 0, low: UInt64(index)), ttl: 0,
                dataType: UInt16(7 + index % 2), data: [UInt8(index)]
            ).encode(into: &bytes)
        }
        return bytes
    }

    /// Runs `body` with a started node recording to `path` whose log lines are kept, then stops it.
    static func withLoggedNode<R>(recording path: String, _ body: (Node, RecordingLogHandler) throws -> R) throws -> R {
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        configuration.identityWorkBits = 0
        configuration.recordPath = path
        let log = RecordingLogHandler()
        let node = try Node(configuration: configuration, logger: Logger(label: "record-test") { _ in log })
        try node.start()
        defer { node.stop() }
        return try body(node, log)
    }

    /// An item as a subscriber sees it.
    struct Item: Hashable, CustomStringConvertible {
        var dataType: UInt16
        var data: [UInt8]
        var description: String { "\(dataType):\(String(decoding: data, as: UTF8.self))" }
    }

    @Test("record on one node while items are announced there and reach it from a peer; replay into a fresh node: the same items")
    func roundTrip() throws {
        let path = Self.temporaryPath("round-trip.rec")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var announced: [Item] = []
        do {
            let network = TestNetwork()
            let recording = try network.add { $0.recordPath = path }
            let peer = try network.add(bootstrap: recording)
            #expect(waitUntil(timeout: .seconds(10)) { recording.establishedPeerCount > 0 && peer.establishedPeerCount > 0 }, "\(network.links)")
            let tap = recording.itemObservers.attach(capacity: 1000) { $0.outcome.isFirstSight }
            let local = try recording.connect(), remote = try peer.connect()
            for index in 0..<5 {
                let item = Item(dataType: 1337, data: Array("local \(index)".utf8))
                try local.announce(dataType: item.dataType, ttl: 0, data: item.data)
                announced.append(item)
            }
            for index in 0..<5 {
                let item = Item(dataType: UInt16(40 + index % 2), data: Array("from a peer \(index)".utf8))
                try remote.announce(dataType: item.dataType, ttl: 3, data: item.data)
                announced.append(item)
            }
            var seen = 0
            while seen < announced.count, tap.next(timeout: .seconds(5)) != nil { seen += 1 }
            #expect(seen == announced.count, "the recording node took in every item")
            recording.itemObservers.detach(tap)
            recording.stop()  // flushes the recording
        }

        let (records, error) = try Self.records(at: path)
        #expect(error == nil)
        #expect(Set(records.map { Item(dataType: $0.dataType, data: $0.data) }) == Set(announced))
        let fromModule = records.filter { if case .module = $0.source { true } else { false } }
        #expect(fromModule.count == 5 && fromModule.allSatisfy { $0.outcome == ItemObservation.Outcome.announced.rawValue && $0.ttl == 0 })
        let fromPeer = records.filter { if case .peer(_, .some) = $0.source { true } else { false } }
        #expect(fromPeer.count == 5 && fromPeer.allSatisfy { $0.outcome == ItemObservation.Outcome.relayedUnvalidated.rawValue && $0.ttl == 3 })
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.unixNanoseconds <= $1.unixNanoseconds }, "in the order taken in")

        try withNode { fresh in
            let subscribers = try [1337, 40, 41].map { try fresh.subscriber(of: UInt16($0)) }
            let result = try CommandLineTests().run("gossip", ["replay", path, "--api", "127.0.0.1:\(fresh.apiPort)"])
            #expect(result.status == 0, "\(result.error)")
            #expect(result.error.contains("replayed 10 items"), "\(result.error)")
            var delivered: [Item] = []
            for (subscriber, count) in zip(subscribers, [5, 3, 2]) {
                for _ in 0..<count {
                    let notification = try subscriber.expectNotification()
                    delivered.append(Item(dataType: notification.dataType, data: notification.data))
                    try subscriber.validate(messageID: notification.messageID, isValid: true)
                }
                #expect(subscriber.staysQuiet(for: .milliseconds(50)))
            }
            #expect(delivered.sorted { $0.description < $1.description } == announced.sorted { $0.description < $1.description })
        }
    }

    @Test("replay --type sends only those types; a recording cut off inside a record is replayed up to there, then reported (exit 1)")
    func filterAndTruncation() throws {
        let path = Self.temporaryPath("cut.rec")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(Self.recording(of: 4).dropLast()).write(to: URL(fileURLWithPath: path))
        try withNode { node in
            let subscriber = try node.subscriber(of: 7)
            let other = try node.subscriber(of: 8)
            let result = try CommandLineTests().run("gossip", ["replay", path, "--type", "7", "--api", "127.0.0.1:\(node.apiPort)"])
            #expect(result.status == 1)
            let damage = "damaged record at byte \(ItemRecording.headerSize + 3 * 83), after 3 good records: the file ends inside it, 82 bytes after its start"
            #expect(result.error.hasPrefix("Error: \(path): \(damage); replayed 2 items"), "\(result.error)")
            #expect(result.error.contains("1 of other types skipped"), "\(result.error)")
            #expect(try subscriber.expectNotification().data == [0])
            #expect(try subscriber.expectNotification().data == [2])
            #expect(other.staysQuiet(for: .milliseconds(100)))
        }
    }

    @Test("a recording torn inside a middle or the last record (zeros, random bytes, a flipped bit) is replayed up to its last good record, then the damage is reported (exit 1)")
    func replayDamaged() throws {
        let path = Self.temporaryPath("torn.rec")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let original = Self.recording(of: 5)
        let recordSize = 4 + 4 + ItemRecording.itemFixedSize + 1
        func start(_ record: Int) -> Int { ItemRecording.headerSize + record * recordSize }
        var generator = SeededRandom(seed: 7)
        func torn(from cut: Int, random: Bool) -> [UInt8] {
            var bytes = original
            for index in cut..<bytes.count { bytes[index] = random ? UInt8(truncatingIfNeeded: generator.next()) : 0 }
            return bytes
        }
        var flipped = original
        flipped[start(3) + 50] ^= 0x10  // record 3 only: records 0-2 good, 4 good but after the damage
        let cases: [(bytes: [UInt8], good: Int, damage: String)] = [
            (torn(from: start(2) + 10, random: false), 2, "checksum mismatch"),
            (torn(from: start(2) + 2, random: true), 2, ""),
            (torn(from: start(4) + recordSize - 1, random: false), 4, "checksum mismatch"),
            (torn(from: start(4) + 6, random: true), 4, ""),
            (torn(from: start(4), random: false), 4, "length 0 out of bounds (5 to 1048576)"),
            (original + Array(repeating: 0, count: 4001), 5, "length 0 out of bounds (5 to 1048576)"),
            (flipped, 3, "checksum mismatch"),
        ]
        try withNode { node in
            let subscribers = try [node.subscriber(of: 7), node.subscriber(of: 8)]
            for (bytes, good, damage) in cases {
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let result = try CommandLineTests().run("gossip", ["replay", path, "--api", "127.0.0.1:\(node.apiPort)"])
                #expect(result.status == 1)
                #expect(result.error.hasPrefix("Error: \(path): damaged record at byte \(start(good)), after \(good) good records: \(damage)"), "\(result.error)")
                #expect(result.error.contains("; replayed \(good) items"), "\(result.error)")
                for index in 0..<good {
                    let notification = try subscribers[index % 2].expectNotification()
                    #expect(notification.data == [UInt8(index)])
                    try subscribers[index % 2].validate(messageID: notification.messageID, isValid: true)
                }
                for subscriber in subscribers { #expect(subscriber.staysQuiet(for: .milliseconds(50)), "nothing after the damage") }
            }
        }
    }

    @Test("replay refuses a file that is not a recording, or of a newer version, before sending anything (exit 1)")
    func refusedFiles() throws {
        let cli = CommandLineTests()
        let text = Self.temporaryPath("text.rec")
        let newer = Self.temporaryPath("newer.rec")
        defer {
            try? FileManager.default.removeItem(atPath: text)
            try? FileManager.default.removeItem(atPath: newer)
        }
        try "hello, not a recording\n".write(toFile: text, atomically: true, encoding: .utf8)
        try Data(Array("GOSSIPRC".utf8) + [0, 0, 0, 9]).write(to: URL(fileURLWithPath: newer))
        // Port 1: nothing listens there, so an attempt to connect would fail differently.
        let notRecording = try cli.run("gossip", ["replay", text, "--api", "127.0.0.1:1"])
        #expect(notRecording.status == 1)
        #expect(notRecording.error == "Error: \(text): not a gossip recording (a recording begins with \"GOSSIPRC\")\n")
        let newerVersion = try cli.run("gossip", ["replay", newer, "--api", "127.0.0.1:1"])
        #expect(newerVersion.status == 1)
        #expect(newerVersion.error.contains("format version 9; this build reads version 1"), "\(newerVersion.error)")
        let missing = try cli.run("gossip", ["replay", text + ".absent", "--api", "127.0.0.1:1"])
        #expect(missing.status == 1 && missing.error.contains("cannot read"))
        let usage = try cli.run("gossip", ["replay", text, "--rate", "0"])
        #expect(usage.status == 64)
    }

    @Test("a recording is appended to across runs; a tail torn by a crash is moved to a side file first")
    func appendAcrossRuns() throws {
        let path = Self.temporaryPath("runs.rec")
        defer { ItemRecorderTests.remove(path) }
        for run in 0..<2 {
            try withNode(configure: { $0.recordPath = path }) { node in
                let tap = node.itemObservers.attach(capacity: 10)
                let announcer = try node.connect()
                try announcer.announce(dataType: 3, ttl: 0, data: [UInt8(run)])
                #expect(tap.next(timeout: .seconds(5)) != nil)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([0, 0, 0, 200, 1, 2, 3]))  // a record cut off
            try handle.close()
        }
        let (records, error) = try Self.records(at: path)
        #expect(records.map(\.data) == [[0], [1]])
        let ends = [1, 2].map { ItemRecording.headerSize + $0 * (4 + 4 + ItemRecording.itemFixedSize + 1) }
        #expect(error == .damagedRecord(offset: UInt64(ends[1]), records: 2, damage: .cutOff(bytes: 7)))
        #expect(ItemRecorderTests.sideFiles(of: path) == ["\(path).damaged-\(ends[0])"], "the first run's torn tail, moved aside by the second")
    }

    @Test("a recording that ends in zero bytes (a power loss on ext4/xfs) is cut back to its last good record at start, with a warning")
    func zeroFilledTailCutAtStart() throws {
        let path = Self.temporaryPath("zeros.rec")
        defer { ItemRecorderTests.remove(path) }
        let bytes = Self.recording(of: 2)
        try Data(bytes + Array(repeating: 0, count: 4096)).write(to: URL(fileURLWithPath: path))
        try Self.withLoggedNode(recording: path) { node, log in
            let warning = log.messages(ItemRecorderTests.zerosMessage)
            #expect(warning.count == 1 && warning.first?.metadata["bytes_cut"] == "4096" && warning.first?.level == .warning, "\(warning)")
            #expect(log.messages("recording items").first?.metadata["records_before"] == "2")
            let tap = node.itemObservers.attach(capacity: 10)
            try node.connect().announce(dataType: 3, ttl: 0, data: [42])
            #expect(tap.next(timeout: .seconds(5)) != nil)
        }
        let (records, error) = try Self.records(at: path)
        #expect(error == nil)
        #expect(records.map(\.data) == [[0], [1], [42]], "the new record follows the old ones, the zeros gone")
        #expect(ItemRecorderTests.sideFiles(of: path).isEmpty, "zeros hold nothing to keep")

        // Zeros followed by a non-zero byte: the node starts all the same, the bytes from the damage on moved aside.
        let tail: [UInt8] = Array(repeating: 0, count: 4096) + [1] + Array(repeating: 0, count: 10)
        try Data(bytes + tail).write(to: URL(fileURLWithPath: path))
        try Self.withLoggedNode(recording: path) { _, log in
            let warning = log.messages(ItemRecorderTests.damagedMessage)
            #expect(warning.count == 1 && warning.first?.metadata["bytes_cut"] == "\(tail.count)", "\(warning)")
            #expect(warning.first?.metadata["damage"] == "length 0 out of bounds (5 to 1048576)", "\(warning)")
        }
        let kept = try Self.records(at: path)
        #expect(kept.error == nil && kept.records.map(\.data) == [[0], [1]])
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(path).damaged-\(bytes.count)"))) == tail)
    }

    @Test("a second node recording to the same file does not start: the file is locked while recorded")
    func oneRecorderPerFile() throws {
        let path = Self.temporaryPath("shared.rec")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try withNode(configure: { $0.recordPath = path }) { first in
            let tap = first.itemObservers.attach(capacity: 10)
            try first.connect().announce(dataType: 3, ttl: 0, data: [1])
            #expect(tap.next(timeout: .seconds(5)) != nil)
            #expect {
                try withNode(configure: { $0.recordPath = path }) { _ in }
            } throws: { error in
                "\(error)" == "cannot record to \(path): it is being recorded by another process (or another node in this one)"
            }
            try first.connect().announce(dataType: 3, ttl: 0, data: [2])
            #expect(tap.next(timeout: .seconds(5)) != nil)
        }
        // Once the first node stopped, the file is free again.
        try withNode(configure: { $0.recordPath = path }) { node in
            let tap = node.itemObservers.attach(capacity: 10)
            try node.connect().announce(dataType: 3, ttl: 0, data: [3])
            #expect(tap.next(timeout: .seconds(5)) != nil)
        }
        let (records, error) = try Self.records(at: path)
        #expect(error == nil)
        #expect(records.map(\.data) == [[1], [2], [3]])
    }

    @Test("a new recording is created with mode 0600; an existing one keeps its mode")
    func fileMode() throws {
        func mode(_ path: String) throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        let new = Self.temporaryPath("new.rec"), existing = Self.temporaryPath("existing.rec")
        defer {
            try? FileManager.default.removeItem(atPath: new)
            try? FileManager.default.removeItem(atPath: existing)
        }
        let whileRecording = try withNode(configure: { $0.recordPath = new }) { _ in try mode(new) }
        #expect(whileRecording == 0o600)
        #expect(try mode(new) == 0o600)
        try Data(Self.recording(of: 1)).write(to: URL(fileURLWithPath: existing))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: existing)
        try withNode(configure: { $0.recordPath = existing }) { _ in }
        #expect(try mode(existing) == 0o644)
    }

    @Test("a record_file that cannot be used stops the start with a clear error: gossipd exits 1")
    func unusableFile() throws {
        let text = Self.temporaryPath("text.rec")
        defer { try? FileManager.default.removeItem(atPath: text) }
        try "not a recording".write(toFile: text, atomically: true, encoding: .utf8)
        for (path, reason) in [("/nonexistent/folder/items.rec", "No such file or directory"), (text, "not a gossip recording")] {
            #expect {
                try withNode(configure: { $0.recordPath = path }) { _ in }
            } throws: { error in
                "\(error)".hasPrefix("cannot record to \(path): \(reason)")
            }
        }
        #expect(try String(contentsOfFile: text, encoding: .utf8) == "not a recording", "a file that is not a recording is left as it was")
        let config = try CommandLineTests().temporaryFile("[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\n")
        defer { try? FileManager.default.removeItem(atPath: config) }
        let result = try CommandLineTests().run("gossipd", ["--config", config, "--record", "/nonexistent/folder/items.rec"])
        #expect(result.status == 1)
        #expect(result.error == "gossipd: cannot record to /nonexistent/folder/items.rec: No such file or directory\n")
    }
}
