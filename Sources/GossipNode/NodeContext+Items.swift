import GossipCore
import GossipWire

extension NodeContext {
    /// Hands one item to the core on the calling thread instead of through the item queue, if
    /// the item handler is idle: it waits with nothing queued, nothing held back, and no
    /// subscribed module is behind. Returns false otherwise, and the caller queues the item.
    /// On the quiet path this spares the handler's wake-up at every node an item passes; with
    /// a backlog, or a module falling behind, everything goes through the handler as before (its
    /// batching and back-pressure). One reader at a time stands in for the handler.
    func handleAtOnce(_ entry: InboundItem) -> Bool {
        guard itemQueue.claimIdleConsumer() else { return false }
        defer { itemQueue.releaseConsumer() }
        guard modulesBehind([:], now: clock.now()).isEmpty else { return false }
        handleItems([entry])
        return true
    }

    /// Hands `entries` to the core under one lock acquisition and carries out the effects.
    /// At debug, each item's effects are kept apart and reported after the lock (`ItemLog`).
    func handleItems(_ entries: [InboundItem]) {
        let logging = itemLog.isEnabled
        var sightings: [ItemLog.Sighting] = []
        // When the entries that made NOTIFICATIONs were read: timed once those are queued.
        var delivered: [Moment] = []
        let timed = metrics != nil
        let effects = core.withLock { core in
            let now = clock.now()
            var effects: [GossipEffect] = []
            for entry in entries {
                let more: [GossipEffect]
                switch entry {
                case .local(let connection, let announce, _):
                    let previous = core.engine.lastAnnouncedID
                    more = core.received(apiMessage: .announce(announce), from: connection, now: now)
                    if logging {
                        // The core made its ID (a new one: this announcement was taken).
                        let id = core.engine.lastAnnouncedID
                        sightings.append(
                            ItemLog.Sighting(
                                id: id != previous ? id : nil, dataType: announce.dataType, size: announce.data.count,
                                from: "\(connection)", effects: more))
                    }
                case .peer(let link, let item, _):
                    more = core.receivedScreenedItem(item, on: link, now: now)
                    if logging {
                        sightings.append(
                            ItemLog.Sighting(
                                id: item.id, dataType: item.dataType, size: item.data.count, from: "\(link)",
                                peer: core.overlay.identity(of: link), effects: more))
                    }
                }
                if timed, more.contains(where: \.isNotify) { delivered.append(entry.read) }
                effects += more
            }
            return effects
        }
        // Logged before the effects go out, so an item's lines come in the order things happened
        // (a module's quick verdict is logged by its reader, after the NOTIFICATION is written).
        for sighting in sightings { itemLog.report(sighting) }
        perform(effects)
        if let metrics = metrics, !delivered.isEmpty {
            let now = clock.now()
            for read in delivered {
                metrics.firstSightToDelivery.recordNanoseconds(Int64(clamping: now.nanoseconds(since: read)))
            }
        }
    }
}
