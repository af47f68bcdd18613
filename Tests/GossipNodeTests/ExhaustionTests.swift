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
        let node = try LimitedGossipd(shell: "ulimit -n 40 && exec \"$0\" --config \"$1\" --log-level info")
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
        let node = try LimitedGossipd(
            shell: "exec setpriv --reuid=65534 --regid=65534 --clear-groups prlimit --nproc=16:16 -- \"$0\" --config \"$1\" --log-level info",
            binaryCopy: true)
        defer { node.kill() }
        try Self.exhaust(node)
        #expect(node.log.contains("no_thread"), "the node did run out of threads, and said so")
    }

    /// Holds 60 API connections to `node`, far more than it has room for, and checks that it keeps
    /// running without spinning, answers STATUS once they are gone, and stops cleanly.
    static func exhaust(_ node: LimitedGossipd) throws {
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

/// A real gossipd started through a shell line that limits it (`$0` is the binary, `$1` the
/// config), with its log collected and its API port read from the "node started" line.
final class LimitedGossipd {
    let process = Process()
    let apiPort: UInt16
    private let logText = SharedText()
    private let reading: BackgroundJob
    private let folder: URL

    var log: String { logText.value.withLock { $0 } }

    /// - Parameter binaryCopy: run a copy in a world-readable temporary folder (for a node run
    ///   as another user, who may not reach the build folder).
    init(shell: String, binaryCopy: Bool = false) throws {
        let built = CommandLineTests.products.appendingPathComponent("gossipd")
        try #require(FileManager.default.isExecutableFile(atPath: built.path), "build the products first (scripts/test does)")
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("exhaust-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        var binary = built
        if binaryCopy {
            binary = folder.appendingPathComponent("gossipd")
            try FileManager.default.copyItem(at: built, to: binary)
        }
        let config = folder.appendingPathComponent("node.ini").path
        try "[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\nidentity_work_bits = 0\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config)
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", shell, binary.path, config]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The log, read on a thread of its own until the process closes it.
        let text = logText
        reading = BackgroundJob {
            while true {
                let data = errors.fileHandleForReading.availableData
                if data.isEmpty { return }
                text.value.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        var port: UInt16?
        _ = waitUntil(timeout: .seconds(10)) {
            let log = text.value.withLock { $0 }
            guard let range = log.range(of: "api=127.0.0.1:"), log[range.upperBound...].contains("\n") else { return false }
            port = UInt16(log[range.upperBound...].prefix { $0.isNumber })
            return true
        }
        guard let port else {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: folder)
            throw TestFailure.unexpected
        }
        apiPort = port
    }

    /// SIGTERM, then the exit status once the process and its log are done.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        try? reading.join()
        return process.terminationStatus
    }

    /// Ends the process whatever its state, and removes its folder.
    func kill() {
        if process.isRunning { process.terminate() }
        let deadline = Date(timeIntervalSinceNow: 5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Text several threads append to and read.
final class SharedText: Sendable {
    let value = Mutex("")
}
