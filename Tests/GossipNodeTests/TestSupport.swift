import Foundation
import GossipCore
import GossipClient
import GossipConfig
import GossipNode
import GossipWire
import Logging
import Synchronization
import Testing

/// A node on 127.0.0.1 with an OS-chosen port, stopped when the test's closure returns;
/// `prepare` sees it before it starts.
func withNode<R>(
    configure: (inout NodeConfiguration) -> Void = { _ in },
    prepare: (Node) -> Void = { _ in },
    _ body: (Node) throws -> R
) throws -> R {
    var configuration = NodeConfiguration(
        apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
    configuration.identityWorkBits = 0  // tests start many throwaway identities
    configure(&configuration)
    var logger = Logger(label: "test-node")
    logger.logLevel = .critical
    let node = try Node(configuration: configuration, logger: logger)
    prepare(node)
    try node.start()
    defer { node.stop() }
    return try body(node)
}

extension Node {
    func connect() throws -> GossipAPIClient {
        try GossipAPIClient(host: "127.0.0.1", port: apiPort)
    }

    /// A client subscribed to `dataType`, returned once the node has recorded the subscription.
    func subscriber(of dataType: UInt16) throws -> GossipAPIClient {
        let before = subscriberCount(of: dataType)
        let client = try connect()
        try client.notify(dataType: dataType)
        try #require(waitUntil { self.subscriberCount(of: dataType) > before })
        return client
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.002)
    }
    return condition()
}

extension GossipAPIClient {
    /// The next message, which must be a NOTIFICATION.
    func expectNotification(timeout: Duration = .seconds(5)) throws -> GossipNotification {
        let message = try receive(timeout: timeout)
        guard case .notification(let notification) = message else {
            Issue.record("expected a NOTIFICATION, got \(String(describing: message))")
            throw TestFailure.unexpected
        }
        return notification
    }

    /// True if nothing arrives within `timeout` and the connection stays open.
    func staysQuiet(for timeout: Duration = .milliseconds(200)) -> Bool {
        do {
            _ = try receive(timeout: timeout)
            return false
        } catch .timedOut {
            return true
        } catch {
            return false
        }
    }
}

enum TestFailure: Error { case unexpected }

/// Runs `body` on a thread of its own; `join()` waits for it and rethrows its error.
final class BackgroundJob: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let failure = Mutex<(any Error)?>(nil)

    init(_ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch { failure.withLock { $0 = error } }
            done.signal()
        }
        thread.start()
    }

    func join() throws {
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}

/// Bytes a misbehaving client or peer sends, and the reason the node must close it for.
struct BadInput: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var reason: CloseReason
    var testDescription: String { name }
}

/// A log handler that keeps every line with its metadata, for tests.
///
/// `@unchecked Sendable`: the lines are behind a `Mutex`; `metadata` and `logLevel` are set only
/// while the test builds its `Logger`, before any thread logs (swift-log's `LogHandler` needs them
/// as settable stored properties).
final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let lines = Mutex<[Line]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).mapValues(\.description)
        lines.withLock { $0.append(Line(level: event.level, message: event.message.description, metadata: fields)) }
    }

    /// The lines about `item` (metadata `item`), as their messages.
    func about(_ item: String) -> [Line] { lines.withLock { $0.filter { $0.metadata["item"] == item } } }

    func messages(_ message: String) -> [Line] { lines.withLock { $0.filter { $0.message == message } } }
}
