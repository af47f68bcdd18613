import Foundation
import Synchronization
import Testing

@testable import GossipNode

// Serialized: the tests keep many threads busy, and one at a time is load enough beside the others.
@Suite("Fair mutex", .serialized)
struct FairMutexTests {
    /// Who is inside the lock, and how often two were.
    private final class Watch: Sendable {
        let inside = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let taken = Atomic<Int>(0)

        func enter() {
            if inside.wrappingAdd(1, ordering: .relaxed).newValue != 1 { overlaps.wrappingAdd(1, ordering: .relaxed) }
        }

        func leave() { inside.wrappingSubtract(1, ordering: .relaxed) }

        /// Runs `body` as the one thread inside, counting an overlap if another is there too; every
        /// eighth round it lets the CPU go while inside, so that waiters find the lock held long
        /// enough to go to sleep in its queue, the path that handovers take.
        func alone<Result>(round: Int, _ body: () -> Result) -> Result {
            enter()
            defer { leave() }
            if round % 8 == 0 { sched_yield() }
            return body()
        }
    }

    /// Starts `threads` threads, each running `round` for 0..<rounds, and says when all ended
    /// (false after two minutes: a thread left asleep, a lost wake-up).
    private static func run(
        threads: Int, rounds: Int, _ round: @escaping @Sendable (_ thread: Int, _ round: Int) -> Void
    ) -> Bool {
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread {
                for index in 0..<rounds { round(thread, index) }
                group.leave()
            }.start()
        }
        // A bound for a hang, not a timing: these take well under a second here.
        return group.wait(timeout: .now() + 120) == .success
    }

    @Test("many more threads than CPUs: one at a time inside, no update lost, and waiters handed the lock")
    func exclusion() throws {
        let lock = FairMutex(0)
        let watch = Watch()
        let threads = 16
        let rounds = 20_000
        let ended = Self.run(threads: threads, rounds: rounds) { _, round in
            lock.withLock { value in
                watch.alone(round: round) {
                    // A read and a write apart: a lost update if two threads were inside.
                    let seen = value
                    for _ in 0..<50 where watch.inside.load(ordering: .relaxed) != 1 {
                        watch.overlaps.wrappingAdd(1, ordering: .relaxed)
                    }
                    value = seen + 1
                }
            }
        }
        // Stop here if a thread hangs: a lock left held would hang the reads below.
        try #require(ended, "no thread was left asleep")
        #expect(watch.overlaps.load(ordering: .relaxed) == 0)
        #expect(lock.withLock { $0 } == threads * rounds)
        #if os(Linux)
            // The first unlock that finds a waiter asleep in the queue hands over (the yields inside
            // make waiters sleep).
            #expect(lock.handovers > 0, "the slow path's handover ran")
        #endif
    }

    @Test("every unlock with a waiter a handover: still one at a time, nothing lost, no wake-up lost")
    func handoversOnly() throws {
        let lock = FairMutex<[Int]>(handingOverAlways: [])
        let watch = Watch()
        let threads = 12
        let rounds = 3_000
        let ended = Self.run(threads: threads, rounds: rounds) { thread, round in
            lock.withLock { values in
                // Not atomic: a race corrupts the array or loses an element.
                watch.alone(round: round) { values.append(thread * rounds + round) }
            }
            // Now and then the try path too, racing with handovers (a try must not take a lock
            // handed to another thread: inside the watch, an overlap would show it).
            if round % 100 == 0 { _ = lock.withLockIfAvailable { values in watch.alone(round: 1) { values.count } } }
        }
        // Stop here if a thread hangs: a lock left held would hang the reads below.
        try #require(ended, "no thread was left asleep")
        #expect(watch.overlaps.load(ordering: .relaxed) == 0)
        let values = lock.withLock { $0 }
        #expect(values.count == threads * rounds)
        #expect(Set(values).count == threads * rounds)
        #if os(Linux)
            #expect(lock.handovers > 0)
        #endif
    }

    @Test("a thread that takes the lock now and then gets it while others keep it busy")
    func occasionalTaker() {
        let lock = FairMutex(0)
        let watch = Watch()
        let busy = DispatchGroup()
        for _ in 0..<8 {
            busy.enter()
            Thread {
                while !watch.stop.load(ordering: .relaxed) { lock.withLock { $0 &+= 1 } }
                busy.leave()
            }.start()
        }
        let taker = DispatchSemaphore(value: 0)
        Thread {
            for _ in 0..<100 {
                lock.withLock { $0 &+= 1 }
                watch.taken.wrappingAdd(1, ordering: .relaxed)
                usleep(200)
            }
            taker.signal()
        }.start()
        // A bound for a hang, not a timing: 100 takes need well under a second here.
        let finished = taker.wait(timeout: .now() + 60) == .success
        watch.stop.store(true, ordering: .relaxed)
        #expect(busy.wait(timeout: .now() + 60) == .success)
        #expect(finished, "the occasional taker finished (took \(watch.taken.load(ordering: .relaxed)) of 100)")
    }

    @Test("withLockIfAvailable runs nothing while another thread holds the lock, and runs once it is free")
    func tryLock() {
        let lock = FairMutex(7)
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread {
            lock.withLock { _ in
                held.signal()
                release.wait()
            }
            done.signal()
        }.start()
        held.wait()
        #expect(lock.withLockIfAvailable { $0 } == nil)
        release.signal()
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(lock.withLockIfAvailable { value -> Int in value += 1; return value } == 8)
    }

    @Test("a thread that takes the lock it holds stops the process with a message, as with Mutex")
    func recursiveTake() async {
        await #expect(processExitsWith: .failure) {
            let lock = FairMutex(0)
            lock.withLock { _ in lock.withLock { $0 += 1 } }
        }
    }

    private struct Refused: Error {}

    @Test("a body that throws lets go of the lock")
    func throwing() {
        let lock = FairMutex(0)
        #expect(throws: Refused.self) { try lock.withLock { _ throws(Refused) in throw Refused() } }
        #expect(lock.withLockIfAvailable { _ in true } == true)
    }
}
