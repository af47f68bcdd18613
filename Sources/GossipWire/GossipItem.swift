/// One piece of gossip: what a module announced, with its network-wide ID and the hops it has
/// left. The same value travels in a P2P ITEM (507), waits in the cache, and is handed to modules.
public struct GossipItem: Hashable, Sendable {
    public var id: ItemID
    /// Hops left, counting the one this message makes: 1 is delivered but not forwarded, n is
    /// forwarded as n - 1, 0 means unlimited.
    public var ttl: UInt8
    public var dataType: UInt16
    /// The heavy tree links the item crossed to get here (hop metadata, like `ttl`): `.origin`
    /// where it was announced. Not part of the item's identity or content.
    public var path: TreePath
    public var data: [UInt8]

    /// The ITEM message without its data and path: header, ID, TTL, the path length and the data
    /// type.
    public static let fixedSize = 4 + ItemID.encodedSize + 4
    /// 65,507 bytes, as in protocol versions 4 and 5 (whose ITEM header was 28 bytes): an ANNOUNCE
    /// may carry up to 20 bytes more, and such an item stays local. An item whose path does not
    /// fit beside its data travels with its path off the tree (`PeerMessage.sentPath`).
    public static let maximumDataSize = 65_507

    public init(id: ItemID, ttl: UInt8, dataType: UInt16, path: TreePath = .origin, data: [UInt8]) {
        self.id = id
        self.ttl = ttl
        self.dataType = dataType
        self.path = path
        self.data = data
    }
}
