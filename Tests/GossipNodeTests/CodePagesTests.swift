import CCodePages
import Foundation
import GossipWire
import Testing

/// gossipd lets go of the pages of its code that starting it mapped (`Sources/CCodePages`); here
/// the test process does it to itself. And what a launcher uses to put gossipd's code on 2 MiB
/// pages, and to read how the nodes map it.
///
/// A value in the test binary's writable data: it must keep what was stored in it (were the data
/// segment let go, it would read its initial 7 from the file again). Written only by the one test.
nonisolated(unsafe) private var codePagesMarker = 7

// One at a time: the prepare test maps the whole test binary, which would move the RSS the
// release test compares.
@Suite("Code pages", .serialized)
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

    @Test("smaps_rollup fields are read whole, for this process and by pid: the code on 2 MiB pages, the PSS")
    func smapsFields() throws {
        #expect(gossip_code_pages_pmd_mapped_kb(0) >= 0, "FilePmdMapped in /proc/self/smaps_rollup")
        #expect(gossip_code_pages_pmd_mapped_kb(getpid()) >= 0, "the same file by pid")
        #expect(gossip_code_pages_pmd_mapped_kb(Int32.max) == -1, "no such process")
        #expect(gossip_smaps_rollup_kb(0, "Pss") > 0)
        #expect(gossip_smaps_rollup_kb(0, "NoSuchField") == -1)
        // A field is matched by its whole name: "Pss" is not "Pss_Anon", which comes first here.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smaps-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("smaps_rollup").path
        try "Rss:                 9 kB\nPss_Anon:            5 kB\nPss:                 7 kB\nFilePmdMapped:    2048 kB\nOdd:    x kB\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(gossip_proc_field_kb(path, "Pss") == 7)
        #expect(gossip_proc_field_kb(path, "Pss_Anon") == 5)
        #expect(gossip_proc_field_kb(path, "FilePmdMapped") == 2048)
        #expect(gossip_proc_field_kb(path, "Rs") == -1, "a prefix of a name is not the name")
        #expect(gossip_proc_field_kb(path, "Odd") == -1, "not a number")
        #expect(gossip_proc_field_kb(folder.appendingPathComponent("missing").path, "Pss") == -1)
    }

    @Test("a launcher reads an executable's read-only segments afresh, from their 2 MiB boundary; anything but a 64-bit ELF file is refused")
    func prepareFile() throws {
        let executable = try #require(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let bytes = gossip_code_pages_prepare_file(executable)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: executable)[.size] as? Int)
        #expect(bytes > 0, "the test binary's code")
        #expect(bytes <= Int64(size) + Int64(sysconf(Int32(_SC_PAGESIZE))), "never more than the file, to its last page")
        // A file that is not ELF, and one that does not exist.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("code-pages-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("not-elf").path
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: text))
        errno = 0
        var result = gossip_code_pages_prepare_file(text)
        var error = errno
        #expect(result == -1 && error == ENOEXEC)
        result = gossip_code_pages_prepare_file(folder.appendingPathComponent("missing").path)
        error = errno
        #expect(result == -1 && error == ENOENT)
        result = gossip_code_pages_prepare_file(folder.path)  // a directory
        error = errno
        #expect(result == -1 && error == EINVAL)
        // An ELF header that claims more program headers than the file holds.
        var elf = Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1]) + Data(repeating: 0, count: 9)  // e_ident: ELF64, little-endian
        elf += Data([3, 0, 0x3E, 0, 1, 0, 0, 0]) + Data(repeating: 0, count: 8)  // e_type, e_machine, e_version, e_entry
        elf += Data([0x40] + [UInt8](repeating: 0, count: 7)) + Data(repeating: 0, count: 8 + 4)  // e_phoff 64, e_shoff, e_flags
        elf += Data([0x40, 0, 0x38, 0, 8, 0, 0x40, 0, 0, 0, 0, 0])  // e_ehsize, e_phentsize 56, e_phnum 8, e_shentsize...
        let truncated = folder.appendingPathComponent("truncated-elf").path
        try elf.write(to: URL(fileURLWithPath: truncated))
        result = gossip_code_pages_prepare_file(truncated)
        error = errno
        #expect(result == -1 && error == ENOEXEC, "\(elf.count) bytes: a header and no program headers")
    }
    #endif
}
