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
        defer { try? FileManager.default.removeItem(atPath: path) }
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
            (Array(large.prefix(700_000)), "recording ended inside a record (an earlier run stopped while writing): cut back to its last whole record"),
            (
                Array(repeating: 0, count: (5 << 20) / 2),
                "recording ended in zero bytes (an earlier run lost its last writes in a crash or power loss): cut back to its last whole record"
            ),
        ]
        for (tail, message) in tails {
            try Data(bytes + tail).write(to: URL(fileURLWithPath: path))
            let log = RecordingLogHandler()
            let recorder = try ItemRecorder(path: path, observers: ItemObservers(), logger: Logger(label: "recorder-test") { _ in log })
            recorder.finish()
            #expect(log.messages("recording items").first?.metadata["records_before"] == "90")
            #expect(log.messages(message).first?.metadata["bytes_cut"] == "\(tail.count)", "\(log.lines.withLock { $0.map(\.message) })")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == bytes.count, "cut back to the last whole record")
        }
    }
}
