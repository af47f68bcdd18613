import GossipWire

/// What the protocol core asks its driver to do after an event. The driver (gossipd's runtime, or
/// the simulator) carries effects out in order; the core never touches a socket or a clock.
public enum GossipEffect: Equatable, Sendable {
    /// Write one NOTIFICATION to each of these local connections; `item` names the gossip item it
    /// carries (for logs and the simulator's bookkeeping).
    case notify([ConnectionID], GossipNotification, item: ItemID)
    /// Write one P2P message on each of these links.
    case send([LinkID], PeerMessage)
    /// Open a connection to `target`; report `linkOpened` or `dialFailed`.
    case dial(Overlay.DialTarget)
    /// Close a peer link for `reason`; report `linkClosed` once it is gone.
    case closeLink(LinkID, CloseReason)
    /// Close a local API connection for `reason`; report `moduleDisconnected` once it is gone.
    case closeModule(ConnectionID, CloseReason)
    /// Add to a statistic.
    case count(GossipCounter, Int)
    /// Call `tick` again no later than this moment.
    case wake(at: Moment)
    /// From now on, seal every frame sent on this link with `keys.sealer` and open every frame
    /// read from it with `keys.opener`. Comes first among the effects of the peer's AUTH, before
    /// anything else is sent on the link; a driver must install the keys before another event
    /// can make the core send on the link.
    case secureLink(LinkID, LinkKeys)
    /// Sign or check a signature for this link's handshake (`HandshakeWork.perform`, with the
    /// signer the core was made with), then report the outcome with `handshakeWorkDone`; the
    /// handshake goes no further until then, and the driver hands the core no other message of
    /// the link meanwhile. Comes last among an event's effects. Pure work: a driver may do it
    /// outside whatever guards the core.
    case handshakeWork(LinkID, HandshakeWork)
    /// An item passed through the node: where from, what, and what the node made of it. Emitted
    /// only while `GossipProtocol.observesItems` is on; a driver with nobody watching ignores it.
    case observed(ItemObservation)
}

extension GossipEffect {
    /// Whether this effect writes NOTIFICATIONs to local modules.
    public var isNotify: Bool {
        if case .notify = self { return true }
        return false
    }
}
