#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed socket operation: what was attempted and the system's reason.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A system call failed with this errno.
        case system(Int32)
        /// The deadline passed first.
        case timedOut
        /// The host name did not resolve.
        case resolution(String)
        /// The other side closed the connection.
        case closed
    }

    public var operation: String
    public var kind: Kind

    public init(_ operation: String, _ kind: Kind) {
        self.operation = operation
        self.kind = kind
    }

    /// The error for the current `errno`.
    static func system(_ operation: String) -> SocketError {
        SocketError(operation, .system(errno))
    }

    public var description: String {
        switch kind {
        case .system(let code): "\(operation): \(String(cString: strerror(code)))"
        case .timedOut: "\(operation): timed out"
        case .resolution(let reason): "\(operation): \(reason)"
        case .closed: "\(operation): connection closed"
        }
    }
}
