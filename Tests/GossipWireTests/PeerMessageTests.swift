import Foundation
import Testing

@testable import GossipWire

@Suite("P2P messages")
struct PeerMessageTests {
    static let identityBytes = [UInt8](repeating: 0xAB, count: 32)
    static let identity = PeerIdentity(bytes: identityBytes)!
    static let v4 = PeerAddress(host: "127.0.0.1", port: 6001)!
    static let v6 = PeerAddress(host: "2001:db8::1", port: 6002)!

    static let samples: [PeerMessage] = [
        .hello(PeerHello(identity: identity, listenAddress: v4)),
        .hello(PeerHello(version: 9, flags: 3, identity: identity, listenAddress: v6, nonce: Array(1...16))),
        .auth(PeerAuth(publicKey: Array(repeating: 0x30, count: 91), signature: Array(repeating: 7, count: 72))),
        .auth(PeerAuth(publicKey: [], signature: [])),
        .auth(PeerAuth(publicKey: Array(repeating: 1, count: PeerAuth.maximumFieldSize), signature: Array(repeating: 2, count: 512))),
        .pull(v4),
        .push(PeerPush(listenAddress: v6, entries: [])),
        .push(PeerPush(listenAddress: v4, entries: [PeerEntry(identity: identity, address: v4), PeerEntry(identity: identity, address: v6)])),
        .push(PeerPush(listenAddress: v4, entries: Array(repeating: PeerEntry(identity: identity, address: v6), count: PeerPush.maximumEntries))),
        .item(GossipItem(id: ItemID(high: 1, low: 2), ttl: 3, dataType: 1337, data: [0xDE, 0xAD])),
        .item(GossipItem(id: ItemID(high: .max, low: 0), ttl: 0, dataType: 0, data: Array(repeating: 7, count: GossipItem.maximumDataSize))),
        .ping(0x0102_0304_0506_0708),
        .pong(42),
        .digest([]),
        .membership(PeerMembership(kind: .join, entry: PeerEntry(identity: identity, address: v4))),
        .membership(PeerMembership(kind: .forwardJoin, ttl: 6, entry: PeerEntry(identity: identity, address: v6))),
        .ihave([ItemID(high: 1, low: 2)]),
        .graft([ItemID(high: 3, low: 4), ItemID(high: 5, low: 6)]),
        .prune,
        .digest((0..<PeerMessage.maximumIDs).map { ItemID(high: UInt64($0), low: 1) }),
        .request([ItemID(high: 5, low: 6)]),
    ]

    @Test("every message survives encode then decode", arguments: samples)
    func roundTrip(_ message: PeerMessage) throws {
        let bytes = message.encoded()
        #expect(bytes.count <= Framing.maximumMessageSize)
        var reader = FrameReader()
        reader.append(bytes)
        let frame = try #require(try reader.nextFrame())
        #expect(try PeerMessage(frame: frame) == message)
    }

    @Test("an identity keeps its 32 bytes, in order, and compares as they do")
    func identityBytes() {
        let bytes = (0..<32).map { UInt8($0 * 7 & 0xFF) }
        let identity = PeerIdentity(bytes: bytes)!
        #expect(identity.bytes == bytes)
        #expect(PeerIdentity(bytes: [1, 2]) == nil)
        let smaller = PeerIdentity(bytes: [0] + Array(repeating: 0xFF, count: 31))!
        let larger = PeerIdentity(bytes: [1] + Array(repeating: 0, count: 31))!
        #expect(smaller < larger)
        #expect(identity.hex == bytes.map { String(format: "%02x", $0) }.joined())
    }

