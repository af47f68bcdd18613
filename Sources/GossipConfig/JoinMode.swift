/// How the nodes of a network that one tool starts find each other: what each node's
/// `bootstrapper` key holds. `gossip-sim --join` (simulated nodes) and `gossip-bench net --join`
/// (gossipd processes) take these names and give them the same meaning.
public enum JoinMode: String, Sendable, CaseIterable, Codable {
    /// Node 0 has no bootstrapper and is every other node's only one.
    case single
    /// The first `seedCount` nodes are seeds; every other node is configured with all of them.
    /// Seed 0 has no bootstrapper, the other seeds bootstrap from seed 0.
    case seeds
    /// Each node bootstraps from one node picked at random among those running when it starts.
    case random

    /// The bootstrappers of node `index`, as indices of other nodes, when they do not depend on
    /// which nodes run: nil for `.random` (the starter picks a running node).
    public func fixedBootstrappers(of index: Int, seedCount: Int) -> [Int]? {
        switch self {
        case .single:
            return index == 0 ? [] : [0]
        case .seeds:
            if index == 0 { return [] }
            return index < seedCount ? [0] : Array(0..<seedCount)
        case .random:
            return nil
        }
    }

    /// One line for a run's header, e.g. "single (node 0 bootstraps every other node)".
    public func summary(seedCount: Int) -> String {
        switch self {
        case .single: "single (node 0 bootstraps every other node)"
        case .seeds: "seeds (nodes 0-\(seedCount - 1) are every node's seed set)"
        case .random: "random (each node bootstraps from a random node already running)"
        }
    }
}
