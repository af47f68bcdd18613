import Foundation
import Testing

@testable import GossipConfig

@Suite("Whole files, hostkey and file errors")
struct ExampleAndFileTests {
    @Test("the course's example file, with other modules' sections")
    func courseExample() throws {
        let folder = try TemporaryFolder()
        let hostkey = try folder.write("hostkey.pem", "-----BEGIN PRIVATE KEY-----\n")
        let path = try folder.write(
            "node.ini",
            """
            hostkey = \(hostkey)

            [gossip]
            cache_size = 50
            degree = 30
            bootstrapper = p2psec.example.org:6001
            p2p_address = 131.159.15.61:6001
            api_address = 131.159.15.61:7001

            [rps]
            api_address = 131.159.15.61:7002
            api_address = repeated, and not ours to judge
            whatever = 1

            [nse]
            api_address = 131.159.15.61:7003
            estimate = not a number
            """)
        let loaded = try ConfigurationLoader.load(path: path)
        let configuration = loaded.configuration
        #expect(configuration.hostkeyPath == hostkey)
        #expect(configuration.cacheSize == 50)
        #expect(configuration.degree == 30)
        #expect(configuration.bootstrappers == [Endpoint(host: "p2psec.example.org", port: 6001)])
        #expect(configuration.p2pAddress == Endpoint(host: "131.159.15.61", port: 6001))
        #expect(configuration.apiAddress == Endpoint(host: "131.159.15.61", port: 7001))
        #expect(loaded.warnings.isEmpty)
    }

    @Test func hostkeyInGlobalSection() throws {
        let folder = try TemporaryFolder()
        let hostkey = try folder.write("key.pem", "key")
        let loaded = try ConfigurationLoader.parse("[global]\nhostkey = \(hostkey)\n" + minimalGossip)
        #expect(loaded.configuration.hostkeyPath == hostkey)
        #expect(loaded.warnings.isEmpty)
    }

    @Test func hostkeyInGossipSection() throws {
        let folder = try TemporaryFolder()
        let hostkey = try folder.write("key.pem", "key")
        let loaded = try ConfigurationLoader.parse(gossipSection("hostkey = \(hostkey)"))
        #expect(loaded.configuration.hostkeyPath == hostkey)
    }

    @Test func hostkeyTwiceIsADuplicate() throws {
        let folder = try TemporaryFolder()
        let hostkey = try folder.write("key.pem", "key")
        let error = parseError("hostkey = \(hostkey)\n[global]\nhostkey = \(hostkey)\n" + minimalGossip)
        #expect(error?.key == "hostkey")
        #expect(error?.line == 3)
        #expect(error?.section == "global")
        #expect(error?.description.contains("t.ini:3: [global] hostkey: duplicate key (first set on line 1)") == true)
    }

