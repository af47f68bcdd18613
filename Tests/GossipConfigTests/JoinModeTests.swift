import GossipConfig
import Testing

/// The join modes `gossip-sim` and `gossip-bench net` share: who bootstraps from whom.
@Suite("Join modes")
struct JoinModeTests {
    @Test("single: node 0 has none, every other node has node 0")
    func single() {
        #expect(JoinMode.single.fixedBootstrappers(of: 0, seedCount: 3) == [])
        #expect(JoinMode.single.fixedBootstrappers(of: 1, seedCount: 3) == [0])
        #expect(JoinMode.single.fixedBootstrappers(of: 299, seedCount: 3) == [0])
    }

    @Test("seeds: the seeds bootstrap from seed 0, every later node from the whole seed set")
    func seeds() {
        let mode = JoinMode.seeds
        #expect(mode.fixedBootstrappers(of: 0, seedCount: 3) == [])
        #expect(mode.fixedBootstrappers(of: 1, seedCount: 3) == [0])
        #expect(mode.fixedBootstrappers(of: 2, seedCount: 3) == [0])
        #expect(mode.fixedBootstrappers(of: 3, seedCount: 3) == [0, 1, 2])
        #expect(mode.fixedBootstrappers(of: 40, seedCount: 5) == [0, 1, 2, 3, 4])
        #expect(mode.fixedBootstrappers(of: 1, seedCount: 1) == [0])
    }

    @Test("random: left to whoever starts the node")
    func random() {
        #expect(JoinMode.random.fixedBootstrappers(of: 0, seedCount: 3) == nil)
        #expect(JoinMode.random.fixedBootstrappers(of: 7, seedCount: 3) == nil)
    }

    @Test("the names are the command-line words")
    func names() {
        #expect(JoinMode.allCases.map(\.rawValue) == ["single", "seeds", "random"])
        #expect(JoinMode.seeds.summary(seedCount: 3).contains("nodes 0-2"))
    }
}
