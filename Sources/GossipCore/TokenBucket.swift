/// A token bucket on the protocol's virtual time: holds up to `capacity` tokens, gains
/// `perSecond` a second, and starts full. In any span of `T` seconds it lets through at most
/// `capacity + perSecond × T` tokens, which is what the rate limits rely on.
public struct TokenBucket: Sendable {
    public let capacity: UInt64
    public let perSecond: UInt64
    private(set) var tokens: UInt64
    private var updated: Moment?

    public init(capacity: UInt64, perSecond: UInt64) {
        self.capacity = capacity
        self.perSecond = perSecond
        self.tokens = capacity
    }

    /// Takes `cost` tokens if the bucket holds them; false (and nothing taken) otherwise.
    public mutating func take(_ cost: UInt64 = 1, now: Moment) -> Bool {
        refill(now: now)
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    /// Takes `cost` tokens whether or not the bucket holds them (down to empty): for what must go
    /// through but still uses up the budget, such as local announcements.
    public mutating func drain(_ cost: UInt64 = 1, now: Moment) {
        refill(now: now)
        tokens -= min(tokens, cost)
    }

    private mutating func refill(now: Moment) {
        defer { updated = now }
        guard let updated, now > updated else { return }
        let elapsed = now.nanoseconds - updated.nanoseconds
        // perSecond × elapsed / 1e9, without overflow: a span long enough to fill the bucket fills it.
        let fillTime = perSecond == 0 ? UInt64.max : (capacity / perSecond + 1) * 1_000_000_000
        let gained = elapsed >= fillTime ? capacity : perSecond.multipliedReportingOverflow(by: elapsed).partialValue / 1_000_000_000
        tokens = min(capacity, tokens + gained)
    }
}
