import GossipCore
import GossipWire
import Logging

/// The debug lines that follow one item through the node: `item received` at first sight (from a
/// module or a peer), `item delivered` to local modules, `item forwarded` to peers, `item
/// validated` with a module's verdict, `item validation timed out`, and `item dropped` with the
/// reason. Every line names the item as the metadata key `item` (`ItemID`'s 16 hex digits, the
/// same on every node), so `grep item=<id>` (or jq on `--log-format json`) follows it across
/// nodes' logs.
///
/// The lines are read off the core's effects for that one item, so the core decides and this
/// only reports. Callers check `isEnabled` first and collect nothing otherwise: at `info` the
/// whole cost is one level check per batch. Drops a peer can cause in bulk go through a
/// rate-limited logger of their own.
struct ItemLog: Sendable {
    private let logger: Logger
    private let drops: RateLimitedLogger
    /// The switch that sets `logger`'s level, if one does: read directly, since asking the logger
    /// copies its handler (asked once per batch of items handled).
    private let levelSwitch: LogLevelSwitch?

    init(logger: Logger) {
        self.logger = logger
        self.drops = RateLimitedLogger(logger: logger)
        let switched = logger.handler as? SwitchedLogHandler
        self.levelSwitch = switched?.followsSwitch == true ? switched?.levelSwitch : nil
    }

    /// Whether the lines are written at all (the level is `debug` or `trace`, now).
    var isEnabled: Bool { (levelSwitch?.level ?? logger.logLevel) <= .debug }

    /// An item as it reached the core, and the effects of handing it over.
    struct Sighting {
        /// nil when the core's effects do not say it (a local announcement went nowhere and the
        /// caller could not read it).
        var id: ItemID?
        var dataType: UInt16
        var size: Int
        /// The module (`api#N`) or link (`peer#N`) it came from.
        var from: String
        /// The peer on that link, if known.
        var peer: PeerIdentity?
        var effects: [GossipEffect]
    }

    /// The lines for one item's first sight: received (or dropped), then delivered and forwarded.
    func report(_ sighting: Sighting) {
        let id = sighting.id.map { "\($0)" } ?? "unknown"
        var source: Logger.Metadata = ["item": "\(id)", "from": "\(sighting.from)"]
        if let peer = sighting.peer { source["peer"] = "\(peer)" }
        if let reason = Self.dropReason(in: sighting.effects) {
            // Throttled, stale and forged items cost a peer little to send: at a bounded rate.
            drops.log(
                level: .debug, "item dropped",
                metadata: source.merging(["reason": "\(reason)", "type": "\(sighting.dataType)"]) { $1 })
            return
        }
        logger.debug(
            "item received", metadata: source.merging(["type": "\(sighting.dataType)", "size": "\(sighting.size)"]) { $1 })
        if let item = sighting.id { reportOutcome(of: sighting.effects, item: item) }
    }

    /// A module's VALIDATION and what the core made of it. `pending` is what the tracker held
    /// for the message before the answer (nil: nothing awaited it, a late answer).
    func reportValidation(
        pending: (itemID: ItemID, awaiting: Int)?, isValid: Bool, module: ConnectionID, effects: [GossipEffect]
    ) {
        let counters = Self.counters(in: effects)
        let outcome =
            pending == nil ? "late"
            : pending!.awaiting > 1 ? "awaiting_others"
            : counters.contains(.itemsForwardedAfterValidation) ? "forwarded"
            : counters.contains(.itemsDroppedInvalid) ? "dropped_invalid" : "decided"
        logger.debug(
            "item validated",
            metadata: [
                "item": "\(pending.map { "\($0.itemID)" } ?? "unknown")", "module": "\(module)", "valid": "\(isValid)",
                "outcome": "\(outcome)",
            ])
        if let pending { reportOutcome(of: effects, item: pending.itemID) }
    }

    /// Items whose validation a tick ended: ran out of time, or ended invalid at the deadline (the
    /// core's verdict observations among `effects`).
    func reportExpired(in effects: [GossipEffect]) {
        for case .observed(let observation) in effects where observation.outcome == .timedOut || observation.outcome == .invalid {
            logger.debug(
                "item validation timed out",
                metadata: [
                    "item": "\(observation.id)", "outcome": "\(observation.outcome == .invalid ? "invalid" : "timed_out")",
                    "forwarded": "false",
                ])
        }
    }

    /// `item delivered` (NOTIFICATIONs to local modules) and `item forwarded` (ITEMs to peers).
    private func reportOutcome(of effects: [GossipEffect], item: ItemID) {
        for effect in effects {
            switch effect {
            case .notify(let modules, let notification, let id) where id == item:
                logger.debug(
                    "item delivered",
                    metadata: [
                        "item": "\(item)", "to": "\(modules.map(\.description).joined(separator: ","))",
                        "message_id": "\(notification.messageID)",
                    ])
            case .send(let links, .item(let sent)) where sent.id == item:
                logger.debug(
                    "item forwarded",
                    metadata: ["item": "\(item)", "to": "\(links.map(\.description).joined(separator: ","))", "ttl": "\(sent.ttl)"])
            case .count(.itemsTooLargeToSpread, _):
                logger.debug("item not forwarded", metadata: ["item": "\(item)", "reason": "too_large_to_spread"])
            default:
                break
            }
        }
    }

    /// Why the core dropped an item on first sight, if it did.
    static func dropReason(in effects: [GossipEffect]) -> String? {
        for effect in effects {
            switch effect {
            case .count(.itemsThrottled, _): return "throttled"
            case .count(.itemsStale, _): return "stale"
            case .count(.itemsNoValidator, _): return "no_validator"
            case .count(.peerDuplicates, _): return "duplicate"
            case .closeLink(_, .itemIDMismatch): return CloseReason.itemIDMismatch.rawValue
            default: continue
            }
        }
        return nil
    }

    private static func counters(in effects: [GossipEffect]) -> Set<GossipCounter> {
        Set(effects.compactMap { if case .count(let counter, _) = $0 { counter } else { nil } })
    }
}
