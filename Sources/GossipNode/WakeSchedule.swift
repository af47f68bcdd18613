import Dispatch
import GossipCore
import Synchronization

/// When the protocol core next wants its `tick`: any thread that carries out a `.wake(at:)`
/// effect may bring the moment forward; the ticker thread sleeps until it. Waits are measured on
/// monotonic clocks only (the node's clock and `DispatchTime`), so a step of the wall clock can
/// neither stall nor hurry the ticker.
final class WakeSchedule: Sendable {
    private struct State {
        var next: Moment?
        var isClosed = false
    }

    private let state = Mutex(State())
    /// Signalled when the moment moves earlier or the schedule closes; extra signals only cause
    /// an early look at the clock.
    private let changed = DispatchSemaphore(value: 0)

    /// Asks for a tick no later than `moment`.
    func schedule(_ moment: Moment) {
        let earlier = state.withLock { state -> Bool in
            guard state.next.map({ moment < $0 }) ?? true else { return false }
            state.next = moment
            return true
        }
        if earlier { changed.signal() }
    }

    /// Waits until the scheduled moment (by `clock`), but at least `minimum` and at most `maximum`
    /// seconds. Returns false once closed.
    func waitForTick(clock: any NodeClock, minimum: Double, maximum: Double) -> Bool {
        let start = clock.now()
        let least = start.adding(nanoseconds: UInt64(minimum * 1e9))
        let most = start.adding(nanoseconds: UInt64(maximum * 1e9))
        while true {
            let now = clock.now()
            // Check and reset in one step, so a moment scheduled meanwhile is never lost.
            let wait = state.withLock { state -> UInt64? in
                if state.isClosed { return 0 }
                let due = max(least, min(state.next ?? most, most))
                guard now < due else {
                    state.next = nil
                    return nil
                }
                return due.nanoseconds - now.nanoseconds
            }
            guard let wait else { return true }
            if wait == 0 { return false }  // closed
            _ = changed.wait(timeout: .now() + .nanoseconds(Int(min(wait, 1_000_000_000))))
        }
    }

    func close() {
        state.withLock { $0.isClosed = true }
        changed.signal()
    }
}
