import Foundation

/// A node's STATUS JSON (docs/api.md) as text a person can read: a summary, the links, the
/// modules, and the counters that are not zero. It reads the JSON loosely, so a node that adds
/// fields, or lacks some, still prints.
struct StatusReport {
    let status: [String: Any]

    init(_ status: [String: Any]) {
        self.status = status
    }

    var text: String {
        [summary, "", "links (\(links.count))", linksTable, "", "modules (\(modules.count))", modulesTable, "", "counters (not zero)", countersTable]
            .joined(separator: "\n")
    }

    var summary: String {
        let rows: [(String, String)] = [
            ("identity", string("identity")),
            ("uptime", duration(int("uptime_ms"))),
            ("p2p address", string("p2p_address")),
            ("api port", "\(int("api_port"))"),
            ("neighbours", "\((status["peers"] as? [Any])?.count ?? 0), \((status["tree_peers"] as? [Any])?.count ?? 0) of them on the broadcast tree"),
            ("passive view", "\(int("view_size")) peers"),
            ("items", "\(int("cached_items")) cached, \(int("seen_items")) IDs seen, \(int("pending_validations")) awaiting validation"),
            ("queue", "\(int("queued_announcements")) announcements, \(int("queued_peer_items")) peer items"),
            ("subscribed types", "\(int("subscribed_types"))"),
        ]
        return Self.table(rows.map { [$0.0, $0.1] }, header: nil)
    }

    var links: [[String: Any]] { status["links"] as? [[String: Any]] ?? [] }
    var modules: [[String: Any]] { status["modules"] as? [[String: Any]] ?? [] }

    var linksTable: String {
        guard !links.isEmpty else { return "  (no links)" }
        let rows = links.map { link in
            [
                Self.string(link["peer"]).isEmpty ? "-" : Self.string(link["peer"]), Self.string(link["address"]),
                Self.string(link["direction"]), Self.string(link["state"]), duration(Self.int(link["age_ms"])),
                duration(Self.int(link["last_heard_ms"])) + " ago", "\(Self.int(link["frames_in"]))", "\(Self.int(link["frames_out"]))",
            ]
        }
        return Self.table(rows, header: ["peer", "address", "dir", "state", "age", "last heard", "frames in", "frames out"])
    }

    var modulesTable: String {
        guard !modules.isEmpty else { return "  (no modules)" }
        let rows = modules.map { module -> [String] in
            let types = (module["subscribed_types"] as? [Any] ?? []).map { Self.string($0) }
            let count = Self.int(module["subscriptions"])
            let shown = types.isEmpty ? "-" : types.joined(separator: ",") + (count > types.count ? " (+\(count - types.count))" : "")
            return [
                "\(Self.int(module["connection"]))", Self.string(module["remote"]), shown,
                "\(Self.int(module["messages_in"]))", "\(Self.int(module["messages_out"]))", "\(Self.int(module["outbox_bytes"]))",
            ]
        }
        return Self.table(rows, header: ["connection", "remote", "types", "messages in", "messages out", "outbox bytes"])
    }

    var countersTable: String {
        guard let counters = status["statistics"] as? [String: Any] else { return "  (none)" }
        var rows: [[String]] = []
        for (name, value) in counters.sorted(by: { $0.key < $1.key }) {
            if let byReason = value as? [String: Any] {
                for (reason, count) in byReason.sorted(by: { $0.key < $1.key }) where Self.int(count) != 0 {
                    rows.append(["\(name).\(reason)", "\(Self.int(count))"])
                }
            } else if Self.int(value) != 0 {
                rows.append([name, "\(Self.int(value))"])
            }
        }
        return rows.isEmpty ? "  (all zero)" : Self.table(rows, header: nil)
    }

    private func string(_ key: String) -> String { Self.string(status[key]) }
    private func int(_ key: String) -> Int { Self.int(status[key]) }

    private static func string(_ value: Any?) -> String {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        case nil: ""
        default: "\(value!)"
        }
    }

    private static func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? 0 }

    /// 850 ms, 12.3 s, 4 min 10 s, 2 h 5 min, 3 d 4 h.
    private func duration(_ milliseconds: Int) -> String {
        let seconds = milliseconds / 1000
        switch milliseconds {
        case ..<1000: return "\(milliseconds) ms"
        case ..<60_000: return String(format: "%.1f s", Double(milliseconds) / 1000)
        case ..<3_600_000: return "\(seconds / 60) min \(seconds % 60) s"
        case ..<86_400_000: return "\(seconds / 3600) h \(seconds % 3600 / 60) min"
        default: return "\(seconds / 86_400) d \(seconds % 86_400 / 3600) h"
        }
    }

    /// Left-aligned columns two spaces apart, indented by two.
    static func table(_ rows: [[String]], header: [String]?) -> String {
        let all = (header.map { [$0] } ?? []) + rows
        guard let columns = all.map(\.count).max() else { return "" }
        let widths = (0..<columns).map { column in all.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            "  " + row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
