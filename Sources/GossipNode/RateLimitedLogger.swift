import Logging
import Synchronization

/// Logs at most `limit` messages per `interval`, then one line saying how many were suppressed, so
/// a flood of bad input cannot flood the log.
public final class RateLimitedLogger: Sendable {
    private struct Window {
        var start: ContinuousClock.Instant
        var logged = 0
        var suppressed = 0
    }

    private let logger: Logger
    private let limit: Int
    private let interval: Duration
    private let window: Mutex<Window>

    public init(logger: Logger, limit: Int = 20, interval: Duration = .seconds(1)) {
        self.logger = logger
        self.limit = limit
        self.interval = interval
        self.window = Mutex(Window(start: .now))
    }

    /// Reports the suppressed count of a window that has ended, even if nothing was logged since;
    /// called periodically, so the tail of a flood is not lost.
    public func flush() {
        let now = ContinuousClock.now
        let suppressed = window.withLock { window -> Int in
            guard now - window.start >= interval, window.suppressed > 0 else { return 0 }
            defer { window = Window(start: now) }
            return window.suppressed
        }
        if suppressed > 0 {
            logger.notice("\(suppressed) similar messages suppressed in the last interval")
        }
    }

    public func log(level: Logger.Level, _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata? = nil) {
        let now = ContinuousClock.now
        let (allowed, suppressedBefore) = window.withLock { window -> (Bool, Int) in
            var suppressed = 0
            if now - window.start >= interval {
                suppressed = window.suppressed
                window = Window(start: now)
            }
            guard window.logged < limit else {
                window.suppressed += 1
                return (false, suppressed)
            }
            window.logged += 1
            return (true, suppressed)
        }
        if suppressedBefore > 0 {
            logger.log(level: level, "\(suppressedBefore) similar messages suppressed in the last interval")
        }
        if allowed { logger.log(level: level, message(), metadata: metadata) }
    }
}
