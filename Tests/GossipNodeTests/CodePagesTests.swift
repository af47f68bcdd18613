import CCodePages
import Foundation
import GossipWire
import Testing

/// gossipd lets go of the pages of its code that starting it mapped (`Sources/CCodePages`); here
/// the test process does it to itself.
///
/// A value in the test binary's writable data: it must keep what was stored in it (were the data
/// segment let go, it would read its initial 7 from the file again). Written only by the one test.
nonisolated(unsafe) private var codePagesMarker = 7

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

    #if os(Linux) && _pointerBitWidth(_64)
    @Test("the executable's read-only segments are let go, its resident file pages drop, and its code still runs")
    func released() throws {
        codePagesMarker = 4711
        let before = try #require(Self.residentFileKilobytes())
        let released = gossip_release_code_pages()
        let after = try #require(Self.residentFileKilobytes())
        #expect(released >= 1, "at least the code segment")
        #expect(after < before, "RssFile \(before) kB before, \(after) kB after")
        #expect(codePagesMarker == 4711, "writable data is the process's own: never let go")
        // The code runs on, through functions not run before: the pages come back from the file.
        var reader = FrameReader()
        reader.append(APIMessage.notify(GossipNotify(dataType: 77)).encoded())
        let frame = try #require(try reader.nextFrame())
        #expect(try APIMessage(frame: frame) == .notify(GossipNotify(dataType: 77)))
    }
    #endif
}
