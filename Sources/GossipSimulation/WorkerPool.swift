import Foundation

/// Threads that run the partitions of one window in parallel: the caller runs partition 0, each
/// helper thread one more. A window is handed out and collected with semaphores, which also order
/// the coordinator's writes between windows before the helpers' reads.
///
/// `@unchecked Sendable`: `work` and `stopping` are written by the caller only while every helper
/// waits on its start semaphore.
final class WorkerPool: @unchecked Sendable {
    private let starts: [DispatchSemaphore]
    private let finishes: [DispatchSemaphore]
    private var work: (@Sendable (Int) -> Void)?
    private var stopping = false

    /// A pool of `helpers` threads besides the caller's.
    init(helpers: Int) {
        starts = (0..<helpers).map { _ in DispatchSemaphore(value: 0) }
        finishes = (0..<helpers).map { _ in DispatchSemaphore(value: 0) }
        for helper in 0..<helpers {
            let thread = Thread { [self] in
                while true {
                    starts[helper].wait()
                    if stopping { break }
                    work?(helper + 1)
                    finishes[helper].signal()
                }
                finishes[helper].signal()
            }
            thread.name = "gossip-sim-\(helper + 1)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `work(0)` here and `work(1)`...`work(helpers)` on the helpers; returns when all are done.
    func run(_ work: @escaping @Sendable (Int) -> Void) {
        self.work = work
        for start in starts { start.signal() }
        work(0)
        for finish in finishes { finish.wait() }
        self.work = nil
    }

    /// Ends the helper threads.
    func stop() {
        stopping = true
        for start in starts { start.signal() }
        for finish in finishes { finish.wait() }
    }
}
