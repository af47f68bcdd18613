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
        guard parts.count <= 2, let address = PeerAddress(host: String(parts[0]), port: 0) else { return nil }
        let maximum = address.isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed), parts[1].allSatisfy(\.isNumber) else { return nil }
            length = parsed
        }
        self.address = address
        self.bits = address.isIPv4 ? 96 + length : length
    }

    /// Whether `candidate` lies in this network.
    public func contains(_ candidate: PeerAddress) -> Bool {
        let mask: UInt128 = bits == 0 ? 0 : ~UInt128(0) << (128 - bits)
        return address.hostKey & mask == candidate.hostKey & mask
    }

    public var description: String {
        address.isIPv4 ? "\(address.host)/\(bits - 96)" : "\(address.host)/\(bits)"
    }
}
