import Foundation
import GossipCore

/// The thread that drives the overlay's timers: every tick it asks the overlay what is due
/// (pings, dials, the push/pull round, anti-entropy) and carries it out.
final class GossipLayer: Sendable {
    private let context: NodeContext
    private let p2p: P2PServer
    private let stopping = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let tick: Double

    init(context: NodeContext, p2p: P2PServer) {
        self.context = context
        self.p2p = p2p
        // Often enough to honour the shortest interval configured, and never busier than 100 Hz.
        let configuration = context.configuration
        let shortest = [
            configuration.gossipIntervalMilliseconds, configuration.antiEntropyIntervalMilliseconds,
            configuration.pingIntervalMilliseconds,
        ].min()!
        self.tick = max(0.01, min(0.1, Double(shortest) / 4000))
    }

    func start() {
        let thread = Thread { [self] in
            while stopping.wait(timeout: .now() + tick) == .timedOut {
                let actions = context.overlay.withLock { $0.tick(now: context.clock.now()) }
                context.perform(actions, dialer: p2p.dial)
                context.abuseLog.flush()
            }
            done.signal()
        }
        thread.name = "gossip-layer"
        thread.start()
    }

    func stop() {
        stopping.signal()
        done.wait()
    }
}
