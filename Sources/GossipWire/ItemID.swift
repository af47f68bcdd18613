/// Identifies one gossip item network-wide: 128 random bits, so two items never collide by accident.
public struct ItemID: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Bytes on the wire.
    public static let encodedSize = 16

    /// A fresh random ID.
    public static func random(using generator: inout some RandomNumberGenerator) -> ItemID {
        ItemID(high: generator.next(), low: generator.next())
    }

    /// The first 64 bits in hex, enough to tell items apart in logs.
    public var description: String {
        let hex = String(high, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