    @Test("a relative hostkey is resolved against the config file's folder")
    func relativeHostkey() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path + "/keys", withIntermediateDirectories: true)
        try folder.write("keys/hostkey.pem", "key")
        let path = try folder.write("node.ini", "hostkey = keys/hostkey.pem\n" + minimalGossip)
        // The current directory is not the file's folder, so only resolution finds the key.
        #expect(FileManager.default.currentDirectoryPath != folder.path)
        let loaded = try ConfigurationLoader.load(path: path)
        #expect(loaded.configuration.hostkeyPath == folder.path + "/keys/hostkey.pem")

        let parsed = try ConfigurationLoader.parse(
            "hostkey = keys/hostkey.pem\n" + minimalGossip, baseDirectory: folder.path)
        #expect(parsed.configuration.hostkeyPath == folder.path + "/keys/hostkey.pem")
    }

    @Test func missingHostkeyFile() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("node.ini", minimalGossip + "hostkey = absent.pem\n")
        let error = loadError(path)
        #expect(error?.key == "hostkey")
        #expect(error?.section == "gossip")
        #expect(error?.line == 4)
        #expect(
            error?.description
                == "\(path):4: [gossip] hostkey: cannot read '\(folder.path)/absent.pem' (No such file or directory)")
    }

    @Test func hostkeyThatIsAFolder() throws {
        let folder = try TemporaryFolder()
        let error = parseError("hostkey = \(folder.path)\n" + minimalGossip)
        #expect(error?.key == "hostkey")
        #expect(error?.section == nil)
        #expect(error?.description.contains("t.ini:1: hostkey: cannot read '\(folder.path)' (Is a directory)") == true)
    }

    @Test("a named pipe nobody writes to, as the file or as the hostkey, is refused at once instead of waiting")
    func namedPipes() throws {
        let folder = try TemporaryFolder()
        let pipe = folder.path + "/pipe"
        try #require(mkfifo(pipe, 0o600) == 0)
        let asFile = loadError(pipe)
        #expect(asFile?.problem == "cannot read file (a named pipe that nobody had written to when it was opened)", "\(String(describing: asFile))")
        let asKey = parseError("hostkey = \(pipe)\n" + minimalGossip)
        #expect(asKey?.description.contains("hostkey: cannot read '\(pipe)' (not a regular file)") == true, "\(String(describing: asKey))")
    }

    /// A named pipe in `folder` with its writer end open (non-blocking, which needs a reader end
    /// first; the caller closes both).
    func pipeWithWriter(in folder: borrowing TemporaryFolder) throws -> (path: String, reader: Int32, writer: Int32) {
        let pipe = folder.path + "/pipe"
        try #require(mkfifo(pipe, 0o600) == 0)
        let reader = open(pipe, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        let writer = open(pipe, O_WRONLY | O_NONBLOCK)
        if writer < 0 { close(reader) }
        try #require(writer >= 0)
        return (pipe, reader, writer)
    }

    @Test("a named pipe whose writer never closes is refused at the read deadline, naming it, instead of waiting")
    func pipeThatNeverEnds() throws {
        let folder = try TemporaryFolder()
        let (pipe, reader, writer) = try pipeWithWriter(in: folder)
        defer { close(writer); close(reader) }
        let text = Array(minimalGossip.utf8)
        try #require(write(writer, text, text.count) == text.count)
        #expect {
            _ = try ConfigurationLoader.readConfigurationFile(pipe, within: .milliseconds(200))
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.file == pipe
                && error?.problem == "cannot read file (no end within 0.2 seconds: a pipe whose writer does not close?)"
        }
    }

    @Test("a pipe whose writer is silent at first, then writes and closes, is read to its end")
    func pipeThatEndsLater() throws {
        let folder = try TemporaryFolder()
        let (pipe, reader, writer) = try pipeWithWriter(in: folder)
        defer { close(reader) }
        let text = Array(minimalGossip.utf8)
        let late = Thread {
            Thread.sleep(forTimeInterval: 0.1)
            _ = write(writer, text, text.count)
            close(writer)
        }
        late.start()
        let bytes = try ConfigurationLoader.readConfigurationFile(pipe, within: .seconds(10))
        #expect(bytes == text)
    }

    @Test("an empty hostkey means none")
    func emptyHostkey() throws {
        let loaded = try ConfigurationLoader.parse("hostkey =\n" + minimalGossip)
        #expect(loaded.configuration.hostkeyPath == nil)
    }

    @Test func fileNotFound() {
        let name = "no-such-config-\(UUID().uuidString).ini"
        let error = loadError(name)
        #expect(error?.key == nil)
        #expect(error?.line == nil)
        #expect(error?.description == "\(name): cannot open file (No such file or directory)")
    }

    @Test func folderInsteadOfFile() throws {
        let folder = try TemporaryFolder()
        let error = loadError(folder.path)
        #expect(error?.key == nil)
        #expect(error?.description == "\(folder.path): cannot open file (Is a directory)")
    }

    @Test func unreadableFile() throws {
        // Root reads everything, so as root the file must simply load.
        let folder = try TemporaryFolder()
        let path = try folder.write("node.ini", minimalGossip)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        if getuid() == 0 {
            #expect(throws: Never.self) { try ConfigurationLoader.load(path: path) }
        } else {
            #expect(loadError(path)?.description == "\(path): cannot open file (Permission denied)")
        }
    }

    @Test func fileLargerThanOneMebibyte() throws {
        let folder = try TemporaryFolder()
        let line = "; " + String(repeating: "x", count: 100) + "\n"
        let body = minimalGossip + String(repeating: line, count: 1_048_576 / line.utf8.count + 1)
        let path = try folder.write("big.ini", body)
        let error = loadError(path)
        #expect(error?.key == nil)
        #expect(error?.description.contains("\(path): file too large (") == true)
        #expect(error?.description.contains("the limit is 1048576") == true)

        let stringError = parseError(body)
        #expect(stringError?.description.contains("t.ini: file too large") == true)
    }

    @Test("a file of exactly 1 MiB is accepted")
    func fileOfExactlyOneMebibyte() throws {
        let folder = try TemporaryFolder()
        var body = Array(minimalGossip.utf8)
        let filler = Array("; filler\n".utf8)
        while body.count + filler.count <= 1_048_576 { body += filler }
        body += Array(repeating: UInt8(ascii: "\n"), count: 1_048_576 - body.count)
        #expect(body.count == 1_048_576)
        let path = try folder.write("edge.ini", bytes: body)
        #expect(try ConfigurationLoader.load(path: path).configuration.degree == 30)
    }

    @Test("a binary file gives a clean error")
    func binaryFile() throws {
        let folder = try TemporaryFolder()
        // An ELF-like header: NUL bytes on the first line.
        let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x0A, 0xFF, 0xFE]
        let elfError = loadError(try folder.write("elf.ini", bytes: elf))
        #expect(elfError?.line == 1)
        #expect(elfError?.key == nil)
        #expect(elfError?.description.contains(":1: contains a NUL byte") == true)

        // Binary without NUL bytes: a line libinih cannot read as INI.
        let noise: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0xC3, 0x28, 0xFF]
        let noiseError = loadError(try folder.write("noise.ini", bytes: noise))
        #expect(noiseError?.line == 1)
        #expect(noiseError?.description.contains(":1: malformed line") == true)

        // Every byte value, in a fixed pseudo-random order: no crash, a one-line error.
        var generator = SplitMix(seed: 42)
        for round in 0..<50 {
            let bytes = (0..<512).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let error = loadError(try folder.write("random\(round).ini", bytes: bytes))
            #expect(error != nil)
            #expect(error?.description.contains("\n") == false)
        }
    }

    @Test("invalid UTF-8 in a value is an error; in another module's section it is ignored")
    func invalidUTF8() throws {
        let folder = try TemporaryFolder()
        var bytes = Array("[gossip]\np2p_address = 127.0.0.1:6001\napi_address = 127.0.0.1:".utf8)
        bytes += [0xC3, 0x28, 0x0A]
        let error = loadError(try folder.write("bad.ini", bytes: bytes))
        #expect(error?.key == "api_address")
        #expect(error?.line == 3)
        #expect(error?.description.contains(":3: [gossip] api_address: value is not valid UTF-8") == true)

        var ignored = Array(minimalGossip.utf8)
        ignored += Array("[rps]\nkey = ".utf8) + [0xFF, 0xFE, 0x0A] + Array("[".utf8) + [0xC3, 0x28] + Array("]\nk=v\n".utf8)
        let loaded = try ConfigurationLoader.load(path: try folder.write("ok.ini", bytes: ignored))
        #expect(loaded.warnings.isEmpty)
    }
}

/// A small deterministic generator for the fuzz-like test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
