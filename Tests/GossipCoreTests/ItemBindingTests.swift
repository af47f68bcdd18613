import Crypto
import GossipWire
import Testing

@testable import GossipCore

@Suite("Item IDs bound to content")
struct ItemBindingTests {
    @Test("the ID layout is byte-exact (docs/protocol.md 2.4 and 3.4)")
    func layout() {
        let hi = ItemBinding.id(stamp: 1_800_000_000, salt: 5, dataType: 7, data: Array("hi".utf8))
        #expect(hi == ItemID(high: 0x6b49_d200_0000_0005, low: 0xeaad_e2f1_bf4c_0f62))
        let example = GossipItem.bound(stamp: 1_800_000_000, salt: 5, ttl: 4, dataType: 1337, data: [0xDE, 0xAD, 0xBE, 0xEF])
        let hex = PeerMessage.item(example).encoded().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(hex == "001c01fb6b49d20000000005c3581a392fa9a3c804000539deadbeef")
        #expect(ItemBinding.stamp(of: hi) == 1_800_000_000)
    }

    @Test("any change to data, data type or salt breaks the binding; the TTL does not")
    func binding() {
        let item = GossipItem.bound(salt: 1, ttl: 3, dataType: 9, data: [1, 2, 3])
        #expect(ItemBinding.isBound(item))
        var changed = item
        changed.data[0] = 9
        #expect(!ItemBinding.isBound(changed))
        changed = item
        changed.dataType = 10
        #expect(!ItemBinding.isBound(changed))
        changed = item
        changed.id.high ^= 1
        #expect(!ItemBinding.isBound(changed))
        changed = item
        changed.ttl = 0
        #expect(ItemBinding.isBound(changed))
    }

    /// The digest as docs/protocol.md 2.4 defines it, computed with swift-crypto's SHA256.
    static func reference(high: UInt64, dataType: UInt16, data: [UInt8]) -> UInt64 {
        var hasher = SHA256()
        withUnsafeBytes(of: high.bigEndian) { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: dataType.bigEndian) { hasher.update(bufferPointer: $0) }
        hasher.update(data: data)
        return hasher.finalize().withUnsafeBytes { bytes in bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }
    }

    @Test(
        "the digest is the first 8 bytes of SHA-256(stamp | salt | type | data): empty, at SHA-256's padding edges (inputs of 55, 56, 63, 64 bytes), and large",
        arguments: [0, 1, 45, 46, 53, 54, 1000, 70_000])
    func digestMatchesSHA256(size: Int) {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let high: UInt64 = 1_800_000_000 << 32 | 0xDEAD_BEEF
        #expect(ItemBinding.digest(high: high, dataType: 4711, data: data) == Self.reference(high: high, dataType: 4711, data: data))
        #expect(ItemBinding.digest(high: high, dataType: 4712, data: data) != Self.reference(high: high, dataType: 4711, data: data))
    }
}
