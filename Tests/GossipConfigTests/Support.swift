import Foundation
import Testing

@testable import GossipConfig

/// The smallest valid [gossip] section.
let minimalGossip = """
    [gossip]
    p2p_address = 127.0.0.1:6001
    api_address = 127.0.0.1:7001

    """

/// Parses `text` and returns the error, or nil (recorded as a test failure) if it loaded.
func parseError(
    _ text: String, source: String = "t.ini", baseDirectory: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigurationError? {
    do {
        let loaded = try ConfigurationLoader.parse(text, source: source, baseDirectory: baseDirectory)
        Issue.record("expected an error, loaded \(loaded.configuration)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Loads `path` and returns the error, or nil (recorded as a test failure) if it loaded.
func loadError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
    do {
        let loaded = try ConfigurationLoader.load(path: path)
        Issue.record("expected an error, loaded \(loaded.configuration)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// `[gossip]` with the two required keys plus `extra` lines.
func gossipSection(_ extra: String) -> String {
    minimalGossip + extra + "\n"
}

/// A fresh folder under the system's temporary folder, removed with everything in it at the end of its scope.
struct TemporaryFolder: ~Copyable {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gossip-config-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    /// Writes `bytes` to `name` inside the folder and returns the file's path.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The root of the package (for configs/ and docs/).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
