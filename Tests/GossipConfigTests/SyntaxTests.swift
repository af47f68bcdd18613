import Foundation
import Testing

@testable import GossipConfig

@Suite("INI syntax through libinih")
struct SyntaxTests {
    @Test("a duplicate key is an error with its line number")
    func duplicateKey() {
        let error = parseError(
            """
            [gossip]
            degree = 30
            p2p_address = 127.0.0.1:6001
            api_address = 127.0.0.1:7001
            ; a comment
            cache_size = 50
            degree = 31
            """, source: "configs/node.ini")
        #expect(error?.key == "degree")
        #expect(error?.section == "gossip")
        #expect(error?.line == 7)
        #expect(error?.description == "configs/node.ini:7: [gossip] degree: duplicate key (first set on line 2)")
    }

    @Test("a duplicate across two [gossip] sections, and an indented repeat (no multiline continuation)")
    func duplicateAcrossSections() {
        let across = parseError(gossipSection("[rps]\nx = 1\n[gossip]\napi_address = 127.0.0.1:7002"))
        #expect(across?.key == "api_address")
        #expect(across?.line == 7)
        #expect(across?.description.contains("duplicate key (first set on line 3)") == true)

        let indented = parseError(gossipSection("degree = 5\n    degree = 6"))
        #expect(indented?.key == "degree")
        #expect(indented?.line == 5)
        #expect(indented?.description.contains("t.ini:5: [gossip] degree: duplicate key") == true)
    }

    @Test("an indented line is a key of its own, not a continuation")
    func indentedLine() throws {
        let loaded = try ConfigurationLoader.parse(gossipSection("degree = 5\n   cache_size = 6"))
        #expect(loaded.configuration.degree == 5)
        #expect(loaded.configuration.cacheSize == 6)
    }

    @Test("a line of 198 bytes is read whole; 199 bytes is an error naming its line")
    func longLines() throws {
        // "; " + filler: a comment of exactly n bytes.
        func comment(_ count: Int) -> String { "; " + String(repeating: "x", count: count - 2) }
        #expect(comment(198).utf8.count == 198)

        let fits = try ConfigurationLoader.parse(minimalGossip + comment(198) + "\n" + comment(198) + "\r\ndegree = 9\n")
        #expect(fits.configuration.degree == 9)

        // A 198-byte line whose value is used whole.
        let host = String(repeating: "a", count: 60) + "." + String(repeating: "b", count: 60) + "."
            + String(repeating: "c", count: 57)
        let apiLine = "api_address = \(host):7001"
        #expect(apiLine.utf8.count == 198)
        let whole = try ConfigurationLoader.parse("[gossip]\np2p_address = 127.0.0.1:6001\n" + apiLine)
        #expect(whole.configuration.apiAddress == Endpoint(host: host, port: 7001))
        let cut = parseError("[gossip]\np2p_address = 127.0.0.1:6001\n" + apiLine + "0\n")
        #expect(cut?.line == 3)
        #expect(cut?.description == "t.ini:3: line longer than 198 bytes")

        for terminator in ["\n", "\r\n", ""] {
            let error = parseError(minimalGossip + "degree = 5\n" + comment(199) + terminator)
            #expect(error?.line == 5)
            #expect(error?.key == nil)
            #expect(error?.description == "t.ini:5: line longer than 198 bytes")
        }
    }

    @Test("a long comment whose tail looks like a key does not set it")
    func longCommentTail() {
        // libinih alone would read the tail after byte 199 as a line of its own: `degree = 5`.
        let line = "#" + String(repeating: " ", count: 198) + "degree = 5"
        let error = parseError(minimalGossip + line + "\n")
        #expect(error?.line == 4)
        #expect(error?.description.contains("t.ini:4: line longer than 198 bytes") == true)
    }

