/// Guesses what a misspelt name in a configuration file was meant to be: the hint in the
/// warnings for unknown keys and for sections that look like `[gossip]`.
enum Misspelling {
    /// The most edits (a letter inserted, removed, replaced, or two neighbours swapped) by which
    /// a name may differ from the one it is taken for.
    static let maximumDistance = 2
    /// The shortest unknown key that is matched by prefix (`cache` for `cache_size`).
    static let minimumPrefixLength = 3

    /// The known key `name` (lower case, not itself a key) most likely means: the nearest within
    /// `maximumDistance` edits (the first in table order on a tie); else the only key that
    /// starts with `name` or that `name` starts with (`peer_timeout` for `peer_timeout_ms`);
    /// else nil.
    static func key(for name: String) -> ConfigurationKey? {
        var nearest: (key: ConfigurationKey, distance: Int)?
        for key in ConfigurationKey.allCases {
            let distance = distance(name, key.name)
            if distance <= maximumDistance && distance < (nearest?.distance ?? .max) {
                nearest = (key, distance)
            }
        }
        if let nearest { return nearest.key }
        guard name.unicodeScalars.count >= minimumPrefixLength else { return nil }
        let prefixed = ConfigurationKey.allCases.filter { $0.name.hasPrefix(name) || name.hasPrefix($0.name) }
        return prefixed.count == 1 ? prefixed[0] : nil
    }

    /// Whether a section named `name` (lower case) is probably a misspelt `[gossip]`: within
    /// `maximumDistance` edits of it but not it. Other modules' sections (`[rps]`, `[nse]`,
    /// `[onion]`, `[dht]`, `[auth]`, ...) are further away.
    static func isGossipSection(_ name: String) -> Bool {
        name != "gossip" && distance(name, "gossip") <= maximumDistance
    }

    /// The edit distance of `a` and `b` (optimal string alignment: insertions, deletions,
    /// substitutions and swaps of neighbours, each counting 1), or `maximumDistance + 1` when
    /// it is larger than `maximumDistance`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        let tooFar = maximumDistance + 1
        // Each edit changes the length by at most one: names of very different lengths are far
        // apart without filling the table (a 198-byte name costs nothing).
        if abs(a.count - b.count) > maximumDistance { return tooFar }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        // Three rows of the table: two back (for swaps), one back, and the current one.
        var twoBack = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], twoBack[j - 2] + 1)
                }
            }
            (twoBack, previous, current) = (previous, current, twoBack)
        }
        return min(previous[b.count], tooFar)
    }
}
