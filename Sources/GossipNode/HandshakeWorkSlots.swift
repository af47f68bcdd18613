#if canImport(FoundationEssentials)
import FoundationEssentials  // Date, for Condition's deadline; ProcessInfo
#else
import Foundation
#endif
import CAffinity

/// How many handshakes' public-key work (a signature or a check with a slow key: RSA, P-384) the
/// links' readers do at once. The work runs with the core unlocked, so it holds up no item; but
/// without a bound, dialers with many identities, each within its handshake budget, could keep
/// every CPU busy signing and leave the items none. With fewer slots than CPUs, a CPU stays for
/// the items whatever the dialers do. The other handshakes wait their turn, in the order they came
/// (a ticket each), and a link that closes meanwhile (at its handshake timeout, say) leaves the
/// line; while an attack lasts, an honest handshake waits behind the attackers' and may time out.
final class HandshakeWorkSlots: @unchecked Sendable {  // the fields below are guarded by `condition`'s lock
    /// The most that run at once.
    let count: Int
    private var free: Int
    /// The next ticket to hand out, and the ticket whose turn it is.
    private var nextTicket = 0
    private var serving = 0
    /// Tickets of work that left the line before its turn (its link closed).
    private var abandoned: Set<Int> = []
    private let condition = Condition()

    /// One slot fewer than the CPUs this process may run on (its affinity mask, as `taskset`
    /// sets it; a cgroup's CPU quota is not read), at least one.
    static var defaultCount: Int { max(1, usableCPUs - 1) }

    /// The CPUs in the process's affinity mask, or all the system has if it cannot be read.
    static var usableCPUs: Int {
        var mask = [UInt](repeating: 0, count: 16)  // 1,024 CPUs, glibc's CPU_SETSIZE
        let written = mask.withUnsafeMutableBufferPointer { gossip_affinity_get($0.baseAddress, UInt(16)) }
        guard written > 0 else { return ProcessInfo.processInfo.activeProcessorCount }
        return max(1, mask.reduce(0) { $0 + $1.nonzeroBitCount })
    }

    init(count: Int = HandshakeWorkSlots.defaultCount) {
        precondition(count >= 1, "at least one slot")
        self.count = count
        free = count
    }

    /// Runs `work` in a slot once its turn comes and a slot is free, or returns nil without running
    /// it if `wanted` turns false first (the link closed meanwhile). `wanted` is asked with no lock
    /// of this type held, at least every 100 ms while waiting and once more when the turn comes.
    func run<Result>(while wanted: () -> Bool, _ work: () -> Result) -> Result? {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        while !(ticket == serving && free > 0) {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
            if ticket == serving && free > 0 { break }
            condition.unlock()
            let stillWanted = wanted()
            condition.lock()
            if !stillWanted {
                leave(ticket)
                condition.unlock()
                return nil
            }
        }
        serving += 1
        skipAbandoned()
        free -= 1
        condition.broadcast()  // the next in line may go too, if another slot is free
        condition.unlock()
        defer {
            condition.lock()
            free += 1
            condition.broadcast()
            condition.unlock()
        }
        guard wanted() else { return nil }
        return work()
    }

    /// Takes `ticket` out of the line; the lock must be held.
    private func leave(_ ticket: Int) {
        abandoned.insert(ticket)
        skipAbandoned()
        condition.broadcast()
    }

    /// Moves the turn past tickets that left the line; the lock must be held.
    private func skipAbandoned() {
        while abandoned.remove(serving) != nil { serving += 1 }
    }

    /// Slots taken now, and work waiting for one (for tests).
    var occupancy: (inUse: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (count - free, nextTicket - serving - abandoned.count)
    }
}
