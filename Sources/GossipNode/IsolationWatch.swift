import GossipCore
import Logging

/// Tells the operator, through the log, when the node has had no neighbour for a while (and
/// again, less often, while that lasts), and when it is linked again: a node cut off from the
/// network otherwise succeeds at every announcement and reaches nobody.
struct IsolationWatch {
    /// Silence about being alone for this long after it started (a network starting up, a
    /// neighbour restarting).
    static let graceNanoseconds: UInt64 = 10_000_000_000
    /// Then at most one reminder this often.
    static let reminderNanoseconds: UInt64 = 60_000_000_000

    private var aloneSince: Moment?
    private var lastWarning: Moment?

    /// Looks at the node's active links at `now`; logs when it is time to.
    mutating func observe(activeLinks: Int, knownPeers: Int, hasBootstrappers: Bool, now: Moment, logger: Logger) {
        guard activeLinks == 0 else {
            if let since = aloneSince, lastWarning != nil {
                logger.notice("linked to \(activeLinks) peer(s) again after \(Self.seconds(since, now)) s without any")
            }
            aloneSince = nil
            lastWarning = nil
            return
        }
        let since = aloneSince ?? now
        aloneSince = since
        guard now.nanoseconds >= since.nanoseconds + Self.graceNanoseconds else { return }
        if let last = lastWarning, now.nanoseconds < last.nanoseconds + Self.reminderNanoseconds { return }
        lastWarning = now
        let trying =
            hasBootstrappers
            ? "still dialing the bootstrappers and \(knownPeers) known peer(s)"
            : (knownPeers > 0 ? "still dialing \(knownPeers) known peer(s)" : "no bootstrapper configured: waiting for other nodes to connect")
        logger.warning("no peer links for \(Self.seconds(since, now)) s; announcements reach no other node (\(trying))")
    }

    private static func seconds(_ from: Moment, _ to: Moment) -> UInt64 {
        (to.nanoseconds &- from.nanoseconds) / 1_000_000_000
    }
}