    @Test("addresses have one 18-byte form; IPv4 travels as IPv4-mapped IPv6")
    func addressForm() {
        #expect(Self.v4.ip == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1])
        #expect(Self.v4.isIPv4 && !Self.v6.isIPv4)
        #expect(Self.v4.description == "127.0.0.1:6001")
        #expect(Self.v6.description == "[2001:db8::1]:6002")
        // RFC 5952: the longest run of zero groups (the first of equal runs) becomes "::"; one zero group stays.
        for (text, expected) in [("::1", "::1"), ("::", "::"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
                                 ("1:0:0:2:3:0:0:4", "1::2:3:0:0:4"), ("fe80::abcd", "fe80::abcd"), ("1::", "1::")] {
            let address = PeerAddress(host: text, port: 1)
            #expect(address?.host == expected, "\(text)")
            #expect(address.flatMap { PeerAddress(host: $0.host, port: 1) } == address, "\(text) reads back")
        }
        #expect(PeerAddress(host: "::1", port: 1)?.ip == Array(repeating: 0, count: 15) + [1])
        #expect(PeerAddress(host: "::", port: 1)?.isUnspecified == true)
        for bad in ["", "1.2.3", "1.2.3.256", "localhost", "1::2::3", "12345::1", "1:2:3:4:5:6:7:8:9"] {
            #expect(PeerAddress(host: bad, port: 1) == nil, "\(bad)")
        }
        var bytes: [UInt8] = []
        PeerMessage.pull(Self.v4).encode(into: &bytes)
        #expect(bytes == [0, 22, 0x01, 0xF9] + Self.v4.ip + [0x17, 0x71])
    }

    @Test("the HELLO layout is byte-exact")
    func helloBytes() {
        let nonce = Array(UInt8(100)..<116)
        let bytes = PeerMessage.hello(PeerHello(identity: Self.identity, listenAddress: Self.v4, nonce: nonce)).encoded()
        #expect(bytes.count == 74)
        #expect(Array(bytes[0..<8]) == [0, 74, 0x01, 0xF8, 6, 0, 0, 0])
        #expect(Array(bytes[8..<40]) == Self.identityBytes)
        #expect(Array(bytes[40..<58]) == Self.v4.ip + [0x17, 0x71])
        #expect(Array(bytes[58..<74]) == nonce)
    }

    @Test("AUTH lengths must add up exactly, and each field is bounded")
    func authLengths() {
        let agreementKey = [UInt8](repeating: 0xAA, count: 32)
        let good = PeerMessage.auth(PeerAuth(publicKey: [1, 2, 3], signature: [4, 5], work: 6, agreementKey: agreementKey)).encoded()
        #expect(good == [0, 53, 0x02, 0x00, 0, 3, 1, 2, 3, 0, 2, 4, 5, 0, 0, 0, 0, 0, 0, 0, 6] + agreementKey)
        #expect((try? PeerMessage(frame: Frame(type: 512, body: Array(good[4...])))) == .auth(PeerAuth(publicKey: [1, 2, 3], signature: [4, 5], work: 6, agreementKey: agreementKey)))
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 512, body: Array(good[4..<52]))) }  // agreement key short
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 512, body: Array(good[4...]) + [0])) }  // trailing byte
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 512, body: [0, 9, 1, 2])) }  // key runs past the end
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 512, body: [0x10, 0x01] + Array(repeating: 0, count: 4097) + [0, 0])) }
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 512, body: [0])) }
    }

    @Test("what an AUTH signs binds both nonces, both identities and the sender's agreement key")
    func signedBytes() {
        let bytes = PeerAuth.signedBytes(
            receiverNonce: Array(repeating: 1, count: 16), senderNonce: Array(repeating: 2, count: 16),
            senderIdentity: PeerIdentity(bytes: Array(repeating: 3, count: 32))!, receiverIdentity: PeerIdentity(bytes: Array(repeating: 4, count: 32))!,
            senderAgreementKey: Array(repeating: 5, count: 32))
        #expect(bytes == Array("gossip-auth-v2".utf8) + Array(repeating: 1, count: 16) + Array(repeating: 2, count: 16)
            + Array(repeating: 3, count: 32) + Array(repeating: 4, count: 32) + Array(repeating: 5, count: 32))
    }

    @Test("a PUSH whose count disagrees with its length is rejected")
    func pushCountMismatch() {
        var bytes = PeerMessage.push(PeerPush(listenAddress: Self.v4, entries: [PeerEntry(identity: Self.identity, address: Self.v4)])).encoded()
        bytes[23] = 2  // claims two entries, carries one
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 506, body: Array(bytes[4...]))) }
        bytes[23] = 0  // claims none, carries one
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 506, body: Array(bytes[4...]))) }
        // one byte short of a whole entry
        let short = PeerMessage.push(PeerPush(listenAddress: Self.v4, entries: [PeerEntry(identity: Self.identity, address: Self.v4)])).encoded()
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 506, body: Array(short[4..<(short.count - 1)]))) }
    }

    @Test("a DIGEST or REQUEST whose count disagrees with its length is rejected")
    func idListMismatch() {
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 510, body: [0, 1])) }
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 511, body: [0, 0] + Array(repeating: 0, count: 16))) }
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 511, body: [0])) }
    }

    @Test(
        "fixed-size messages with any other size are rejected",
        arguments: [(UInt16(504), 69), (504, 71), (505, 17), (505, 19), (508, 7), (508, 9), (509, 0), (507, 19), (513, 53), (513, 55), (516, 1)])
    func fixedSizes(type: UInt16, bodySize: Int) {
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: type, body: Array(repeating: 0, count: bodySize))) }
    }

    @Test("the MEMBERSHIP and PRUNE layouts are byte-exact; unknown membership kinds are rejected")
    func membershipBytes() {
        let entry = PeerEntry(identity: Self.identity, address: Self.v4)
        let bytes = PeerMessage.membership(PeerMembership(kind: .forwardJoin, ttl: 5, entry: entry)).encoded()
        #expect(bytes.count == PeerMembership.size && bytes.count == 58)
        #expect(Array(bytes[0..<8]) == [0, 58, 0x02, 0x01, 2, 5, 0, 0])
        #expect(Array(bytes[8..<40]) == Self.identityBytes)
        #expect(Array(bytes[40..<58]) == Self.v4.ip + [0x17, 0x71])
        #expect(PeerMessage.prune.encoded() == [0, 4, 0x02, 0x04])
        var unknown = Array(bytes[4...])
        unknown[0] = 9
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 513, body: unknown)) }
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 516, body: [0])) }
        #expect(PeerMessage.ihave([ItemID(high: 1, low: 2)]).encoded() == [0, 22, 0x02, 0x02, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 2])
    }

    @Test("a CUT is a PRUNE (516) with an item ID and a 64-bit link weight: exactly 28 bytes")
    func cutBytes() throws {
        let message = PeerMessage.cut(ItemID(high: 1, low: 2), PathWeight(rawValue: 0x0102_0304_0506_0708))
        let bytes = message.encoded()
        #expect(bytes == [0, 28, 0x02, 0x04] + [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 2] + [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try PeerMessage(frame: Frame(type: 516, body: Array(bytes[4...]))) == message)
        #expect(try PeerMessage(frame: Frame(type: 516, body: [])) == .prune)
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 516, body: Array(bytes[4..<27]))) }
        #expect(PeerMessage.checkHeader(type: 516, size: 28) == nil && PeerMessage.checkHeader(type: 516, size: 4) == nil)
        #expect(PeerMessage.checkHeader(type: 516, size: 24) != nil && PeerMessage.checkHeader(type: 516, size: 32) != nil)
    }

    @Test("the ITEM carries its path length after the TTL and the path weights after the data type")
    func itemPath() throws {
        let heavy: [UInt8] = [0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0, 0x01, 0x02], light: [UInt8] = [0, 0, 0, 0, 1, 2, 3, 4]
        let path = try #require(TreePath(weights: [PathWeight(rawValue: 0xA0B0_C0D0_E0F0_0102), PathWeight(rawValue: 0x0102_0304)]))
        let item = GossipItem(id: ItemID(high: 1, low: 2), ttl: 3, dataType: 7, path: path, data: [9])
        let bytes = PeerMessage.item(item).encoded()
        #expect(bytes.count == 41 && PeerMessage.item(item).encodedSize == 41)
        #expect(Array(bytes[20..<41]) == [3, 2, 0, 7] + heavy + light + [9])
        #expect(try PeerMessage(frame: Frame(type: 507, body: Array(bytes[4...]))) == .item(item))
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 507, body: Array(bytes[4..<23]))) }
        // Length 2 but one weight's worth of bytes after the data type.
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 507, body: Array(bytes[4..<32]))) }
        // Weights out of order, a zero weight, an all-ones weight, lengths 17, 0x80 and 0xFE: all refused.
        var unordered = bytes
        unordered.replaceSubrange(24..<40, with: light + heavy)
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 507, body: Array(unordered[4...]))) }
        var zero = bytes
        zero.replaceSubrange(32..<40, with: [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 507, body: Array(zero[4...]))) }
        var ones = bytes
        ones.replaceSubrange(24..<32, with: Array(repeating: 0xFF, count: 8))
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 507, body: Array(ones[4...]))) }
        for length: UInt8 in [17, 0x80, 0xFE] {
            var long = bytes
            long[21] = length
            long += Array(repeating: 0, count: 300)
            #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 507, body: Array(long[4...]))) }
        }
        // Off the tree: length ff and no weights.
        let off = GossipItem(id: item.id, ttl: 3, dataType: 7, path: .offTree, data: [9])
        let offBytes = PeerMessage.item(off).encoded()
        #expect(Array(offBytes[20..<25]) == [3, 0xFF, 0, 7, 9])
        #expect(try PeerMessage(frame: Frame(type: 507, body: Array(offBytes[4...]))) == .item(off))
    }

    @Test("an ITEM whose path does not fit beside its data goes with its path off the tree")
    func itemPathThatDoesNotFit() throws {
        let path = try #require(TreePath(weights: [PathWeight(rawValue: 9)]))
        let item = GossipItem(id: ItemID(high: 1, low: 2), ttl: 0, dataType: 7, path: path, data: Array(repeating: 1, count: GossipItem.maximumDataSize))
        let bytes = PeerMessage.item(item).encoded()
        #expect(bytes.count == GossipItem.fixedSize + GossipItem.maximumDataSize && bytes[21] == 0xFF)
        #expect(PeerMessage.item(item).encodedSize == bytes.count)
        var smaller = item
        smaller.data.removeLast(4)
        let fits = PeerMessage.item(smaller).encoded()
        #expect(fits.count == Framing.maximumMessageSize && fits[21] == 1, "with 4 bytes less data, the weight fits")
        // Data beyond maximumDataSize is refused even where the frame could hold it.
        let tooLong = Array(bytes[4...]) + [0, 0, 0, 0]
        #expect(tooLong.count + 4 == Framing.maximumMessageSize)
        #expect(throws: WireError.self) { try PeerMessage(frame: Frame(type: 507, body: tooLong)) }
    }

    @Test("a path keeps the links heavier than all after them, and off the tree stays off")
    func pathCrossing() throws {
        func w(_ v: UInt64) -> PathWeight { PathWeight(rawValue: v) }
        let path = TreePath.origin.crossing(w(50)).crossing(w(20)).crossing(w(30)).crossing(w(10))
        #expect(path.weights == [w(50), w(30), w(10)])
        #expect(path.crossing(w(40)).weights == [w(50), w(40)])
        #expect(path.crossing(w(60)).weights == [w(60)])
        #expect(path.contains(w(30)) && !path.contains(w(20)))
        #expect(TreePath.offTree.crossing(w(5)) == .offTree && path.crossing(.offTree) == .offTree)
        var long = TreePath.origin
        for v in stride(from: UInt64(100), to: 84, by: -1) { long = long.crossing(w(v)) }
        #expect(long.weights.count == TreePath.maximumLength && !long.isOffTree)
        #expect(long.crossing(w(1)).isOffTree, "a 17th weight takes the path off the tree")
        #expect(TreePath(weights: [w(3), w(3)]) == nil && TreePath(weights: [w(1), w(2)]) == nil)
    }

    @Test("two copies' paths name the heaviest link of their cycle, even behind a heavier shared stretch")
    func heaviestOfCycle() {
        func w(_ v: UInt64) -> PathWeight { PathWeight(rawValue: v) }
        func path(_ links: [UInt64]) -> TreePath { links.reduce(TreePath.origin) { $0.crossing(w($1)) } }
        // Shared stretch 90, 15; then 40, 12 on one side and 25, 35 on the other: the cycle's
        // heaviest link is 40, on the first path, though 90 is heavier than anything on it.
        let first = path([90, 15, 40, 12]), second = path([90, 15, 25, 35])
        #expect(TreePath.heaviestOfCycle(first, second)! == (w(40), .first))
        #expect(TreePath.heaviestOfCycle(second, first)! == (w(40), .second))
        // A shared link heavier than one side only: 30 is shared, the sides are 20 and 50.
        #expect(TreePath.heaviestOfCycle(path([30, 20]), path([30, 50]))! == (w(50), .second))
        // The same path twice (a copy over the same link): no cycle.
        #expect(TreePath.heaviestOfCycle(first, first) == nil)
        #expect(TreePath.heaviestOfCycle(first, .offTree) == nil)
        // One copy straight from the origin, the other round the cycle.
        #expect(TreePath.heaviestOfCycle(path([7]), path([3, 5, 2]))! == (w(7), .first))
        // At the origin (an empty first path), a copy come round names the cycle's heaviest link.
        #expect(TreePath.heaviestOfCycle(.origin, path([3, 9, 2]))! == (w(9), .second))
        // A second path that came round back through this node: the first list is a prefix of it.
        #expect(TreePath.heaviestOfCycle(path([8, 5]), path([8, 5, 3, 1]))! == (w(3), .second))
        // The reverse cannot happen honestly (this node would have had the longer copy first): nothing.
        #expect(TreePath.heaviestOfCycle(path([8, 5, 3, 1]), path([8, 5])) == nil)
    }

    @Test("any two paths from one origin: the named link is the heaviest link on exactly one side", arguments: 0..<50)
    func heaviestOfRandomCycles(seed: Int) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next(_ bound: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % bound
        }
        var used = Set<UInt64>()
        func fresh() -> UInt64 {
            while true { let v = next(1_000_000) + 1; if used.insert(v).inserted { return v } }
        }
        let shared = (0..<Int(next(30))).map { _ in fresh() }
        // The first side may be empty: the second copy then came round a cycle back to this node.
        let sideA = (0..<Int(next(20))).map { _ in fresh() }
        let sideB = (0..<Int(next(20) + 1)).map { _ in fresh() }
        func path(_ links: [UInt64]) -> TreePath { links.reduce(TreePath.origin) { $0.crossing(PathWeight(rawValue: $1)) } }
        let a = path(shared + sideA), b = path(shared + sideB)
        guard !a.isOffTree, !b.isOffTree else { return }
        let heaviest = max(sideA.max() ?? 0, sideB.max()!)
        let found = TreePath.heaviestOfCycle(a, b)
        #expect(found?.weight.rawValue == heaviest)
        #expect(found?.side == (sideA.contains(heaviest) ? .first : .second))
    }

    @Test("API types and types outside 504-516 are not P2P messages", arguments: [UInt16(500), 501, 502, 503, 517, 518, 519, 65535])
    func foreignTypes(type: UInt16) {
        #expect(throws: WireError.unknownType(type)) { try PeerMessage(frame: Frame(type: type, body: Array(repeating: 0, count: 8))) }
    }
}

