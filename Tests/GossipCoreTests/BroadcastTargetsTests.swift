import GossipWire
import Testing

@testable import GossipCore

@Suite("Broadcast targets")
struct BroadcastTargetsTests {
    static let links = (1...60).map { LinkID(UInt64($0)) }

    /// A tree over `links` in which every tenth link is eager, announcing on `fanout` lazy links.
    static func tree(lazyFanout fanout: Int) -> BroadcastTree {
        let configuration = BroadcastTree.Configuration(
            announceIntervalNanoseconds: 1_000_000, graftTimeoutNanoseconds: 1_000_000, lazyFanout: fanout)
        var tree = BroadcastTree(configuration: configuration, random: SeededRandom(seed: 42))
        for link in links { tree.add(link, inTree: link.rawValue % 10 == 0, weight: .offTree) }
        return tree
    }

    @Test("every eager link, no excluded one, and at most lazy_fanout lazy links: the first in the node's order, the same prefix at every fanout")
    func targets() {
        let excluded: SmallSet<LinkID> = [10, 11, 12]
        let (eager, lazy) = Self.tree(lazyFanout: 6).targets(among: Self.links, excluding: excluded)
        #expect(eager == [20, 30, 40, 50, 60])
        #expect(lazy.count == 6)
        #expect(Set(lazy).isDisjoint(with: [10, 11, 12]) && lazy.allSatisfy { $0.rawValue % 10 != 0 })
        // The same salt, so the same order: a wider fanout's first six are the six picked above,
        // in the same order.
        let wide = Self.tree(lazyFanout: 40).targets(among: Self.links, excluding: excluded).lazy
        #expect(wide.count == 40)
        #expect(Array(wide.prefix(6)) == lazy)
        // Every selection width agrees with the widest one on its prefix.
        for fanout in [1, 2, 5, 16, 31, 32] {
            #expect(Self.tree(lazyFanout: fanout).targets(among: Self.links, excluding: excluded).lazy == Array(wide.prefix(fanout)))
        }
        // With no more lazy links than the fanout, all of them, in the order given.
        let few = Self.tree(lazyFanout: 60).targets(among: Self.links, excluding: excluded).lazy
        #expect(few == Self.links.filter { $0.rawValue % 10 != 0 && !excluded.contains($0) })
    }
}
