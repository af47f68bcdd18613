import Testing

@testable import GossipWire

@Suite("CRC-32C")
struct CRC32CTests {
    @Test("CRC-32C: the check value of \"123456789\" and RFC 3720's vectors, whole or fed in pieces")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // Eight bytes at a time agrees with one bit at a time, at every length and split.
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        var generator = Generator(seed: 1)
        let bytes = (0..<100).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        for count in 0...bytes.count {
            let prefix = Array(bytes.prefix(count))
            #expect(CRC32C.checksum(prefix) == bitwise(prefix), "\(count) bytes")
            let split = count / 3
            #expect(CRC32C.finalize(CRC32C.update(CRC32C.update(CRC32C.start, prefix[..<split]), prefix[split...])) == bitwise(prefix))
        }
        #expect(CRC32C.checksum(AnySequence(bytes)) == bitwise(bytes), "a sequence without contiguous storage")
    }
}

/// SplitMix64: random bytes that are the same in every run.
struct Generator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
