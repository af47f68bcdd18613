import Foundation
import GossipClient
import GossipCore
import GossipConfig
import GossipIdentity
import GossipNode
import GossipSockets
import GossipWire
import Logging
import Testing

/// Bad input on the P2P port: each closes only that link, is counted under its reason, and the
/// node keeps serving peers.
@Suite("Malformed and abusive P2P input", .serialized)
struct PeerInputTests {
    static let stranger = PeerIdentity(bytes: [UInt8](repeating: 0x42, count: 32))!
    static let strangerAddress = PeerAddress(host: "127.0.0.1", port: 9)!
    static let hello = PeerMessage.hello(PeerHello(identity: stranger, listenAddress: strangerAddress)).encoded()
    static let strangerNonce = [UInt8](repeating: 0x33, count: 16)

    typealias Case = BadInput

    static let cases: [Case] = [
        Case(name: "size field below the header", bytes: [0, 2, 0x01, 0xF8], reason: .sizeBelowHeader),
        Case(name: "an API ANNOUNCE on the P2P port", bytes: [0, 8, 0x01, 0xF4, 1, 0, 0, 1], reason: .unknownType),
        Case(name: "a PING before HELLO", bytes: PeerMessage.ping(1).encoded(), reason: .helloMissing),
        Case(name: "a HELLO one byte short", bytes: [0, 73, 0x01, 0xF8] + Array(hello[4..<73]), reason: .badSize),
        Case(name: "a PING after HELLO but before AUTH", bytes: hello + PeerMessage.ping(1).encoded(), reason: .helloMissing),
        Case(name: "an AUTH before HELLO", bytes: PeerMessage.auth(PeerAuth(publicKey: [1], signature: [2])).encoded(), reason: .helloMissing),
        Case(name: "an AUTH with junk key and signature", bytes: hello + PeerMessage.auth(PeerAuth(publicKey: [1], signature: [2])).encoded(), reason: .authFailed),
        Case(name: "a second HELLO", bytes: hello + hello, reason: .unexpectedHello),
        Case(
            name: "a HELLO of another protocol version",
            bytes: PeerMessage.hello(PeerHello(version: 9, identity: stranger, listenAddress: strangerAddress)).encoded(),
            reason: .versionMismatch),
        Case(name: "a PUSH whose count disagrees with its length", bytes: hello + [0, 24, 0x01, 0xFA] + strangerAddress.ip + [0, 9, 0, 1], reason: .badSize),
        Case(name: "a DIGEST whose count disagrees with its length", bytes: hello + [0, 6, 0x01, 0xFE, 0, 3], reason: .badSize),
        Case(name: "an ITEM shorter than its fixed part", bytes: hello + [0, 10, 0x01, 0xFB, 0, 0, 0, 0, 0, 0], reason: .badSize),
    ]

    @Test("a bad frame closes the link and nothing else", arguments: cases)
    func badFrame(_ testCase: Case) throws {
        let network = TestNetwork()
        let node = try network.add()
        let peer = try network.add(bootstrap: node)
        #expect(waitUntil(timeout: .seconds(10)) { node.establishedPeerCount == 1 })
        let socket = try Socket.connect(host: "127.0.0.1", port: node.p2pPort, deadline: .now + .seconds(2))
        defer { socket.close() }
        try socket.send(testCase.bytes, deadline: .now + .seconds(2))
        #expect(closes(socket), "the node closes the link")
        #expect(waitUntil { node.statistics.closedLinks(testCase.reason) == 1 })
        #expect(waitUntil { node.connectedPeers == [peer.identity] }, "the bad link goes, the good link stays")
        let subscriber = try peer.subscriber(of: 3)
        let announcer = try node.connect()
        try announcer.announce(dataType: 3, ttl: 0, data: [3])
        #expect(try subscriber.expectNotification().data == [3])
    }

