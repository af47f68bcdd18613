import GossipCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An item the node observed (`ItemObservation`), with the wall-clock time it did.
public struct ObservedItem: Sendable {
    public var observation: ItemObservation
    /// When the node observed it: Unix time in nanoseconds (UTC).
    public var unixNanoseconds: UInt64
    /// Items this observer skipped (its queue was full) since the one it took before this one.
    public var skippedBefore: Int

    public init(observation: ItemObservation, unixNanoseconds: UInt64, skippedBefore: Int = 0) {
        self.observation = observation
        self.unixNanoseconds = unixNanoseconds
        self.skippedBefore = skippedBefore
    }
}

/// The node's hub for watching the items that pass through it: a recorder (`record_file`) or a
/// live tap attaches an `ItemObserver` and reads from it on a thread of its own.
///
/// Each observer has its own bounded queue. Publishing never waits: an item that finds an
/// observer's queue full is skipped for that observer (and counted in its `skipped`), so a slow
/// observer never slows the node or its delivery to modules. While no observer is attached the
/// core is told not to report items at all (`GossipProtocol.observesItems`), so the hot path
/// costs nothing.
///
/// ```swift
/// let tap = node.itemObservers.attach(capacity: 1024)
/// defer { node.itemObservers.detach(tap) }
/// while let item = tap.next(timeout: .seconds(1)) { print(item.observation.outcome) }
/// ```
public final class ItemObservers: Sendable {
    private struct State {
        var observers: [ItemObserver] = []
        /// Tells the core whether anyone watches; set by the running node.
        var onChange: (@Sendable (Bool) -> Void)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Attaches a new observer whose queue holds at most `capacity` items and `maximumBytes` bytes
    /// of item data; it sees every item published from now on until `detach`, or with `filter`
    /// only those the filter accepts (the others neither take room nor count as skipped). The
    /// filter runs on the node's threads: keep it quick.
    public func attach(
        capacity: Int, maximumBytes: Int = 64 << 20, filter: (@Sendable (ItemObservation) -> Bool)? = nil
    ) -> ItemObserver {
        let observer = ItemObserver(capacity: capacity, maximumBytes: maximumBytes, filter: filter)
        state.withLock { state in
            state.observers.append(observer)
            if state.observers.count == 1 { state.onChange?(true) }
        }
        return observer
    }

    /// Detaches `observer`: it gets nothing more, and its reader, once it has taken what is
    /// queued, is told so (`ItemObserver.next` returns nil at once). Detaching twice is harmless.
    public func detach(_ observer: ItemObserver) {
        state.withLock { state in
            let before = state.observers.count
            state.observers.removeAll { $0 === observer }
            if before > 0 && state.observers.isEmpty { state.onChange?(false) }
        }
        observer.markDetached()
    }

    /// How many observers are attached.
    public var count: Int { state.withLock { $0.observers.count } }

    /// Hands `observation` to every attached observer, without ever waiting.
    func publish(_ observation: ItemObservation) {
        let observers = state.withLock { $0.observers }
        guard !observers.isEmpty else { return }
        let item = ObservedItem(observation: observation, unixNanoseconds: Self.unixNanoseconds())
        for observer in observers { observer.offer(item) }
    }

    /// Calls `change` now with whether anyone watches, and again whenever that changes (under the
    /// hub's lock, so calls arrive in order). The running node uses it to switch the core's
    /// observation on and off; nil stops the calls.
    func onChange(_ change: (@Sendable (Bool) -> Void)?) {
        state.withLock { state in
            state.onChange = change
            change?(!state.observers.isEmpty)
        }
    }

    /// The wall-clock time now, in nanoseconds since the Unix epoch.
    static func unixNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(max(0, time.tv_sec)) * 1_000_000_000 + UInt64(max(0, time.tv_nsec))
    }
}
