import ArgumentParser
import Foundation
import GossipNode
import Synchronization

/// How often many threads can take one lock on this machine, and how long a thread that takes it
/// now and then waits meanwhile: `Synchronization.Mutex` (on Linux a priority-inheriting futex,
/// `FUTEX_LOCK_PI`, which hands a contended lock to a sleeping waiter), a default pthread mutex
/// (which lets whichever thread runs first take it) and the node's `FairMutex` (the same, but
/// about once a millisecond handed to the longest waiter). docs/benchmarks.md ("An eventually fair
/// lock") tells why the node's busiest locks are the last kind.
struct LockBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Time one lock taken by many threads: Synchronization.Mutex, a pthread mutex and FairMutex.",
        discussion: """
            --threads threads each take the lock, do a little work inside (about 200 multiply-adds) \
            and more outside (2,000), for --seconds, and the acquisitions a second are printed for \
            each kind, alternated --runs times. One more thread takes the same lock once a \
            millisecond (as a node's API reader answering STATUS does, now and then), and its \
            waits are printed too (p50, p99, the longest). With more threads than CPUs a contended \
            lock is where the kinds differ: a priority-inheriting futex hands the lock to a \
            sleeping waiter, a pthread mutex lets a thread that rarely asks wait behind the busy ones.

            Example: gossip-bench lock --threads 64 --seconds 2 --runs 3
            """)

    @Option(help: "Threads taking the lock.")
    var threads = 64

    @Option(help: "Seconds each kind runs.")
    var seconds = 2.0

    @Option(help: "Runs of each kind, alternated (each kind goes first in one of every three).")
    var runs = 3

    func validate() throws {
        guard (1...4096).contains(threads) else { throw ValidationError("--threads must be 1 to 4096") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be above 0 and at most 600") }
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
    }

    func run() throws {
        print("lock: \(threads) threads, \(seconds) s a run, \(ProcessInfo.processInfo.activeProcessorCount) CPUs")
        for run in 1...runs {
            let mutex = Mutex<UInt64>(0)
            let plain = PlainMutex<UInt64>(0)
            let fair = FairMutex<UInt64>(0)
            let kinds: [(String, @Sendable () -> Void)] = [
                ("Synchronization.Mutex", { mutex.withLock { $0 = Self.inside($0) } }),
                ("pthread_mutex_t", { plain.withLock { $0 = Self.inside($0) } }),
                ("FairMutex", { fair.withLock { $0 = Self.inside($0) } }),
            ]
            // Alternated: the kinds go in a different order from run to run.
            let shift = (run - 1) % kinds.count
            for (name, take) in kinds[shift...] + kinds[..<shift] {
                let (rate, waits) = measure(take)
                print(
                    "run \(run): \(name) \(String(format: "%.0f", rate)) acquisitions/s; "
                        + "the occasional taker waited p50 \(Self.milliseconds(waits, 0.5)), "
                        + "p99 \(Self.milliseconds(waits, 0.99)), longest \(Self.milliseconds(waits, 1)) ms "
                        + "(\(waits.count) times)"
                        + (name == "FairMutex" ? "; handed over \(fair.handovers) times" : ""))
            }
        }
    }

    /// The work inside the lock; the count of acquisitions is the number of calls.
    private static func inside(_ value: UInt64) -> UInt64 {
        var hash = value
        for step in 0..<200 { hash = hash &* 31 &+ UInt64(step) }
        return hash | 1  // never 0, so it cannot be optimised away as unchanged
    }

    /// The wait at `fraction` of `waits` (nearest rank, `percentile`), in milliseconds to the
    /// microsecond.
    private static func milliseconds(_ waits: [Duration], _ fraction: Double) -> String {
        percentile(waits.map(gossip_bench.milliseconds), fraction).map { String(format: "%.3f", $0) } ?? "-"
    }

    /// Acquisitions a second of `take` by `threads` threads over `seconds`, and the waits of one
    /// more thread that takes it once a millisecond.
    private func measure(_ take: @escaping @Sendable () -> Void) -> (Double, [Duration]) {
        final class Shared: Sendable {
            let stop = Atomic<Bool>(false)
            let count = Atomic<Int>(0)
        }
        let shared = Shared()
        let group = DispatchGroup()
        for _ in 0..<threads {
            group.enter()
            Thread {
                var taken = 0
                var outside: UInt64 = 0
                while !shared.stop.load(ordering: .relaxed) {
                    take()
                    taken += 1
                    for step in 0..<2000 { outside = outside &+ UInt64(step) &* 7 }
                }
                if outside == 42 { print("") }  // keeps the work outside the lock
                shared.count.wrappingAdd(taken, ordering: .relaxed)
                group.leave()
            }.start()
        }
        let waits = Mutex<[Duration]>([])
        group.enter()
        Thread {
            var mine: [Duration] = []
            while !shared.stop.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: 0.001)
                let asked = ContinuousClock.now
                take()
                mine.append(ContinuousClock.now - asked)
            }
            waits.withLock { $0 = mine }
            group.leave()
        }.start()
        let start = ContinuousClock.now
        Thread.sleep(forTimeInterval: seconds)
        shared.stop.store(true, ordering: .relaxed)
        group.wait()
        let (whole, fraction) = (ContinuousClock.now - start).components
        let rate = Double(shared.count.load(ordering: .relaxed)) / (Double(whole) + Double(fraction) / 1e18)
        return (rate, waits.withLock { $0 })
    }
}

/// A value behind a default pthread mutex (no priority inheritance), for the comparison only.
private final class PlainMutex<Value>: @unchecked Sendable {
    // Sound: `value` is read and written only between pthread_mutex_lock and _unlock on `mutex`,
    // which is allocated once, never moved, and destroyed when the last reference goes.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&value)
    }
}
