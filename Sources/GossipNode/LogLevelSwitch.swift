import Logging
import Synchronization

/// A log level that many loggers share and that can change while they run (`log_level` on
/// SIGHUP). swift-log copies a logger's level with the logger, so a level set at start cannot
/// be changed afterwards in every copy; loggers whose handler is a `SwitchedLogHandler` ask this
/// switch instead, on every message, with one relaxed atomic load.
public final class LogLevelSwitch: Sendable {
    private let raw: Atomic<UInt8>

    public init(_ level: Logger.Level) {
        raw = Atomic(Self.code(level))
    }

    /// The level every logger on this switch logs at, from now on.
    public var level: Logger.Level {
        get { Self.levels[Int(raw.load(ordering: .relaxed))] }
        set { raw.store(Self.code(newValue), ordering: .relaxed) }
    }

    /// The levels once (`allCases` makes a new array at every call).
    private static let levels = Logger.Level.allCases

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(levels.firstIndex(of: level)!)
    }
}

/// A log handler whose level is a `LogLevelSwitch`'s: gossipd wraps its text or JSON handler in
/// one, so `Node.reload` can change the level of every logger the node holds. Setting `logLevel`
/// on one logger still changes only that logger (swift-log's value semantics): it then keeps its
/// own level instead of the switch's.
public struct SwitchedLogHandler: LogHandler {
    public let levelSwitch: LogLevelSwitch
    private var wrapped: any LogHandler
    /// A level set on this handler itself; nil: the switch decides.
    private var ownLevel: Logger.Level?

    public init(_ wrapped: any LogHandler, levelSwitch: LogLevelSwitch) {
        var wrapped = wrapped
        wrapped.logLevel = .trace  // the switch filters; the wrapped handler writes what it is given
        self.wrapped = wrapped
        self.levelSwitch = levelSwitch
    }

    /// Whether this handler logs at the switch's level (none was set on it).
    public var followsSwitch: Bool { ownLevel == nil }

    public var logLevel: Logger.Level {
        get { ownLevel ?? levelSwitch.level }
        set { ownLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        wrapped.log(event: event)
    }
}
