/// CRC-32C (Castagnoli, iSCSI): polynomial 0x1EDC6F41 (0x82F63B78 reflected), initial value and
/// final XOR 0xFFFFFFFF, input and output reflected. CRC-32C("123456789") = 0xE3069283. The
/// recording format checks each record with it (docs/record-format.md).
///
/// Written here because no package in the local mirror provides CRC-32C (none of this package's
/// dependencies has one, BoringSSL in swift-crypto included, nor has Foundation). Table-driven, eight bytes at a time
/// ("slicing-by-8"): a few hundred MB/s to a few GB/s, far above what the recorder writes.
public enum CRC32C {
    /// The checksum of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        finalize(update(start, bytes))
    }

    /// The running value before any byte; feed bytes with `update`, then `finalize`.
    public static let start: UInt32 = 0xFFFF_FFFF

    /// `crc` after `bytes`.
    public static func update(_ crc: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(crc, $0) }) { return result }
        return update(crc, Array(bytes))
    }

    /// The checksum of the bytes fed into `crc`.
    public static func finalize(_ crc: UInt32) -> UInt32 { crc ^ 0xFFFF_FFFF }

    private static func update(_ crc: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var crc = crc
            var index = 0
            let count = bytes.count
            while count - index >= 8 {
                // The first four bytes meet the running value; the last four enter as they are.
                var low = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
                low |= UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
                low ^= crc
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                crc ^= t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                crc ^= t[3 * 256 + Int(bytes[index + 4])] ^ t[2 * 256 + Int(bytes[index + 5])]
                crc ^= t[256 + Int(bytes[index + 6])] ^ t[Int(bytes[index + 7])]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
            return crc
        }
    }

    /// Eight tables of 256 entries: table 0 is the byte-at-a-time table; table k advances a byte
    /// through k more zero bytes.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[byte] = crc
        }
        for k in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(k - 1) * 256 + byte]
                tables[k * 256 + byte] = tables[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return tables
    }()
}
