import Crypto
import GossipCore
import GossipWire

/// Fuzz target: a fresh protocol core with one inbound, encrypted link, fed the input as the
/// peer's frames.
///
/// Input layout: records of one control byte and one P2P frame (header and body). The control
/// byte advances the clock by `(byte & 0x3F) x 16 ms` and, if its top bit is set, calls `tick`
/// before the frame is delivered. Frames go through the peer header rule and
/// `PeerMessage(frame:)` as in gossipd; a frame either refuses closes the link, as gossipd does.
/// Once the handshake made the link's keys, frames are sealed: with bit 6 of the control byte
/// clear the harness seals the record's frame as the peer would (so the fuzzer explores what
/// follows the handshake); with it set the record is taken as sealed already (header, body, then
/// a 16-byte tag) and goes to the opener as it is, as the bytes of a forged or damaged frame would.
/// At the end the clock jumps 10 s and the core ticks once more, so handshake and peer timeouts
/// fire. Invariants (`HandshakeHarness.perform`): effects name only links that are open, no local
/// connection (none exists), every message the core sends can be framed and decodes back, and
/// what the core seals the peer can open.
public func fuzzHandshake(_ input: [UInt8]) {
    var harness = HandshakeHarness()
    var offset = 0
    while harness.isLinkOpen, input.count - offset >= 1 + Framing.headerSize {
        let control = input[offset]
        harness.advance(milliseconds: Int(control & 0x3F) * 16, tick: control & 0x80 != 0)
        offset += 1

        let size = Int(input[offset]) << 8 | Int(input[offset + 1])
        let type = UInt16(input[offset + 2]) << 8 | UInt16(input[offset + 3])
        // The header checks of FrameReader(headerRule: .peer), made here so records can interleave.
        guard size >= Framing.headerSize, HeaderRule.peer.check(type, size) == nil else {
            harness.closeLink()
            break
        }
        let sealedAlready = harness.isSecure && control & 0x40 != 0
        let wireSize = size + (sealedAlready ? FrameSealer.tagSize : 0)
        guard input.count - offset >= wireSize else { break }  // the peer stopped mid-frame
        var frame = Frame(type: type, body: Array(input[(offset + Framing.headerSize)..<(offset + wireSize)]))
        offset += wireSize
        if harness.isSecure {
            if !sealedAlready { frame = harness.sealAsPeer(frame) }
            guard let opened = harness.open(frame) else {
                harness.closeLink()
                break
            }
            frame = opened
        }
        guard let message = try? PeerMessage(frame: frame) else {
            harness.closeLink()
            break
        }
        harness.deliver(message)
    }
    harness.advance(milliseconds: 10_000, tick: true)
}

