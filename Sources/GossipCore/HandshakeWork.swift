import GossipWire

/// The public-key work a handshake asks its driver for (`GossipEffect.handshakeWork`): making our
/// AUTH's signature, or checking the peer's. The core decides when, over which bytes and what
/// follows; the driver does the work where it likes and hands the outcome back
/// (`GossipProtocol.handshakeWorkDone`). gossipd does it on the link's reader thread with the core
/// unlocked, so a 4 ms RSA-4096 signature for one dialer holds up no other link and no item.
public enum HandshakeWork: Equatable, Sendable {
    /// Sign `message` with the node's key: our AUTH.
    case sign([UInt8])
    /// Which identity `signature` over `message` proves under `publicKey`: the peer's AUTH.
    case verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8])

    /// What the work came to.
    public enum Outcome: Equatable, Sendable {
        /// Our signature, or nil if the key could not sign.
        case signed([UInt8]?)
        /// The identity the peer's signature proves, or nil if it proves none.
        case verified(PeerIdentity?)
    }

    /// Does the work with `signer`: pure, so any thread may call it.
    public func perform(with signer: any HandshakeSigner) -> Outcome {
        switch self {
        case .sign(let message):
            .signed(signer.sign(message))
        case .verify(let signature, let message, let publicKey):
            .verified(signer.verify(signature: signature, of: message, publicKey: publicKey))
        }
    }
}
