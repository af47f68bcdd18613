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
        let binary = CommandLineTests.products.appendingPathComponent("gossipd")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the products first (scripts/test does)")
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("exhaust-\(UUID()).ini").path
        try "[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\nidentity_work_bits = 0\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        // 40 descriptors: the standard ones, the two listeners and a few of the runtime's leave
        // room for a handful of connections (max_api_connections is 64 by default).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -n 40 && exec \"$0\" --config \"$1\" --log-level info", binary.path, config]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            let deadline = Date(timeIntervalSinceNow: 5)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        // The log, read on a thread of its own until the process closes it.
        let log = Mutex("")
        let reading = BackgroundJob {
            while true {
                let data = errors.fileHandleForReading.availableData
                if data.isEmpty { return }
                log.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        // The API port, from the whole "node started" line.
        var apiPort: UInt16?
        _ = waitUntil(timeout: .seconds(10)) {
            let text = log.withLock { $0 }
            guard let range = text.range(of: "api=127.0.0.1:"), text[range.upperBound...].contains("\n") else { return false }
            apiPort = UInt16(text[range.upperBound...].prefix { $0.isNumber })
            return true
        }
        let port = try #require(apiPort, "no node started line: \(log.withLock { $0 })")

        // Far more connections than descriptors: the kernel queues them, the node cannot take them.
        var held: [Socket] = []
        for _ in 0..<60 {
            if let socket = try? Socket.connect(host: "127.0.0.1", port: port, deadline: .now + .seconds(2)) { held.append(socket) }
        }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(process.isRunning, "still running out of descriptors")
        let cpuBefore = Self.cpuSeconds(of: process.processIdentifier)
        Thread.sleep(forTimeInterval: 1)
        let cpuAfter = Self.cpuSeconds(of: process.processIdentifier)
        #expect(cpuAfter - cpuBefore < 0.5, "not spinning: \(cpuAfter - cpuBefore) s of CPU in 1 s")
        for socket in held { socket.close() }

        // Descriptors free again: a new module is served.
        #expect(waitUntil(timeout: .seconds(10)) {
            guard let client = try? GossipAPIClient(host: "127.0.0.1", port: port) else { return false }
            defer { client.close() }
            return ((try? client.status(timeout: .seconds(1)))?.count ?? 0) > 2
        }, "STATUS answers again")
        #expect(process.isRunning)
        process.terminate()
        process.waitUntilExit()
        try reading.join()
        #expect(log.withLock { $0 }.contains("accept failed"), "the node did run out of descriptors, and said so")
        #expect(process.terminationStatus == 0, "and stops cleanly on SIGTERM")
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
