/// The weight of one tree link (protocol.md 6.8), as ITEM paths (`TreePath`) and CUTs carry it.
/// Each link has a fixed weight that both its ends compute from their identities; a node that
/// gets two copies of an item has found a cycle in the tree, and the copies' paths tell it the
/// cycle's heaviest link, the one to cut. Cutting only the heaviest link of a cycle never splits
/// the tree, however many nodes cut at once: the lightest spanning tree of the links survives
/// every such cut.
///
/// Weights are 64 bits so that two links of one cycle practically never weigh the same (equal
/// heaviest weights would make both copies' paths look shared past the cycle, protocol.md 6.8).
public struct PathWeight: RawRepresentable, Hashable, Comparable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Bytes of one weight on the wire.
    public static let encodedSize = 8

    /// Never a link's weight (a link's weight is at least 1).
    public static let origin = PathWeight(rawValue: 0)
    /// Never a link's weight either: a link whose weight is unknown (its peer has no identity),
    /// which takes a path off the tree.
    public static let offTree = PathWeight(rawValue: .max)

    public static func < (lhs: PathWeight, rhs: PathWeight) -> Bool { lhs.rawValue < rhs.rawValue }
}
