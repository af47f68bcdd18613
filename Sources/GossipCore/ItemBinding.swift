import CBoringSHA256
import GossipWire

/// Binds an item's ID to its content, so that a copy under a real item's ID with other content
/// is recognised on receipt (and cannot suppress the real item as a "duplicate"), and so that
/// the ID says when the item was announced (so that an old item replayed after the seen set
/// forgot it is recognised by its age).
///
/// The 16 bytes of an ID (protocol version 3, docs/protocol.md 2.4):
///
/// ```
/// stamp (u32, Unix seconds at the origin) | salt (u32, random) | digest (8 bytes)
/// digest = the first 8 bytes of SHA-256(stamp | salt | data type (u16) | data)
/// ```
///
/// The salt keeps two announcements of the same bytes in the same second two items. Forging
/// other content for a given ID means finding a second preimage of a 64-bit digest (about 2^64
/// SHA-256 computations). The TTL is not bound: relays change it by design.
public enum ItemBinding {
    /// The ID of an item announced at `stamp` with `salt`.
    public static func id(stamp: UInt32, salt: UInt32, dataType: UInt16, data: [UInt8]) -> ItemID {
        let high = UInt64(stamp) << 32 | UInt64(salt)
        return ItemID(high: high, low: digest(high: high, dataType: dataType, data: data))
    }

    /// Whether `item`'s ID is the one its content gives.
    public static func isBound(_ item: GossipItem) -> Bool {
        item.id.low == digest(high: item.id.high, dataType: item.dataType, data: item.data)
    }

    /// When the item was announced, in Unix seconds by its origin's clock.
    public static func stamp(of id: ItemID) -> UInt32 { UInt32(truncatingIfNeeded: id.high >> 32) }

    /// The first 8 bytes of SHA-256(high | data type | data), big-endian. Every item a node takes
    /// is hashed here once: the input is laid out in one temporary buffer (on the stack unless
    /// large) and hashed by BoringSSL's one-shot function, with no digest object allocated.
    static func digest(high: UInt64, dataType: UInt16, data: [UInt8]) -> UInt64 {
        let headerSize = 10
        // Sound: every write stays inside the buffer made for it (10 header bytes, then exactly
        // data.count bytes; 32 digest bytes), and neither buffer outlives its closure.
        return withUnsafeTemporaryAllocation(byteCount: headerSize + data.count, alignment: 8) { input in
            input.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            input.storeBytes(of: dataType.bigEndian, toByteOffset: 8, as: UInt16.self)
            data.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress, !bytes.isEmpty {
                    input.baseAddress!.advanced(by: headerSize).copyMemory(from: source, byteCount: bytes.count)
                }
            }
            return withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { output in
                gossip_sha256(input.baseAddress, input.count, output.baseAddress)
                return output.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
            }
        }
    }
}

extension GossipItem {
    /// An item whose ID is bound to its content, as an origin announcing at `stamp` with `salt`
    /// would make it (for tools and tests; nodes make theirs in `GossipEngine.announce`).
    public static func bound(
        stamp: UInt32 = 1_800_000_000, salt: UInt32, ttl: UInt8, dataType: UInt16, data: [UInt8]
    ) -> GossipItem {
        GossipItem(id: ItemBinding.id(stamp: stamp, salt: salt, dataType: dataType, data: data), ttl: ttl, dataType: dataType, data: data)
    }
}
