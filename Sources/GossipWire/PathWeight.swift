/// The heaviest tree link an item crossed on its way to a node (protocol.md 6.8), carried in
/// every ITEM. Each link has a fixed weight that both its ends compute from their identities; a
/// node that gets two copies of an item has found a cycle in the tree, and the two copies' path
/// weights tell it the cycle's heaviest link, the one to cut. Cutting only the heaviest link of a
/// cycle never splits the tree, however many nodes cut at once: the lightest spanning tree of the
/// links survives every such cut.
public struct PathWeight: RawRepresentable, Hashable, Comparable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// What the item's origin sends: no link crossed yet.
    public static let origin = PathWeight(rawValue: 0)
    /// The path left the tree somewhere (a lazy link, an anti-entropy answer): copies of this item
    /// say nothing about the tree's cycles. A link's own weight is never this.
    public static let offTree = PathWeight(rawValue: .max)

    public static func < (lhs: PathWeight, rhs: PathWeight) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The weight after crossing a link of weight `link`.
    public func crossing(_ link: PathWeight) -> PathWeight {
        self == .offTree || link == .offTree ? .offTree : max(self, link)
    }
}
