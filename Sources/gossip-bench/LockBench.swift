import ArgumentParser
import Foundation
import Synchronization

/// How often many threads can take one lock on this machine: `Synchronization.Mutex` (on Linux a
/// priority-inheriting futex, `FUTEX_LOCK_PI`, which hands a contended lock to a sleeping waiter)
/// against a default pthread mutex (which lets whichever thread runs first take it). The node's
/// locks are `Mutex`; docs/benchmarks.md ("The core's lock without priority inheritance") tells
/// why a node with the other kind was tried and not kept.
struct LockBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Time one lock taken by many threads: Synchronization.Mutex against a pthread mutex.",
        discussion: """
            --threads threads each take the lock, do a little work inside (about 200 multiply-adds) \
            and more outside (2,000), for --seconds, and the acquisitions a second are printed for \
            each kind, alternated --runs times. With more threads than CPUs a contended lock is where \
            the kinds differ: a priority-inheriting futex hands the lock to a sleeping waiter.

            Example: gossip-bench lock --threads 64 --seconds 2 --runs 2
            """)

    @Option(help: "Threads taking the lock.")
    var threads = 64

    @Option(help: "Seconds each kind runs.")
    var seconds = 2.0

    @Option(help: "Runs of each kind, alternated.")
    var runs = 2

    func validate() throws {
        guard (1...4096).contains(threads) else { throw ValidationError("--threads must be 1 to 4096") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be above 0 and at most 600") }
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
    }

    func run() throws {
        print("lock: \(threads) threads, \(seconds) s a run, \(ProcessInfo.processInfo.activeProcessorCount) CPUs")
        for run in 1...runs {
            // Alternated: which kind goes first changes from run to run.
            let mutex = Mutex<UInt64>(0)
            let plain = PlainMutex<UInt64>(0)
            let kinds: [(String, @Sendable () -> Void)] = [
                ("Synchronization.Mutex", { mutex.withLock { $0 = Self.inside($0) } }),
                ("pthread_mutex_t", { plain.withLock { $0 = Self.inside($0) } }),
            ]
            for (name, take) in run % 2 == 1 ? kinds : kinds.reversed() {
                print("run \(run): \(name) \(String(format: "%.0f", measure(take))) acquisitions/s")
            }
        }
    }

    /// The work inside the lock; the count of acquisitions is the number of calls.
    private static func inside(_ value: UInt64) -> UInt64 {
        var hash = value
        for step in 0..<200 { hash = hash &* 31 &+ UInt64(step) }
        return hash | 1  // never 0, so it cannot be optimised away as unchanged
    }

    /// Acquisitions a second of `take` by `threads` threads over `seconds`.
    private func measure(_ take: @escaping @Sendable () -> Void) -> Double {
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
        let start = ContinuousClock.now
        Thread.sleep(forTimeInterval: seconds)
        shared.stop.store(true, ordering: .relaxed)
        group.wait()
        let (whole, fraction) = (ContinuousClock.now - start).components
        return Double(shared.count.load(ordering: .relaxed)) / (Double(whole) + Double(fraction) / 1e18)
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
