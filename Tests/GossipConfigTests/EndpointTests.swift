import Testing

@testable import GossipConfig

@Suite("Endpoint parsing")
struct EndpointTests {
    @Test(
        "valid forms",
        arguments: [
            ("localhost:7001", "localhost", 7001, false, "localhost:7001"),
            ("131.159.15.61:6001", "131.159.15.61", 6001, false, "131.159.15.61:6001"),
            ("p2psec.example.org:6001", "p2psec.example.org", 6001, false, "p2psec.example.org:6001"),
            ("my_host-1.example.:65535", "my_host-1.example.", 65535, false, "my_host-1.example.:65535"),
            ("[::1]:7001", "::1", 7001, true, "[::1]:7001"),
            ("[2001:db8::17]:0", "2001:db8::17", 0, true, "[2001:db8::17]:0"),
            ("[fe80::1%eth0]:80", "fe80::1%eth0", 80, true, "[fe80::1%eth0]:80"),
            ("[::ffff:1.2.3.4]:1", "::ffff:1.2.3.4", 1, true, "[::ffff:1.2.3.4]:1"),
            ("host:007001", "host", 7001, false, "host:7001"),
        ])
    func valid(text: String, host: String, port: Int, isIPv6: Bool, description: String) throws {
        let endpoint = try Endpoint(parsing: text)
        #expect(endpoint.host == host)
        #expect(Int(endpoint.port) == port)
        #expect(endpoint.isIPv6Literal == isIPv6)
        #expect(endpoint.description == description)
        #expect(try Endpoint(parsing: endpoint.description) == endpoint)
    }

    @Test(
        "invalid forms",
        arguments: [
            ("", "empty"),
            ("host", "no port"),
            ("host:", "no port"),
            (":7001", "empty host"),
            ("host:99999", "port must be an integer from 0 to 65535"),
            ("host:65536", "port must be an integer from 0 to 65535"),
            ("host:-1", "port must be an integer from 0 to 65535"),
            ("host:+80", "port must be an integer from 0 to 65535"),
            ("host:7a", "port must be an integer from 0 to 65535"),
            ("host:0x10", "port must be an integer from 0 to 65535"),
            ("host:99999999999999999999999999", "port must be an integer from 0 to 65535"),
            ("::1:7001", "an IPv6 address must be in brackets"),
            ("::1", "an IPv6 address must be in brackets"),
            ("[::1", "missing ']'"),
            ("[::1]", "no port"),
            ("[::1]7001", "expected ':' and a port after ']'"),
            ("[::1]:", "no port"),
            ("[]:80", "empty host"),
            ("[[::1]]:80", "bad brackets"),
            ("host]:80", "bad brackets"),
            ("[1.2.3.4]:80", "not a valid IPv6 address"),
            ("[hostname]:80", "not a valid IPv6 address"),
            ("[fe80::1%]:80", "bad IPv6 zone"),
            ("ho st:80", "contains whitespace"),
            ("host :80", "contains whitespace"),
            ("host:\t80", "contains whitespace"),
            ("1.2.3.999:80", "not a valid IPv4 address"),
            ("1.2.3:80", "not a valid IPv4 address"),
            ("a..b:80", "empty label"),
            (".a:80", "empty label"),
            ("hÖst:80", "host may only contain"),
            ("ho$t:80", "host may only contain"),
            ("ho\u{0}st:80", "host may only contain"),
        ])
    func invalid(text: String, reason: String) {
        #expect {
            _ = try Endpoint(parsing: text)
        } throws: { error in
            guard let error = error as? EndpointError else { return false }
            return error.input == text && error.reason.contains(reason) && error.description.contains(reason)
        }
    }

    @Test func errorDescriptionIsOneLine() {
        do {
            _ = try Endpoint(parsing: "a\nb:1")
            Issue.record("parsed")
        } catch {
            #expect(error.description == "invalid endpoint 'a\\nb:1': contains whitespace")
        }
    }

    @Test func labelLengthLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        #expect(try Endpoint(parsing: "\(label63).example:1").host == "\(label63).example")
        #expect(throws: EndpointError.self) { try Endpoint(parsing: "\(label63)a.example:1") }
        let long = Array(repeating: "abcdefg", count: 32).joined(separator: ".")  // 255 characters
        #expect(throws: EndpointError.self) { try Endpoint(parsing: "\(long):1") }
    }

    @Test func memberwiseDescription() {
        #expect(Endpoint(host: "::1", port: 7001).description == "[::1]:7001")
        #expect(Endpoint(host: "10.0.0.1", port: 6001).description == "10.0.0.1:6001")
        #expect(!Endpoint(host: "10.0.0.1", port: 6001).isIPv6Literal)
    }
}
