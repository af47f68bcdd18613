import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Resident memory, threads and CPU time of a process, from /proc.
struct ProcessStats {
    var rssMiB: Double
    /// The anonymous part of the RSS (heap, stacks): the node's own memory. The rest is mostly
    /// file-backed (the binary's and libraries' pages, shared by all nodes), and larger for a
    /// binary written a moment ago, whose file is wholly in the page cache.
    var anonymousMiB: Double
    var threads: Int
    var cpuSeconds: Double

    init?(pid: Int32) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { return nil }
        func field(_ name: String) -> Double? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { Double($0.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) }
        }
        rssMiB = (field("VmRSS") ?? 0) / 1024
        anonymousMiB = (field("RssAnon") ?? 0) / 1024
        threads = Int(field("Threads") ?? 0)
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let rest = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        cpuSeconds = ((Double(rest[11]) ?? 0) + (Double(rest[12]) ?? 0)) / ticks
    }
}
