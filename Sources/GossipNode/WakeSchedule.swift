import Foundation
import GossipCore

/// When the protocol core next wants its `tick`: any thread that carries out a `.wake(at:)`
/// effect may bring the moment forward; the ticker thread sleeps until it.
///
/// `@unchecked Sendable`: `next` and `isClosed` are read and written only while holding `condition`.
final class WakeSchedule: @unchecked Sendable {
    private let condition = NSCondition()
    private var next: Moment?
    private var isClosed = false

    /// Asks for a tick no later than `moment`.
    func schedule(_ moment: Moment) {
        condition.lock()
        if next.map({ moment < $0 }) ?? true {
            next = moment
            condition.signal()
        }
        condition.unlock()
    }

    /// Waits until the scheduled moment (by `clock`), but at least `minimum` and at most `maximum`
    /// seconds. Returns false once closed.
    func waitForTick(clock: any NodeClock, minimum: Double, maximum: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let start = Date()
        while !isClosed {
            let now = clock.now()
            let due = next.map { $0 <= now ? 0 : Double($0.nanoseconds - now.nanoseconds) / 1e9 } ?? maximum
            let wait = max(minimum - Date().timeIntervalSince(start), min(due, maximum - Date().timeIntervalSince(start)))
            if wait <= 0 { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: wait))
        }
        next = nil
        return !isClosed
    }

    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }
}
