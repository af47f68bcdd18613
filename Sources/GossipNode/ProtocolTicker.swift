import Dispatch
import GossipCore

/// The thread that drives the core's timers: it sleeps until the moment the core asked for (a
/// `.wake(at:)` effect), calls `tick`, and carries out what is due (validation deadlines, pings,
/// dials, shuffles, IHAVE batches, grafts, anti-entropy).
final class ProtocolTicker: Sendable {
    private let context: NodeContext
    private let done = DispatchSemaphore(value: 0)
    /// Never sleep longer than this (a safety net: the core asks for every tick it needs, which
    /// is all the simulator gives it); never spin faster than 1 kHz. A short net costs: at
    /// 100 ms, 300 idle nodes on one 2-core machine woke 10 times a second each for nothing.
    private static let longest = 1.0
    private static let shortest = 0.001

    init(context: NodeContext) {
        self.context = context
    }

    func start() {
        startThread(name: "protocol-ticker") { [self] in
            var isolation = IsolationWatch()
            var trimmer = MemoryTrimmer()
            let hasBootstrappers = !context.configuration.bootstrappers.isEmpty || !context.savedPeers.withLock { $0.isEmpty }
            var lastSave = ContinuousClock.now
            while context.wakeups.waitForTick(minimum: Self.shortest, maximum: Self.longest) {
                let effects = context.core.withLock { $0.tick(now: context.clock.now()) }
                // At debug the core reports the verdicts the tick reached (`refreshObservation`).
                if context.itemLog.isEnabled { context.itemLog.reportExpired(in: effects) }
                context.perform(effects)
                context.abuseLog.flush()
                if ContinuousClock.now - lastSave >= PeerStateFile.saveInterval {
                    lastSave = .now
                    context.savePeers()
                }
                trimmer.observe(
                    connectionsClosed: context.connectionsClosed.load(ordering: .relaxed),
                    itemsReceived: context.statistics.peerItemsReceived.load(ordering: .relaxed), now: .now)
                let (active, known) = context.core.withLock { ($0.overlay.activeLinks.count, $0.overlay.view.count) }
                isolation.observe(
                    activeLinks: active, knownPeers: known, hasBootstrappers: hasBootstrappers, now: context.clock.now(),
                    logger: context.logger)
            }
            done.signal()
        }
    }

    func stop() {
        context.wakeups.close()
        done.wait()
    }
}