    @Test(
        "a header that cannot be valid closes the link on its first 4 bytes, not at the frame timeout",
        arguments: [
            ([UInt8]([0, 200, 0x02, 0x10]), CloseReason.unknownType),  // type 528, a body promised
            ([0, 100, 0x01, 0xF8], .badSize),  // HELLO is always 74 bytes
            ([0, 30, 0x01, 0xFE], .badSize),  // a DIGEST's IDs are 16 bytes each: 6 + 16n
        ])
    func impossibleHeader(_ header: [UInt8], _ reason: CloseReason) throws {
        let network = TestNetwork()
        let node = try network.add { $0.frameTimeoutMilliseconds = 60_000 }
        let socket = try Socket.connect(host: "127.0.0.1", port: node.p2pPort, deadline: .now + .seconds(2))
        defer { socket.close() }
        try socket.send(header, deadline: .now + .seconds(2))
        #expect(closes(socket), "closed long before the 60 s frame timeout")
        #expect(waitUntil { node.statistics.closedLinks(reason) == 1 })
    }

    @Test("items behind a rejected HELLO are never handled")
    func nothingAfterRejectedHello() throws {
        let network = TestNetwork()
        let node = try network.add()
        let subscriber = try node.subscriber(of: 5)
        let socket = try Socket.connect(host: "127.0.0.1", port: node.p2pPort, deadline: .now + .seconds(2))
        defer { socket.close() }
        let badHello = PeerMessage.hello(PeerHello(version: 9, identity: Self.stranger, listenAddress: Self.strangerAddress)).encoded()
        let item = PeerMessage.item(Self.freshItem(salt: 1, dataType: 5, data: [5])).encoded()
        try socket.send(badHello + item, deadline: .now + .seconds(2))
        #expect(closes(socket))
        #expect(subscriber.staysQuiet(for: .milliseconds(300)))
        #expect(node.statistics.peerItemsReceived == 0)
    }

    /// Completes the handshake with `node` as a peer holding `key` would, claiming `claimed` (its
    /// own identity unless a test lies), and asks to be a neighbour; the link is sealed unless
    /// `encrypted` is false.
    private func handshake(
        _ node: Node, key: NodeKey, claiming claimed: PeerIdentity? = nil, signWith signer: NodeKey? = nil, work: UInt64 = 0,
        encrypted: Bool = true
    ) throws -> PeerClient {
        let client = try PeerClient(
            host: "127.0.0.1", port: node.p2pPort, key: key, work: work, listenAddress: Self.strangerAddress, claiming: claimed,
            signWith: signer, nonce: Self.strangerNonce, encrypted: encrypted)
        // Then ask to be a neighbour, as a node joining would, so the link becomes active.
        try? client.send(.membership(PeerMembership(kind: .neighborHigh, entry: PeerEntry(identity: claimed ?? key.identity, address: Self.strangerAddress))))
        return client
    }

    @Test("a peer whose AUTH proves its identity is accepted; one that claims another identity is not")
    func authentication() throws {
        let network = TestNetwork()
        let node = try network.add()
        let honest = NodeKey.ephemeral()
        let good = try handshake(node, key: honest)
        defer { good.close() }
        #expect(waitUntil { node.connectedPeers == [honest.identity] })

        // An impostor claims the honest node's identity but can only sign with its own key.
        let impostor = try handshake(node, key: NodeKey.ephemeral(), claiming: honest.identity)
        defer { impostor.close() }
        #expect(impostor.theirAuth == nil, "the node signs nothing for a dialer whose AUTH fails")
        #expect(impostor.closes())
        #expect(waitUntil { node.statistics.closedLinks(.authFailed) == 1 })
        #expect(node.connectedPeers == [honest.identity], "the honest link stays")
    }

    @Test("a peer whose identity shows too little work is refused; enough work is accepted")
    func identityWork() throws {
        let network = TestNetwork()
        let node = try network.add { $0.identityWorkBits = 12 }
        let lazy = NodeKey.ephemeral()
        let weak = (0..<UInt64(1000)).first { !IdentityWork.isValid($0, for: lazy.identity, bits: 12) }!
        let refused = try handshake(node, key: lazy, work: weak)
        defer { refused.close() }
        #expect(refused.theirAuth == nil, "no signature for an identity short of work")
        #expect(refused.closes())
        #expect(waitUntil { node.statistics.closedLinks(.insufficientWork) == 1 })
        #expect(!node.connectedPeers.contains(lazy.identity))

        let diligent = NodeKey.ephemeral()
        let work = IdentityWork.solve(for: diligent.identity, bits: 12)
        let accepted = try handshake(node, key: diligent, work: work)
        defer { accepted.close() }
        #expect(waitUntil { node.connectedPeers.contains(diligent.identity) })
    }

