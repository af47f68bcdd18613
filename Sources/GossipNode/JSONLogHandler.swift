import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials  // Date's ISO 8601 text; not Foundation (Threads.swift says why)
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line to standard error, for log
/// collectors (`gossipd --log-format json`): `time` (ISO 8601, UTC, milliseconds), `level`,
/// `label`, `source`, `message`, then the metadata's keys, each value as a string (a nested
/// list or dictionary as its text). Keys the metadata shares with those fields are prefixed with
/// `meta_`. Each line is written with one `write`, so lines from several threads never mix.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        emit(level: event.level, message: event.message, metadata: event.metadata, source: event.source)
    }

    private func emit(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String) {
        let time = Date.now.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon))
        var fields: [(String, String)] = [
            ("time", time + "Z"), ("level", level.rawValue), ("label", label), ("source", source), ("message", message.description),
        ]
        let reserved: Set<String> = ["time", "level", "label", "source", "message"]
        let merged = metadata.merging(explicit ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append((reserved.contains(key) ? "meta_" + key : key, value.description))
        }
        writeToStandardError("{" + fields.map { "\(Self.quoted($0.0)):\(Self.quoted($0.1))" }.joined(separator: ",") + "}\n")
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
