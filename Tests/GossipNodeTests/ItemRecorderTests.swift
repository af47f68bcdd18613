import Dispatch
import Foundation
import GossipCore
import GossipWire
import Logging
import Testing

@testable import GossipNode

/// `ItemRecorder` on its own, where a node cannot reach: a disk that hangs.
@Suite("Item recorder")
struct ItemRecorderTests {
    static func observation(_ index: Int) -> ItemObservation {
        ItemObservation(
            id: ItemID(high: 0, low: UInt64(index)), source: .local(ConnectionID(1)), dataType: 3, ttl: 0, data: [UInt8(index)],
            outcome: .announced)
    }

    @Test("finish waits a bounded time for a hung disk, then gives up and says how many items were not written")
    func finishIsBounded() throws {
        let path = RecordReplayTests.temporaryPath("hung.rec")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let observers = ItemObservers()
        let log = RecordingLogHandler()
        let (entered, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let recorder = try ItemRecorder(
            path: path, observers: observers, logger: Logger(label: "recorder-test") { _ in log }, finishTimeout: .milliseconds(300),
            beforeWrite: {
                entered.signal()
                release.wait()  // the disk hangs until the test lets it go
            })
        for index in 0..<3 { observers.publish(Self.observation(index)) }
        #expect(entered.wait(timeout: .now() + 5) == .success, "the recorder began a write")
        for index in 3..<5 { observers.publish(Self.observation(index)) }

        let start = ContinuousClock.now
        recorder.finish()
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(300) && waited < .seconds(3), "finish waited \(waited)")
        let lines = log.messages("recording not finished in time (is the disk hung?): gave up, items not written")
        #expect(lines.count == 1 && lines.first?.level == .error, "\(log.lines.withLock { $0.map(\.message) })")
        #expect(lines.first?.metadata["not_written"] == "5" && lines.first?.metadata["written"] == "0", "\(lines)")
        #expect(log.messages("recording closed").isEmpty)

        // When the disk comes back, the recorder writes nothing more and closes the file (its lock goes with it).
        release.signal()
        var reopened: ItemRecorder?
        #expect(
            waitUntil {
                reopened = try? ItemRecorder(path: path, observers: ItemObservers(), logger: Logger(label: "recorder-test"))
                return reopened != nil
            })
        reopened?.finish()
        #expect(try RecordReplayTests.records(at: path) == ([], nil), "only the header: nothing written after giving up")
    }

    @Test("finish on a working disk writes what is queued, flushes and closes, and says so")
    func finishWrites() throws {
        let path = RecordReplayTests.temporaryPath("fine.rec")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let observers = ItemObservers()
        let log = RecordingLogHandler()
        let recorder = try ItemRecorder(path: path, observers: observers, logger: Logger(label: "recorder-test") { _ in log })
        for index in 0..<100 { observers.publish(Self.observation(index)) }
        recorder.finish()
        #expect(log.messages("recording closed").first?.metadata["written"] == "100")
        let (records, error) = try RecordReplayTests.records(at: path)
        #expect(error == nil && records.map(\.data) == (0..<100).map { [UInt8($0)] })
    }

    @Test("an existing recording larger than the 1 MiB chunks it is read in: its records counted across chunks, a torn tail of either kind cut away")
    func prepareReadsInChunks() throws {
        let path = RecordReplayTests.temporaryPath("large.rec")
        defer { Self.remove(path) }
        var bytes = ItemRecording.header
        for index in 0..<90 {  // about 5.4 MiB: records straddle the chunk boundaries
            ItemRecording.Record(
                unixNanoseconds: UInt64(index), outcome: 1, source: .module(1), id: ItemID(high: 0, low: UInt64(index)), ttl: 0,
                dataType: 1, data: Array(repeating: UInt8(index), count: 60_000 + index)
            ).encode(into: &bytes)
        }
        var large: [UInt8] = []
        ItemRecording.Record(
            unixNanoseconds: 90, outcome: 1, source: .module(1), id: ItemID(high: 0, low: 90), ttl: 0, dataType: 1,
            data: Array(repeating: 7, count: 900_000)
        ).encode(into: &large)
        let tails: [(tail: [UInt8], message: String)] = [
            (Array(large.prefix(700_000)), Self.damagedMessage),
            (Array(repeating: 0, count: (5 << 20) / 2), Self.zerosMessage),
        ]
        for (tail, message) in tails {
            try Data(bytes + tail).write(to: URL(fileURLWithPath: path))
            let log = RecordingLogHandler()
            let recorder = try Self.reopenRecorder(path, observers: ItemObservers(), logger: Logger(label: "recorder-test") { _ in log })
            recorder.finish()
            #expect(log.messages("recording items").first?.metadata["records_before"] == "90")
            #expect(log.messages(message).first?.metadata["bytes_cut"] == "\(tail.count)", "\(log.lines.withLock { $0.map(\.message) })")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == bytes.count, "cut back to the last good record")
            let side = "\(path).damaged-\(bytes.count)"
            if message == Self.damagedMessage {
                #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: side))) == tail, "the cut bytes are in the side file")
                Self.removeSideFiles(of: path)
            }
            #expect(Self.sideFiles(of: path).isEmpty)
        }
    }

    static let damagedMessage =
        "recording damaged (by a crash, a power loss or the disk): cut back to its last good record, the bytes from the damaged one on moved to a side file"
    static let zerosMessage =
        "recording ended in zero bytes (an earlier run lost its last writes in a crash or power loss): cut back to its last good record"
    static let zeroFileMessage =
        "recording held only zero bytes (an earlier run lost its header in a crash or power loss): started again as an empty recording"

    /// The side files next to the recording at `path` (`<path>.damaged-...`), sorted.
    static func sideFiles(of path: String) -> [String] {
        let folder = (path as NSString).deletingLastPathComponent, name = (path as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix(name + ".damaged-") }.sorted().map { folder + "/" + $0 }
    }

    static func removeSideFiles(of path: String) {
        for side in sideFiles(of: path) { try? FileManager.default.removeItem(atPath: side) }
    }

    /// Removes a recording and its side files.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        removeSideFiles(of: path)
    }

    /// A recorder on `path`, which a recorder of this test closed a moment ago. Other suites start
    /// processes meanwhile, and a child between its fork and its exec holds a copy of every
    /// descriptor of this process (O_CLOEXEC closes them only at the exec), so the file's lock
    /// can outlive our close by a moment: that refusal is retried for up to 5 s.
    static func reopenRecorder(_ path: String, observers: ItemObservers, logger: Logger) throws -> ItemRecorder {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let opened: Result<ItemRecorder, ItemRecorder.OpenError> = Result { () throws(ItemRecorder.OpenError) in
                try ItemRecorder(path: path, observers: observers, logger: logger)
            }
            switch opened {
            case .success(let recorder):
                return recorder
            case .failure(let error):
                guard error.reason.hasPrefix("it is being recorded"), ContinuousClock.now < deadline else { throw error }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// Starts a recorder on `path`, records `new` items (data 200, 201, ...), stops it; its log.
    static func record(_ new: Int, to path: String) throws -> RecordingLogHandler {
        let log = RecordingLogHandler()
        let observers = ItemObservers()
        let recorder = try reopenRecorder(path, observers: observers, logger: Logger(label: "recorder-test") { _ in log })
        for index in 0..<new { observers.publish(observation(200 + index)) }
        recorder.finish()
        return log
    }

    @Test(
        "a recording torn from any byte of its last record, or of a middle one, to the end (zeros, or random bytes): the node starts, keeps the good records, moves the rest to a side file, appends after them"
    )
    func tornAnywhere() throws {
        let path = RecordReplayTests.temporaryPath("torn.rec")
        defer { Self.remove(path) }
        let count = 5
        let original = RecordReplayTests.recording(of: count)
        let recordSize = (original.count - ItemRecording.headerSize) / count
        let starts = (0...count).map { ItemRecording.headerSize + $0 * recordSize }
        var generator = SeededRandom(seed: 42)
        var (sideFiles, zeroTails) = (0, 0)
        for damaged in [2, count - 1] {
            for cut in starts[damaged]..<starts[damaged + 1] {
                for random in [false, true] {
                    var torn = original
                    for index in cut..<torn.count { torn[index] = random ? UInt8(truncatingIfNeeded: generator.next()) : 0 }
                    let label = "\(random ? "random bytes" : "zeros") from byte \(cut) (record \(damaged))"
                    // A zero or random byte may equal the one it replaced: the first record that changed is the damaged one.
                    let first = (0..<count).first { torn[starts[$0]..<starts[$0 + 1]] != original[starts[$0]..<starts[$0 + 1]] } ?? count
                    try Data(torn).write(to: URL(fileURLWithPath: path))
                    let log = try Self.record(2, to: path)

                    let (records, error) = try RecordReplayTests.records(at: path)
                    #expect(error == nil, "\(label)")
                    #expect(records.map(\.data) == (0..<first).map { [UInt8($0)] } + [[200], [201]], "\(label)")
                    #expect(log.messages("recording items").first?.metadata["records_before"] == "\(first)", "\(label)")
                    let cutBytes = Array(torn[starts[first]...])
                    let side = "\(path).damaged-\(starts[first])"
                    if cutBytes.isEmpty {
                        #expect(log.lines.withLock { $0.filter { $0.level >= .warning } }.isEmpty, "\(label)")
                        #expect(Self.sideFiles(of: path).isEmpty, "\(label)")
                    } else if cutBytes.allSatisfy({ $0 == 0 }) {
                        zeroTails += 1
                        let warning = log.messages(Self.zerosMessage)
                        #expect(warning.count == 1 && warning.first?.metadata["bytes_cut"] == "\(cutBytes.count)", "\(label)")
                        #expect(Self.sideFiles(of: path).isEmpty, "zeros hold nothing: no side file; \(label)")
                    } else {
                        sideFiles += 1
                        let warning = log.messages(Self.damagedMessage)
                        #expect(warning.count == 1 && warning.first?.level == .warning, "\(label)")
                        #expect(warning.first?.metadata["offset"] == "\(starts[first])", "\(label)")
                        #expect(warning.first?.metadata["bytes_cut"] == "\(cutBytes.count)", "\(label)")
                        #expect(warning.first?.metadata["records_kept"] == "\(first)", "\(label)")
                        #expect(warning.first?.metadata["side_file"] == side, "\(label)")
                        #expect(Self.sideFiles(of: path) == [side], "\(label)")
                        #expect((try? [UInt8](Data(contentsOf: URL(fileURLWithPath: side)))) == cutBytes, "the side file holds the cut bytes; \(label)")
                    }
                    Self.removeSideFiles(of: path)
                }
            }
        }
        // Zeros from the first 4 bytes of a record (its length field, 0 0 0 83) leave zeros only from its start.
        #expect(zeroTails == 2 * 4 && sideFiles >= 4 * recordSize - 8 - 2, "\(sideFiles) side files, \(zeroTails) zero tails")
    }

    @Test("a side file of the same name already there: the next is numbered; side files are mode 0600")
    func sideFileNames() throws {
        let path = RecordReplayTests.temporaryPath("twice.rec")
        defer { Self.remove(path) }
        let good = RecordReplayTests.recording(of: 2)
        let torn = good + [0, 0, 0, 90, 1, 2, 3]
        for _ in 0..<3 {
            try Data(torn).write(to: URL(fileURLWithPath: path))
            _ = try Self.record(0, to: path)
        }
        let side = "\(path).damaged-\(good.count)"
        #expect(Self.sideFiles(of: path) == [side, side + ".2", side + ".3"])
        for file in Self.sideFiles(of: path) {
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: file))) == [0, 0, 0, 90, 1, 2, 3])
            #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        }
        #expect(try RecordReplayTests.records(at: path).records.count == 2)
    }

    @Test("a file of zero bytes only (its header lost in a power loss) starts again as an empty recording, with a warning")
    func zeroFile() throws {
        let path = RecordReplayTests.temporaryPath("zero.rec")
        defer { Self.remove(path) }
        for size in [1, 5, 12, 4096, (1 << 20) + 3] {
            try Data(count: size).write(to: URL(fileURLWithPath: path))
            let log = try Self.record(1, to: path)
            let warning = log.messages(Self.zeroFileMessage)
            #expect(warning.count == 1 && warning.first?.level == .warning && warning.first?.metadata["bytes_cut"] == "\(size)", "\(size) zeros")
            #expect(log.messages("recording items").first?.metadata["records_before"] == "0")
            let (records, error) = try RecordReplayTests.records(at: path)
            #expect(error == nil && records.map(\.data) == [[200]], "\(size) zeros")
            #expect(Self.sideFiles(of: path).isEmpty)
        }
        // Zeros with anything else in them are not a recording: refused, left as they were.
        for bytes in [[UInt8](repeating: 0, count: 4096) + [1], [UInt8](repeating: 0, count: (1 << 20) + 5) + Array("x".utf8)] {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect {
                _ = try Self.record(0, to: path)
            } throws: { error in
                "\(error)".contains("not a gossip recording")
            }
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        }
    }
}
