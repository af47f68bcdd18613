import GossipCore
import Logging
import Synchronization
import Testing

@testable import GossipNode

@Suite("Isolation log")
struct IsolationWatchTests {
    @Test("a node without links says so after the grace period, then at most once a minute, and says when it is linked again")
    func warnsAndRecovers() {
        let handler = RecordingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        var watch = IsolationWatch()
        let second: UInt64 = 1_000_000_000
        for t in stride(from: UInt64(0), through: 130, by: 1) {
            watch.observe(activeLinks: 0, knownPeers: 2, hasBootstrappers: true, now: Moment(nanoseconds: t * second), logger: logger)
        }
        let warnings = handler.lines.withLock { $0.filter { $0.level == .warning }.map(\.message) }
        #expect(warnings.count == 3, "at 10 s, 70 s and 130 s: \(warnings)")
        #expect(warnings.first?.contains("no peer links for 10 s") == true)
        #expect(warnings.first?.contains("bootstrappers") == true)
        watch.observe(activeLinks: 1, knownPeers: 2, hasBootstrappers: true, now: Moment(nanoseconds: 131 * second), logger: logger)
        let notices = handler.lines.withLock { $0.filter { $0.level == .notice }.map(\.message) }
        #expect(notices == ["linked to 1 peer(s) again after 131 s without any"])
        // A short gap (a neighbour restarting) stays out of the log.
        watch.observe(activeLinks: 0, knownPeers: 2, hasBootstrappers: true, now: Moment(nanoseconds: 200 * second), logger: logger)
        watch.observe(activeLinks: 1, knownPeers: 2, hasBootstrappers: true, now: Moment(nanoseconds: 205 * second), logger: logger)
        #expect(handler.lines.withLock { $0.count } == 4)
    }
}