    @Test("a long line in a file gives its own line number")
    func longLineInFile() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("long.ini", "; first\n" + minimalGossip + "; " + String(repeating: "y", count: 300) + "\n")
        let error = loadError(path)
        #expect(error?.line == 5)
        #expect(error?.description == "\(path):5: line longer than 198 bytes")
    }

    @Test(
        "malformed lines",
        arguments: [
            ("just some words", 4),
            ("[gossip", 4),
            ("]", 4),
        ])
    func malformed(line: String, number: Int) {
        let error = parseError(minimalGossip + line + "\ndegree = 5\n")
        #expect(error?.line == number)
        #expect(error?.key == nil)
        #expect(
            error?.description
                == "t.ini:\(number): malformed line (expected 'key = value', '[section]' or a comment)")
    }

    @Test("a line with no key before '='")
    func emptyKey() throws {
        let error = parseError(minimalGossip + "= 5\n")
        #expect(error?.line == 4)
        #expect(error?.key == nil)
        #expect(error?.section == "gossip")
        #expect(error?.description == "t.ini:4: [gossip] malformed line (no key before '=')")
        // In another module's section it is not ours to judge.
        #expect(try ConfigurationLoader.parse(minimalGossip + "[rps]\n= 5\n").warnings.isEmpty)
    }

    @Test("the first error wins, in line order")
    func firstErrorWins() {
        let valueFirst = parseError(gossipSection("degree = x\nnonsense"))
        #expect(valueFirst?.key == "degree")
        #expect(valueFirst?.line == 4)
        let syntaxFirst = parseError(gossipSection("nonsense\ndegree = x"))
        #expect(syntaxFirst?.key == nil)
        #expect(syntaxFirst?.line == 4)
        #expect(syntaxFirst?.description.contains("malformed line") == true)
    }

    @Test("a NUL byte in the text")
    func nulByte() {
        let error = parseError(minimalGossip + "degree = 3\u{0}0\n")
        #expect(error?.line == 4)
        #expect(error?.key == nil)
        #expect(error?.description == "t.ini:4: contains a NUL byte (is this a text file?)")
    }

    @Test("CRLF line endings, a byte order mark, and ':' as separator")
    func lineEndingsAndBOM() throws {
        let text = "\u{FEFF}[gossip]\r\np2p_address: 127.0.0.1:6001\r\napi_address = [::1]:7001\r\ndegree=4\r\n"
        let configuration = try ConfigurationLoader.parse(text).configuration
        #expect(configuration.p2pAddress == Endpoint(host: "127.0.0.1", port: 6001))
        #expect(configuration.apiAddress == Endpoint(host: "::1", port: 7001))
        #expect(configuration.degree == 4)
    }

    @Test("messages stay on one line whatever the value holds")
    func oneLineMessages() {
        let error = parseError(gossipSection("degree = 1\u{1}2\u{2028}3"))
        #expect(error?.key == "degree")
        #expect(error?.description == "t.ini:4: [gossip] degree: must be an integer from 1 to 1000, got '1\\u{1}2\\u{2028}3'")
        let long = parseError(gossipSection("degree = " + String(repeating: "9", count: 150)))
        #expect(long?.description.hasSuffix("got '" + String(repeating: "9", count: 80) + "...'") == true)
    }

    @Test("ConfigurationError's description format")
    func errorFormat() {
        #expect(
            ConfigurationError(
                file: "configs/node.ini", section: "gossip", key: "degree",
                problem: "must be an integer from 1 to 1000, got 'abc'"
            ).description == "configs/node.ini: [gossip] degree: must be an integer from 1 to 1000, got 'abc'")
        #expect(
            ConfigurationError(file: "configs/node.ini", line: 7, section: "gossip", key: "degree", problem: "duplicate key")
                .description == "configs/node.ini:7: [gossip] degree: duplicate key")
        #expect(
            ConfigurationError(file: "x.ini", problem: "cannot open file (No such file or directory)").description
                == "x.ini: cannot open file (No such file or directory)")
        #expect(
            ConfigurationError(file: "x.ini", line: 1, key: "hostkey", problem: "p").description == "x.ini:1: hostkey: p")
        #expect(ConfigurationError(file: "a\nb.ini", problem: "p").description == "a\\nb.ini: p")
    }

    @Test("parses on many threads at once agree")
    func concurrentParses() async throws {
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let degree = index % 1000 + 1
                    let text = gossipSection("degree = \(degree)\n" + String(repeating: "; filler\n", count: 200))
                    let loaded = try ConfigurationLoader.parse(text)
                    // Multiline stays off under load: an indented line is a key of its own.
                    let indented = try ConfigurationLoader.parse(gossipSection("degree = 1\n  cache_size = 2"))
                    #expect(indented.configuration.cacheSize == 2)
                    return loaded.configuration.degree == degree ? 1 : 0
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(results == 64)
    }
}

@Suite("Robustness")
struct RobustnessTests {
    static let tokens = [
        "[gossip]", "[global]", "[rps]", "[", "]", "degree", "cache_size", "bootstrapper", "p2p_address",
        "api_address", "hostkey", "outbox_bytes", "=", ":", " = ", "\n", "\r\n", "\r", " ", "\t", ";", "#", ",",
        "::1", "[::1]:7001", "127.0.0.1:6001", "host:", ":7001", "0", "1", "-1", "65535", "65536", "0x10", "1e3",
        "99999999999999999999999999", "\u{0}", "é", "\u{FEFF}", "\u{2028}", String(repeating: "z", count: 120),
    ]

    @Test("random INI-like text never crashes and errors stay on one line")
    func randomText() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<3000 {
            let count = Int(generator.next() % 40)
            var text = ""
            for _ in 0..<count { text += Self.tokens[Int(generator.next() % UInt64(Self.tokens.count))] }
            do {
                let loaded = try ConfigurationLoader.parse(text, source: "fuzz.ini")
                #expect(loaded.warnings.allSatisfy { !$0.contains("\n") && !$0.contains("\r") })
            } catch {
                #expect(!error.description.contains("\n") && !error.description.contains("\r"), "\(error)")
                #expect(error.description.hasPrefix("fuzz.ini"))
            }
        }
    }
}
