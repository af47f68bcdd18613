import GossipCore
import GossipWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fixed rules of the simulated network: latency, loss, timeouts and fake addresses.
///
/// A link is two endpoints, one at each node, each held by the partition that owns its node. A
/// segment sent from an endpoint arrives after the link's latency plus a retransmission timeout per
/// lost try, never before an earlier segment of the same direction (FIFO, as over TCP).
struct NetworkModel: Sendable {
    static let port: UInt16 = 6001

    let latency: LatencyModel
    let lossRate: Double
    /// Nanoseconds added per lost try.
    let retransmissionTimeout: UInt64
    /// Nanoseconds after which a dial into silence fails.
    let connectTimeout: UInt64
    /// The shortest latency any link can have, in microseconds: no event at one node can affect
    /// another sooner, which is what lets partitions run a window this long in parallel.
    let minimumLatencyMicroseconds: UInt32

    init(
        latency: LatencyModel, lossRate: Double, retransmissionTimeoutMilliseconds: Double,
        connectTimeoutMilliseconds: Int
    ) {
        self.latency = latency
        self.lossRate = lossRate
        self.retransmissionTimeout = UInt64(max(0, retransmissionTimeoutMilliseconds) * 1_000_000)
        self.connectTimeout = UInt64(connectTimeoutMilliseconds) * 1_000_000
        let floor =
            latency.distribution == .constant
            ? latency.meanMilliseconds : latency.meanMilliseconds - latency.jitterMilliseconds
        self.minimumLatencyMicroseconds = UInt32(clamping: Int((max(0, floor) * 1000).rounded(.down)))
    }

    /// The lookahead in nanoseconds.
    var lookahead: UInt64 { UInt64(minimumLatencyMicroseconds) * 1000 }

    // MARK: Addresses

    /// Node `index`'s address: 10.a.b.c:6001 with a.b.c = index + 1.
    static func address(of index: Int) -> PeerAddress {
        let value = index + 1
        return PeerAddress(
            ip: [
                10, UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                UInt8(truncatingIfNeeded: value),
            ],
            port: port)!
    }

    /// The node listening at `host`:`port`, if any: the inverse of `address(of:)`, without allocating.
    static func node(host: String, port: UInt16, nodeCount: Int) -> Int? {
        guard port == Self.port else { return nil }
        var parts = (0, 0, 0, 0)
        var part = 0
        var digits = 0
        var host = host
        let ok: Bool = host.withUTF8 { bytes in
            for byte in bytes {
                if byte == UInt8(ascii: ".") {
                    guard digits > 0, part < 3 else { return false }
                    part += 1
                    digits = 0
                    continue
                }
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3 else { return false }
                let digit = Int(byte - UInt8(ascii: "0"))
                switch part {
                case 0: parts.0 = parts.0 * 10 + digit
                case 1: parts.1 = parts.1 * 10 + digit
                case 2: parts.2 = parts.2 * 10 + digit
                default: parts.3 = parts.3 * 10 + digit
                }
                digits += 1
            }
            return part == 3 && digits > 0
        }
        guard ok, parts.0 == 10, parts.1 < 256, parts.2 < 256, parts.3 < 256 else { return nil }
        let index = (parts.1 << 16 | parts.2 << 8 | parts.3) - 1
        return index >= 0 && index < nodeCount ? index : nil
    }

    // MARK: Latency and loss

    /// A link's one-way latency in microseconds, never below `minimumLatencyMicroseconds`.
    func sampleLatency(using random: inout SeededRandom) -> UInt32 {
        let mean = latency.meanMilliseconds
        let jitter = latency.jitterMilliseconds
        let milliseconds: Double
        switch latency.distribution {
        case .constant:
            milliseconds = mean
        case .uniform:
            milliseconds = mean - jitter + 2 * jitter * random.unitInterval()
        case .exponential:
            milliseconds = mean - jitter - jitter * log(1 - random.unitInterval())
        }
        return max(minimumLatencyMicroseconds, UInt32(clamping: Int((max(0, milliseconds) * 1000).rounded())))
    }

    /// The extra delay of one segment on a lossy link: a retransmission timeout for each lost try.
    func lossDelay(using random: inout SeededRandom) -> UInt64 {
        guard lossRate > 0 else { return 0 }
        var extra: UInt64 = 0
        while random.unitInterval() < lossRate { extra &+= retransmissionTimeout }
        return extra
    }
}

/// One end of a link, held by the partition of its node. Its index in that partition's table is
/// the low 32 bits of the `LinkID` the node knows the link by; the high 32 bits count the node's
/// links, so IDs sort in the order the node got them whatever the partitioning.
struct LinkEndpoint: Sendable {
    /// When the last segment sent from this end arrives (FIFO: later ones never arrive earlier).
    var lastArrival: UInt64
    /// The node holding this end.
    var node: UInt32
    /// The other end: its node and its index in that node's partition.
    var peerNode: UInt32
    var peerIndex: UInt32
    /// One-way latency of the link, in microseconds.
    var latencyMicroseconds: UInt32
    /// The node's link counter when the link opened (the LinkID's high half).
    var serial: UInt32
    /// Open from the node's `linkOpened` until it closed or learnt the link is gone. A dialer's
    /// end exists (closed) from the dial until the answer to its SYN arrives.
    var isOpen: Bool

    static func linkID(serial: UInt32, index: Int) -> LinkID {
        LinkID(UInt64(serial) << 32 | UInt64(UInt32(index)))
    }

    static func index(of link: LinkID) -> Int { Int(link.rawValue & 0xFFFF_FFFF) }
}

extension SeededRandom {
    /// A uniform Double in [0, 1).
    mutating func unitInterval() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform Int in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
