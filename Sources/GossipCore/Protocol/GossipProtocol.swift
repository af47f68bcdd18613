import GossipWire

/// The whole protocol of one node as a value: the engine (subscriptions, cache, validation, the
/// seen set), the overlay (links, view, timers), the handshake and the anti-entropy answers. Each
/// event has one method that returns the effects to carry out; time comes in with every event and
/// the core never reads a clock, opens a socket or starts a thread. gossipd drives it from its
/// reader, handler and ticker threads; `gossip-sim` drives the very same code over a simulated
/// network.
///
/// Not thread-safe: a driver owns one instance (gossipd keeps it behind one lock).
public struct GossipProtocol: Sendable {
    public struct Configuration: Sendable {
        public var engine: GossipEngine.Configuration
        public var overlay: Overlay.Configuration
        /// Most IDs one DIGEST offers and one REQUEST asks for or is answered.
        public var digestSize: Int
        /// How often to retry work that no deadline drives (dials while below degree).
        public var tickIntervalNanoseconds: UInt64

        public init(
            engine: GossipEngine.Configuration, overlay: Overlay.Configuration, digestSize: Int,
            tickIntervalNanoseconds: UInt64 = 100_000_000
        ) {
            self.engine = engine
            self.overlay = overlay
            self.digestSize = digestSize
            self.tickIntervalNanoseconds = tickIntervalNanoseconds
        }
    }

    /// The handshake of one link, each way: HELLO (identity, address, nonce), then AUTH proving the
    /// identity by a signature over both nonces and both identities. Kept only until the link is
    /// authenticated.
    struct Handshake: Sendable {
        var ourNonce: [UInt8]
        /// Where the connection came from, to stand in for a peer that advertises 0.0.0.0.
        var remote: PeerAddress?
        var theirHello: PeerHello?
    }

    public let configuration: Configuration
    public internal(set) var engine: GossipEngine
    public internal(set) var overlay: Overlay
    let signer: any HandshakeSigner
    /// Links still in their handshake.
    var handshakes: [LinkID: Handshake] = [:]
    /// Links whose handshake completed: only they may carry anything but HELLO and AUTH.
    var authenticated: Set<LinkID> = []
    /// The wake-up last asked for, so an event asks for an earlier one only when it needs it.
    var scheduledWake: Moment?

    public init(
        configuration: Configuration, signer: any HandshakeSigner, selfAddress: PeerAddress,
        bootstrappers: [Overlay.DialTarget], random: inout SeededRandom, fixedItemIDs: Bool
    ) {
        self.configuration = configuration
        self.signer = signer
        self.engine = GossipEngine(
            configuration: configuration.engine, random: fixedItemIDs ? SeededRandom(seed: random.next()) : nil)
        self.overlay = Overlay(
            configuration: configuration.overlay, selfIdentity: signer.identity, selfAddress: selfAddress,
            bootstrappers: bootstrappers, random: SeededRandom(seed: random.next()))
    }

    public var identity: PeerIdentity { signer.identity }

    // MARK: Local modules

    /// A module connected. Nothing is due until it speaks; here for symmetry and future rules.
    public mutating func moduleConnected(_ connection: ConnectionID, now: Moment) -> [GossipEffect] { [] }

    /// A message from a local module. STATUS queries are the driver's to answer (they read the
    /// driver's state as well as ours); everything else is decided here.
    public mutating func received(apiMessage message: APIMessage, from connection: ConnectionID, now: Moment) -> [GossipEffect] {
        var effects: [GossipEffect] = []
        switch message {
        case .announce(let announce):
            effects.append(.count(.announcesReceived, 1))
            let result = engine.announce(announce, from: connection, now: now)
            if let delivery = result.delivery {
                effects.append(.notify(delivery.subscribers, delivery.notification, item: result.item.id))
                wakeForValidation(now: now, into: &effects)
            }
            settle(result.evicted, into: &effects)
            spread(result.item, excluding: [], into: &effects)
        case .notify(let notify):
            engine.subscribe(connection, to: notify.dataType)
        case .validation(let validation):
            switch engine.validate(validation, from: connection) {
            case .unknown:
                effects.append(.closeModule(connection, .unknownValidationID))
            case .late:
                effects.append(.count(.validationsLate, 1))
            case .recorded:
                effects.append(.count(validation.isValid ? .validationsValid : .validationsInvalid, 1))
            case .completed(let completion):
                effects.append(.count(validation.isValid ? .validationsValid : .validationsInvalid, 1))
                settle([completion], into: &effects)
            }
        case .notification:
            effects.append(.closeModule(connection, .notificationFromModule))
        case .statusReply:
            effects.append(.closeModule(connection, .statusReplyFromModule))
        case .statusRequest:
            break  // the driver answers
        }
        return effects
    }

