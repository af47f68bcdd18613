#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process signals taken synchronously, on a thread of their own that waits in `sigwait`.
///
/// The signals are blocked in every thread from the start of `main` (`block`), so the kernel keeps
/// them pending for the waiting thread and none is lost to a thread that ignores it. Nothing here
/// needs a descriptor. A Dispatch signal source does (a `signalfd`), and one gossipd that ran out
/// of descriptors right after it started (a test holding 60 connections against `ulimit -n 40`,
/// on a busy machine) was found with SIGTERM pending, blocked in every thread, and no `signalfd`
/// open: it could not be stopped. Its listeners had the descriptor numbers the signal sources get
/// when they are made at once, so they were apparently made later, once descriptors ran out.
public enum SignalWaiter {
    /// Blocks `signals` in the calling thread, and so in every thread started after it. Call it
    /// first in `main`, before anything starts a thread.
    public static func block(_ signals: [Int32]) {
        var set = Self.set(of: signals)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts a thread that takes `signals` (blocked with `block` first) one at a time and calls
    /// `handler` with each, on that thread, for the life of the process. Returns false if the
    /// system refused the thread.
    @discardableResult
    public static func start(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) -> Bool {
        startThread(name: "signals") {
            var set = Self.set(of: signals)
            while true {
                var number: Int32 = 0
                // sigwait returns an error number only for an invalid set, which this is not.
                guard sigwait(&set, &number) == 0 else { continue }
                handler(number)
            }
        }
    }

    private static func set(of signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        return set
    }
}
