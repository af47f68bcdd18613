/// One line of the live tap (`GET /tap` on the admin endpoint, `gossip tap`): an item passing
/// through the node, or a note that the tap skipped some. Sent as one JSON object per line
/// (NDJSON), keys in snake case; docs/operations.md describes each field.
public struct ItemTapLine: Codable, Sendable, Equatable {
    /// When the node saw it: Unix time in nanoseconds.
    public var timeNs: UInt64
    /// The item's ID, 16 hex digits (as the log names it).
    public var item: String
    /// What the node made of it: announced, awaiting_validation, relayed_unvalidated, valid,
    /// invalid, timed_out, duplicate, dropped.
    public var outcome: String
    /// Where it came from: `api#N` (a local module's connection) or `peer#N` (a peer link).
    public var from: String
    /// The peer's identity (16 hex digits) when it came from a peer the node knows.
    public var peer: String?
    public var type: UInt16
    public var size: Int
    public var ttl: UInt8
    /// Items this tap skipped since its last line because it fell behind (0 mostly).
    public var skipped: Int

    public init(timeNs: UInt64, item: String, outcome: String, from: String, peer: String?, type: UInt16, size: Int, ttl: UInt8, skipped: Int) {
        self.timeNs = timeNs
        self.item = item
        self.outcome = outcome
        self.from = from
        self.peer = peer
        self.type = type
        self.size = size
        self.ttl = ttl
        self.skipped = skipped
    }
}
