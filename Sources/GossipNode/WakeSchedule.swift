import CTimer
import Dispatch
import GossipCore
import Synchronization

/// When the protocol core next wants its `tick`: any thread that carries out a `.wake(at:)`
/// effect may bring the moment forward; the ticker thread sleeps until it. Waits are measured on
/// monotonic clocks only (the node's clock, a monotonic timer, `DispatchTime`), so a step of the
/// wall clock can neither stall nor hurry the ticker.
///
/// On Linux the ticker sleeps on a timer (`timerfd`) that the thread bringing the moment forward
/// re-arms: the ticker then wakes once, at the new moment, and not also once to hear of it. Every
/// item a node passes on asks for its IHAVE batch one `ihave_interval_ms` later, which is
/// usually before the ticker's next look at its links; with only a semaphore to signal, that
/// was one more wake-up of the ticker for every item at every node, during the item's wave.
/// Without a timer (elsewhere, or if the system gives none) a semaphore wakes the ticker.
final class WakeSchedule: Sendable {
    private struct State {
        var next: Moment?
        var isClosed = false
        /// While the ticker sleeps on the timer: the earliest and latest moments it may wake at.
        var sleeping: (least: Moment, most: Moment)?
    }

    private let state = FairMutex(State())
    private let clock: any NodeClock
    /// The ticker's timer (a `timerfd`), or -1: then `changed` wakes it.
    private let timer: Int32
    /// Signalled when the moment moves earlier or the schedule closes (without a timer); extra
    /// signals only cause an early look at the clock.
    private let changed = DispatchSemaphore(value: 0)

    /// `usesTimer: false` keeps to the semaphore (for tests of that path).
    init(clock: any NodeClock, usesTimer: Bool = true) {
        self.clock = clock
        timer = usesTimer ? gossip_timer_create() : -1
    }

    /// Whether the ticker sleeps on a timer (Linux) rather than on the semaphore.
    var sleepsOnTimer: Bool { timer >= 0 }

    deinit {
        if timer >= 0 { gossip_timer_close(timer) }
    }

    /// Asks for a tick no later than `moment`.
    func schedule(_ moment: Moment) {
        let signal = state.withLock { state -> Bool in
            guard state.next.map({ moment < $0 }) ?? true else { return false }
            state.next = moment
            guard timer >= 0 else { return true }
            // A sleeping ticker's timer moves earlier (within its bounds); one that is awake reads
            // `next` before it sleeps again.
            if let sleeping = state.sleeping {
                arm(at: max(sleeping.least, min(moment, sleeping.most)), now: clock.now())
            }
            return false
        }
        if signal { changed.signal() }
    }

    /// Waits until the scheduled moment (by the node's clock), but at least `minimum` and at most
    /// `maximum` seconds. Returns false once closed.
    func waitForTick(minimum: Double, maximum: Double) -> Bool {
        let start = clock.now()
        let least = start.adding(nanoseconds: UInt64(minimum * 1e9))
        let most = start.adding(nanoseconds: UInt64(maximum * 1e9))
        while true {
            // Check and reset in one step, so a moment scheduled meanwhile is never lost; the
            // timer is armed under the same lock, so no earlier moment can be overwritten.
            let wait = state.withLock { state -> UInt64? in
                if state.isClosed { return 0 }
                let due = max(least, min(state.next ?? most, most))
                let now = clock.now()
                guard now < due else {
                    state.next = nil
                    state.sleeping = nil
                    return nil
                }
                if timer >= 0 {
                    state.sleeping = (least, most)
                    arm(at: due, now: now)
                }
                return due.nanoseconds - now.nanoseconds
            }
            guard let wait else { return true }
            if wait == 0 { return false }  // closed
            if timer >= 0 {
                // Returns when the timer fires (also when it was moved earlier meanwhile), on a
                // signal, or at the moment computed here should the timer not have been armed:
                // either way the loop looks at the clock again.
                _ = gossip_timer_wait(timer, Int32(clamping: (wait + 999_999) / 1_000_000))
            } else {
                _ = changed.wait(timeout: .now() + .nanoseconds(Int(min(wait, 1_000_000_000))))
            }
        }
    }

    func close() {
        state.withLock { state in
            state.isClosed = true
            if timer >= 0 { _ = gossip_timer_arm(timer, 0) }  // fires at once: the ticker sees the close
        }
        changed.signal()
    }

    /// Sets the timer to fire at `moment` of the node's clock, which reads `now` (at once if the
    /// moment has passed). Called with the state locked.
    private func arm(at moment: Moment, now: Moment) {
        _ = gossip_timer_arm(timer, Int64(clamping: moment.nanoseconds) - Int64(clamping: now.nanoseconds))
    }
}
