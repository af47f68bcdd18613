/// A network written as an address and a prefix length (`10.0.0.0/8`, `::1/128`; a bare address
/// is the one host), matched against peers' and clients' addresses (`api_allow`).
public struct NetworkPrefix: Equatable, Sendable, CustomStringConvertible {
    /// The network's address, as an IPv4-mapped or IPv6 `PeerAddress` (port 0).
    public let address: PeerAddress
    /// Leading bits that must match, out of 128 (an IPv4 /8 is 96 + 8).
    public let bits: Int

    /// Parses `text`; nil if it is not an IPv4 or IPv6 address with an optional `/length`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        var host = String(parts[0])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        // A zone (fe80::1%eth0) would be dropped, allowing the address on every interface.
        guard parts.count <= 2, !host.contains("%"), let address = PeerAddress(host: host, port: 0) else { return nil }
        // Written as IPv6 (::ffff:0:0/96 included), the length counts 128 bits; as IPv4, 32.
        let isIPv6Text = host.contains(":")
        let maximum = isIPv6Text ? 128 : 32
        var length = maximum
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber), let parsed = Int(parts[1]), (0...maximum).contains(parsed) else { return nil }
            length = parsed
        }
        self.address = address
        self.bits = isIPv6Text ? length : 96 + length
    }

    /// Whether `candidate` lies in this network.
    public func contains(_ candidate: PeerAddress) -> Bool {
        let mask: UInt128 = bits == 0 ? 0 : ~UInt128(0) << (128 - bits)
        return address.hostKey & mask == candidate.hostKey & mask
    }

    public var description: String {
        address.isIPv4 && bits >= 96 ? "\(address.host)/\(bits - 96)" : "\(address.isIPv4 ? "::ffff:" : "")\(address.host)/\(bits)"
    }
}