    @Test("the work is found once per key and reused from the file beside the host key")
    func workFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("work-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyPath = folder.appendingPathComponent("hostkey.pem").path
        try NodeKey.generateRSAKeyPEM(bits: 2048).write(toFile: keyPath, atomically: true, encoding: .utf8)
        var configuration = NodeConfiguration(
            apiAddress: Endpoint(host: "127.0.0.1", port: 0), p2pAddress: Endpoint(host: "127.0.0.1", port: 0))
        configuration.hostkeyPath = keyPath
        configuration.identityWorkBits = 14
        let workPath = keyPath + ".work"
        let first = try Node(configuration: configuration, logger: Logger(label: "work-test"))
        try first.start()
        first.stop()
        let saved = try String(contentsOfFile: workPath, encoding: .utf8)
        let fields = saved.split(separator: " ")
        #expect(fields.count == 4 && fields[0] == "gossip-work-v1" && fields[2] == "14")
        let nonce = UInt64(fields[3].trimmingCharacters(in: .whitespacesAndNewlines))!
        #expect(IdentityWork.isValid(nonce, for: first.identity, bits: 14))
        let second = try Node(configuration: configuration, logger: Logger(label: "work-test"))
        try second.start()
        second.stop()
        #expect(try String(contentsOfFile: workPath, encoding: .utf8) == saved, "found once, then read back")
    }

    @Test("a peer that completes the handshake and then goes silent is pinged, then closed as a zombie")
    func silentPeer() throws {
        let network = TestNetwork()
        let node = try network.add { $0.peerTimeoutMilliseconds = 400 }
        let peer = try handshake(node, key: NodeKey.ephemeral())
        defer { peer.close() }
        // Read what the node sends after its AUTH: PINGs, then the close.
        var sawPing = false
        while let message = peer.receive(until: .now + .seconds(5)) {
            if case .ping = message { sawPing = true }
        }
        #expect(sawPing, "a silent link is pinged")
        #expect(waitUntil { node.statistics.closedLinks(.unresponsive) == 1 }, "and closed as a zombie")
    }

    /// An item bound to its content and stamped now, as a node announcing it would make it.
    static func freshItem(salt: UInt32, dataType: UInt16, data: [UInt8]) -> GossipItem {
        GossipItem.bound(stamp: UInt32(Date().timeIntervalSince1970), salt: salt, ttl: 0, dataType: dataType, data: data)
    }

    @Test("a junk copy under a real item's ID closes its link and does not stop the real item; a stale copy is dropped")
    func junkCopyRacingRealItem() throws {
        let network = TestNetwork()
        let node = try network.add()
        let subscriber = try node.subscriber(of: 5)
        let real = Self.freshItem(salt: 77, dataType: 5, data: Array("real".utf8))
        let junk = GossipItem(id: real.id, ttl: 0, dataType: 5, data: Array("junk".utf8))
        let attacker = try handshake(node, key: NodeKey.ephemeral())
        defer { attacker.close() }
        try attacker.send(.item(junk))
        #expect(attacker.closes(), "the forger's link is closed")
        #expect(waitUntil { node.statistics.closedLinks(.itemIDMismatch) == 1 })
        #expect(subscriber.staysQuiet(for: .milliseconds(200)), "the junk reached no module")

        let honest = try handshake(node, key: NodeKey.ephemeral())
        defer { honest.close() }
        let stale = GossipItem.bound(stamp: UInt32(Date().timeIntervalSince1970) - 3600, salt: 78, ttl: 0, dataType: 5, data: [1])
        try honest.send(.item(stale))
        try honest.send(.item(real))
        #expect(try subscriber.expectNotification().data == Array("real".utf8), "the real item still arrives")
        #expect(waitUntil { node.statistics.itemsStale == 1 }, "the hour-old copy (older than seen_ttl_ms) was dropped as stale")
    }

