import Foundation
import GossipClient
import GossipCore
import GossipNode
import GossipWire
import Synchronization
import Testing

/// The shipped executables, run as a user would: `gossipd` on good and bad configuration files,
/// and the `gossip` client against a running node.
@Suite("Command-line tools")
struct CommandLineTests {
    /// The folder holding the built products (next to the test bundle).
    static var products: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathComponents.count > 1 && !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("gossipd").path) {
            url.deleteLastPathComponent()
        }
        return url
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Result: Sendable {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `tool` with `input` as its standard input (none: an empty one) and returns what it did.
    func run(_ tool: String, _ arguments: [String], input: String? = nil, timeout: TimeInterval = 20) throws -> Result {
        let binary = Self.products.appendingPathComponent(tool)
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the products first (scripts/test does)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            output: String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            error: String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID()).ini").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a missing configuration file is one error line and exit status 2")
    func missingFile() throws {
        let result = try run("gossipd", ["--config", "/nonexistent/node.ini"])
        #expect(result.status == 2)
        #expect(result.error.split(separator: "\n").count == 1)
        #expect(result.error.contains("/nonexistent/node.ini") && result.error.contains("cannot open"))
    }

    @Test("a bad value names the file, the line and the key, exit status 2")
    func badValue() throws {
        let path = try temporaryFile("[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\ndegree = lots\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run("gossipd", ["--config", path])
        #expect(result.status == 2)
        #expect(result.error.split(separator: "\n").count == 1)
        #expect(result.error.contains("\(path):4") && result.error.contains("degree"))
    }

    @Test("a host key file that holds no key is one error line and exit status 2")
    func junkHostkey() throws {
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(UUID()).pem").path
        try "not a key".write(toFile: key, atomically: true, encoding: .utf8)
        let path = try temporaryFile("hostkey = \(key)\n[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\n")
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: key)
        }
        let result = try run("gossipd", ["--config", path])
        #expect(result.status == 2)
        #expect(result.error.split(separator: "\n").count == 1)
        #expect(result.error.contains("hostkey") && result.error.contains("no RSA or EC"))
        // --check-config loads the key as the start does, and refuses it in the same words.
        let checked = try run("gossipd", ["--check-config", "--config", path])
        #expect(checked.status == 2)
        #expect(checked.output.isEmpty)
        #expect(checked.error == result.error)
    }

    @Test("--check-config prints every effective setting of the shipped configuration")
    func checkConfig() throws {
        let result = try run("gossipd", ["--check-config", "--config", Self.packageRoot.appendingPathComponent("configs/node.ini").path])
        #expect(result.status == 0)
        #expect(result.output.contains("api_address = 127.0.0.1:7001"))
        #expect(result.output.contains("degree = 30"))
        #expect(result.output.contains("link_idle_timeout_ms = 300000"))
    }

    @Test("--strict refuses a warning, to start and with --check-config, as one error line and exit status 2")
    func strict() throws {
        let path = try temporaryFile(
            "[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\ndegre = 5\n[gosip]\nx = 1\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = "gossipd: \(path):4: [gossip] degre: unknown key, refused in strict mode (did you mean `degree`?)\n"
        for arguments in [["--strict", "--config", path], ["--check-config", "--strict", "--config", path]] {
            let result = try run("gossipd", arguments)
            #expect(result.status == 2)
            #expect(result.output.isEmpty)
            #expect(result.error == expected)
        }
        // Without --strict the same file only warns, with hints.
        let lenient = try run("gossipd", ["--check-config", "--config", path])
        #expect(lenient.status == 0)
        #expect(lenient.error.contains("\(path):4: [gossip] degre: unknown key, ignored (did you mean `degree`?)"))
        #expect(lenient.error.contains("\(path):5: [gosip] unknown section, its keys are ignored (did you mean [gossip]?)"))
        #expect(lenient.output.contains("degree = 30"))
        // The shipped file passes strictly.
        let shipped = try run(
            "gossipd", ["--check-config", "--strict", "--config", Self.packageRoot.appendingPathComponent("configs/node.ini").path])
        #expect(shipped.status == 0)
        #expect(shipped.error.isEmpty)
    }

    @Test("gossipd --version prints the package's version (GossipVersion) and exits 0")
    func gossipdVersion() throws {
        let result = try run("gossipd", ["--version"])
        #expect(result.status == 0)
        #expect(result.output == "\(GossipVersion.text)\n")
        #expect(result.error.isEmpty)
    }

    @Test("an address already in use is one error line and exit status 1")
    func addressInUse() throws {
        try withNode { node in
            // No proof of work to find first (21 bits took over the 20 s of `run` under a loaded test run).
            let path = try temporaryFile("[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:\(node.apiPort)\nidentity_work_bits = 0\n")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try run("gossipd", ["--config", path])
            #expect(result.status == 1)
            #expect(result.error.contains("api_address") && result.error.contains("in use"))
        }
    }

    @Test("gossip subscribe prints what gossip announce sends, and answers it valid")
    func subscribeAndAnnounce() throws {
        try withNode { node in
            let api = "127.0.0.1:\(node.apiPort)"
            let subscribed = Mutex<Result?>(nil)
            let subscribing = BackgroundJob {
                let result = try run("gossip", ["subscribe", "--api", api, "--type", "4711", "--count", "1"])
                subscribed.withLock { $0 = result }
            }
            #expect(waitUntil(timeout: .seconds(10)) { node.subscriberCount(of: 4711) == 1 })
            let announced = try run("gossip", ["announce", "--api", api, "--type", "4711", "--ttl", "4", "--hex", "deadbeef"])
            #expect(announced.status == 0)
            #expect(announced.error == "announced 4 bytes of type 4711 (ttl 4) to \(api)\n")
            #expect(announced.output.isEmpty)
            try subscribing.join()
            let result = try #require(subscribed.withLock { $0 })
            #expect(result.status == 0)
            #expect(result.output == "id=0 type=4711 size=4 data=deadbeef\n")
            #expect(result.error == "subscribed to type 4711 at \(api); waiting for 1 item\n")
            #expect(waitUntil { node.statistics.validationsValid == 1 })
        }
    }

    @Test("gossip status --peers --compact prints one line of JSON: the node's identity, ports and links, nothing more")
    func statusPeers() throws {
        try withNode { node in
            let api = "127.0.0.1:\(node.apiPort)"
            let result = try run("gossip", ["status", "--api", api, "--peers", "--compact"])
            #expect(result.status == 0)
            let lines = result.output.split(separator: "\n")
            #expect(lines.count == 1, "\(result.output)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["identity", "api_port", "p2p_address", "peers", "tree_peers", "view_size", "uptime_ms"])
            #expect(object["identity"] as? String == node.identity.hex)
        }
    }

    @Test("gossip announce says when an item is too large to travel to other nodes (over 65,507 bytes)")
    func announceTooLargeToSpread() throws {
        try withNode { node in
            let api = "127.0.0.1:\(node.apiPort)"
            let largest = try run("gossip", ["announce", "--api", api, "--type", "4715", String(repeating: "x", count: 65_507)])
            #expect(largest.status == 0)
            #expect(!largest.error.contains("note:"), "\(largest.error)")
            let local = try run("gossip", ["announce", "--api", api, "--type", "4715", String(repeating: "x", count: 65_508)])
            #expect(local.status == 0)
            #expect(local.error.contains("note: over 65507 bytes, the item reaches this node's own subscribers only"), "\(local.error)")
            #expect(waitUntil { node.statistics.itemsTooLargeToSpread == 1 })
        }
    }

    @Test("gossip pointed at a node's P2P port names it as such and exits 1", arguments: [
        ["announce", "--type", "1", "hello"], ["status"], ["subscribe", "--type", "1"],
    ])
    func p2pPort(_ command: [String]) throws {
        try withNode { node in
            let api = "127.0.0.1:\(node.p2pPort)"
            let result = try run("gossip", command + ["--api", api])
            #expect(result.status == 1)
            #expect(result.error.contains("\(api) is a P2P port (the node answered with HELLO); use its api_address"))
        }
    }

    @Test("gossip announce and replay fail, naming api_token and api_allow, when the node closes the connection instead of taking the item")
    func refusedAnnounce() throws {
        let token = "correct-horse-battery-staple"
        try withNode(configure: { $0.apiToken = token }) { node in
            let api = "127.0.0.1:\(node.apiPort)"
            let refused = try run("gossip", ["announce", "--api", api, "--type", "1", "hi"])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.error.contains("closed the connection without taking the item") && refused.error.contains("api_token"), "\(refused)")
            let wrong = try run("gossip", ["announce", "--api", api, "--token", "wrong-wrong-wrong-wrong", "--type", "1", "hi"])
            #expect(wrong.status == 1 && wrong.error.contains("api_allow"), "\(wrong)")
            let taken = try run("gossip", ["announce", "--api", api, "--token", token, "--type", "1", "hi"])
            #expect(taken.status == 0 && taken.error == "announced 2 bytes of type 1 (ttl 0) to \(api)\n", "\(taken)")
            let status = try run("gossip", ["status", "--api", api])
            #expect(status.status == 1 && status.error.contains("closed the connection") && status.error.contains("api_token"), "\(status)")

            let recording = RecordReplayTests.temporaryPath("refused.rec")
            defer { try? FileManager.default.removeItem(atPath: recording) }
            try Data(RecordReplayTests.recording(of: 2)).write(to: URL(fileURLWithPath: recording))
            let replay = try run("gossip", ["replay", recording, "--api", api])
            #expect(replay.status == 1 && replay.error.contains("without taking the items"), "\(replay)")
        }
    }

    @Test("admin errors read as the system's words: a port in use, a refused connection, a port that is not HTTP")
    func adminErrorsInPlainWords() throws {
        try withNode { node in
            // An admin_address already in use: one line, no library call names or errno numbers.
            let path = try temporaryFile("[gossip]\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\nadmin_address = 127.0.0.1:\(node.apiPort)\nidentity_work_bits = 0\n")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let inUse = try run("gossipd", ["--config", path])
            #expect(inUse.status == 1)
            #expect(inUse.error.contains("cannot listen on admin_address 127.0.0.1:\(node.apiPort): Address already in use\n"), "\(inUse)")
            #expect(!inUse.error.contains("errno") && !inUse.error.contains("bind("), "\(inUse)")
            // Nothing listening there.
            let free = try RestartTests.freePorts(1)[0]
            let refused = try run("gossip", ["reload", "--admin", "127.0.0.1:\(free)"])
            #expect(refused.status == 1 && refused.error == "Error: cannot reach the admin endpoint at 127.0.0.1:\(free): Connection refused\n", "\(refused)")
            // The API client pointed at an HTTP port: not the API's framing.
            try withAdminNode { admin in
                let status = try run("gossip", ["status", "--api", "127.0.0.1:\(admin)"])
                #expect(status.status == 1 && status.error.contains("not the API's framing"), "\(status)")
            }
            // A P2P port answers with its HELLO, which is not HTTP.
            let p2p = try run("gossip", ["tap", "--admin", "127.0.0.1:\(node.p2pPort)", "--count", "1"])
            #expect(p2p.status == 1 && p2p.error.contains("the answer is not HTTP"), "\(p2p)")
        }
    }

    /// Runs `body` with the admin port of a real gossipd that serves one.
    private func withAdminNode(_ body: (Int) throws -> Void) throws {
        let node = try GossipdProcess(extraConfig: "admin_address = 127.0.0.1:0\n")
        defer { node.kill() }
        let port = try #require(node.adminPort, "\(node.log)")
        try body(port)
    }

    @Test("gossip subscribe --text escapes control bytes instead of writing them to the terminal")
    func subscribeTextEscapes() throws {
        try withNode { node in
            let api = "127.0.0.1:\(node.apiPort)"
            let subscribed = Mutex<Result?>(nil)
            let subscribing = BackgroundJob {
                let result = try run("gossip", ["subscribe", "--api", api, "--type", "4713", "--count", "1", "--text"])
                subscribed.withLock { $0 = result }
            }
            #expect(waitUntil(timeout: .seconds(10)) { node.subscriberCount(of: 4713) == 1 })
            let announcer = try GossipAPIClient(host: "127.0.0.1", port: node.apiPort)
            defer { announcer.close() }
            try announcer.announce(dataType: 4713, ttl: 0, data: Array("\u{1b}]0;pwned\u{07}\u{1b}[2J\nline2\\n".utf8))
            try subscribing.join()
            let result = try #require(subscribed.withLock { $0 })
            #expect(result.status == 0)
            // A literal backslash-n in the data is told apart from an escaped newline.
            #expect(result.output == "id=0 type=4713 size=22 data=\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\nline2\\\\n\n", "\(result.output.debugDescription)")
            #expect(!result.output.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        }
    }

    @Test("gossip announce reads the data from standard input when it is not a terminal")
    func announceFromStandardInput() throws {
        try withNode { node in
            let subscriber = try node.subscriber(of: 4712)
            defer { subscriber.close() }
            let result = try run("gossip", ["announce", "--api", "127.0.0.1:\(node.apiPort)", "--type", "4712"], input: "piped")
            #expect(result.status == 0)
            #expect(try subscriber.expectNotification().data == Array("piped".utf8))
        }
    }

    @Test(
        "gossip announce with no data at a terminal refuses at once with exit 64",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "util-linux script gives the tool a terminal"))
    func announceAtTerminal() throws {
        // script runs the command on a pseudo-terminal; -e passes its exit status on.
        let gossip = Self.products.appendingPathComponent("gossip").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "'\(gossip)' announce --type 1 --api 127.0.0.1:1", "/dev/null"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 64)
        #expect(text.contains("standard input is a terminal: pass the data as an argument, with --file, or pipe it in"))
    }

    @Test("--quiet keeps gossip announce and subscribe silent on standard error")
    func quiet() throws {
        try withNode { node in
            let api = "127.0.0.1:\(node.apiPort)"
            let subscribed = Mutex<Result?>(nil)
            let subscribing = BackgroundJob {
                let result = try run("gossip", ["subscribe", "-q", "--api", api, "--type", "4713", "--type", "4714", "--count", "1"])
                subscribed.withLock { $0 = result }
            }
            #expect(waitUntil(timeout: .seconds(10)) { node.subscriberCount(of: 4714) == 1 })
            let announced = try run("gossip", ["announce", "--quiet", "--api", api, "--type", "4714", "x"])
            #expect(announced.status == 0 && announced.error.isEmpty && announced.output.isEmpty)
            try subscribing.join()
            let result = try #require(subscribed.withLock { $0 })
            #expect(result.status == 0 && result.error.isEmpty)
            #expect(result.output == "id=0 type=4714 size=1 data=78\n")
        }
    }

    @Test("a --type out of 0-65535, negative or not, is an invalid value with exit 64", arguments: [
        ["announce", "--type", "-1", "x"], ["announce", "--type", "65536", "x"], ["subscribe", "--type", "1", "--type", "-1"],
    ])
    func typeOutOfRange(_ command: [String]) throws {
        let result = try run("gossip", command + ["--api", "127.0.0.1:1"])
        #expect(result.status == 64)
        #expect(result.error.contains("is invalid for '--type <type>': a data type is a whole number from 0 to 65535"))
        #expect(!result.error.contains("Missing value"))
    }

    @Test("bad announce data: as an argument, a usage error with announce's usage line (64); from standard input, a failure (1)")
    func badAnnounceData() throws {
        let argument = try run("gossip", ["announce", "--type", "1", "--hex", "xyz", "--api", "127.0.0.1:1"])
        #expect(argument.status == 64)
        #expect(argument.error.contains("the data is not valid hex"))
        #expect(argument.error.contains("Usage: gossip announce"), "this command's usage, not the top level's")
        let input = try run("gossip", ["announce", "--type", "1", "--hex", "--api", "127.0.0.1:1"], input: "xyz")
        #expect(input.status == 1)
        #expect(input.error.contains("standard input: the data is not valid hex"))
        #expect(!input.error.contains("Usage:"))
        let file = try temporaryFile("xyz")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try run("gossip", ["announce", "--type", "1", "--hex", "--file", file, "--api", "127.0.0.1:1"])
        #expect(fromFile.status == 1)
        #expect(fromFile.error.contains("\(file): the data is not valid hex"), "\(fromFile.error)")
        #expect(!fromFile.error.contains("Usage:"))
        let tooLarge = try run("gossip", ["announce", "--type", "1", "--api", "127.0.0.1:1", String(repeating: "x", count: 65_528)])
        #expect(tooLarge.status == 64)
        #expect(tooLarge.error.contains("the data is 65528 bytes; one item holds at most 65527"))
    }

    @Test("a malformed --api or an over-long --token is a usage error with the subcommand's usage line", arguments: [
        (["status", "--api", "nonsense"], "--api: ", "Usage: gossip status"),
        (["announce", "--type", "1", "--api", "unix:", "x"], "--api: unix: needs the socket's path", "Usage: gossip announce"),
        (["peers", "--token", String(repeating: "t", count: 256)], "--token: a token is at most 255 bytes", "Usage: gossip peers"),
    ])
    func badAPIOptions(_ arguments: [String], _ message: String, _ usage: String) throws {
        let result = try run("gossip", arguments)
        #expect(result.status == 64)
        #expect(result.error.contains(message), "\(result.error)")
        #expect(result.error.contains(usage), "\(result.error)")
    }

    @Test("a --count below 1 (or --bits -1) is an invalid value naming the option, not a missing one", arguments: [
        (["subscribe", "--type", "1", "--count", "-1"], "--count must be at least 1, got -1"),
        (["subscribe", "--type", "1", "--count", "0"], "--count must be at least 1, got 0"),
        (["keygen", "--out", "/nonexistent/k.pem", "--bits", "-1"], "--bits must be 2048, 3072 or 4096"),
    ])
    func negativeNumbers(_ command: [String], _ message: String) throws {
        let result = try run("gossip", command)
        #expect(result.status == 64)
        #expect(result.error.contains(message), "\(result.error)")
        #expect(!result.error.contains("Missing value"))
    }

    @Test("gossip and gossip-bench --version print the package's version", arguments: ["gossip", "gossip-bench"])
    func version(_ tool: String) throws {
        let result = try run(tool, ["--version"])
        #expect(result.status == 0)
        #expect(result.output == "\(GossipVersion.text)\n")
        #expect(GossipVersion.text.hasPrefix(GossipVersion.release + " (P2P protocol "))
    }

    @Test(
        "gossip-bench net counts every item at every node once, whether its subscribers have a thread each or share epoll threads",
        arguments: [0, 2])
    func netBenchSubscribers(_ threads: Int) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("net-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Degree 2 (at most 4 links of 5 possible): every item has a node two hops or more from its
        // origin, which gets it only once a node between has had the subscriber's VALIDATION. The
        // warm-up item gives the nodes time to record the NOTIFYs.
        let result = try run(
            "gossip-bench",
            [
                "net", "--nodes", "6", "--degree", "2", "--items", "6", "--warmup", "1", "--rate", "20", "--no-targets",
                "--subscriber-threads", "\(threads)", "--run-dir", folder,
            ],
            timeout: 120)
        #expect(result.status == 0, "\(result.output)\(result.error)")
        #expect(result.output.contains("[steady] 6 of 6 items reached 100% of 6 nodes"), "\(result.output)")
        #expect(result.output.contains("[steady] duplicates delivered to modules: 0"), "\(result.output)")
        let serving = threads == 0 ? "a thread per subscriber" : "\(threads) subscriber thread\(threads == 1 ? "" : "s") with epoll"
        #expect(result.output.contains("[steady] CPU of the benchmark's own process (subscribers: \(serving))"), "\(result.output)")
        // Every item's line in the per-item file names 6 nodes reached.
        let items = try String(contentsOfFile: folder + "/items-steady.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(items.count == 6)
        #expect(items.allSatisfy { $0.split(separator: "\t")[3] == "6" }, "\(items)")
    }

    @Test("gossip-bench code-pages --copy-to makes a copy, keeps it while the binary is unchanged, replaces it when it changed")
    func codePagesCopy() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Any ELF file stands for gossipd: the small `gossip` tool.
        let binary = folder + "/gossipd", copy = folder + "/many-nodes/gossipd"
        try FileManager.default.copyItem(atPath: Self.products.appendingPathComponent("gossip").path, toPath: binary)

        let first = try run("gossip-bench", ["code-pages", "--copy-to", copy, binary])
        #expect(first.status == 0, "\(first.output)\(first.error)")
        #expect(first.output.contains("copied \(binary) to \(copy)"), "\(first.output)")
        #expect(first.output.contains("MiB of \(copy)'s code afresh"), "\(first.output)")
        #expect(FileManager.default.contentsEqual(atPath: binary, andPath: copy))
        #expect(FileManager.default.isExecutableFile(atPath: copy))

        let again = try run("gossip-bench", ["code-pages", "--copy-to", copy, binary])
        #expect(again.status == 0 && again.output.contains("is a copy of \(binary) already"), "\(again.output)")

        // Another binary of the same size, dated before the copy (as `cp -p` leaves one), replaces it.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: binary))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: binary))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)], ofItemAtPath: binary)
        let swapped = try run("gossip-bench", ["code-pages", "--copy-to", copy, binary])
        #expect(swapped.status == 0 && swapped.output.contains("copied"), "\(swapped.output)")
        #expect(FileManager.default.contentsEqual(atPath: binary, andPath: copy))

        // A partial copy left by a run killed while copying (its process is gone) is cleared.
        let stale = copy + ".partial-\(Int32.max - 1)"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: stale))

        // A rebuilt binary (another size here) replaces the copy.
        let handle = try #require(FileHandle(forWritingAtPath: binary))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0, 1, 2, 3]))
        try handle.close()
        let replaced = try run("gossip-bench", ["code-pages", "--copy-to", copy, binary])
        #expect(replaced.status == 0 && replaced.output.contains("copied"), "\(replaced.output)")
        #expect(FileManager.default.contentsEqual(atPath: binary, andPath: copy))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder + "/many-nodes")
        #expect(leftovers == ["gossipd"], "no partial file left: \(leftovers)")
    }

    @Test("every gossip subcommand's help shows examples; the top help lists the exit statuses", arguments: [
        "subscribe", "announce", "status", "keygen",
    ])
    func help(_ subcommand: String) throws {
        let result = try run("gossip", [subcommand, "--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("Examples:\n  gossip \(subcommand)"))
        let top = try run("gossip", ["--help"])
        #expect(top.output.contains("64  usage error") && top.output.contains("--generate-completion-script"))
    }

    @Test("gossip status prints readable tables, --json the node's JSON; gossip peers lists the links")
    func statusTablesAndPeers() throws {
        let network = TestNetwork()
        let a = try network.add()
        let b = try network.add(bootstrap: a)
        #expect(waitUntil(timeout: .seconds(10)) { a.establishedPeerCount == 1 })
        let subscriber = try a.subscriber(of: 4711)
        defer { subscriber.close() }
        let api = "127.0.0.1:\(a.apiPort)"
        let peers = try run("gossip", ["peers", "--api", api])
        #expect(peers.status == 0, "\(peers.error)")
        let line = try #require(peers.output.split(separator: "\n").first { $0.contains(b.identity.description) })
        #expect(line.contains(" in ") && (line.contains("tree") || line.contains("neighbour")), "\(line)")
        let status = try run("gossip", ["status", "--api", api])
        #expect(status.status == 0)
        #expect(status.output.contains(a.identity.hex) && status.output.contains("links (1)") && status.output.contains("modules ("))
        #expect(status.output.contains("4711"), "the subscriber's type in the modules table")
        let json = try run("gossip", ["status", "--api", api, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect((object?["links"] as? [Any])?.count == 1)
    }
}
