import ArgumentParser
import CCodePages
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads gossipd's code into the page cache afresh in 2 MiB folios, so that the nodes started
/// from it map it with 2 MiB pages (`Sources/CCodePages`). `net` does the same before it starts
/// its nodes, unless told not to.
struct CodePagesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "code-pages",
        abstract: "Read gossipd's code into the page cache in 2 MiB folios: its nodes then map it with 2 MiB pages.",
        discussion: """
            Writes back and drops the binary's cached pages (those no running process maps), then \
            reads its read-only segments through a mapping advised MADV_HUGEPAGE: with THP \
            enabled at least for madvise and a file system that keeps the file in large folios \
            (ext4 on Linux 6.18, for one), that gives 2 MiB folios. Run it before starting the nodes, while no gossipd of that file \
            runs: a page a process maps stays in the folio it was read in. Every node of that \
            file then maps its code with 2 MiB pages, and its RSS counts them whole (they are \
            shared). With --copy-to, a copy of the binary is read so instead (made, or replaced \
            when the binary changed) and the binary's own pages stay as they are, so a node \
            started from it alone keeps its small RSS; start the many nodes from the copy. \
            docs/operations.md, "Many nodes on one machine".
            """)

    @Argument(help: "The gossipd binary (default: next to this program).")
    var gossipd: String?

    @Option(
        name: .customLong("copy-to"),
        help: "Read a copy at this path instead (e.g. .build/release/many-nodes/gossipd), made, or replaced when its bytes differ from the binary's.")
    var copy: String?

    func run() throws {
        let binary = gossipd ?? LocalNetwork.gossipdBesideThisProgram
        if let copy {
            print(try CodePageCache.prepareCopy(of: binary, at: copy))
        } else {
            print(try CodePageCache.prepare(binary))
        }
    }
}

/// gossipd's code in the page cache, and how the nodes map it.
enum CodePageCache {
    /// Reads `binary`'s code afresh (see `CodePagesBench`); returns what it did, a line, after a
    /// note line if running processes run that file.
    static func prepare(_ binary: String) throws -> String {
        let running = processesRunning(binary)
        let note = running > 0 ? "note: \(running) running processes run \(binary); the pages of it they map stay in the folios they are in\n" : ""
        let begin = ContinuousClock.now
        let bytes = gossip_code_pages_prepare_file(binary)
        let error = errno
        guard bytes >= 0 else {
            throw BenchFailure("code pages: cannot read \(binary) afresh: \(String(cString: strerror(error)))")
        }
        return note + "code pages: read " + String(format: "%.1f", Double(bytes) / 1_048_576) + " MiB of \(binary)'s code afresh"
            + " through a mapping advised for 2 MiB pages, in " + String(format: "%.0f", milliseconds(ContinuousClock.now - begin)) + " ms"
            + " (a node whose code the kernel maps on 2 MiB pages says so in its log, at info)"
    }

    /// Where `net` and `testnet/run` keep the copy of `binary` their nodes run from: a folder
    /// `many-nodes` beside it, so that a node started from `binary` itself is left on small pages.
    static func copyPath(of binary: String) -> String {
        let url = URL(fileURLWithPath: binary)
        return url.deletingLastPathComponent().appendingPathComponent("many-nodes").appendingPathComponent(url.lastPathComponent).path
    }

    /// `refreshCopy`, then `prepare` on the copy: what `code-pages --copy-to` and `net` do; their
    /// lines.
    static func prepareCopy(of binary: String, at copy: String) throws -> String {
        try refreshCopy(of: binary, at: copy) + "\n" + prepare(copy)
    }

    /// Makes `copy` a copy of `binary` unless it holds the same bytes already (compared whole: a
    /// binary swapped in with `cp -p` may keep its size and an older time; some 20 ms for 24 MB).
    /// The new file is written beside it and renamed over it, so nodes running the old copy keep
    /// running (a file being run cannot be written: ETXTBSY). Returns what it did, a line.
    private static func refreshCopy(of binary: String, at copy: String) throws -> String {
        let files = FileManager.default
        guard files.isReadableFile(atPath: binary) else { throw BenchFailure("code pages: cannot read \(binary)") }
        if files.fileExists(atPath: copy) && files.contentsEqual(atPath: binary, andPath: copy) {
            return "code pages: \(copy) is a copy of \(binary) already"
        }
        let folder = URL(fileURLWithPath: copy).deletingLastPathComponent().path
        try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: copy).lastPathComponent
        // Partial copies of runs that were killed while copying: their process is gone.
        for entry in (try? files.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasPrefix(name + ".partial-") {
            if let pid = pid_t(entry.dropFirst(name.count + ".partial-".count)), kill(pid, 0) != 0 && errno == ESRCH {
                try? files.removeItem(atPath: folder + "/" + entry)
            }
        }
        let partial = copy + ".partial-\(getpid())"
        try? files.removeItem(atPath: partial)
        do {
            try files.copyItem(atPath: binary, toPath: partial)
            guard rename(partial, copy) == 0 else {
                throw BenchFailure("code pages: cannot rename \(partial) to \(copy): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? files.removeItem(atPath: partial)
            throw error
        }
        return "code pages: copied \(binary) to \(copy) (the nodes run the copy; \(binary)'s own pages stay as they are)"
    }

    /// How many running processes run `binary` (their pages of it stay in the folios they are in).
    private static func processesRunning(_ binary: String) -> Int {
        let target = URL(fileURLWithPath: binary).resolvingSymlinksInPath().path
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.count { pid in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == target
        }
    }

    /// MiB of `pid`'s file pages mapped with 2 MiB entries, or nil where the kernel does not say.
    static func hugeMappedMiB(pid: pid_t) -> Double? {
        let kilobytes = gossip_code_pages_pmd_mapped_kb(pid)
        return kilobytes >= 0 ? Double(kilobytes) / 1024 : nil
    }

    /// `pid`'s proportional set size in MiB (each shared page divided among the processes that
    /// map it: what the node adds to the machine's memory), or nil where the kernel does not say.
    static func proportionalMiB(pid: pid_t) -> Double? {
        let kilobytes = gossip_smaps_rollup_kb(pid, "Pss")
        return kilobytes >= 0 ? Double(kilobytes) / 1024 : nil
    }
}
