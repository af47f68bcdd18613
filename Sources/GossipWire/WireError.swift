/// Why a frame or message was rejected. Each case names what was wrong, for logs and counters.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The header's size field is below the 4-byte header itself.
    case sizeBelowHeader(size: Int)
    /// The frame is larger than the reader's limit.
    case frameTooLarge(size: Int, limit: Int)
    /// The type is not one this endpoint accepts.
    case unknownType(UInt16)
    /// The size disagrees with the type's layout.
    case badSize(type: UInt16, size: Int, expected: String)
    /// A field ran past the end of the message.
    case truncated
    /// A field holds a value the layout forbids.
    case invalidField(String)

    /// A short stable name, used as a counter label.
    public var label: String {
        switch self {
        case .sizeBelowHeader: "size_below_header"
        case .frameTooLarge: "frame_too_large"
        case .unknownType: "unknown_type"
        case .badSize: "bad_size"
        case .truncated: "truncated"
        case .invalidField: "invalid_field"
        }
    }

    public var description: String {
        switch self {
        case .sizeBelowHeader(let size): "size field \(size) is below the 4-byte header"
        case .frameTooLarge(let size, let limit): "frame of \(size) bytes exceeds the limit of \(limit)"
        case .unknownType(let type): "unknown message type \(type)"
        case .badSize(let type, let size, let expected): "type \(type) with size \(size), expected \(expected)"
        case .truncated: "message ends inside a field"
        case .invalidField(let what): "invalid field: \(what)"
        }
    }
}
