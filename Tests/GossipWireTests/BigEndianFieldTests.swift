import Testing

@testable import GossipWire

@Suite("Big-endian fields")
struct BigEndianFieldTests {
    @Test("each width is written most significant byte first and read back; a read past the end throws .truncated and reads nothing")
    func roundTrip() throws {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(UInt16(0x0102))
        bytes.appendBigEndian(UInt32(0x0304_0506))
        bytes.appendBigEndian(UInt64(0x0708_090A_0B0C_0D0E))
        #expect(bytes == Array(1...14))
        var reader = ByteReader(bytes)
        #expect(try reader.readUInt16() == 0x0102)
        #expect(try reader.readUInt32() == 0x0304_0506)
        #expect(try reader.readUInt64() == 0x0708_090A_0B0C_0D0E)
        #expect(reader.remaining == 0)
        // Exactly as many bytes as the field: read whole, nothing left.
        var four = ByteReader(Array(bytes[2..<6]))
        #expect(try four.readUInt32() == 0x0304_0506)
        #expect(four.remaining == 0)
        var eight = ByteReader(Array(bytes[6..<14]))
        #expect(try eight.readUInt64() == 0x0708_090A_0B0C_0D0E)
        #expect(eight.remaining == 0)
        // One byte fewer than the field: an error, and nothing read.
        var three = ByteReader(Array(bytes[2..<5]))
        #expect(throws: WireError.truncated) { _ = try three.readUInt32() }
        #expect(three.remaining == 3)
        var seven = ByteReader(Array(bytes[6..<13]))
        #expect(throws: WireError.truncated) { _ = try seven.readUInt64() }
        #expect(seven.remaining == 7)
        // A slice that does not start at index 0 reads from its own start.
        var sliced = ByteReader(bytes[2...])
        #expect(try sliced.readUInt32() == 0x0304_0506)
    }
}
