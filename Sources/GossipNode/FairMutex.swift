import CFairLock
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A value behind an eventually fair lock (`CFairLock`): a thread that finds the lock free takes
/// it, even while others sleep waiting for it, but about once a millisecond an unlock hands it to
/// the thread that has waited longest. The node's busiest locks (the core, the connection tables,
/// the run-time limits, each connection's close reason, the wake schedule) are these, not
/// `Synchronization.Mutex`, which on Linux hands a contended lock to a sleeping waiter: with
/// hundreds of link threads on two CPUs the lock then stays taken until that thread runs, and
/// every thread that wants it sleeps too (docs/architecture.md, "Which kind of lock").
///
/// The same calls as `Mutex`: `withLock` and `withLockIfAvailable`. Not reentrant: a thread that
/// takes it again while holding it stops the process with a message, as with `Mutex` (whose
/// futex reports the deadlock), rather than wait for ever.
public final class FairMutex<Value>: @unchecked Sendable {
    // Sound: `value` is read and written only between gossip_fair_lock_lock (or a successful
    // _try) and gossip_fair_lock_unlock on `lock`; both are allocated once, never move (the lock's
    // waiters and the futex calls use its address) and are freed when the last reference goes,
    // when no thread can hold or wait for the lock. Values pass in and out as `sending`, as with
    // `Mutex`, so no non-Sendable state escapes the lock.
    private let lock = UnsafeMutablePointer<gossip_fair_lock>.allocate(capacity: 1)
    private let value: UnsafeMutablePointer<Value>
    /// The thread holding the lock (`pthread_self`), or 0: to stop at a recursive take. One
    /// relaxed load and store per take; only the holder writes it, and a thread always reads back
    /// its own last store, so it never mistakes another holder for itself.
    private let owner = Atomic<UInt>(0)

    public init(_ initial: sending Value) {
        lock.initialize(to: gossip_fair_lock())
        gossip_fair_lock_init(lock)
        value = .allocate(capacity: 1)
        value.initialize(to: initial)
    }

    /// For tests: every unlock that finds a waiter hands the lock over, so the handover path runs
    /// all the time instead of about once a millisecond.
    convenience init(handingOverAlways initial: sending Value) {
        self.init(initial)
        gossip_fair_lock_hand_over_always(lock)  // before any other thread can see the lock
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
        gossip_fair_lock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` with the value, the lock held.
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        let thread = UInt(pthread_self())
        if owner.load(ordering: .relaxed) == thread { fatalError("Recursive call to lock FairMutex") }
        gossip_fair_lock_lock(lock)
        defer { unlock() }
        owner.store(thread, ordering: .relaxed)
        return try body(&value.pointee)
    }

    private func unlock() {
        owner.store(0, ordering: .relaxed)
        gossip_fair_lock_unlock(lock)
    }

    /// How many unlocks so far handed the lock straight to the longest waiter (0 where the lock
    /// is a plain mutex, off Linux).
    public var handovers: UInt64 { gossip_fair_lock_handovers(lock) }

    /// Runs `body` with the value if the lock is free now; nil (without running it) if not.
    public func withLockIfAvailable<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result? {
        guard gossip_fair_lock_try(lock) != 0 else { return nil }
        defer { unlock() }
        owner.store(UInt(pthread_self()), ordering: .relaxed)
        return try body(&value.pointee)
    }
}
