import GossipWire

/// Proves this node's identity in the P2P handshake and checks the peers' proofs. The core is
/// given one: gossipd passes its real key (RSA or EC signatures), the simulator a cheap
/// deterministic stand-in, so the handshake's rules run unchanged in both.
public protocol HandshakeSigner: Sendable {
    /// This node's identity.
    var identity: PeerIdentity { get }
    /// What AUTH carries as the public key.
    var publicKey: [UInt8] { get }
    /// Our signature of `message`, or nil if signing failed.
    func sign(_ message: [UInt8]) -> [UInt8]?
    /// The identity `signature` proves for `message` under `publicKey`, or nil if it proves nothing.
    func verify(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> PeerIdentity?
    /// The proof of work for `identity` that AUTH shows (`IdentityWork`).
    var work: UInt64 { get }
    /// Whether our signatures take microseconds rather than milliseconds: a driver may then make
    /// them where it stands instead of leaving its lock for them (`GossipEffect.handshakeWork`).
    var signsQuickly: Bool { get }
}

extension HandshakeSigner {
    /// No work: for signers in networks that require none (the simulator, tests).
    public var work: UInt64 { 0 }

    /// Quick: the stand-ins of the simulator and the tests.
    public var signsQuickly: Bool { true }
}
