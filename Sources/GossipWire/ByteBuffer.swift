/// Big-endian field writers used by every encoder in this module.
extension Array where Element == UInt8 {
    @inlinable
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    mutating func appendBigEndian(_ value: UInt32) {
        appendBigEndian(UInt16(truncatingIfNeeded: value >> 16))
        appendBigEndian(UInt16(truncatingIfNeeded: value))
    }

    @inlinable
    mutating func appendBigEndian(_ value: UInt64) {
        appendBigEndian(UInt32(truncatingIfNeeded: value >> 32))
        appendBigEndian(UInt32(truncatingIfNeeded: value))
    }

    /// Appends a message header and returns where it starts, so the size can be patched in afterwards.
    @inlinable
    mutating func beginMessage(_ type: UInt16) -> Int {
        let start = count
        appendBigEndian(UInt16(0))
        appendBigEndian(type)
        return start
    }

    /// Writes the final size into the header begun at `start`.
    @inlinable
    mutating func finishMessage(startingAt start: Int) {
        precondition(count - start <= Framing.maximumMessageSize, "message exceeds the 16-bit size field")
        let size = UInt16(truncatingIfNeeded: count - start)
        self[start] = UInt8(truncatingIfNeeded: size >> 8)
        self[start + 1] = UInt8(truncatingIfNeeded: size)
    }
}

/// Reads big-endian fields from a message body; every read is bounds-checked.
public struct ByteReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    public private(set) var index: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// Bytes not read yet.
    public var remaining: Int { bytes.endIndex - index }

    public mutating func readUInt8() throws(WireError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { index += 1 }
        return bytes[index]
    }

    public mutating func readUInt16() throws(WireError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated }
        defer { index += 2 }
        return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    public mutating func readUInt32() throws(WireError) -> UInt32 {
        let high = try readUInt16()
        let low = try readUInt16()
        return UInt32(high) << 16 | UInt32(low)
    }

    public mutating func readUInt64() throws(WireError) -> UInt64 {
        let high = try readUInt32()
        let low = try readUInt32()
        return UInt64(high) << 32 | UInt64(low)
    }

    public mutating func readBytes(_ count: Int) throws(WireError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    /// All bytes not read yet.
    public mutating func readRest() -> [UInt8] {
        defer { index = bytes.endIndex }
        return Array(bytes[index...])
    }
}
