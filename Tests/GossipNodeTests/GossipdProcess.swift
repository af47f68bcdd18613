import Foundation
import Synchronization
import Testing

/// A real gossipd started through a shell line that limits it (`$0` is the binary, `$1` the
/// config), with its log collected and its API port read from the "node started" line.
final class GossipdProcess {
    let process = Process()
    let apiPort: UInt16
    private let logText = SharedText()
    private let reading: BackgroundJob
    private let folder: URL
    /// The configuration file the process was started with (a test may rewrite it, then SIGHUP).
    let configPath: String

    var log: String { logText.value.withLock { $0 } }

    /// - Parameter binaryCopy: run a copy in a world-readable temporary folder (for a node run
    ///   as another user, who may not reach the build folder).
    /// - Parameter environment: variables added to the process's environment.
    /// - Parameter extraConfig: lines added to the `[gossip]` section of the configuration.
    init(
        shell: String = "exec \"$0\" --config \"$1\" --log-level info", binaryCopy: Bool = false, environment: [String: String] = [:],
        extraConfig: String = ""
    ) throws {
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
        configPath = config
        try ("[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\nidentity_work_bits = 0\n" + extraConfig).write(
            toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config)
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", shell, binary.path, config]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
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
            // The text log says api=127.0.0.1:PORT, the JSON one "api":"127.0.0.1:PORT".
            guard let range = log.range(of: "api=127.0.0.1:") ?? log.range(of: "\"api\":\"127.0.0.1:"),
                log[range.upperBound...].contains("\n")
            else { return false }
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

    /// The port of the admin endpoint, from its "admin endpoint serving" line; nil without one.
    var adminPort: Int? {
        var port: Int?
        _ = waitUntil(timeout: .seconds(5)) {
            let log = self.log
            guard let range = log.range(of: "admin=127.0.0.1:"), log[range.upperBound...].contains("\n") else { return false }
            port = Int(log[range.upperBound...].prefix { $0.isNumber })
            return true
        }
        return port
    }

    /// SIGTERM, then the exit status once the process and its log are done; -1 if it did not end
    /// within `timeout` (it is then killed, so a node that ignores SIGTERM fails its test
    /// instead of hanging the suite).
    func stop(timeout: Duration = .seconds(30)) -> Int32 {
        process.terminate()
        guard let status = waitForExit(timeout: timeout) else {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? reading.join()
            return -1
        }
        return status
    }

    /// The exit status once the process ended by itself within `timeout` (and its log is read);
    /// nil if it is still running.
    func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        guard waitUntil(timeout: timeout, { !process.isRunning }) else { return nil }
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
