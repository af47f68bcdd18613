/// One piece of gossip: what a module announced, with its network-wide ID and the hops it has
/// left. The same value travels in a P2P ITEM (507), waits in the cache, and is handed to modules.
public struct GossipItem: Hashable, Sendable {
    public var id: ItemID
    /// Hops left, counting the one this message makes: 1 is delivered but not forwarded, n is
    /// forwarded as n - 1, 0 means unlimited.
    public var ttl: UInt8
    public var dataType: UInt16
    public var data: [UInt8]

    /// The ITEM message without its data: header, ID, TTL, a reserved byte and the data type.
    public static let fixedSize = 4 + ItemID.encodedSize + 4
    /// 65,511 bytes: an ANNOUNCE may carry up to 16 bytes more, and such an item stays local.
    public static let maximumDataSize = Framing.maximumMessageSize - fixedSize

    public init(id: ItemID, ttl: UInt8, dataType: UInt16, data: [UInt8]) {
        self.id = id
        self.ttl = ttl
        self.dataType = dataType
        self.data = data
    }
}
