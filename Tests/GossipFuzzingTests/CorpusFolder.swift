import Foundation
import GossipFuzzing

/// The repository's seed corpus, `fuzz/corpus/<target>/`, found from this file's path.
enum CorpusFolder {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz/corpus")

    static func url(for target: FuzzTarget) -> URL { root.appendingPathComponent(target.rawValue) }

    /// Every file in the target's folder, by name.
    static func files(for target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
        let folder = url(for: target)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        return try names.map { ($0, [UInt8](try Data(contentsOf: folder.appendingPathComponent($0)))) }
    }
}
