import ArgumentParser
import Foundation
import GossipClient
import GossipWire

extension GossipCommand {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Announce again every item of a recording (gossipd --record, record_file) to a node.",
            discussion: """
                Each recorded item is sent as an ANNOUNCE with its recorded data type, TTL and data; the \
                node gives it a new item ID. Without --rate or --as-recorded, items go as fast as the node \
                takes them. Progress goes to standard error every few seconds, and one summary line at \
                the end. A file that is not a recording, or of a newer format version, is refused before \
                anything is sent (exit 1). Each record's checksum is checked: a file with a damaged record \
                (cut off, or torn by a crash or power loss, or corrupted on disk) is replayed up to its last \
                good record, then the damage is reported with its offset (exit 1). docs/record-format.md \
                describes the file.

                Examples:
                  gossip replay items.rec --api 127.0.0.1:7002
                  gossip replay items.rec --api unix:/run/gossipd/api.sock --rate 100
                  gossip replay items.rec --as-recorded --type 1337
                """)

        @OptionGroup var options: APIOptions

        @Argument(help: "The recording file.")
        var file: String

        @Option(name: .long, parsing: .unconditional, help: "Items to announce per second (default: as fast as the node takes them).")
        var rate: Double?

        @OptionGroup var confirm: ConfirmOption

        @Flag(name: .long, help: "Keep the recorded time between items.")
        var asRecorded = false

        @Option(
            name: .long, parsing: .unconditionalSingleValue,
            help: "Replay only items of this data type (0-65535). Repeat for several.", transform: parseDataType)
        var type: [UInt16] = []

        @Flag(name: [.short, .long], help: "Do not print progress and the summary on standard error.")
        var quiet = false

        func validate() throws {
            if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number of items per second") }
            if rate != nil && asRecorded { throw ValidationError("--rate and --as-recorded exclude each other") }
        }

        func run() throws {
            guard let input = FileHandle(forReadingAtPath: file) else { throw CLIError("cannot read \(file) (\(unreadable(file)))") }
            defer { try? input.close() }
            let fileSize = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? nil
            var reader = RecordingReader(input: input, file: file)
            // The first record (or the end) before connecting: a file that is not a recording is
            // refused without touching the node.
            var pending = try reader.next()
            let client = try options.connect()
            defer { client.close() }
            var pacing = Pacing(rate: rate, asRecorded: asRecorded)
            var progress = Progress(quiet: quiet, fileSize: fileSize)
            let wanted = Set(type)
            var tally = (announced: 0, bytes: 0, filtered: 0)
            while let record = pending {
                if wanted.isEmpty || wanted.contains(record.dataType) {
                    pacing.wait(for: record)
                    do {
                        try client.announce(dataType: record.dataType, ttl: record.ttl, data: record.data)
                    } catch {
                        throw options.failure(error, while: "announce")
                    }
                    tally.announced += 1
                    tally.bytes += record.data.count
                } else {
                    tally.filtered += 1
                }
                progress.report(announced: tally.announced, offset: reader.offset)
                pending = try reader.next()
            }
            try options.finishAnnouncing(client, confirm, what: "the items", timeout: .seconds(10), closeWait: .seconds(5))
            let skipped = tally.filtered > 0 ? "; \(tally.filtered) of other types skipped" : ""
            let summary =
                "replayed \(tally.announced) items (\(tally.bytes) bytes of data) from \(file) to \(options.api)"
                + " in \(progress.elapsed)\(skipped)"
            if let damage = reader.damage {
                throw CLIError("\(file): \(damage); \(summary)")
            }
            if !quiet { printToStandardError(summary) }
        }
    }
}

/// Reads a recording file record by record, in chunks.
private struct RecordingReader {
    let input: FileHandle
    let file: String
    var decoder = ItemRecording.Decoder()
    var isAtEnd = false
    /// Set at the first damaged record: where it is, and how many good records came before it.
    var damage: ItemRecording.FormatError?

    init(input: FileHandle, file: String) {
        self.input = input
        self.file = file
    }

    /// Bytes of the file consumed.
    var offset: UInt64 { decoder.offset }

    /// The next item record; nil at the end of the file. A damaged record (cut off, a checksum that
    /// does not match, ...) ends it there too (noted in `damage`: the good records before it are
    /// still replayed); any other format error (not a recording, a newer version) throws.
    mutating func next() throws -> ItemRecording.Record? {
        while true {
            do {
                if let record = try decoder.next() { return record }
                if isAtEnd {
                    try decoder.finish()
                    return nil
                }
            } catch .damagedRecord(let offset, let records, let reason) {
                damage = .damagedRecord(offset: offset, records: records, damage: reason)
                return nil
            } catch {
                throw CLIError("\(file): \(error)")
            }
            let chunk: Data
            do {
                chunk = try input.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw CLIError("cannot read \(file): \(error)")
            }
            if chunk.isEmpty { isAtEnd = true } else { decoder.append(chunk) }
        }
    }
}

/// When to send the next item: at a fixed rate, with the recorded spacing, or at once.
private struct Pacing {
    let rate: Double?
    let asRecorded: Bool
    let start = ContinuousClock.now
    var sent = 0
    var firstRecorded: UInt64?

    init(rate: Double?, asRecorded: Bool) {
        self.rate = rate
        self.asRecorded = asRecorded
    }

    mutating func wait(for record: ItemRecording.Record) {
        defer { sent += 1 }
        var due: ContinuousClock.Instant?
        if let rate {
            due = start + .seconds(Double(sent) / rate)
        } else if asRecorded {
            let first = firstRecorded ?? record.unixNanoseconds
            firstRecorded = first
            // A record older than the first (a clock set back between runs) goes at once.
            let offset = record.unixNanoseconds >= first ? record.unixNanoseconds - first : 0
            due = start + .nanoseconds(Int64(clamping: offset))
        }
        guard let due else { return }
        let wait = due - ContinuousClock.now
        if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18) }
    }
}

/// A progress line on standard error every few seconds, for long files.
private struct Progress {
    let quiet: Bool
    let fileSize: UInt64?
    let start = ContinuousClock.now
    var lastReport = ContinuousClock.now
    static let interval: Duration = .seconds(2)

    init(quiet: Bool, fileSize: UInt64?) {
        self.quiet = quiet
        self.fileSize = fileSize
    }

    /// Time since the start, e.g. "1.234 s" or "0.4 ms".
    var elapsed: String {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        let elapsed = Double(seconds) + Double(attoseconds) / 1e18
        return elapsed < 1 ? String(format: "%.1f ms", elapsed * 1000) : String(format: "%.3f s", elapsed)
    }

    mutating func report(announced: Int, offset: UInt64) {
        guard !quiet, ContinuousClock.now - lastReport >= Self.interval else { return }
        lastReport = ContinuousClock.now
        let share = fileSize.map { $0 > 0 ? String(format: " (%.0f%% of the file)", Double(offset) * 100 / Double($0)) : "" } ?? ""
        printToStandardError("replayed \(announced) items so far\(share)")
    }
}
