#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GossipCore
import GossipWire

/// The simulated network: links as pairs of endpoints with a latency, per-direction FIFO delivery,
/// loss as retransmission delay, partitions, fake addresses, and the messages in flight.
///
/// A link is two endpoints, one per node. An endpoint's index is the `LinkID` its node knows the
/// link by, so IDs are distinct on both sides and never reused.
struct SimulatedNetwork: Sendable {
    struct Endpoint: Sendable {
        /// The node holding this end.
        var node: UInt32
        /// The other end.
        var peer: UInt32
        /// One-way latency of the link, in microseconds.
        var latencyMicroseconds: UInt32
        /// False once this end closed or learnt that the link is gone.
        var isOpen: Bool
        /// When the last message sent from this end arrives: later ones never arrive earlier (FIFO).
        var lastArrival: UInt64
    }

    /// A dial under way.
    struct Dial: Sendable {
        var node: UInt32
        var target: Overlay.DialTarget
        var startedAt: UInt64
        var latencyMicroseconds: UInt32
    }

    static let port: UInt16 = 6001

    let latency: LatencyModel
    let lossRate: Double
    let retransmissionTimeout: UInt64
    let connectTimeout: UInt64

    private(set) var endpoints: [Endpoint] = []
    private var messages: [PeerMessage] = []
    private var messageReferences: [UInt32] = []
    /// The simulation's item index a message carries (an ITEM), or -1.
    private var messageItems: [Int32] = []
    private var freeMessages: [UInt32] = []
    private var dials: [Dial] = []
    private var freeDials: [UInt32] = []

    /// Partition group per node; nodes in different groups cannot reach each other while a
    /// partition is active.
    var groups: [UInt8] = []
    var isPartitioned = false
    /// When the active partition heals, if ever.
    var healAt: UInt64?

    init(latency: LatencyModel, lossRate: Double, retransmissionTimeoutMilliseconds: Double, connectTimeoutMilliseconds: Int) {
        self.latency = latency
        self.lossRate = lossRate
        self.retransmissionTimeout = UInt64(retransmissionTimeoutMilliseconds * 1_000_000)
        self.connectTimeout = UInt64(connectTimeoutMilliseconds) * 1_000_000
    }

    // MARK: Addresses

    /// Node `index`'s address: 10.a.b.c:6001 with a.b.c = index + 1.
    static func address(of index: Int) -> PeerAddress {
        let value = index + 1
        return PeerAddress(
            ip: [10, UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)],
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

    /// A link's one-way latency.
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
        return UInt32(clamping: Int((max(0, milliseconds) * 1000).rounded()))
    }

    /// The extra delay of one message on a lossy link: a retransmission timeout for each lost try.
    func lossDelay(using random: inout SeededRandom) -> UInt64 {
        guard lossRate > 0 else { return 0 }
        var extra: UInt64 = 0
        while random.unitInterval() < lossRate { extra &+= retransmissionTimeout }
        return extra
    }

    func canReach(_ a: Int, _ b: Int) -> Bool {
        !isPartitioned || groups[a] == groups[b]
    }

    // MARK: Links

    /// Opens a link between `a` (the dialer) and `b`; returns the endpoints (a's, b's).
    mutating func openLink(_ a: Int, _ b: Int, latencyMicroseconds: UInt32) -> (UInt32, UInt32) {
        let first = UInt32(endpoints.count)
        endpoints.append(Endpoint(node: UInt32(a), peer: first + 1, latencyMicroseconds: latencyMicroseconds, isOpen: true, lastArrival: 0))
        endpoints.append(Endpoint(node: UInt32(b), peer: first, latencyMicroseconds: latencyMicroseconds, isOpen: true, lastArrival: 0))
        return (first, first + 1)
    }

    mutating func close(_ endpoint: Int) {
        endpoints[endpoint].isOpen = false
    }

    /// When a segment sent now from `endpoint` arrives at the other end, or nil if it never does
    /// (a partition that does not heal). Loss delays it; a partition holds it until the heal;
    /// it never overtakes an earlier segment of the same direction.
    mutating func arrival(from endpoint: Int, now: UInt64, random: inout SeededRandom) -> UInt64? {
        let sender = endpoints[endpoint]
        var start = now
        if isPartitioned, groups[Int(sender.node)] != groups[Int(endpoints[Int(sender.peer)].node)] {
            guard let healAt else { return nil }
            start = max(now, healAt)
        }
        let time = max(sender.lastArrival, start &+ UInt64(sender.latencyMicroseconds) * 1000 &+ lossDelay(using: &random))
        endpoints[endpoint].lastArrival = time
        return time
    }

    // MARK: Messages in flight

    /// Keeps `message` for `copies` deliveries; returns its slot.
    mutating func store(_ message: PeerMessage, copies: Int, item: Int32) -> UInt32 {
        if let slot = freeMessages.popLast() {
            messages[Int(slot)] = message
            messageReferences[Int(slot)] = UInt32(copies)
            messageItems[Int(slot)] = item
            return slot
        }
        messages.append(message)
        messageReferences.append(UInt32(copies))
        messageItems.append(item)
        return UInt32(messages.count - 1)
    }

    /// One delivery of the message in `slot`: the message and its item index; frees the slot after
    /// the last copy.
    mutating func take(_ slot: UInt32) -> (PeerMessage, Int32) {
        let index = Int(slot)
        let message = messages[index]
        let item = messageItems[index]
        messageReferences[index] -= 1
        if messageReferences[index] == 0 {
            messages[index] = .ping(0)
            freeMessages.append(slot)
        }
        return (message, item)
    }

    /// Drops `count` copies of the message in `slot` that will not be delivered.
    mutating func release(_ slot: UInt32, count: Int) {
        guard count > 0 else { return }
        let index = Int(slot)
        messageReferences[index] -= UInt32(count)
        if messageReferences[index] == 0 {
            messages[index] = .ping(0)
            freeMessages.append(slot)
        }
    }

    /// Message slots in use.
    var messagesInFlight: Int { messages.count - freeMessages.count }

    // MARK: Dials

    mutating func beginDial(_ dial: Dial) -> UInt32 {
        if let slot = freeDials.popLast() {
            dials[Int(slot)] = dial
            return slot
        }
        dials.append(dial)
        return UInt32(dials.count - 1)
    }

    func dial(_ slot: UInt32) -> Dial { dials[Int(slot)] }

    mutating func endDial(_ slot: UInt32) {
        freeDials.append(slot)
    }
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
