import Crypto
import GossipWire

/// The whole protocol of one node as a value: the engine (subscriptions, cache, validation, the
/// seen set), the overlay (active and passive views, timers), the broadcast tree (eager and lazy
/// links, announcements, grafts), the handshake and the anti-entropy answers. Each
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
        public var broadcast: BroadcastTree.Configuration
        /// Most IDs one DIGEST offers and one REQUEST asks for or is answered.
        public var digestSize: Int
        /// How often to retry work that no deadline drives (dials while below degree).
        public var tickIntervalNanoseconds: UInt64
        /// The proof of work a peer's identity must show in its AUTH (`IdentityWork`), in bits.
        public var identityWorkBits: Int
        /// Whether links are encrypted after the handshake (`LinkKeys`). A node that does not
        /// says so in its HELLO (`PeerHello.plaintextFlag`); two nodes that differ do not link.
        public var encryptsLinks: Bool

        public init(
            engine: GossipEngine.Configuration, overlay: Overlay.Configuration,
            broadcast: BroadcastTree.Configuration = .init(
                announceIntervalNanoseconds: 250_000_000, graftTimeoutNanoseconds: 250_000_000),
            digestSize: Int, tickIntervalNanoseconds: UInt64 = 100_000_000, identityWorkBits: Int = 0,
            encryptsLinks: Bool = false
        ) {
            self.engine = engine
            self.overlay = overlay
            self.broadcast = broadcast
            self.digestSize = digestSize
            self.tickIntervalNanoseconds = tickIntervalNanoseconds
            self.identityWorkBits = identityWorkBits
            self.encryptsLinks = encryptsLinks
        }
    }

    /// The handshake of one link, each way: HELLO (identity, address, nonce), then AUTH proving the
    /// identity by a signature over both nonces, both identities and the sender's agreement key.
    /// Kept only until the link is authenticated.
    struct Handshake: Sendable {
        var ourNonce: [UInt8]
        /// Our X25519 key for this link alone (`LinkKeys`).
        var agreementKey: Curve25519.KeyAgreement.PrivateKey
        /// Where the connection came from, to stand in for a peer that advertises 0.0.0.0.
        var remote: PeerAddress?
        /// We dialed: we send our AUTH on the peer's HELLO. The side that accepted sends its own
        /// only once the dialer's AUTH has checked out.
        var outbound: Bool
        var theirHello: PeerHello?
        /// Work asked of the driver (`HandshakeWork`) whose outcome the handshake waits for.
        var awaiting: Awaiting?

        /// Our agreement key's public half, as our AUTH carries it and our signature covers it.
        var publicAgreementKey: [UInt8] { Array(agreementKey.publicKey.rawRepresentation) }
    }

    /// What a handshake waits for from its driver, with what it needs to go on.
    enum Awaiting: Sendable {
        /// Our signature; `answering` is the dialer's AUTH, checked already, when we accepted.
        case ourSignature(answering: PeerAuth?)
        /// Which identity the peer's `auth` proves.
        case theirSignature(PeerAuth)
    }

    public private(set) var configuration: Configuration
    public internal(set) var engine: GossipEngine
    public internal(set) var overlay: Overlay
    public internal(set) var broadcast: BroadcastTree
    /// Our identity, public key and work for AUTH. The signatures themselves the core only asks
    /// for (`GossipEffect.handshakeWork`); drivers make and check them with their own signer.
    let signer: any HandshakeSigner
    /// Links still in their handshake.
    var handshakes: [LinkID: Handshake] = [:]
    /// Links whose handshake completed: only they may carry anything but HELLO and AUTH.
    var authenticated: Set<LinkID> = []
    /// Signatures made for dialers, per identity and host (`HandshakeBudget`).
    var handshakeBudget = HandshakeBudget()
    /// Takes the settings that can change while the node runs: the overlay's (degree, slack, link
    /// limits, intervals, timeouts, join walks, the passive view's capacity), the broadcast
    /// tree's timings, the digest size, and the engine's cache size and validation timeout
    /// (`GossipEngine.reconfigure`: a smaller cache drops its oldest items at once; pending
    /// validations move to the new timeout, and one now overdue is decided at the next `tick`).
    /// The seen set, link encryption, the tick interval and the identity work asked of peers stay
    /// as they were: those need a restart (the node finds its own work at start, for the bits it
    /// started with; asking peers for more at once would have reloaded nodes refuse each other).
    public mutating func reconfigure(_ new: Configuration) {
        overlay.reconfigure(new.overlay)
        broadcast.reconfigure(new.broadcast)
        engine.reconfigure(new.engine)
        configuration.engine = engine.configuration
        configuration.overlay = overlay.configuration
        configuration.broadcast = broadcast.configuration
        configuration.digestSize = new.digestSize
    }

    /// Whether to report every item passing through (`GossipEffect.observed`). Off by default: a
    /// driver switches it on while someone watches (gossipd: a tap or a recorder is attached).
    public var observesItems = false

    /// `leave` was called: the node is shutting down.
    public internal(set) var hasLeft = false
    /// Anti-entropy digests offer items cached at least this many graft timeouts ago.
    static let antiEntropyAgeFactor: UInt64 = 4

    /// What each link may still make us send by asking (REQUEST, GRAFT).
    var answerBudget = AnswerBudget()
    /// What each link may make us do: take in new items, track IDs, answer digests and requests.
    var linkBudgets: LinkBudgets
    /// Each link's share of new items while the node's budget runs low.
    var fairShare = FairShare()

    /// Links on which we asked for a tree link and await the answer.
    var treeRequests: Set<LinkID> = []
    /// Picks the link a tree repair grafts.
    var repairRandom: SeededRandom
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
        self.broadcast = BroadcastTree(configuration: configuration.broadcast, random: SeededRandom(seed: random.next()))
        self.repairRandom = SeededRandom(seed: random.next())
        self.linkBudgets = LinkBudgets(admission: GossipEngine.admissionBucket(configuration.engine))
    }

    public var identity: PeerIdentity { signer.identity }

    /// Peers this node knew in an earlier run (`Overlay.remember`).
    public mutating func rememberPeers(_ entries: [PeerEntry]) { overlay.remember(entries) }

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
            if observesItems { observe(result.item, from: .local(connection), as: .announced, into: &effects) }
            if let delivery = result.delivery {
                effects.append(.notify(delivery.subscribers, delivery.notification, item: result.item.id))
                wakeForValidation(now: now, into: &effects)
            }
            settle(result.evicted, into: &effects, now: now)
            broadcast.originated(result.item.id)
            spread(result.item, excluding: [], now: now, into: &effects)
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
                settle([completion], into: &effects, now: now)
            }
        case .notification:
            effects.append(.closeModule(connection, .notificationFromModule))
        case .statusReply:
            effects.append(.closeModule(connection, .statusReplyFromModule))
        case .statusRequest:
            break  // the driver answers
        case .token:
            break  // the driver checks it before anything else (api_token)
        }
        return effects
    }

    /// A module's connection closed: its subscriptions end, and items that awaited only its
    /// verdict are decided (not valid, so not forwarded).
    public mutating func moduleDisconnected(_ connection: ConnectionID, now: Moment) -> [GossipEffect] {
        var effects: [GossipEffect] = []
        settle(engine.close(connection), into: &effects, now: now)
        return effects
    }

    // MARK: Timer

    /// Everything due at `now`: validation deadlines, link liveness, dials, the shuffle, IHAVE
    /// batches, grafts and anti-entropy. Always ends with the moment to be woken next.
    public mutating func tick(now: Moment) -> [GossipEffect] {
        guard !hasLeft else { return [] }  // no dials, shuffles or repairs on the way out
        var effects: [GossipEffect] = []
        settle(engine.expire(now: now), into: &effects, now: now)
        perform(overlay.tick(now: now, treeLinks: broadcast.eagerLinks), into: &effects, now: now)
        if !broadcast.hasEager(among: overlay.activeLinks) && treeRequests.isEmpty && !overlay.isSeekingTreeLink {
            repairTree(into: &effects)  // off the tree, and no way back under way
        }
        let links = overlay  // a copy the closure can read while the tree changes
        for (link, message) in broadcast.tick(now: now, isActive: { links.isActive($0) }) {
            if case .graft(let ids) = message { effects.append(.count(.itemsGrafted, ids.count)) }
            if case .request(let ids) = message { effects.append(.count(.itemsFetched, ids.count)) }
            effects.append(.send([link], message))
        }
        var next = overlay.nextWake(after: now, tickInterval: configuration.tickIntervalNanoseconds)
        for deadline in [engine.nextDeadline, broadcast.nextDeadline].compactMap({ $0 }) {
            next = min(next, max(deadline, now.adding(nanoseconds: 1)))
        }
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
        wake(by: now.adding(nanoseconds: configuration.engine.validationTimeoutNanoseconds), into: &effects)
    }

    /// After an event that may leave the overlay wanting to dial (a link lost, a dial failed,
    /// peers handed over, a request answered): asks for the tick that dials, so it does not wait
    /// for the next round.
    mutating func wakeForDials(now: Moment, into effects: inout [GossipEffect]) {
        wake(by: overlay.nextWake(after: now, tickInterval: configuration.tickIntervalNanoseconds), into: &effects)
    }

    /// Asks for a wake-up at `deadline` unless one no later is already asked for.
    mutating func wake(by deadline: Moment, into effects: inout [GossipEffect]) {
        if let scheduled = scheduledWake, scheduled <= deadline { return }
        scheduledWake = deadline
        effects.append(.wake(at: deadline))
    }

    /// Accounts for items whose validation ended, and forwards peer items found valid.
    mutating func settle(_ completions: [ValidationTracker.Completion], into effects: inout [GossipEffect], now: Moment) {
        for completion in completions {
            if observesItems { observeVerdict(completion, into: &effects) }
            switch completion.outcome {
            case .timedOut: effects.append(.count(.validationsTimedOut, 1))
            case .invalid: if case .peer = completion.origin { effects.append(.count(.itemsDroppedInvalid, 1)) }
            case .valid: break
            }
            if let forward = engine.settle(completion, now: now) {
                effects.append(.count(.itemsForwardedAfterValidation, 1))
                spread(forward.item, excluding: forward.excluding, now: now, into: &effects)
            }
        }
    }

    /// A tree link was lost, which splits the tree in two: the node hangs its part back on through
    /// a random lazy link (an empty GRAFT makes it eager at both ends). Should that link lead into
    /// its own part, the cycle it closes is pruned by the first duplicate; grafts for missed
    /// items remain the fallback.
    mutating func repairTree(into effects: inout [GossipEffect]) {
        let lazyLinks = overlay.activeLinks.filter { !broadcast.isEager($0) }
        guard !lazyLinks.isEmpty else { return }
        let link = lazyLinks[Int.random(in: 0..<lazyLinks.count, using: &repairRandom)]
        broadcast.grafted(link)
        effects.append(.send([link], .graft([])))
    }

    /// A neighbour dropped our tree link and handed over `entry`, one of its tree neighbours: make
    /// the link to it a tree link, dialing it first if there is none.
    mutating func rejoinTree(through entry: PeerEntry, now: Moment, into effects: inout [GossipEffect]) {
        if let link = overlay.link(to: entry.identity), overlay.isActive(link) {
            broadcast.grafted(link)
            effects.append(.send([link], .graft([])))
            return
        }
        let dial = overlay.dialForTree(entry, now: now)
        if dial.isEmpty { repairTree(into: &effects) } else { perform(dial, into: &effects) }
    }

    /// A random tree neighbour other than `link`, to hand a peer over to.
    mutating func randomTreeNeighbour(excluding link: LinkID) -> PeerEntry? {
        let others = overlay.activeLinks.filter { $0 != link && broadcast.isEager($0) }
        guard !others.isEmpty else { return nil }
        return overlay.entry(of: others[Int.random(in: 0..<others.count, using: &repairRandom)])
    }

    /// Sends `item` on the eager links of the tree outside `excluded`, and queues an announcement
    /// of its ID on the lazy ones. Callers have applied validation and the TTL rule already.
    mutating func spread(_ item: GossipItem, excluding excluded: SmallSet<LinkID>, now: Moment, into effects: inout [GossipEffect]) {
        guard item.data.count <= GossipItem.maximumDataSize else {
            effects.append(.count(.itemsTooLargeToSpread, 1))
            return
        }
        let (eager, lazy) = broadcast.targets(among: overlay.activeLinks, excluding: excluded)
        if !eager.isEmpty { effects.append(.send(eager, .item(item))) }
        guard !lazy.isEmpty else { return }
        effects.append(.count(.itemIDsAnnounced, lazy.count))
        for (link, message) in broadcast.announce(item.id, on: lazy, now: now) { effects.append(.send([link], message)) }
        if let deadline = broadcast.nextDeadline { wake(by: deadline, into: &effects) }
    }

    /// Turns the overlay's decisions into effects; a digest is made here from the cache.
    /// `request` is the MEMBERSHIP message that led to them, if any: its tree flag decides whether
    /// the link it activates joins the tree.
    mutating func perform(
        _ actions: [Overlay.Action], into effects: inout [GossipEffect], now: Moment = .zero,
        request: (message: PeerMembership, link: LinkID, sender: PeerIdentity?)? = nil
    ) {
        var treeLinks: Set<LinkID> = []
        for action in actions {
            switch action {
            case .dial(let target): effects.append(.dial(target))
            case .send(let link, .membership(var membership)):
                switch membership.kind {
                case .join:
                    membership.tree = true
                    treeRequests.insert(link)  // the contact may make it our tree link
                case .neighborHigh, .neighborLow:
                    // Ask for a tree link while this node has none and asked nobody else for one
                    // (it joins the tree through it; two would close a cycle).
                    if !membership.tree && !broadcast.hasEager(among: overlay.activeLinks) && treeRequests.isEmpty
                        && !overlay.isSeekingTreeLink
                    {
                        membership.tree = true
                    }
                    if membership.tree { treeRequests.insert(link) }
                case .disconnect where broadcast.isEager(link):
                    // Dropping a tree link: hand the peer over to another tree neighbour, its
                    // way back onto the tree that cannot lead into its own part of it.
                    if let entry = randomTreeNeighbour(excluding: link) { membership.entry = entry }
                case .accept:
                    membership.tree = treeLinks.contains(link)
                    if !membership.tree, let request, request.link == link, request.message.kind == .join {
                        // A handover: the joiner's way onto the tree is one of our tree neighbours.
                        if let entry = randomTreeNeighbour(excluding: link) { membership.entry = entry }
                    }
                default: break
                }
                effects.append(.send([link], .membership(membership)))
            case .send(let link, let message): effects.append(.send([link], message))
            case .close(let link, let reason):
                treeRequests.remove(link)
                let wasTree = broadcast.isEager(link)
                forget(link)
                effects.append(.closeLink(link, reason))
                // A tree link lost: the peer that dropped us named our way back (a handover);
                // otherwise we find one. Dropping a tree link ourselves to make room leaves the
                // repair to the other end, which we handed over.
                if wasTree, reason == .disconnected, let request, request.link == link,
                    request.message.kind == .disconnect, request.message.entry.identity != request.sender
                {
                    rejoinTree(through: request.message.entry, now: now, into: &effects)
                } else if wasTree && reason != .displaced && reason != .leaving {
                    repairTree(into: &effects)
                }
            case .activated(let link):
                // A tree link if the peer asked for one, or if we have none; on our own request,
                // as the peer's ACCEPT says. Both ends decide alike.
                let inTree: Bool
                if let request, request.link == link, request.message.kind == .accept {
                    inTree = request.message.tree
                } else if let request, request.link == link, request.message.kind == .join {
                    // A joiner hangs on to the tree through its contact while the contact has
                    // few tree links; after that, the ACCEPT hands it over to one of them, so
                    // a bootstrapper does not become the hub of a star whose links it keeps
                    // dropping, and the tree stays shallow.
                    let treeLinks = overlay.activeLinks.filter { $0 != link && broadcast.isEager($0) }.count
                    inTree = treeLinks < max(2, configuration.overlay.degree / 2)
                } else {
                    let asked = request.map { $0.link == link && $0.message.tree } ?? false
                    let seeking = !treeRequests.subtracting([link]).isEmpty || overlay.isSeekingTreeLink
                    inTree = asked || (!broadcast.hasEager(among: overlay.activeLinks, excluding: link) && !seeking)
                }
                treeRequests.remove(link)
                let peer = overlay.identity(of: link)
                broadcast.add(link, inTree: inTree, weight: peer.map { PathWeight.link(between: identity, and: $0) } ?? .offTree)
                if inTree { treeLinks.insert(link) }
                if let request, request.link == link, request.message.kind == .accept, !request.message.tree,
                    request.message.entry.identity != request.sender, !broadcast.hasEager(among: overlay.activeLinks)
                {
                    rejoinTree(through: request.message.entry, now: now, into: &effects)  // the contact handed us over
                }
            case .antiEntropy(let link):
                // Items younger than a few graft timeouts are left to the tree and its grafts:
                // offering them would race their eager copies and pull duplicates.
                let age = Self.antiEntropyAgeFactor * configuration.broadcast.graftTimeoutNanoseconds
                let settled = Moment(nanoseconds: now.nanoseconds &- min(now.nanoseconds, age))
                let ids = engine.digest(limit: configuration.digestSize, cachedBy: settled)
                if !ids.isEmpty { effects.append(.send([link], .digest(ids))) }
            }
        }
        if overlay.takeTreeRequestFailure() { repairTree(into: &effects) }
    }
}
