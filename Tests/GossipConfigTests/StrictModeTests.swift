import Testing

@testable import GossipConfig

@Suite("Strict mode: warnings are errors")
struct StrictModeTests {
    func strictError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        do {
            let loaded = try ConfigurationLoader.parse(text, source: "t.ini", strict: true)
            Issue.record("expected an error, loaded \(loaded.configuration)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test("an unknown key is an error naming the line, with the hint")
    func unknownKey() {
        let error = strictError(gossipSection("cache_size = 9\ndegre = 5\nfancy = 1"))
        #expect(error?.line == 5)
        #expect(error?.section == "gossip")
        #expect(error?.key == "degre")
        #expect(
            error?.description == "t.ini:5: [gossip] degre: unknown key, refused in strict mode (did you mean `degree`?)")
    }

    @Test("a misspelt [gossip] is an error at its header")
    func misspeltSection() {
        let error = strictError(minimalGossip + "[rps]\nx = 1\n[gosip]\n\ndegree = 5\n")
        #expect(
            error?.description
                == "t.ini:6: [gosip] unknown section, refused in strict mode (did you mean [gossip]?)")
    }

    @Test("every other warning is an error too")
    func otherWarnings() {
        #expect(
            strictError("degree = 5\n" + minimalGossip)?.description
                == "t.ini:1: degree: belongs in [gossip], refused in strict mode")
        #expect(
            strictError(gossipSection("bootstrapper = a:1, b:2, a:1"))?.description
                == "t.ini:4: [gossip] bootstrapper: a:1 is listed twice, refused in strict mode")
    }

    @Test("the first problem in line order wins, warning or error")
    func firstProblemWins() {
        #expect(strictError(gossipSection("degree = x\ndegre = 5"))?.key == "degree")
        #expect(strictError(gossipSection("degre = 5\ndegree = x"))?.key == "degre")
    }

    @Test("a file with no warnings loads as without strict mode; other modules' sections stay silent")
    func cleanFile() throws {
        let text = "hostname = x\n[rps]\nfoo = 1\n" + gossipSection("degree = 7") + "[onion]\nbar = 2\n[gossi]\n"
        let strict = try ConfigurationLoader.parse(text, strict: true)
        #expect(strict == (try ConfigurationLoader.parse(text)))
        #expect(strict.configuration.degree == 7)
        #expect(try ConfigurationLoader.load(path: packageRoot + "/configs/node.ini", strict: true).warnings.isEmpty)
        #expect(try ConfigurationLoader.parse(ConfigurationLoader.embeddedDefault, strict: true).warnings.isEmpty)
    }

    @Test("load(path:strict:) refuses as parse does")
    func loadFile() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("s.ini", gossipSection("degre = 5"))
        #expect(try ConfigurationLoader.load(path: path).warnings.count == 1)
        do {
            _ = try ConfigurationLoader.load(path: path, strict: true)
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description
                    == "\(path):4: [gossip] degre: unknown key, refused in strict mode (did you mean `degree`?)")
        }
    }
}
