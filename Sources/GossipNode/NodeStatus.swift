import GossipCore
import GossipWire

#if canImport(FoundationEssentials)
import FoundationEssentials  // JSONEncoder; not Foundation (Threads.swift says why)
#else
import Foundation
#endif

/// What a STATUS query (API type 518, our extension) answers, as JSON.
public struct NodeStatus: Codable, Sendable {
    /// The node's identity, 64 hex digits.
    public var identity: String
    public var apiPort: UInt16
    /// Where other nodes dial this one.
    public var p2pAddress: String
    /// Identities (first 16 hex digits) of the peers with an established link.
    public var peers: [String]
    /// The peers among `peers` whose link is in the broadcast tree (eager).
    public var treePeers: [String]
    public var viewSize: Int
    public var subscribedTypes: Int
    public var pendingValidations: Int
    public var cachedItems: Int
    public var seenItems: Int
    /// Milliseconds since the node started.
    public var uptimeMs: Int
    /// Every peer link, neighbours first (at most 64 in the reply).
    public var links: [LinkStatus]
    /// Every module connection (at most 64 in the reply).
    public var modules: [ModuleStatus]
    /// Items waiting for the handler: local announcements and peer items.
    public var queuedAnnouncements: Int
    public var queuedPeerItems: Int
    public var statistics: NodeStatistics.Snapshot

    /// One peer link as `gossip status` shows it.
    public struct LinkStatus: Codable, Sendable {
        /// The peer's identity, first 16 hex digits; empty while the handshake is under way.
        public var peer: String
        /// Where the peer accepts P2P connections (its HELLO), or where the link came from.
        public var address: String
        /// "out" if this node dialed, "in" if the peer did.
        public var direction: String
        /// "neighbour" (active), "tree" (active and eager), "waiting" (past the handshake, not
        /// active) or "handshake".
        public var state: String
        public var ageMs: Int
        /// Milliseconds since the last frame from the peer (PONGs included).
        public var lastHeardMs: Int
        public var framesIn: Int
        public var framesOut: Int
    }

    /// One module connection as `gossip status` shows it.
    public struct ModuleStatus: Codable, Sendable {
        public var connection: UInt64
        public var remote: String
        /// The types it subscribed to, the lowest 32 of them; `subscriptions` counts them all.
        public var subscribedTypes: [UInt16]
        public var subscriptions: Int
        public var messagesIn: Int
        public var messagesOut: Int
        /// Bytes queued for the module and not written yet.
        public var outboxBytes: Int
    }
}

extension NodeContext {
    func status() -> NodeStatus {
        let peerConnections = peerLinks.withLock { Array($0.values) }
        // Modules only: the connection asking (`gossip status`) and others that never sent a
        // NOTIFY or ANNOUNCE are not listed.
        let moduleConnections = apiConnections.withLock { Array($0.values) }.filter { $0.isModule.load(ordering: .relaxed) }
        let now = clock.now()
        let milliseconds = { (from: Moment) in Int((now.nanoseconds &- min(from.nanoseconds, now.nanoseconds)) / 1_000_000) }
        let (part, subscribed, pending, cached, seen, links, types) = core.withLock { core in
            let overlay = core.overlay, engine = core.engine, tree = core.broadcast
            let links = peerConnections.compactMap { connection -> (Connection, Overlay.LinkSummary, Bool)? in
                overlay.summary(of: connection.linkID).map { (connection, $0, tree.isEager(connection.linkID)) }
            }
            return (
                peersStatus(of: core, now: now),
                engine.subscriptions.subscribedTypeCount, engine.validations.pendingCount, engine.cache.count, engine.seen.count,
                links, moduleConnections.map { engine.subscriptions.types(of: $0.apiID).sorted() }
            )
        }
        let linkStatus = links.map { connection, summary, eager in
            NodeStatus.LinkStatus(
                peer: summary.identity?.description ?? "", address: summary.listenAddress?.description ?? connection.remote,
                direction: summary.outbound ? "out" : "in",
                state: summary.isActive ? (eager ? "tree" : "neighbour") : summary.identity == nil ? "handshake" : "waiting",
                ageMs: milliseconds(summary.opened), lastHeardMs: milliseconds(summary.lastReceived),
                framesIn: connection.framesIn.load(ordering: .relaxed), framesOut: connection.framesOut.load(ordering: .relaxed))
        }.sorted { ($0.state == "handshake" || $0.state == "waiting" ? 1 : 0, -$0.ageMs) < ($1.state == "handshake" || $1.state == "waiting" ? 1 : 0, -$1.ageMs) }
        let modules = zip(moduleConnections, types).map { connection, types in
            NodeStatus.ModuleStatus(
                connection: connection.number, remote: connection.remote, subscribedTypes: Array(types.prefix(32)), subscriptions: types.count,
                messagesIn: connection.framesIn.load(ordering: .relaxed), messagesOut: connection.framesOut.load(ordering: .relaxed),
                outboxBytes: connection.sender.backlogBytes)
        }.sorted { $0.connection < $1.connection }
        return NodeStatus(
            identity: part.identity, apiPort: part.apiPort, p2pAddress: part.p2pAddress, peers: part.peers, treePeers: part.treePeers,
            viewSize: part.viewSize, subscribedTypes: subscribed, pendingValidations: pending, cachedItems: cached,
            seenItems: seen, uptimeMs: part.uptimeMs, links: linkStatus, modules: modules,
            queuedAnnouncements: itemQueue.count(lane: InboundItem.localLane), queuedPeerItems: itemQueue.count(lane: InboundItem.peerLane),
            statistics: statistics.snapshot())
    }

    /// The status `scope` asks for as compact JSON, small enough for one message.
    func statusJSON(_ scope: StatusScope = .full) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        /// `value` as JSON, if it fits in one message.
        func fitting(_ value: some Encodable) -> [UInt8]? {
            guard let json = (try? encoder.encode(value)).map(Array.init) else { return nil }
            return json.count <= Framing.maximumMessageSize - Framing.headerSize ? json : nil
        }
        let empty = Array("{}".utf8)
        // 19 bytes a peer, twice at most: 1,100 links (degree and degree_slack at their limits)
        // still fit in one message; `{}` is for safety only.
        if scope == .peers { return fitting(peersStatus()) ?? empty }
        let full = status()
        if let json = fitting(full) { return json }
        var trimmed = full
        trimmed.peers = Array(trimmed.peers.prefix(64))
        trimmed.treePeers = Array(trimmed.treePeers.prefix(64))
        trimmed.links = Array(trimmed.links.prefix(64))
        trimmed.modules = Array(trimmed.modules.prefix(64))
        return fitting(trimmed) ?? empty
    }
}
