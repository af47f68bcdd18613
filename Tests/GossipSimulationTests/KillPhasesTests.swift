import Foundation
import GossipSimulation
import Testing

@Suite("Items around a kill")
struct KillPhasesTests {
    /// An announced item; `t100` nil if it never reached every eligible node. (Made from JSON, as
    /// reports are read back: the type has no public memberwise initializer.)
    func item(_ index: Int, at announced: Double, t100: Double?, rmr: Double?) -> SimulationReport.ItemReport {
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "null" }
        let json = """
            {"index": \(index), "announced": true, "origin": 1, "announced_s": \(announced), "ttl": 0, "eligible": 10,
             "reached": 10, "reached_total": 10, "reliability": 1, "t50_ms": null, "t90_ms": null, "t99_ms": null,
             "t100_ms": \(number(t100)), "messages": 10, "rmr": \(number(rmr)), "last_hop": null, "max_hop": null,
             "mean_hop": null, "duplicate_notifications": 0}
            """
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(SimulationReport.ItemReport.self, from: Data(json.utf8))
    }

    @Test("an item still spreading when the kill came is neither before nor after it")
    func grouping() {
        var unannounced = item(9, at: 10, t100: nil, rmr: nil)
        unannounced.announced = false
        let items = [
            item(0, at: 1, t100: 2_000, rmr: 0.2),  // done at 3 s
            item(1, at: 2, t100: 7_999, rmr: 0.1),  // done just before 10 s
            item(2, at: 3, t100: 7_000, rmr: 0.5),  // done at exactly 10 s: in flight
            item(3, at: 9.5, t100: nil, rmr: 0.7),  // never complete
            item(4, at: 10, t100: 500, rmr: 0.3),  // announced at the kill: after
            item(5, at: 11, t100: 400, rmr: nil),
            unannounced,
        ]
        let phases = KillPhases(items: items, killAtS: 10)
        #expect(phases.doneBefore.items.map(\.index) == [0, 1])
        #expect(phases.inFlight.items.map(\.index) == [2, 3])
        #expect(phases.after.items.map(\.index) == [4, 5])
        #expect(abs((phases.doneBefore.rmrMean ?? -1) - 0.15) < 1e-9)
        #expect(phases.doneBefore.rmrMean(first: 1) == (first: 0.2, rest: 0.1))
        #expect(phases.after.rmrMean == 0.3, "items without an RMR are left out of the mean")
        #expect(phases.after.t100Mean == 450)
        #expect(KillPhases.Group(items: []).rmrMean == nil)
    }

    @Test("a run with a kill reports the three groups; a run without has none")
    func fromReport() {
        var configuration = smallRun(seed: 11)
        configuration.killFraction = 0.2
        let report = run(configuration)
        let phases = KillPhases(report)
        #expect(phases != nil)
        if let phases {
            #expect(phases.doneBefore.count + phases.inFlight.count + phases.after.count == report.items.filter(\.announced).count)
            #expect(report.summaryText.contains("around the kill at"))
        }
        configuration.killFraction = 0
        let quiet = run(configuration)
        #expect(KillPhases(quiet) == nil)
        #expect(!quiet.summaryText.contains("around the kill"))
    }
}
