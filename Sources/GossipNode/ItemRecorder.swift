import Dispatch
import GossipConfig
import GossipCore
import GossipSockets
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
/// existing recording is appended to, after its last good record: from its first damaged record
/// (cut off by a crash, torn by a power loss, corrupted on disk; every record has a checksum) to
/// the end, the bytes are moved into a side file first (`<file>.damaged-<offset>`; not when they
/// are all zero), so every record stays whole and nothing is destroyed. A write that fails (a
/// full disk) is undone, and its items are counted as lost.
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
        let timeout = DispatchTime.now() + .nanoseconds(Int(clamping: finishTimeout.totalNanoseconds))
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

    /// Readies `file` for appending: writes the header into an empty file (or one that holds only
    /// zero bytes: its header was lost), or reads an existing one through in 1 MiB chunks (it must
    /// be a recording this build reads), checking every record, and cuts it back to its last good
    /// record if a record is damaged (`cutDamage`). Memory stays at about a chunk and a record
    /// whatever the file's size (`ItemRecording.Decoder` drops what it consumed); the time grows
    /// with the size (docs/operations.md, Record and replay).
    /// Returns where the next record goes and how many the file holds.
    private static func prepare(_ file: Int32, path: String, logger: Logger) throws(OpenError) -> (end: off_t, records: Int) {
        var decoder = ItemRecording.Decoder()
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var total: off_t = 0
        while decoder.damage == nil {
            let count = try readChunk(file, into: &chunk, at: total, path: path)
            if count == 0 { break }
            total += off_t(count)
            decoder.append(chunk[0..<count])
            do {
                while try decoder.next() != nil {}
            } catch .damagedRecord {
                break  // noted in the decoder
            } catch .notARecording {
                return try startAgainIfZero(file, path: path, logger: logger)
            } catch {
                throw OpenError(path: path, reason: "\(error)")
            }
        }
        if total == 0 { return try writeHeader(file, path: path) }
        do {
            try decoder.finish()
            return (off_t(decoder.offset), decoder.records)
        } catch .damagedRecord(let offset, let records, let damage) {
            try cutDamage(file, path: path, at: off_t(offset), records: records, damage: damage, logger: logger)
            return (off_t(offset), records)
        } catch .notARecording {
            return try startAgainIfZero(file, path: path, logger: logger)
        } catch {
            throw OpenError(path: path, reason: "\(error)")
        }
    }

    static let chunkSize = 1 << 20

    /// Moves the bytes of `file` from `offset` (its first damaged record) to the end into a side
    /// file, `<path>.damaged-<offset>` (`.2`, `.3`, ... after it if that exists), mode 0600 and
    /// flushed to disk, then cuts `file` back to `offset`; says so in a warning. Bytes that are
    /// all zero (a power loss on ext4/xfs: the file's new size kept, its data not) hold nothing:
    /// they are cut without a side file. Nothing is cut if the side file cannot be written.
    private static func cutDamage(
        _ file: Int32, path: String, at offset: off_t, records: Int, damage: ItemRecording.Damage, logger: Logger
    ) throws(OpenError) {
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var (position, allZero) = (offset, true)
        while allZero {
            let count = try readChunk(file, into: &chunk, at: position, path: path)
            if count == 0 { break }
            allZero = chunk[0..<count].allSatisfy { $0 == 0 }
            position += off_t(count)
        }
        let size = lseek(file, 0, SEEK_END)
        guard size >= offset else { throw OpenError(path: path, reason: systemError()) }
        var metadata: Logger.Metadata = [
            "file": "\(path)", "offset": "\(offset)", "bytes_cut": "\(size - offset)", "records_kept": "\(records)",
        ]
        if allZero {
            try truncate(file, at: offset, path: path)
            logger.warning(
                "recording ended in zero bytes (an earlier run lost its last writes in a crash or power loss): cut back to its last good record",
                metadata: metadata)
            return
        }
        let side = try copyToSideFile(file, path: path, from: offset, chunk: &chunk)
        try truncate(file, at: offset, path: path)
        metadata["damage"] = "\(damage)"
        metadata["side_file"] = "\(side)"
        logger.warning(
            "recording damaged (by a crash, a power loss or the disk): cut back to its last good record, the bytes from the damaged one on moved to a side file",
            metadata: metadata)
    }

    /// Copies `file` from `offset` to its end into a new side file; returns its path.
    private static func copyToSideFile(_ file: Int32, path: String, from offset: off_t, chunk: inout [UInt8]) throws(OpenError) -> String {
        var (side, output) = ("", Int32(-1))
        for attempt in 1...1000 {
            side = "\(path).damaged-\(offset)" + (attempt == 1 ? "" : ".\(attempt)")
            output = open(side, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if output >= 0 || errno != EEXIST { break }
        }
        guard output >= 0 else { throw OpenError(path: path, reason: "cannot create the side file \(side) for its damaged tail: \(systemError())") }
        func fail() -> OpenError {
            let error = OpenError(path: path, reason: "cannot write the side file \(side) for its damaged tail: \(systemError())")
            close(output)
            unlink(side)
            return error
        }
        var position = offset
        while true {
            let count = try readChunk(file, into: &chunk, at: position, path: path)
            if count == 0 { break }
            var written = 0
            while written < count {
                let result = chunk.withUnsafeBytes { pwrite(output, $0.baseAddress! + written, count - written, position - offset + off_t(written)) }
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { throw fail() }
                written += result
            }
            position += off_t(count)
        }
        guard fsync(output) == 0 else { throw fail() }
        close(output)
        // The side file's name too must reach the disk before the recording is cut.
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        return side
    }

    /// A file that is not a recording is refused, unless it holds only zero bytes: a recording
    /// whose header (and more) a power loss left as zeros. That one starts again, empty.
    private static func startAgainIfZero(_ file: Int32, path: String, logger: Logger) throws(OpenError) -> (end: off_t, records: Int) {
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var position: off_t = 0
        while true {
            let count = try readChunk(file, into: &chunk, at: position, path: path)
            if count == 0 { break }
            guard chunk[0..<count].allSatisfy({ $0 == 0 }) else {
                throw OpenError(path: path, reason: "\(ItemRecording.FormatError.notARecording)")
            }
            position += off_t(count)
        }
        try truncate(file, at: 0, path: path)
        logger.warning(
            "recording held only zero bytes (an earlier run lost its header in a crash or power loss): started again as an empty recording",
            metadata: ["file": "\(path)", "bytes_cut": "\(position)"])
        return try writeHeader(file, path: path)
    }

    private static func writeHeader(_ file: Int32, path: String) throws(OpenError) -> (end: off_t, records: Int) {
        let header = ItemRecording.header
        guard header.withUnsafeBytes({ pwrite(file, $0.baseAddress!, $0.count, 0) }) == header.count else {
            throw OpenError(path: path, reason: systemError())
        }
        return (off_t(header.count), 0)
    }

    /// Cuts `file` back to `offset` and flushes that to disk.
    private static func truncate(_ file: Int32, at offset: off_t, path: String) throws(OpenError) {
        guard ftruncate(file, offset) == 0, fsync(file) == 0 else { throw OpenError(path: path, reason: systemError()) }
    }

    /// Reads up to a chunk of `file` at `offset`; 0 at its end.
    private static func readChunk(_ file: Int32, into chunk: inout [UInt8], at offset: off_t, path: String) throws(OpenError) -> Int {
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(file, $0.baseAddress!, $0.count, offset) }
            if count >= 0 { return count }
            guard errno == EINTR else { throw OpenError(path: path, reason: systemError()) }
        }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
