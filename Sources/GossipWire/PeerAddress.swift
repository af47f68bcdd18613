/// A node's listening address in the fixed 18-byte wire form: 16 address bytes (an IPv4 address as
/// IPv4-mapped IPv6, `::ffff:a.b.c.d`), then the port. One size for both families, so a list of
/// entries has one entry size and cannot be misread.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The 16 address bytes as two big-endian words, held inline (no allocation per address).
    private let high: UInt64
    private let low: UInt64
    public var port: UInt16

    /// The 16 address bytes.
    public var ip: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        bytes.appendBigEndian(high)
        bytes.appendBigEndian(low)
        return bytes
    }

    public static let encodedSize = 18
    private static let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    /// From 4 (IPv4) or 16 (IPv6) address bytes; nil for any other length.
    public init?(ip: [UInt8], port: UInt16) {
        let full: [UInt8]
        switch ip.count {
        case 4: full = Self.mappedPrefix + ip
        case 16: full = ip
        default: return nil
        }
        self.high = full[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        self.low = full[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
        self.port = port
    }

    /// From a numeric IPv4 ("127.0.0.1") or IPv6 ("::1", "fe80::1", "::ffff:1.2.3.4") literal; a
    /// zone ("%eth0") is dropped. nil for anything else.
    public init?(host: String, port: UInt16) {
        var host = host
        if let zone = host.firstIndex(of: "%") { host = String(host[..<zone]) }
        if host.lowercased().hasPrefix("::ffff:"), host.contains(".") { host = String(host.dropFirst(7)) }
        if let v4 = Self.parseIPv4(host) {
            self.init(ip: v4, port: port)
        } else if let v6 = Self.parseIPv6(host) {
            self.init(ip: v6, port: port)
        } else {
            return nil
        }
    }

    /// Whether this is an IPv4 address carried as IPv4-mapped IPv6.
    public var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// The textual host: dotted quad for IPv4; for IPv6 the form of RFC 5952 (lower-case hex
    /// groups, the longest run of two or more zero groups written `::`), as `--api` and the
    /// configuration accept it.
    public var host: String {
        let ip = self.ip
        if isIPv4 { return ip[12...].map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(ip[$0]) << 8 | UInt16(ip[$0 + 1]) }
        var best = (start: 0, length: 0)
        var run = (start: 0, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if run.length == 0 { run.start = index }
                run.length += 1
                if run.length > best.length { best = run }
            } else {
                run.length = 0
            }
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return text.joined(separator: ":") }
        let head = text[..<best.start].joined(separator: ":")
        let tail = text[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// Whether the address is the unspecified one (0.0.0.0 or ::), which a peer cannot dial.
    public var isUnspecified: Bool {
        isIPv4 ? low & 0xFFFF_FFFF == 0 : high == 0 && low == 0
    }

    public var description: String { isIPv4 ? "\(host):\(port)" : "[\(host)]:\(port)" }

    /// Whether the address is a loopback one (127.0.0.0/8 or ::1): a peer on this very machine.
    public var isLoopback: Bool {
        isIPv4 ? (low >> 24) & 0xFF == 127 : high == 0 && low == 1
    }

    /// The host part alone (the port left out), for counting connections per host.
    public var hostKey: UInt128 { UInt128(high) << 64 | UInt128(low) }

    /// The network the host belongs to for per-network limits: its /24 for IPv4, its /48 for
    /// IPv6 (what one provider typically hands one customer).
    public var prefixKey: UInt128 {
        isIPv4 ? hostKey & ~UInt128(0xFF) : UInt128(high & 0xFFFF_FFFF_FFFF_0000) << 64
    }

    private init(high: UInt64, low: UInt64, port: UInt16) {
        self.high = high
        self.low = low
        self.port = port
    }

    func encode(into bytes: inout [UInt8]) {
        bytes.appendBigEndian(high)
        bytes.appendBigEndian(low)
        bytes.appendBigEndian(port)
    }

    static func decode(from reader: inout ByteReader) throws(WireError) -> PeerAddress {
        PeerAddress(high: try reader.readUInt64(), low: try reader.readUInt64(), port: try reader.readUInt16())
    }

    private static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        guard text.contains(":"), text.allSatisfy({ $0.isHexDigit || $0 == ":" }) else { return nil }
        let characters = Array(text)
        var halves: [String] = []
        var current = ""
        var index = 0
        while index < characters.count {
            if characters[index] == ":" && index + 1 < characters.count && characters[index + 1] == ":" {
                halves.append(current)
                current = ""
                index += 2
            } else {
                current.append(characters[index])
                index += 1
            }
        }
        halves.append(current)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                out.append(value)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

/// One entry of a peer list: a node's identity and where it listens. Always 50 bytes.
public struct PeerEntry: Hashable, Sendable {
    public var identity: PeerIdentity
    public var address: PeerAddress

    public static let encodedSize = 32 + PeerAddress.encodedSize

    public init(identity: PeerIdentity, address: PeerAddress) {
        self.identity = identity
        self.address = address
    }
}
