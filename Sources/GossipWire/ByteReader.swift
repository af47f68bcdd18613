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
        try readBigEndian(UInt16.self)
    }

    public mutating func readUInt32() throws(WireError) -> UInt32 {
        try readBigEndian(UInt32.self)
    }

    public mutating func readUInt64() throws(WireError) -> UInt64 {
        try readBigEndian(UInt64.self)
    }

    /// One field of `T`'s width, most significant byte first, after one bounds check (not one per
    /// byte); nothing is read if the field does not fit.
    private mutating func readBigEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated }
        defer { index += size }
        var value: T = 0
        for offset in 0..<size { value = value << 8 | T(bytes[index + offset]) }
        return value
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