    @Test("a sealed frame that was tampered with, replayed or reordered closes its link; a plain-text peer is refused")
    func sealedFrames() throws {
        let network = TestNetwork()
        let node = try network.add()
        let neighbour = try network.add(bootstrap: node)
        #expect(waitUntil(timeout: .seconds(10)) { node.establishedPeerCount == 1 })

        let honestKey = NodeKey.ephemeral()
        let honest = try handshake(node, key: honestKey)
        defer { honest.close() }
        try honest.sendWire(honest.wireBytes([.ping(1)]) + honest.wireBytes([.ping(2)]))
        #expect(waitUntil { node.connectedPeers.contains(honestKey.identity) }, "frames sealed in order are taken")

        let tampering = try handshake(node, key: NodeKey.ephemeral())
        defer { tampering.close() }
        var altered = tampering.wireBytes([.ping(3)])
        altered[6] ^= 0x01  // one bit of the sealed body
        try tampering.sendWire(altered)
        #expect(tampering.closes(), "a flipped bit")

        let replaying = try handshake(node, key: NodeKey.ephemeral())
        defer { replaying.close() }
        let once = replaying.wireBytes([.ping(4)])
        try replaying.sendWire(once + once)
        #expect(replaying.closes(), "the same sealed frame twice")

        let reordering = try handshake(node, key: NodeKey.ephemeral())
        defer { reordering.close() }
        let first = reordering.wireBytes([.ping(5)])
        let second = reordering.wireBytes([.ping(6)])
        try reordering.sendWire(second + first)
        #expect(reordering.closes(), "two sealed frames swapped")
        #expect(waitUntil { node.statistics.closedLinks(.decryptionFailed) == 3 })

        let plain = try handshake(node, key: NodeKey.ephemeral(), encrypted: false)
        defer { plain.close() }
        #expect(plain.theirAuth == nil, "a peer that will not encrypt gets no AUTH")
        #expect(plain.closes())
        #expect(waitUntil { node.statistics.closedLinks(.encryptionMismatch) == 1 })

        #expect(node.connectedPeers.contains(honestKey.identity) && node.connectedPeers.contains(neighbour.identity), "\(node.connectedPeers)")
        let subscriber = try neighbour.subscriber(of: 3)
        let announcer = try node.connect()
        try announcer.announce(dataType: 3, ttl: 0, data: [3])
        #expect(try subscriber.expectNotification().data == [3], "the honest links still carry items")
    }

    @Test("idle connections that never say HELLO neither take link slots nor keep an honest node from joining")
    func idleConnectionsDoNotLockOut() throws {
        let network = TestNetwork()
        let node = try network.add {
            $0.maxPeerConnections = 16
            $0.maxPendingHandshakes = 8
        }
        var idle: [Socket] = []
        defer { for socket in idle { socket.close() } }
        for _ in 0..<40 { idle.append(try Socket.connect(host: "127.0.0.1", port: node.p2pPort, deadline: .now + .seconds(2))) }
        #expect(waitUntil { node.statistics.closedLinks(.handshakeCrowded) == 32 }, "40 idle connections, 8 handshake slots")
        let honest = try network.add(bootstrap: node)
        #expect(waitUntil(timeout: .seconds(10)) { node.connectedPeers.contains(honest.identity) }, "\(network.links)")
        #expect(node.statistics.closedLinks(.overCapacity) == 0, "no link slot was taken by an idle connection")
    }

    @Test("a peer that says HELLO but never proves it is closed at the handshake limit")
    func noAuth() throws {
        let network = TestNetwork()
        let node = try network.add { $0.peerTimeoutMilliseconds = 300 }
        let socket = try Socket.connect(host: "127.0.0.1", port: node.p2pPort, deadline: .now + .seconds(2))
        defer { socket.close() }
        try socket.send(Self.hello, deadline: .now + .seconds(2))
        #expect(closes(socket))
        #expect(waitUntil { node.statistics.closedLinks(.handshakeTimeout) == 1 })
    }

    /// True once the node closed `socket` (EOF or reset) within a few seconds.
    private func closes(_ socket: Socket) -> Bool {
        var stream = FrameStream(socket: socket, frameTimeout: .seconds(2))
        return stream.closes(within: .seconds(5))
    }
}