    /// A module's connection closed: its subscriptions end, and items that awaited only its
    /// verdict are decided (not valid, so not forwarded).
    public mutating func moduleDisconnected(_ connection: ConnectionID, now: Moment) -> [GossipEffect] {
        var effects: [GossipEffect] = []
        settle(engine.close(connection), into: &effects)
        return effects
    }

    // MARK: Timer

    /// Everything due at `now`: validation deadlines, link liveness, dials, the push/pull round and
    /// anti-entropy. Always ends with the moment to be woken next.
    public mutating func tick(now: Moment) -> [GossipEffect] {
        var effects: [GossipEffect] = []
        settle(engine.expire(now: now), into: &effects)
        perform(overlay.tick(now: now), into: &effects)
        var next = overlay.nextWake(after: now, tickInterval: configuration.tickIntervalNanoseconds)
        if let deadline = engine.nextDeadline { next = min(next, max(deadline, now.adding(nanoseconds: 1))) }
        scheduledWake = next
        effects.append(.wake(at: next))
        return effects
    }

    // MARK: Shared steps

    /// A validation just began: asks for a wake-up at its deadline if the last one asked is later.
    /// Every validation gets the same timeout, so the newest deadline is the latest, and keeping
    /// the wake-up no later than each new deadline keeps it no later than all of them (without
    /// searching the tracker on this hot path).
    mutating func wakeForValidation(now: Moment, into effects: inout [GossipEffect]) {
        let deadline = now.adding(nanoseconds: configuration.engine.validationTimeoutNanoseconds)
        if let scheduled = scheduledWake, scheduled <= deadline { return }
        scheduledWake = deadline
        effects.append(.wake(at: deadline))
    }

    /// Accounts for items whose validation ended, and forwards peer items found valid.
    mutating func settle(_ completions: [ValidationTracker.Completion], into effects: inout [GossipEffect]) {
        for completion in completions {
            switch completion.outcome {
            case .timedOut: effects.append(.count(.validationsTimedOut, 1))
            case .invalid: if case .peer = completion.origin { effects.append(.count(.itemsDroppedInvalid, 1)) }
            case .valid: break
            }
            if let forward = engine.settle(completion) {
                effects.append(.count(.itemsForwardedAfterValidation, 1))
                spread(forward.item, excluding: forward.excluding, into: &effects)
            }
        }
    }

    /// Sends `item` to `degree` random established links (all, if fewer) outside `excluded`.
    mutating func spread(_ item: GossipItem, excluding excluded: Set<LinkID>, into effects: inout [GossipEffect]) {
        guard item.data.count <= GossipItem.maximumDataSize else {
            effects.append(.count(.itemsTooLargeToSpread, 1))
            return
        }
        let chosen = overlay.randomLinks(configuration.overlay.degree, excluding: excluded)
        if !chosen.isEmpty { effects.append(.send(chosen, .item(item))) }
    }

    /// Turns the overlay's decisions into effects; a digest is made here from the cache.
    mutating func perform(_ actions: [Overlay.Action], into effects: inout [GossipEffect]) {
        for action in actions {
            switch action {
            case .dial(let target): effects.append(.dial(target))
            case .send(let link, let message): effects.append(.send([link], message))
            case .close(let link, let reason): effects.append(.closeLink(link, reason))
            case .antiEntropy(let link):
                let ids = engine.digest(limit: configuration.digestSize)
                if !ids.isEmpty { effects.append(.send([link], .digest(ids))) }
            }
        }
    }
}
