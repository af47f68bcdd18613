import ArgumentParser
import Foundation
import GossipClient
import GossipWire
import Synchronization

extension GossipCommand {
    struct Tap: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Watch the items passing through a node as they come (GET /tap on its admin_address), until Ctrl-C.",
            discussion: """
                One line per item: the time, what the node made of it (announced by a module, \
                awaiting_validation, relayed_unvalidated, then valid, invalid or timed_out; duplicate \
                and dropped copies too), its type, size, TTL and ID, and where it came from (api#N, a \
                module's connection, or peer#N with the peer's identity). --json prints the node's \
                JSON lines as they are (docs/operations.md). A tap that cannot keep up skips items \
                and says how many; it never slows the node.

                Examples:
                  gossip tap --admin 127.0.0.1:7080
                  gossip tap --admin 127.0.0.1:7080 --type 1337 --count 10
                  gossip tap --admin 127.0.0.1:7080 --json | jq .item
                """)

        @OptionGroup var options: AdminOptions

        @Option(name: .long, parsing: .unconditionalSingleValue, help: "Only items of this data type (repeat for more).", transform: parseDataType)
        var type: [UInt16] = []

        @Option(name: .long, parsing: .unconditional, help: "Stop after this many items.")
        var count: Int?

        @Flag(name: .long, help: "Print the node's JSON lines as they are.")
        var json = false

        func validate() throws {
            if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        }

        func run() throws {
            let path = "/tap" + (type.isEmpty ? "" : "?type=" + type.map(String.init).joined(separator: ","))
            let printer = TapPrinter(json: json, limit: count)
            let response: AdminClient.Response
            do {
                response = try options.client().request("GET", path, timeout: nil) { printer.take($0) }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw CLIError("cannot reach the admin endpoint at \(options.admin): \(error)")
            }
            guard response.status == 200 else {
                throw CLIError("the node refused the tap (HTTP \(response.status)): \(response.text.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            if !printer.reachedLimit {
                throw CLIError("the node ended the tap: it is stopping, or this tap took nothing for 10 s (a blocked output?)")
            }
        }
    }
}

/// Turns the tap's JSON lines, in whatever pieces they arrive, into printed lines.
final class TapPrinter: Sendable {
    private struct State {
        var partial: [UInt8] = []
        var printed = 0
    }

    private let state = Mutex(State())
    private let json: Bool
    private let limit: Int?

    init(json: Bool, limit: Int?) {
        self.json = json
        self.limit = limit
    }

    var reachedLimit: Bool { limit.map { limit in state.withLock { $0.printed >= limit } } ?? false }

    /// Takes the next piece of the stream; false once `limit` items are printed.
    func take(_ bytes: [UInt8]) -> Bool {
        state.withLock { state in
            if let limit, state.printed >= limit { return false }
            state.partial += bytes
            while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(state.partial[..<newline])
                state.partial.removeSubrange(...newline)
                print(json ? String(decoding: line, as: UTF8.self) : Self.readable(line))
                state.printed += 1
                if let limit, state.printed >= limit { break }
            }
            fflush(nil)
            return limit.map { state.printed < $0 } ?? true
        }
    }

    /// `nanoseconds` since the Unix epoch as local `HH:MM:SS.mmm`.
    static func clockTime(_ nanoseconds: UInt64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let milliseconds = Int(nanoseconds / 1_000_000 % 1000)
        let fraction = String(repeating: "0", count: 3 - String(milliseconds).count) + String(milliseconds)
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)"
    }

    /// One line a person reads: time, outcome, type, size, TTL, item, source.
    static func readable(_ line: [UInt8]) -> String {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let item = try? decoder.decode(ItemTapLine.self, from: Data(line)) else { return String(decoding: line, as: UTF8.self) }
        let time = clockTime(item.timeNs)
        let from = item.peer.map { "\(item.from) (\($0))" } ?? item.from
        let skipped = item.skipped > 0 ? "  [\(item.skipped) skipped before this]" : ""
        let outcome = item.outcome.padding(toLength: 19, withPad: " ", startingAt: 0)
        return "\(time)  \(outcome) type \(item.type)  \(item.size) B  ttl \(item.ttl)  item \(item.item)  from \(from)\(skipped)"
    }
}
