import Foundation

/// The whole machine's CPU time by kind, from the first line of /proc/stat: how busy it was
/// between two readings, and how much of the CPUs' time the hypervisor gave to other guests
/// (steal). On a shared VM the slow stretches of a benchmark are often the host's, not ours.
struct MachineTimes {
    /// Clock ticks (USER_HZ) since boot, all CPUs together.
    var busy: Double
    var idle: Double
    var steal: Double

    init?() {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        // user nice system idle iowait irq softirq steal (guest time is counted in user already)
        let parsed = line.split(separator: " ").dropFirst().map { Double($0) }
        guard parsed.count >= 8, !parsed.contains(nil) else { return nil }
        let fields = parsed.map { $0! }
        busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
        idle = fields[3] + fields[4]
        steal = fields[7]
    }

    /// Shares of the time between `earlier` and this reading, in per cent: busy, idle, steal.
    func shares(since earlier: MachineTimes) -> (busy: Double, idle: Double, steal: Double) {
        let (busy, idle, steal) = (self.busy - earlier.busy, self.idle - earlier.idle, self.steal - earlier.steal)
        let total = max(busy + idle + steal, 1)
        return (100 * busy / total, 100 * idle / total, 100 * steal / total)
    }
}
