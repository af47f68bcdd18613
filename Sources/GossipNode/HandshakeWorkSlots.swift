#if canImport(FoundationEssentials)
import FoundationEssentials  // Date, for Condition's deadline
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many handshakes' public-key work (a signature or a check with a slow key: RSA, P-384) the
/// links' readers do at once. The work runs with the core unlocked, so it holds up no item; but
/// without a bound, dialers with many identities, each within its handshake budget, could keep
/// every CPU busy signing and leave the items none. With fewer slots than CPUs, one CPU stays for
/// the items whatever the dialers do; the other handshakes wait their turn (and time out as usual
/// if the wait is too long).
final class HandshakeWorkSlots: @unchecked Sendable {  // `free` is guarded by `condition`'s lock
    /// The most that run at once.
    let count: Int
    private var free: Int
    private var waiters = 0
    private let condition = Condition()

    /// One slot fewer than the machine has CPUs, at least one.
    static var defaultCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)) - 1) }

    init(count: Int = HandshakeWorkSlots.defaultCount) {
        precondition(count >= 1, "at least one slot")
        self.count = count
        free = count
    }

    /// Runs `work` in a slot once one is free, or returns nil without running it if `wanted`
    /// turns false first (the link closed meanwhile); `wanted` is asked at least every 100 ms.
    func run<Result>(while wanted: () -> Bool, _ work: () -> Result) -> Result? {
        condition.lock()
        waiters += 1
        while free == 0 {
            guard wanted() else {
                waiters -= 1
                condition.unlock()
                return nil
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
        waiters -= 1
        free -= 1
        condition.unlock()
        defer {
            condition.lock()
            free += 1
            condition.signal()
            condition.unlock()
        }
        return work()
    }

    /// Slots taken now, and work waiting for one (for tests).
    var occupancy: (inUse: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (count - free, waiters)
    }
}
