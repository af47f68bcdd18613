import Foundation
import GossipFuzzing
import Testing

@Suite("Seed corpus")
struct SeedCorpusTests {
    /// Regression: every file in `fuzz/corpus/<target>/` (the seeds and any crash found since)
    /// runs through its fuzz function without tripping an invariant.
    @Test("every corpus file replays cleanly", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let files = try CorpusFolder.files(for: target)
        #expect(!files.isEmpty, "no seeds for \(target.rawValue)")
        for file in files { target.run(file.bytes) }
    }

    /// The generated seeds are in the repository: a changed encoder shows up here.
    @Test("the repository holds every generated seed", arguments: FuzzTarget.allCases)
    func seedsCommitted(target: FuzzTarget) throws {
        let files = Dictionary(uniqueKeysWithValues: try CorpusFolder.files(for: target).map { ($0.name, $0.bytes) })
        for seed in SeedCorpus.seeds(for: target) {
            #expect(
                files[seed.name] == seed.bytes,
                "\(target.rawValue)/\(seed.name) differs; regenerate with GOSSIP_WRITE_CORPUS=1")
        }
    }

    /// Writes the seeds (and the example config) to `fuzz/corpus/`; only with GOSSIP_WRITE_CORPUS=1:
    /// `GOSSIP_WRITE_CORPUS=1 swift test --filter GossipFuzzingTests.SeedCorpusTests/write`.
    @Test("write the seed corpus", .enabled(if: ProcessInfo.processInfo.environment["GOSSIP_WRITE_CORPUS"] == "1"))
    func write() throws {
        for target in FuzzTarget.allCases {
            let folder = CorpusFolder.url(for: target)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for seed in SeedCorpus.seeds(for: target) {
                try Data(seed.bytes).write(to: folder.appendingPathComponent(seed.name))
            }
        }
        let example = CorpusFolder.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("configs/node.ini")
        try Data(contentsOf: example).write(to: CorpusFolder.url(for: .config).appendingPathComponent("node.ini"))
    }
}
