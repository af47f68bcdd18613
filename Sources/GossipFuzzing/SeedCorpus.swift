import GossipConfig
import GossipCore
import GossipWire

/// Small valid inputs for each fuzz target, made with the project's own encoders so they stay
/// right when a layout changes. `Tests/GossipFuzzingTests` writes them to `fuzz/corpus/` when
/// `GOSSIP_WRITE_CORPUS=1` is set, and replays whatever that folder holds.
public enum SeedCorpus {
    /// Named seeds for `target`; names are stable file names.
    public static func seeds(for target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        switch target {
        case .apiDecoder:
            let seeds = apiMessages.map { ($0.name, $0.message.encoded()) }
            return seeds + [("stream", apiMessages.flatMap { $0.message.encoded() })]
        case .peerDecoder:
            let seeds = peerMessages.map { ($0.name, $0.message.encoded()) }
            return seeds + [("stream", peerMessages.flatMap { $0.message.encoded() })]
        case .frameReader:
            let stream = peerMessages.prefix(6).flatMap { $0.message.encoded() }
            return [
                // Chunk-size count byte, chunk sizes (each byte + 1), then the stream.
                ("one-byte-chunks", [0, 0] + stream),
                ("mixed-chunks", [2, 2, 6, 0x7F] + stream),
                ("whole", [0, 0xFF] + stream),
                ("bad-header-after-frames", [1, 4, 1] + stream + [0, 2, 0x01, 0xF8]),
            ]
        case .handshake:
            let handshake = [record(0, .hello(peerHello)), record(0, .auth(peerAuth))].flatMap { $0 }
            return [
                ("hello-only", record(0, .hello(peerHello))),
                (
                    "bad-auth",
                    record(0, .hello(peerHello))
                        + record(1, .auth(PeerAuth(publicKey: peerIdentity.bytes, signature: [0])))
                ),
                ("handshake", handshake),
                (
                    "handshake-then-traffic",
                    handshake
                        + peerMessages.filter { $0.name != "hello" && $0.name != "auth" }
                        .enumerated().flatMap { record(UInt8($0.offset % 3 == 0 ? 0x88 : 0x02), $0.element.message) }
                ),
                (
                    "handshake-join-and-items",
                    handshake
                        + [
                            record(
                                0,
                                .membership(
                                    PeerMembership(
                                        kind: .join, tree: true,
                                        entry: PeerEntry(identity: peerIdentity, address: peerAddress)))),
                            record(0x81, .item(items[0])),
                            record(0x10, .ihave([items[1].id])),
                            record(0x90, .graft([items[0].id])),
                            record(0x02, .item(items[1])),
                        ].flatMap { $0 }
                ),
                // A frame taken as sealed already (control bit 6): its "tag" does not open it.
                ("handshake-then-forged-frame", handshake + [0x40] + PeerMessage.ping(7).encoded() + [UInt8](repeating: 0, count: 16)),
            ]
        case .config:
            return [
                ("embedded-default", Array(ConfigurationLoader.embeddedDefault.utf8)),
                (
                    "tuned",
                    Array(
                        """
                        hostkey = keys/node.pem
                        [gossip]
                        cache_size = 100
                        degree = 4
                        bootstrapper = 127.0.0.1:6002, [::1]:6003
                        p2p_address = [::]:6001
                        api_address = 127.0.0.1:7001
                        ping_interval_ms = 500 ; inline comment
                        peer_timeout_ms = 3000
                        # comment line
                        max_links_per_ip = 0

                        """.utf8)
                ),
                (
                    "crlf-and-bom",
                    [0xEF, 0xBB, 0xBF]
                        + Array("[gossip]\r\np2p_address = 0.0.0.0:0\r\napi_address = 127.0.0.1:0\r\n".utf8)
                ),
            ]
        }
    }

    // MARK: - Building blocks

    static let peerIdentity = PeerIdentity(words: (2, 2, 2, 2))
    static let peerAddress = PeerAddress(host: "203.0.113.5", port: 6002)!
    static let peerHello = PeerHello(
        identity: peerIdentity, listenAddress: peerAddress, nonce: [UInt8](repeating: 0x5A, count: PeerHello.nonceSize))
    static let peerAgreementKey = Array(HandshakeHarness.peerAgreementKey.publicKey.rawRepresentation)
    /// The AUTH the fuzzed core accepts after `peerHello`: signed over its nonce, identity and
    /// agreement key.
    static let peerAuth = PeerAuth(
        publicKey: peerIdentity.bytes,
        signature: FuzzSigner.checksum(
            PeerAuth.signedBytes(
                receiverNonce: HandshakeHarness.coreNonce, senderNonce: peerHello.nonce,
                senderIdentity: peerIdentity, receiverIdentity: HandshakeHarness.coreIdentity,
                senderAgreementKey: peerAgreementKey),
            key: peerIdentity.bytes),
        agreementKey: peerAgreementKey)
    static let items: [GossipItem] = {
        // The first has crossed tree links (a path of two weights), the second comes from its origin.
        var crossed = GossipItem.bound(salt: 1, ttl: 3, dataType: 5, data: Array("hello".utf8))
        crossed.path = TreePath.origin.crossing(PathWeight(rawValue: 0x9000_0000_0000_0001)).crossing(PathWeight(rawValue: 0x1234_5678_9ABC_DEF0))
        return [crossed, GossipItem.bound(salt: 2, ttl: 0, dataType: 7, data: [1, 2, 3])]
    }()

    static let apiMessages: [(name: String, message: APIMessage)] = [
        ("announce", .announce(GossipAnnounce(ttl: 3, dataType: 5, data: Array("hello".utf8)))),
        ("notify", .notify(GossipNotify(dataType: 5))),
        ("notification", .notification(GossipNotification(messageID: 9, dataType: 5, data: [1, 2, 3]))),
        ("validation", .validation(GossipValidation(messageID: 9, isValid: true, reserved: 3))),
        ("token", .token(Array("correct-horse-battery-staple".utf8))),
        ("status-request", .statusRequest(.full)),
        ("status-request-peers", .statusRequest(.peers)),
        ("status-reply", .statusReply(Array(#"{"peers":0}"#.utf8))),
    ]

    static let peerMessages: [(name: String, message: PeerMessage)] = {
        let other = PeerEntry(
            identity: PeerIdentity(words: (3, 3, 3, 3)), address: PeerAddress(host: "2001:db8::3", port: 6003)!)
        let ids = items.map(\.id)
        return [
            ("hello", .hello(peerHello)),
            ("auth", .auth(peerAuth)),
            ("pull", .pull(peerAddress)),
            ("push", .push(PeerPush(listenAddress: peerAddress, entries: [other]))),
            ("item", .item(items[0])),
            ("ping", .ping(42)),
            ("pong", .pong(42)),
            ("digest", .digest(ids)),
            ("request", .request(ids)),
            ("membership", .membership(PeerMembership(kind: .forwardJoin, ttl: 4, tree: true, entry: other))),
            ("ihave", .ihave(ids)),
            ("graft", .graft([ids[0]])),
            ("prune", .prune),
            ("cut", .cut(ids[0], PathWeight(rawValue: 0x1234_5678_9ABC_DEF0))),
        ]
    }()

    /// One record of the handshake target: a control byte, then the message's frame.
    static func record(_ control: UInt8, _ message: PeerMessage) -> [UInt8] {
        [control] + message.encoded()
    }
}