/// A protocol core and the bookkeeping of a driver with one peer link: it carries out the core's
/// effects the way gossipd does (a closed link is reported closed, a dial fails) and checks them.
struct HandshakeHarness {
    /// The core's own identity, listening address and the nonce of its HELLO on the link.
    static let coreIdentity = PeerIdentity(words: (1, 1, 1, 1))
    static let coreAddress = PeerAddress(host: "192.0.2.1", port: 6001)!
    static let coreNonce = [UInt8](repeating: 0xA5, count: PeerHello.nonceSize)
    /// The one link and where it came from.
    static let link: LinkID = 1
    static let remote = PeerAddress(host: "198.51.100.7", port: 0)!
    /// The core's X25519 key for the link, and the peer's (the seeds' AUTH carries its public half).
    static let coreAgreementKey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0xC5, count: 32))
    static let peerAgreementKey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x9A, count: 32))

    var core: GossipProtocol
    var now = Moment.milliseconds(1)
    /// Links opened and not yet reported closed.
    private var openLinks: Set<LinkID> = []
    /// Dials the core asked for; they fail before the next event, as if nobody answered.
    private var pendingDials: [Overlay.DialTarget] = []
    /// The link's keys once the handshake made them: the core's, and the peer's side of them.
    private var coreKeys: LinkKeys?
    private var peerKeys: LinkKeys?

    init() {
        // Small views and short timers, as in the core's tests, so a few frames reach every state.
        let ms: UInt64 = 1_000_000
        var random = SeededRandom(seed: 1)
        core = GossipProtocol(
            configuration: .init(
                engine: .init(cacheSize: 16, validationTimeoutNanoseconds: 1000 * ms),
                overlay: .init(
                    degree: 3, viewCapacity: 16, maximumLinks: 8, gossipIntervalNanoseconds: 1000 * ms,
                    antiEntropyIntervalNanoseconds: 1000 * ms, pingIntervalNanoseconds: 500 * ms,
                    peerTimeoutNanoseconds: 2000 * ms, handshakeTimeoutNanoseconds: 1500 * ms),
                digestSize: 8, encryptsLinks: true),
            signer: FuzzSigner(identity: Self.coreIdentity), selfAddress: Self.coreAddress, bootstrappers: [],
            random: &random, fixedItemIDs: true)
        openLinks.insert(Self.link)
        perform(
            core.linkOpened(
                Self.link, outbound: false, dialed: nil, remote: Self.remote, nonce: Self.coreNonce,
                agreementKey: Self.coreAgreementKey, now: now))
    }

    var isLinkOpen: Bool { openLinks.contains(Self.link) }

    /// Whether the link's frames are sealed now.
    var isSecure: Bool { coreKeys != nil }

    /// `frame` sealed as the peer would seal it, in the form `FrameReader` returns with the tag
    /// as trailer.
    mutating func sealAsPeer(_ frame: Frame) -> Frame {
        var sealed: [UInt8] = []
        peerKeys!.sealer.seal(frame.encoded(), into: &sealed)
        return Frame(type: frame.type, body: Array(sealed[Framing.headerSize...]))
    }

    /// The core's side opens a sealed frame, as gossipd's reader does; nil closes the link.
    mutating func open(_ sealed: Frame) -> Frame? {
        coreKeys!.opener.open(sealed)
    }

    /// Moves the clock on, fails the dials asked for so far, and ticks if asked to.
    mutating func advance(milliseconds: Int, tick: Bool) {
        now = now.adding(nanoseconds: UInt64(milliseconds) * 1_000_000)
        let dials = pendingDials
        pendingDials = []
        for target in dials { perform(core.dialFailed(target, now: now)) }
        if tick { perform(core.tick(now: now)) }
    }

    /// One message from the peer, by gossipd's path: an ITEM is screened first.
    mutating func deliver(_ message: PeerMessage) {
        if case .item(let item) = message {
            if let settled = core.screenItem(item, on: Self.link, now: now) {
                perform(settled)
            } else {
                perform(core.receivedScreenedItem(item, on: Self.link, now: now))
            }
        } else {
            perform(core.received(peerMessage: message, on: Self.link, now: now))
        }
    }

    /// The driver closed the link (a bad frame): reported to the core at once.
    mutating func closeLink() {
        guard openLinks.remove(Self.link) != nil else { return }
        perform(core.linkClosed(Self.link, now: now))
    }

    /// Checks `effects` and carries them out; links the core closes are reported closed after the
    /// batch, as gossipd's reader reports them once the socket is gone.
    mutating func perform(_ effects: [GossipEffect]) {
        var closing: [LinkID] = []
        for (index, effect) in effects.enumerated() {
            switch effect {
            case .send(let links, let message):
                for link in links { precondition(openLinks.contains(link), "send on unknown or closed \(link)") }
                precondition(message.encodedSize <= Framing.maximumMessageSize, "the core sent an unframeable message")
                precondition(
                    decodeOne(message.encoded(), rule: .peer).flatMap { try? PeerMessage(frame: $0) } == message,
                    "the core sent a message a peer cannot decode")
                if coreKeys != nil {
                    var sealed: [UInt8] = []
                    coreKeys!.sealer.seal(message.encoded(), into: &sealed)
                    let wire = Frame(type: message.type.rawValue, body: Array(sealed[Framing.headerSize...]))
                    precondition(peerKeys!.opener.open(wire).flatMap { try? PeerMessage(frame: $0) } == message, "the peer cannot open what the core sealed")
                }
            case .closeLink(let link, _):
                precondition(openLinks.contains(link), "close of unknown or closed \(link)")
                closing.append(link)
            case .notify(let connections, _, _):
                precondition(connections.isEmpty, "notification for a module that never connected")
            case .closeModule(let connection, _):
                preconditionFailure("close of \(connection), which never connected")
            case .dial(let target):
                pendingDials.append(target)
            case .secureLink(let link, let keys):
                precondition(link == Self.link && openLinks.contains(link) && coreKeys == nil, "keys for \(link) twice or unknown")
                coreKeys = keys
                peerKeys = keys.peerSide
            case .handshakeWork(let link, _):
                precondition(openLinks.contains(link), "handshake work for unknown or closed \(link)")
                precondition(index == effects.count - 1, "handshake work is not the last effect")
                perform(core.doingHandshakeWork([effect], now: now))
            case .count, .wake, .observed:
                break
            }
        }
        for link in closing where openLinks.remove(link) != nil {
            perform(core.linkClosed(link, now: now))
        }
    }
}
