import Testing

@testable import GossipWire

@Suite("Big-endian fields")
struct BigEndianFieldTests {
    @Test("each width is written most significant byte first and read back; a read past the end throws .truncated")
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
        // Fewer bytes than the field: nothing is read.
        for (width, count) in [(4, 3), (8, 7)] {
            var short = ByteReader(Array(bytes.prefix(count)))
            #expect(throws: WireError.truncated) {
                if width == 4 { _ = try short.readUInt32() } else { _ = try short.readUInt64() }
            }
            #expect(short.remaining == count)
        }
        // A slice that does not start at index 0 reads from its own start.
        var sliced = ByteReader(bytes[2...])
        #expect(try sliced.readUInt32() == 0x0304_0506)
    }
}
