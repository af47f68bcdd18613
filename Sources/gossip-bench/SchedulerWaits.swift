import Foundation

/// How long a set of processes' threads ran and waited to run, summed over every thread, from
/// `/proc/<pid>/task/<tid>/schedstat` (Linux's per-thread scheduler statistics: time on a CPU,
/// time runnable but waiting in a run queue, and how many times the thread was put on a CPU).
///
/// On a machine with thousands of threads and two CPUs, an item's hop is a chain of wake-ups
/// (the node's reader, the module, the node's API reader); the wait between being woken and
/// running is where the machine's slowness shows. Threads that end between two readings drop
/// out of the sums, so compare readings taken while the links hold still (the items' phase).
struct SchedulerWaits {
    /// Nanoseconds on a CPU, all threads together.
    var runNanoseconds: Double = 0
    /// Nanoseconds runnable but waiting for a CPU.
    var waitNanoseconds: Double = 0
    /// Times a thread was put on a CPU (after a wake-up or after another thread's turn).
    var runs: Double = 0
    /// Threads read.
    var threads = 0

    init() {}

    /// The sums over every thread of each process in `pids` (a process that is gone counts nothing).
    init(pids: [Int32]) {
        for pid in pids {
            guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { continue }
            for task in tasks {
                guard let line = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
                    let sample = Self.parse(line)
                else { continue }
                runNanoseconds += sample.run
                waitNanoseconds += sample.wait
                runs += sample.runs
                threads += 1
            }
        }
    }

    /// The three numbers of one schedstat line ("run-ns wait-ns runs"), or nil if it is not that.
    static func parse(_ line: String) -> (run: Double, wait: Double, runs: Double)? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Double($0) }
        guard fields.count == 3, let run = fields[0], let wait = fields[1], let runs = fields[2] else { return nil }
        return (run, wait, runs)
    }

    /// What happened between `earlier` and this reading: seconds run, seconds waited, runs, and
    /// the mean wait per run in microseconds.
    func since(_ earlier: SchedulerWaits) -> (run: Double, wait: Double, runs: Double, waitPerRunMicroseconds: Double) {
        let runs = runs - earlier.runs, wait = waitNanoseconds - earlier.waitNanoseconds
        return ((runNanoseconds - earlier.runNanoseconds) / 1e9, wait / 1e9, runs, runs > 0 ? wait / runs / 1e3 : 0)
    }
}