@Suite("Network prefixes")
struct NetworkPrefixTests {
    @Test("IPv4 and IPv6 networks parse and match their addresses only")
    func matching() {
        let ten = NetworkPrefix("10.0.0.0/8")!
        #expect(ten.contains(PeerAddress(host: "10.200.3.4", port: 1)!))
        #expect(!ten.contains(PeerAddress(host: "11.0.0.1", port: 1)!))
        #expect(ten.contains(PeerAddress(host: "::ffff:0a00:0001", port: 1)!), "an IPv4-mapped IPv6 address is the same address")
        let loopback = NetworkPrefix("::1")!
        #expect(loopback.contains(PeerAddress(host: "::1", port: 1)!) && !loopback.contains(PeerAddress(host: "::2", port: 1)!))
        let documentation = NetworkPrefix("2001:db8::/32")!
        #expect(documentation.contains(PeerAddress(host: "2001:db8:1::5", port: 1)!))
        #expect(!documentation.contains(PeerAddress(host: "2001:db9::5", port: 1)!))
        #expect(NetworkPrefix("0.0.0.0/0")!.contains(PeerAddress(host: "192.0.2.1", port: 1)!))
        #expect(ten.description == "10.0.0.0/8" && documentation.description == "2001:db8::/32")
        #expect(NetworkPrefix("[::1]/128")?.contains(PeerAddress(host: "::1", port: 1)!) == true, "brackets around an IPv6 address")
        let mapped = NetworkPrefix("::ffff:0:0/96")!
        #expect(mapped.contains(PeerAddress(host: "192.0.2.1", port: 1)!) && !mapped.contains(PeerAddress(host: "::1", port: 1)!), "written as IPv6, the length counts 128 bits")
        for bad in ["", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1", "host/8", "10.0.0.0/8/8", "fe80::1%eth0", "fe80::1%eth0/64"] {
            #expect(NetworkPrefix(bad) == nil, "\(bad)")
        }
    }
}
