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
