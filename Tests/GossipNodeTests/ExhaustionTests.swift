import Foundation
import GossipClient
import GossipSockets
import Synchronization
import Testing

/// A real `gossipd` run out of file descriptors (issue 8): it must keep running, not spin, and
/// serve again once descriptors come free.
@Suite("Resource exhaustion", .serialized)
struct ExhaustionTests {
    @Test("out of descriptors, gossipd pauses accepting instead of failing or spinning, and serves again once they come free")
    func outOfDescriptors() throws {
        // 40 descriptors: the standard ones, the two listeners and a few of the runtime's leave
        // room for a handful of connections (max_api_connections is 64 by default).
        let node = try GossipdProcess(shell: "ulimit -n 40 && exec \"$0\" --config \"$1\" --log-level info")
        defer { node.kill() }
        try Self.exhaust(node)
        #expect(node.log.contains("accept failed"), "the node did run out of descriptors, and said so")
    }

    /// Only as root: it runs gossipd as `nobody` with RLIMIT_NPROC, which counts that user's
    /// threads (root itself is exempt from the limit).
    @Test(
        "out of threads, gossipd closes what it cannot serve, does not spin, and serves again once threads come free",
        .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")))
    func outOfThreads() throws {
        // An idle gossipd has about 6 threads; 16 leave room for a few connections (two threads each).
        let node = try GossipdProcess(
            shell: "exec setpriv --reuid=65534 --regid=65534 --clear-groups prlimit --nproc=16:16 -- \"$0\" --config \"$1\" --log-level info",
            binaryCopy: true)
        defer { node.kill() }
        try Self.exhaust(node)
        #expect(node.log.contains("no_thread"), "the node did run out of threads, and said so")
    }

    /// Holds 60 API connections to `node`, far more than it has room for, and checks that it keeps
    /// running without spinning, answers STATUS once they are gone, and stops cleanly.
    static func exhaust(_ node: GossipdProcess) throws {
        var held: [Socket] = []
        for _ in 0..<60 {
            if let socket = try? Socket.connect(host: "127.0.0.1", port: node.apiPort, deadline: .now + .seconds(2)) { held.append(socket) }
        }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(node.process.isRunning, "still running")
        let cpuBefore = Self.cpuSeconds(of: node.process.processIdentifier)
        Thread.sleep(forTimeInterval: 1)
        let cpuAfter = Self.cpuSeconds(of: node.process.processIdentifier)
        #expect(cpuAfter - cpuBefore < 0.5, "not spinning: \(cpuAfter - cpuBefore) s of CPU in 1 s")
        for socket in held { socket.close() }

        // Resources free again: a new module is served.
        #expect(waitUntil(timeout: .seconds(10)) {
            guard let client = try? GossipAPIClient(host: "127.0.0.1", port: node.apiPort) else { return false }
            defer { client.close() }
            return ((try? client.status(timeout: .seconds(1)))?.count ?? 0) > 2
        }, "STATUS answers again")
        #expect(node.process.isRunning)
        #expect(node.stop() == 0, "and stops cleanly on SIGTERM")
    }

    /// User plus system CPU time of `pid`, from /proc.
    static func cpuSeconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
