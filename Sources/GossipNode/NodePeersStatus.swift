import GossipCore
import GossipWire

/// What a STATUS request for ``StatusScope/peers`` answers, as JSON: who the node is and whom it
/// is linked to. Its keys are those of the whole ``NodeStatus`` too, so one who needs no more can
/// decode either reply as this.
public struct NodePeersStatus: Codable, Sendable, Equatable {
    /// The node's identity, 64 hex digits.
    public var identity: String
    public var apiPort: UInt16
    /// Where other nodes dial this one.
    public var p2pAddress: String
    /// Identities (first 16 hex digits) of the peers with an established link.
    public var peers: [String]
    /// The peers among `peers` whose link is in the broadcast tree (eager).
    public var treePeers: [String]
    /// Peers in the passive view.
    public var viewSize: Int
    /// Milliseconds since the node started.
    public var uptimeMs: Int
}

extension NodeContext {
    /// The part of the status a ``StatusScope/peers`` request asks for; one short hold of the
    /// core's lock and nothing per link but its peer's identity.
    func peersStatus() -> NodePeersStatus {
        core.withLock { peersStatus(of: $0, now: clock.now()) }
    }

    /// The peers part of the status as `core` has it (the caller holds the core's lock): for the
    /// reply of its own and for the whole status, which holds it too.
    func peersStatus(of core: GossipProtocol, now: Moment) -> NodePeersStatus {
        let overlay = core.overlay, tree = core.broadcast
        return NodePeersStatus(
            identity: identity.hex, apiPort: apiPort.load(ordering: .relaxed), p2pAddress: overlay.selfAddress.description,
            peers: overlay.activeLinks.compactMap { overlay.identity(of: $0) }.map(\.description),
            treePeers: overlay.activeLinks.filter { tree.isEager($0) }.compactMap { overlay.identity(of: $0) }.map(\.description),
            viewSize: overlay.view.count,
            uptimeMs: Int((now.nanoseconds &- min(started.nanoseconds, now.nanoseconds)) / 1_000_000))
    }
}
