/// Connected components of a graph on nodes 0..<count, built one edge at a time (union-find
/// with path halving): for the overlay's links and the broadcast tree's.
struct Components {
    private var parent: [Int]

    init(count: Int) {
        parent = Array(0..<count)
    }

    /// The representative of `node`'s component.
    mutating func root(_ node: Int) -> Int {
        var node = node
        while parent[node] != node {
            parent[node] = parent[parent[node]]
            node = parent[node]
        }
        return node
    }

    /// Joins the components of `a` and `b`.
    mutating func join(_ a: Int, _ b: Int) {
        let (x, y) = (root(a), root(b))
        if x != y { parent[max(x, y)] = min(x, y) }
    }

    /// How many components `members` fall into.
    mutating func count(among members: [Int]) -> [Int: Int] {
        var sizes: [Int: Int] = [:]
        for node in members { sizes[root(node), default: 0] += 1 }
        return sizes
    }
}
