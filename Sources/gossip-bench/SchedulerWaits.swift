import Foundation

/// How long a set of processes' threads waited to run, and how often they ran, from
/// `/proc/<pid>/task/<tid>/schedstat` (Linux's per-thread scheduler statistics: time on a CPU,
/// time runnable but waiting in a run queue, and how many times the thread was put on a CPU).
///
/// On a machine with thousands of threads and two CPUs, an item's hop is a chain of wake-ups
/// (the node's reader, the module, the node's API reader); the wait between being woken (or
/// preempted) and running again is where the machine's crowding shows. The benchmark's own
/// figures include its reading of the nodes' files. Each reading keeps every thread's own figures,
/// so that the difference of two readings counts only what happened between them: a thread that
/// ended meanwhile drops out, one that began counts from zero.
struct SchedulerWaits {
    /// One thread's figures: nanoseconds runnable but waiting, and times put on a CPU (after a
    /// wake-up, or again after another thread's turn). Its time on a CPU is not kept.
    struct Sample {
        var wait: Double
        var runs: Double
    }

    /// What happened between two readings, summed over the threads.
    struct Difference {
        /// Thread-seconds waiting for a CPU.
        var waitSeconds: Double
        var runs: Double
        /// Threads in the later reading.
        var threads: Int

        /// The mean wait each time a thread was put on a CPU, in microseconds; nil if none was.
        var waitPerRunMicroseconds: Double? { runs > 0 ? waitSeconds * 1e6 / runs : nil }
    }

    /// Each thread's figures, by "pid/tid".
    private(set) var threads: [String: Sample] = [:]

    /// Reads every thread of each process in `pids` (a process that is gone has none).
    init(pids: [Int32]) {
        for pid in pids {
            guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { continue }
            for task in tasks {
                guard let line = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
                    let sample = Self.parse(line)
                else { continue }
                threads["\(pid)/\(task)"] = sample
            }
        }
    }

    /// The three numbers of one schedstat line ("run-ns wait-ns runs"), or nil if it is not that.
    static func parse(_ line: String) -> Sample? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Double($0) }
        guard fields.count == 3, fields[0] != nil, let wait = fields[1], let runs = fields[2] else { return nil }
        return Sample(wait: wait, runs: runs)
    }

    /// What the threads of this reading did since `earlier`: a thread in both readings counts
    /// its difference, one that is new counts in full, one that ended meanwhile not at all.
    func since(_ earlier: SchedulerWaits) -> Difference {
        var wait = 0.0, runs = 0.0
        for (thread, now) in threads {
            let before = earlier.threads[thread] ?? Sample(wait: 0, runs: 0)
            wait += now.wait - before.wait
            runs += now.runs - before.runs
        }
        return Difference(waitSeconds: wait / 1e9, runs: runs, threads: threads.count)
    }
}
