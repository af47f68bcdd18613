/// One piece of gossip: what a module announced, with its network-wide ID and the hops it has
/// left. The same value travels in a P2P ITEM (507), waits in the cache, and is handed to modules.
public struct GossipItem: Hashable, Sendable {
    public var id: ItemID
    /// Hops left, counting the one this message makes: 1 is delivered but not forwarded, n is
    /// forwarded as n - 1, 0 means unlimited.
    public var ttl: UInt8
    public var dataType: UInt16
    /// The heaviest tree link the item crossed to get here (hop metadata, like `ttl`): `.origin`
    /// where it was announced. Not part of the item's identity or content.
    public var pathWeight: PathWeight
    public var data: [UInt8]

    /// The ITEM message without its data: header, ID, TTL, a reserved byte, the data type and
    /// the path weight.
    public static let fixedSize = 4 + ItemID.encodedSize + 4 + 4
    /// 65,507 bytes: an ANNOUNCE may carry up to 20 bytes more, and such an item stays local.
    public static let maximumDataSize = Framing.maximumMessageSize - fixedSize

    public init(id: ItemID, ttl: UInt8, dataType: UInt16, pathWeight: PathWeight = .origin, data: [UInt8]) {
        self.id = id
        self.ttl = ttl
        self.dataType = dataType
        self.pathWeight = pathWeight
        self.data = data
    }
}
