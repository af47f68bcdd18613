import Foundation
import GossipCore
import Synchronization
import Testing

@testable import GossipNode

/// The ticker's sleep: a moment brought forward by another thread must end it then, whether the
/// ticker sleeps on a timer that thread re-arms (Linux) or on a semaphore.
@Suite("Wake schedule")
struct WakeScheduleTests {
    /// What a ticker that waited once saw: when it woke, and whether for a tick (not the close).
    private final class Wake: Sendable {
        let result = Mutex<(at: Moment, ticked: Bool)?>(nil)
    }

    /// Starts a ticker that waits once (at most two minutes).
    private func ticker(_ schedule: WakeSchedule, clock: MonotonicNodeClock) -> (BackgroundJob, Wake) {
        let wake = Wake()
        let job = BackgroundJob {
            let ticked = schedule.waitForTick(minimum: 0.001, maximum: 120)
            wake.result.withLock { $0 = (clock.now(), ticked) }
        }
        return (job, wake)
    }

    #if os(Linux)
    static let hasTimer = true
    #else
    static let hasTimer = false
    #endif

    @Test("on Linux the ticker sleeps on a timer other threads move")
    func timer() {
        #expect(WakeSchedule(clock: MonotonicNodeClock()).sleepsOnTimer == Self.hasTimer)
    }

    @Test("a moment brought forward ends the sleep then, not at the later moment it slept for", arguments: [true, false])
    func broughtForward(onTimer: Bool) throws {
        let clock = MonotonicNodeClock()
        let schedule = WakeSchedule(clock: clock, usesTimer: onTimer)
        #expect(schedule.sleepsOnTimer == (onTimer && Self.hasTimer))
        schedule.schedule(clock.now().adding(nanoseconds: 90_000_000_000))  // 90 s on
        let (job, woke) = ticker(schedule, clock: clock)
        // Either order is a valid test: asleep already, the timer moves; not yet, it reads the moment.
        Thread.sleep(forTimeInterval: 0.05)
        let asked = clock.now().adding(nanoseconds: 20_000_000)
        schedule.schedule(asked)
        schedule.schedule(asked.adding(nanoseconds: 60_000_000_000))  // a later one changes nothing
        try job.join()
        let (at, ticked) = try #require(woke.result.withLock { $0 })
        #expect(ticked)
        #expect(at >= asked, "not before the moment asked for")
        #expect(at < asked.adding(nanoseconds: 30_000_000_000), "at the moment asked for, not 90 s on")
    }

    @Test("a close ends the sleep at once, and the ticker is told", arguments: [true, false])
    func close(onTimer: Bool) throws {
        let clock = MonotonicNodeClock()
        let schedule = WakeSchedule(clock: clock, usesTimer: onTimer)
        schedule.schedule(clock.now().adding(nanoseconds: 90_000_000_000))
        let (job, woke) = ticker(schedule, clock: clock)
        Thread.sleep(forTimeInterval: 0.05)
        let closed = clock.now()
        schedule.close()
        try job.join()
        let (at, ticked) = try #require(woke.result.withLock { $0 })
        #expect(!ticked)
        #expect(at < closed.adding(nanoseconds: 30_000_000_000))
        #expect(!schedule.waitForTick(minimum: 0.001, maximum: 120), "closed for good")
    }
}
