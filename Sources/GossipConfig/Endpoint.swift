#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a text is not a valid `host:port`.
public struct EndpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The text that was parsed.
    public var input: String
    /// What is wrong with it, e.g. "no port (expected host:port)".
    public var reason: String

    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    /// One line: `invalid endpoint '<input>': <reason>`.
    public var description: String { "invalid endpoint \(quotedForMessage(input)): \(reason)" }
}

/// A host and port, as written in the INI file: "host:port", "1.2.3.4:port", "[v6::addr]:port".
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// A hostname, an IPv4 literal, or an IPv6 literal without brackets.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `1.2.3.4:port` or `[v6::addr]:port` (an IPv6 literal may carry a
    /// `%zone`). Port 0 is accepted here; callers that need a real port check it.
    public init(parsing text: String) throws(EndpointError) {
        func fail(_ reason: String) -> EndpointError { EndpointError(input: text, reason: reason) }

        if text.isEmpty { throw fail("empty") }
        if text.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            throw fail("contains whitespace")
        }
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw fail("missing ']' after the IPv6 address (expected [address]:port)")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if hostPart.isEmpty { throw fail("empty host") }
            if hostPart.contains("[") || rest.contains("[") || rest.contains("]") {
                throw fail("bad brackets (expected [address]:port)")
            }
            guard let colon = rest.first, colon == ":" else {
                throw fail(
                    rest.isEmpty ? "no port (expected [address]:port)" : "expected ':' and a port after ']'")
            }
            portPart = rest.dropFirst()
            if let problem = Endpoint.ipv6Problem(hostPart) { throw fail(problem) }
        } else {
            if text.contains("[") || text.contains("]") {
                throw fail("bad brackets (only an IPv6 address is bracketed: [::1]:7001)")
            }
            let colons = text.count(where: { $0 == ":" })
            if colons == 0 { throw fail("no port (expected host:port)") }
            if colons > 1 { throw fail("an IPv6 address must be in brackets, e.g. [::1]:7001") }
            let colon = text.firstIndex(of: ":")!
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.isEmpty { throw fail("empty host") }
            if let problem = Endpoint.hostnameProblem(hostPart) { throw fail(problem) }
        }
        if portPart.isEmpty { throw fail("no port (expected host:port)") }
        guard portPart.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let port = UInt16(portPart, radix: 10)
        else {
            throw fail("port must be an integer from 0 to 65535")
        }
        self.host = String(hostPart)
        self.port = port
    }

    /// True when `host` is an IPv6 literal (it then contains ':').
    public var isIPv6Literal: Bool { host.contains(":") }

    /// "[::1]:7001" for IPv6, "host:port" otherwise.
    public var description: String { isIPv6Literal ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Nil when `host` is a plausible hostname or a valid IPv4 literal.
    static func hostnameProblem(_ host: Substring) -> String? {
        if host.utf8.count > 253 { return "host name longer than 253 characters" }
        let allowed = host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                true
            default:
                false
            }
        }
        if !allowed { return "host may only contain letters, digits, '-', '_' and '.'" }
        if host.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }) {
            var address = in_addr()
            let valid = String(host).withCString { inet_pton(AF_INET, $0, &address) } == 1
            return valid ? nil : "not a valid IPv4 address"
        }
        // A trailing dot (a fully qualified name) is fine; other empty labels are not.
        let name = host.hasSuffix(".") ? host.dropLast() : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.contains(where: \.isEmpty) { return "host name has an empty label ('..' or a leading '.')" }
        if labels.contains(where: { $0.utf8.count > 63 }) { return "host name label longer than 63 characters" }
        return nil
    }

    /// Nil when `host` (without brackets) is a valid IPv6 literal, optionally with a `%zone`.
    static func ipv6Problem(_ host: Substring) -> String? {
        var address = host
        if let percent = host.firstIndex(of: "%") {
            address = host[..<percent]
            let zone = host[host.index(after: percent)...]
            let zoneValid =
                !zone.isEmpty
                && zone.utf8.allSatisfy { byte in
                    switch byte {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                        UInt8(ascii: "_"):
                        true
                    default:
                        false
                    }
                }
            if !zoneValid { return "bad IPv6 zone after '%'" }
        }
        var storage = in6_addr()
        let valid = String(address).withCString { inet_pton(AF_INET6, $0, &storage) } == 1
        return valid ? nil : "not a valid IPv6 address inside the brackets"
    }
}

/// `'text'`, cut to `limit` characters, with control and line-breaking characters escaped so
/// that a message stays on one line.
func quotedForMessage(_ text: String, limit: Int = 80) -> String {
    var result = "'"
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            result += "..."
            break
        }
        result += escapedForOneLine(scalar)
        count += 1
    }
    return result + "'"
}

/// The text on one line and safe to print on a terminal: control, line-breaking and format
/// characters (escape sequences, bidi overrides) become `\n`, `\r`, `\t` or `\u{...}`. With
/// `escapingBackslash`, a backslash becomes `\\`, so that data cannot pass for an escape (data
/// from the network, `gossip subscribe --text`); messages escape once, without it, so that an
/// escape already made is not doubled.
public func escapedForOneLine(_ text: String, escapingBackslash: Bool = false) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        result += escapingBackslash && scalar == "\\" ? "\\\\" : escapedForOneLine(scalar)
    }
    return result
}

private func escapedForOneLine(_ scalar: Unicode.Scalar) -> String {
    switch scalar {
    case "\n": return "\\n"
    case "\r": return "\\r"
    case "\t": return "\\t"
    default:
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator, .format:
            return "\\u{" + String(scalar.value, radix: 16) + "}"
        default:
            return String(scalar)
        }
    }
}
