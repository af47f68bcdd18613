import GossipWire

extension GossipProtocol {
    /// Reports `item` from `source` as `outcome` (`GossipEffect.observed`). Callers check
    /// `observesItems` first, so an unwatched node builds nothing.
    func observe(
        _ item: GossipItem, from source: ItemOrigin, as outcome: ItemObservation.Outcome, into effects: inout [GossipEffect]
    ) {
        var peer: PeerIdentity?
        if case .peer(let link) = source { peer = overlay.identity(of: link) }
        effects.append(
            .observed(
                ItemObservation(
                    id: item.id, source: source, peer: peer, dataType: item.dataType, ttl: item.ttl, data: item.data,
                    outcome: outcome)))
    }

    /// Reports the verdict on a peer item that awaited validation. A local item's completion holds
    /// no item (it travelled at once, whatever the verdict), so it is not reported.
    func observeVerdict(_ completion: ValidationTracker.Completion, into effects: inout [GossipEffect]) {
        guard let item = completion.item else { return }
        let outcome: ItemObservation.Outcome =
            switch completion.outcome {
            case .valid: .valid
            case .invalid: .invalid
            case .timedOut: .timedOut
            }
        observe(item, from: completion.origin, as: outcome, into: &effects)
    }

    /// How an ITEM the engine took in (or not) is observed.
    static func observedOutcome(of received: GossipEngine.Received) -> ItemObservation.Outcome {
        switch received {
        case .duplicate: .duplicate
        case .unbound, .stale, .throttled, .noValidator: .dropped
        case .awaitingValidation: .awaitingValidation
        case .relayed: .relayedUnvalidated
        }
    }
}
