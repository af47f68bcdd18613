import CCodePages
import Foundation
import Testing

/// gossipd lets go of the pages of its code that starting it mapped (`Sources/CCodePages`); here
/// the test process does it to itself.
@Suite("Code pages")
struct CodePagesTests {
    /// This process's file-backed resident memory in kB (`RssFile` in /proc/self/status).
    static func residentFileKilobytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("RssFile:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    #if os(Linux)
    @Test("the executable's read-only segments are let go, its resident file pages drop, and its code still runs")
    func released() throws {
        let before = try #require(Self.residentFileKilobytes())
        let released = gossip_release_code_pages()
        let after = try #require(Self.residentFileKilobytes())
        #expect(released >= 1, "at least the code segment")
        #expect(after < before, "RssFile \(before) kB before, \(after) kB after")
        // The code runs on: the pages come back from the file as it is used.
        #expect((1...1000).reduce(0, +) == 500_500)
        #expect(Self.residentFileKilobytes() != nil)
    }
    #endif
}
