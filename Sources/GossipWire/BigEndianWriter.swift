/// Big-endian field writers used by every encoder in this module.
extension Array where Element == UInt8 {
    // Each value goes in with one append of its big-endian bytes (a copy lent for the call by
    // the global `withUnsafeBytes(of:)`, hence `Swift.`, not Array's own), not one append per
    // byte: encoding a 32-byte identity took about 800 instructions byte by byte (callgrind,
    // docs/evaluation/s35).
    @inlinable
    mutating func appendBigEndian(_ value: UInt16) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    @inlinable
    mutating func appendBigEndian(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    @inlinable
    mutating func appendBigEndian(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
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
