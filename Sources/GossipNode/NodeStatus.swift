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
    public var statistics: NodeStatistics.Snapshot
}

extension NodeContext {
    func status() -> NodeStatus {
        let (peers, treePeers, viewSize, advertised, subscribed, pending, cached, seen) = core.withLock { core in
            let overlay = core.overlay, engine = core.engine, tree = core.broadcast
            return (
                overlay.activeLinks.compactMap { overlay.identity(of: $0) }.map(\.description),
                overlay.activeLinks.filter { tree.isEager($0) }.compactMap { overlay.identity(of: $0) }.map(\.description),
                overlay.view.count, overlay.selfAddress.description,
                engine.subscriptions.subscribedTypeCount, engine.validations.pendingCount, engine.cache.count, engine.seen.count
            )
        }
        return NodeStatus(
            identity: identity.hex, apiPort: apiPort.load(ordering: .relaxed), p2pAddress: advertised, peers: peers, treePeers: treePeers,
            viewSize: viewSize, subscribedTypes: subscribed, pendingValidations: pending, cachedItems: cached,
            seenItems: seen, statistics: statistics.snapshot())
    }

    /// The status as compact JSON, small enough for one message.
    func statusJSON() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        var json = (try? encoder.encode(status())).map(Array.init) ?? Array("{}".utf8)
        if json.count > Framing.maximumMessageSize - Framing.headerSize {
            var trimmed = status()
            trimmed.peers = Array(trimmed.peers.prefix(64))
            trimmed.treePeers = Array(trimmed.treePeers.prefix(64))
            json = (try? encoder.encode(trimmed)).map(Array.init) ?? Array("{}".utf8)
        }
        return json.count <= Framing.maximumMessageSize - Framing.headerSize ? json : Array("{}".utf8)
    }
}
