import Dispatch
import GossipConfig
import GossipCore
import GossipWire
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends every item the node takes in (`ItemObservation.Outcome.isFirstSight`: announced by a
/// local module, or new from a peer) to a recording file (`record_file`, `gossipd --record`;
/// `ItemRecording` is the format). It watches the node through an `ItemObserver` and writes from
/// a thread of its own, so the node never waits for the disk: when the disk cannot keep up, the
/// observer's queue fills and items are skipped, counted, and reported in the log at most every
/// `reportInterval`. `finish` writes what is queued and closes the file.
///
/// The file is locked (`flock`) while recorded: a second recorder on it does not start. An
/// existing recording is appended to; a tail torn by a crash (a record cut off, or zero bytes
/// after a power loss) is cut away first, so every record stays whole. A write that fails (a full disk) is undone, and its items are counted as
/// lost.
final class ItemRecorder: Sendable {
    /// Why the recording file cannot be used; the node does not start (`Node.StartError.record`).
    struct OpenError: Error {
        let path: String
        let reason: String
    }

    /// Items the queue holds before it skips (and bytes of their data).
    static let queueCapacity = 8192
    static let queueBytes = 32 << 20
    /// How often at most the log says that items were skipped or lost.
    static let reportInterval: Duration = .seconds(10)
    /// How long `finish` waits at most for the queue to be written and the file flushed: a hung
    /// disk must not hold up the node's stop.
    static let finishTimeout: Duration = .seconds(5)

    private let path: String
    private let file: Int32
    /// Where the next record goes: the end of the last whole record written.
    private let end: Mutex<off_t>
    private let observers: ItemObservers
    private let observer: ItemObserver
    private let logger: Logger
    private let finishTimeout: Duration
    /// Run by the writing thread before each write (tests imitate a hung disk with it).
    private let beforeWrite: (@Sendable () -> Void)?
    private let done = DispatchSemaphore(value: 0)
    private let written = Atomic<Int>(0)
    private let lost = Atomic<Int>(0)
    /// Items of the batch being written.
    private let writing = Atomic<Int>(0)
    /// Set when `finish` stopped waiting: the thread then writes nothing more and closes the file.
    private let givenUp = Atomic<Bool>(false)

    /// Opens (or creates) the recording at `path`, attaches to `observers`, and starts writing.
    init(
        path: String, observers: ItemObservers, logger: Logger, finishTimeout: Duration = ItemRecorder.finishTimeout,
        beforeWrite: (@Sendable () -> Void)? = nil
    ) throws(OpenError) {
        self.path = path
        self.observers = observers
        self.logger = logger
        self.finishTimeout = finishTimeout
        self.beforeWrite = beforeWrite
        // Item data may be private: a new file only the node's user may read (an existing one keeps its mode).
        let file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw OpenError(path: path, reason: Self.systemError()) }
        // One recorder per file: two appending at once would interleave their records. The lock
        // goes with the open file, so a second node in this process is refused too.
        guard flock(file, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "it is being recorded by another process (or another node in this one)" : Self.systemError()
            close(file)
            throw OpenError(path: path, reason: reason)
        }
        let existing: (end: off_t, records: Int)
        do {
            existing = try Self.prepare(file, path: path, logger: logger)
        } catch {
            close(file)
            throw error
        }
        self.file = file
        self.end = Mutex(existing.end)
        self.observer = observers.attach(capacity: Self.queueCapacity, maximumBytes: Self.queueBytes) { $0.outcome.isFirstSight }
        guard startThread(name: "recorder", { [self] in run() }) else {
            observers.detach(observer)
            close(file)
            throw OpenError(path: path, reason: "cannot start its thread")
        }
        logger.info(
            "recording items",
            metadata: [
                "file": "\(path)", "records_before": "\(existing.records)", "format_version": "\(ItemRecording.version)",
            ])
    }

    /// Stops recording: writes what is queued, flushes the file to disk and closes it, waiting
    /// at most `finishTimeout` for that; then it gives up, says how many items were not written,
    /// and returns (the thread closes the file when its write returns, writing nothing more).
    /// Call once.
    func finish() {
        observers.detach(observer)
        let (seconds, attoseconds) = finishTimeout.components
        let timeout = DispatchTime.now() + .nanoseconds(Int(clamping: seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        guard done.wait(timeout: timeout) == .success else {
            givenUp.store(true, ordering: .sequentiallyConsistent)
            let notWritten = observer.queuedCount + writing.load(ordering: .sequentiallyConsistent)
            logger.error(
                "recording not finished in time (is the disk hung?): gave up, items not written",
                metadata: [
                    "file": "\(path)", "timeout": "\(finishTimeout)", "not_written": "\(notWritten)",
                    "written": "\(written.load(ordering: .relaxed))", "skipped": "\(observer.skipped)",
                    "lost": "\(lost.load(ordering: .relaxed))",
                ])
            return
        }
        logger.info(
            "recording closed",
            metadata: [
                "file": "\(path)", "written": "\(written.load(ordering: .relaxed))", "skipped": "\(observer.skipped)",
                "lost": "\(lost.load(ordering: .relaxed))",
            ])
    }

    /// Items written so far.
    var writtenCount: Int { written.load(ordering: .relaxed) }

    private func run() {
        var reported = (skipped: 0, lost: 0, at: ContinuousClock.now - Self.reportInterval)
        while !givenUp.load(ordering: .sequentiallyConsistent) {
            let batch = observer.nextBatch(maximum: 1024, timeout: .seconds(1))
            if batch.isEmpty && !observer.isAttached { break }
            if !batch.isEmpty { write(batch) }
            let now = ContinuousClock.now
            let (skipped, lost) = (observer.skipped, lost.load(ordering: .relaxed))
            if (skipped > reported.skipped || lost > reported.lost) && now - reported.at >= Self.reportInterval {
                logger.warning(
                    "recorder fell behind: items not recorded",
                    metadata: [
                        "file": "\(path)", "skipped": "\(skipped - reported.skipped)", "lost": "\(lost - reported.lost)",
                        "skipped_total": "\(skipped)", "lost_total": "\(lost)",
                    ])
                reported = (skipped, lost, now)
            }
        }
        // The thread owns the file to the end: closed here, never under a write still running.
        if !givenUp.load(ordering: .sequentiallyConsistent) { fsync(file) }
        close(file)
        done.signal()
    }

    /// Appends `batch` as records; on a failed write, cuts the file back to its last whole record.
    private func write(_ batch: [ObservedItem]) {
        writing.store(batch.count, ordering: .sequentiallyConsistent)
        defer { writing.store(0, ordering: .sequentiallyConsistent) }
        beforeWrite?()
        guard !givenUp.load(ordering: .sequentiallyConsistent) else { return }
        var bytes: [UInt8] = []
        for item in batch { Self.record(item).encode(into: &bytes) }
        end.withLock { end in
            var offset = 0
            while offset < bytes.count {
                let count = bytes.withUnsafeBytes { pwrite(file, $0.baseAddress! + offset, $0.count - offset, end + off_t(offset)) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    _ = ftruncate(file, end)
                    lost.add(batch.count, ordering: .relaxed)
                    return
                }
                offset += count
            }
            end += off_t(bytes.count)
            written.add(batch.count, ordering: .relaxed)
        }
    }

    /// The record of one observed item.
    static func record(_ item: ObservedItem) -> ItemRecording.Record {
        let observation = item.observation
        let source: ItemRecording.Record.Source =
            switch observation.source {
            case .local(let connection): .module(connection.rawValue)
            case .peer(let link): .peer(link.rawValue, observation.peer)
            }
        return ItemRecording.Record(
            unixNanoseconds: item.unixNanoseconds, outcome: observation.outcome.rawValue, source: source, id: observation.id,
            ttl: observation.ttl, dataType: observation.dataType, data: observation.data)
    }

    /// Readies `file` for appending: writes the header into an empty file, or reads an existing
    /// one through in 1 MiB chunks (it must be a recording this build reads) and cuts away a torn
    /// tail: a last record cut off, or zero bytes where a record should begin. Memory stays at
    /// about a chunk and a record whatever the file's size (`ItemRecording.Decoder` drops what it
    /// consumed); the time grows with the size (docs/operations.md, Record and replay).
    /// Returns where the next record goes and how many the file holds.
    private static func prepare(_ file: Int32, path: String, logger: Logger) throws(OpenError) -> (end: off_t, records: Int) {
        var decoder = ItemRecording.Decoder()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(file, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw OpenError(path: path, reason: systemError()) }
            if count == 0 { break }
            total += count
            decoder.append(chunk[0..<count])
            do {
                while try decoder.next() != nil {}
            } catch {
                throw OpenError(path: path, reason: "\(error)")
            }
        }
        if total == 0 {
            let header = ItemRecording.header
            guard header.withUnsafeBytes({ pwrite(file, $0.baseAddress!, $0.count, 0) }) == header.count else {
                throw OpenError(path: path, reason: systemError())
            }
            return (off_t(header.count), 0)
        }
        do {
            try decoder.finish()
        } catch .truncated(let offset, let records) where offset > 0 {
            logger.warning(
                "recording ended inside a record (an earlier run stopped while writing): cut back to its last whole record",
                metadata: ["file": "\(path)", "bytes_cut": "\(UInt64(total) - offset)"])
            guard ftruncate(file, off_t(offset)) == 0 else { throw OpenError(path: path, reason: systemError()) }
            return (off_t(offset), records)
        } catch .zeroFilledTail(let offset, let bytes, let records) {
            logger.warning(
                "recording ended in zero bytes (an earlier run lost its last writes in a crash or power loss): cut back to its last whole record",
                metadata: ["file": "\(path)", "bytes_cut": "\(bytes)"])
            guard ftruncate(file, off_t(offset)) == 0 else { throw OpenError(path: path, reason: systemError()) }
            return (off_t(offset), records)
        } catch {
            throw OpenError(path: path, reason: "\(error)")
        }
        return (off_t(decoder.offset), decoder.records)
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
