/// What an ITEM says about the tree links its copy crossed (protocol.md 3.4, 6.8): the weights of
/// the links that are heavier than every link after them on the path, heaviest (nearest the
/// origin) first. A node that gets two copies of an item has found a cycle in the tree; the two
/// copies' paths name the cycle's heaviest link even when the paths share a heavier stretch
/// (`heaviestOfCycle`), which one path weight alone could not. That list is short: for a path of
/// n links of random weight it holds about ln n of them (4 for 30 links), 8 bytes each.
public struct TreePath: Hashable, Sendable {
    /// Suffix maxima of the path's link weights, strictly decreasing; empty at the origin.
    public private(set) var weights: [PathWeight]
    /// The path left the tree somewhere (a lazy link, an answer to a request), or grew longer
    /// than `maximumLength`: copies of this item say nothing about the tree's cycles.
    public private(set) var isOffTree: Bool

    /// The most weights an ITEM carries; a longer list makes the path off the tree.
    public static let maximumLength = 16

    /// What the item's origin sends: no link crossed yet.
    public static let origin = TreePath(weights: [], isOffTree: false)
    /// A path that says nothing about the tree.
    public static let offTree = TreePath(weights: [], isOffTree: true)

    /// A path with these suffix maxima. Nil unless `weights` is strictly decreasing, at most
    /// `maximumLength` long, and holds only link weights (neither `PathWeight.origin` nor
    /// `PathWeight.offTree`).
    public init?(weights: [PathWeight]) {
        guard weights.count <= Self.maximumLength,
            weights.allSatisfy({ $0 != .origin && $0 != .offTree }),
            zip(weights, weights.dropFirst()).allSatisfy({ $0 > $1 })
        else { return nil }
        self.init(weights: weights, isOffTree: false)
    }

    private init(weights: [PathWeight], isOffTree: Bool) {
        self.weights = weights
        self.isOffTree = isOffTree
    }

    /// The path once it crossed a tree link of weight `link` (`.offTree`: a link without weight):
    /// the link's weight replaces the lighter weights at the end, then goes last.
    public func crossing(_ link: PathWeight) -> TreePath {
        guard !isOffTree, link != .offTree, link != .origin else { return .offTree }
        var next = weights
        while let last = next.last, last <= link { next.removeLast() }
        next.append(link)
        return next.count <= Self.maximumLength ? TreePath(weights: next, isOffTree: false) : .offTree
    }

    /// Whether the link of weight `weight` is on the path and heavier than every link after it:
    /// the only links a CUT (3.10) can name.
    public func contains(_ weight: PathWeight) -> Bool {
        !isOffTree && weights.contains(weight)
    }

    /// Which copy's path holds the heaviest link of the cycle that two copies of one item close,
    /// `first` and `second` being their paths to the same node.
    public enum Side: Sendable, Equatable {
        case first, second
    }

    /// The heaviest link of the cycle two copies' paths close, and the path it is on; nil if
    /// either path is off the tree, both lists are the same (the copies came the same way), or
    /// the second list ends where the first goes on (no honest pair of copies does that).
    ///
    /// Why this is the cycle's heaviest link: the paths share a stretch from the origin, then part.
    /// The weights both lists begin with are links of the shared stretch. Where the lists first
    /// differ, the heavier entry cannot be on the shared stretch (it would then be on both paths
    /// and be the other list's entry too), so it is the heaviest link after the paths part on its
    /// side, and heavier than anything on the other side. If the first list ends where they
    /// differ, its path ends where the paths part (its last link would otherwise be an entry of
    /// its own): the second path came round a cycle back to this node (at the origin, the whole
    /// second path is such a cycle), and its next entry is that cycle's heaviest link. (This
    /// relies on links' weights differing, which 64-bit weights make all but certain.)
    public static func heaviestOfCycle(_ first: TreePath, _ second: TreePath) -> (weight: PathWeight, side: Side)? {
        guard !first.isOffTree, !second.isOffTree else { return nil }
        var index = 0
        while index < first.weights.count, index < second.weights.count, first.weights[index] == second.weights[index] {
            index += 1
        }
        switch (index < first.weights.count, index < second.weights.count) {
        // The first copy cannot have passed this node on a longer way round: this node would have
        // had it there first. So only the second path may go on where the first one ends.
        case (false, false), (true, false): return nil
        case (false, true): return (second.weights[index], .second)
        case (true, true):
            let a = first.weights[index], b = second.weights[index]
            return a > b ? (a, .first) : (b, .second)
        }
    }
}
