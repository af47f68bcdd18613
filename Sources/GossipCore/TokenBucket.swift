/// A token bucket on the protocol's virtual time: holds up to `capacity` tokens, gains
/// `perSecond` a second, and starts full. In any span of `T` seconds it lets through at most
/// `capacity + perSecond × T` tokens, which is what the rate limits rely on.
public struct TokenBucket: Sendable {
    public let capacity: UInt64
    public let perSecond: UInt64
    private(set) var tokens: UInt64
    /// The moment up to which the refill has been counted. Only the time that whole tokens paid
    /// for is counted, so calls closer together than one token's time still add up.
    private var counted: Moment?

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

    /// Whether the bucket holds less than half its capacity at `now`.
    public mutating func isBelowHalf(now: Moment) -> Bool {
        refill(now: now)
        return tokens < capacity / 2
    }

    /// Whether the bucket holds less than its capacity at `now`.
    public mutating func isBelowFull(now: Moment) -> Bool {
        refill(now: now)
        return tokens < capacity
    }

    /// Puts back `count` tokens taken by mistake (a second check failed after the first took).
    public mutating func giveBack(_ count: UInt64 = 1) {
        tokens = min(capacity, tokens + count)
    }

    private mutating func refill(now: Moment) {
        guard let counted, now > counted, perSecond > 0 else {
            if counted == nil || tokens >= capacity { self.counted = max(counted ?? now, now) }
            return
        }
        let elapsed = now.nanoseconds - counted.nanoseconds
        // A span long enough to fill the bucket fills it; shorter spans cannot overflow here
        // (perSecond × elapsed < (capacity + perSecond) × 1e9).
        let fillTime = (capacity / perSecond + 1) * 1_000_000_000
        if elapsed >= fillTime {
            tokens = capacity
            self.counted = now
            return
        }
        let gained = perSecond * elapsed / 1_000_000_000
        tokens = min(capacity, tokens + gained)
        // Count only the time the whole tokens took; the rest carries over to the next call.
        self.counted = tokens >= capacity ? now : counted.adding(nanoseconds: gained * 1_000_000_000 / perSecond)
    }
}
