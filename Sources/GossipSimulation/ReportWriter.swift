import Foundation

extension SimulationReport {
    /// The report as JSON: sorted snake_case keys, two-space indentation, numbers already rounded,
    /// so equal reports give equal bytes. `includingSimulation: false` leaves the wall-clock block
    /// out (what two runs of one seed must agree on).
    public func json(includingSimulation: Bool = true) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var copy = self
        if !includingSimulation {
            copy.simulation = .init(
                wallS: 0, events: 0, eventsPerS: 0, peakRssMib: 0, threads: 0, windows: 0, parallelWindows: 0,
                peakPendingEvents: 0)
        }
        var data = try encoder.encode(copy)
        data.append(0x0A)
        return data
    }

    /// Reads a report written by `json()`.
    public static func decode(_ data: Data) throws -> SimulationReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(SimulationReport.self, from: data)
    }

    /// A few lines for a terminal.
    public var summaryText: String {
        let s = itemSummary
        var lines: [String] = []
        lines.append(
            "nodes \(nodes) (running \(liveNodes), killed \(killedNodes)), virtual time \(format(virtualS, 1)) s, seed \(settings.seed)"
        )
        lines.append(
            "items \(s.announced)/\(s.count) announced, \(s.complete) reached every eligible node; "
                + "reliability mean \(format(s.reliability.mean, 4)) min \(format(s.reliability.min, 4))")
        /// The mean of a time distribution, or "-" when no item got that far.
        func mean(_ times: Distribution) -> String { times.count > 0 ? format(times.mean, 0) : "-" }
        lines.append(
            "time to 50/90/99/100%: mean \(mean(s.t50Ms))/\(mean(s.t90Ms))/\(mean(s.t99Ms))/\(mean(s.t100Ms)) ms "
                + "(over the items that got that far), max t100 \(s.t100Ms.count > 0 ? format(s.t100Ms.max, 0) : "-") ms "
                + "(\(s.t100Ms.count) items complete)")
        lines.append(
            "RMR mean \(format(s.rmr.mean, 2)), last hop mean \(format(s.lastHop.mean, 1)) max \(format(s.lastHop.max, 0)), "
                + "duplicate notifications \(s.duplicateNotifications)")
        if let phases = KillPhases(self) {
            func rmr(_ value: Double?) -> String { value.map { format($0, 3) } ?? "-" }
            func ms(_ value: Double?) -> String { value.map { format($0, 0) } ?? "-" }
            let before = phases.doneBefore.rmrMean(first: 5)
            let after = phases.after.rmrMean(first: phases.after.count / 2)
            lines.append(
                "around the kill at \(format(phases.killAtS, 2)) s: \(phases.doneBefore.count) items done before it, RMR mean "
                    + "\(rmr(phases.doneBefore.rmrMean)) (first 5: \(rmr(before.first)), the rest: \(rmr(before.rest))), "
                    + "t100 mean \(ms(phases.doneBefore.t100Mean)) ms; \(phases.inFlight.count) in flight at it, RMR mean "
                    + "\(rmr(phases.inFlight.rmrMean)); \(phases.after.count) after it, RMR mean \(rmr(phases.after.rmrMean)) "
                    + "(second half: \(rmr(after.rest))), t100 mean \(ms(phases.after.t100Mean)) ms")
        }
        lines.append(
            "overlay: \(overlay.components) component(s), largest \(overlay.largestComponent), isolated \(overlay.isolated), "
                + "links min/mean/max \(overlay.linksMin)/\(format(overlay.linksMean, 1))/\(overlay.linksMax), "
                + "view in-degree mean \(format(overlay.inDegree.mean, 1)) (zero: \(overlay.inDegreeZero))")
        lines.append(
            "broadcast tree at the end: \(overlay.treeLinks) links eager at both ends, \(overlay.treeComponents) component(s), "
                + "\(overlay.treeOneSidedLinks) link end(s) eager on one side only")
        lines.append(
            "traffic: \(abbreviated(Double(traffic.totalMessages))) messages, \(abbreviated(Double(traffic.totalBytes)))B; "
                + "per node mean \(abbreviated(traffic.bytesSent.mean))B max \(abbreviated(traffic.bytesSent.max))B")
        lines.append(
            "simulation: \(format(simulation.wallS, 1)) s wall, \(abbreviated(Double(simulation.events))) events "
                + "(\(abbreviated(simulation.eventsPerS))/s), peak RSS \(format(simulation.peakRssMib, 0)) MiB")
        return lines.joined(separator: "\n")
    }
}

/// Writes the CSV files for plotting into one folder: items.csv, coverage.csv, links.csv,
/// in_degree.csv, hops.csv and nodes.csv (see docs/simulator.md).
public enum CSVWriter {
    public static func write(_ report: SimulationReport, nodes: [NodeRow], to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func save(_ name: String, _ header: String, _ rows: [String]) throws {
            let text = ([header] + rows).joined(separator: "\n") + "\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name))
        }
        func field(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        func field(_ value: Int?) -> String { value.map { "\($0)" } ?? "" }
        try save(
            "items.csv",
            "item,announced,origin,announced_s,ttl,eligible,reached,reached_total,reliability,t50_ms,t90_ms,t99_ms,t100_ms,messages,rmr,last_hop,max_hop,mean_hop,duplicate_notifications",
            report.items.map { item in
                [
                    "\(item.index)", item.announced ? "1" : "0", "\(item.origin)", field(item.announcedS),
                    "\(item.ttl)",
                    "\(item.eligible)", "\(item.reached)", "\(item.reachedTotal)", "\(item.reliability)",
                    field(item.t50Ms),
                    field(item.t90Ms), field(item.t99Ms), field(item.t100Ms), "\(item.messages)", field(item.rmr),
                    field(item.lastHop), field(item.maxHop), field(item.meanHop), "\(item.duplicateNotifications)",
                ].joined(separator: ",")
            })
        try save("coverage.csv", "ms,mean,min,max", report.coverage.map { "\($0.ms),\($0.mean),\($0.min),\($0.max)" })
        try save("links.csv", "links,nodes", report.overlay.linksHistogram.map { "\($0.value),\($0.count)" })
        try save("in_degree.csv", "in_degree,nodes", report.overlay.inDegreeHistogram.map { "\($0.value),\($0.count)" })
        try save("hops.csv", "hop,deliveries", report.hopHistogram.map { "\($0.value),\($0.count)" })
        try save(
            "nodes.csv",
            "node,state,start_s,died_s,module,bootstrappers,links,in_degree,bytes_sent,messages_sent,items_reached",
            nodes.map { row in
                [
                    "\(row.node)", row.state, field(row.startS), field(row.diedS), row.module,
                    row.bootstrappers.map(String.init).joined(separator: ";"), "\(row.links)", "\(row.inDegree)",
                    "\(row.bytesSent)", "\(row.messagesSent)", "\(row.itemsReached)",
                ].joined(separator: ",")
            })
    }
}
