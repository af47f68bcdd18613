import GossipWire

/// The membership logic of the protocol core (HyParView-style), with no sockets and no clocks.
///
/// Each node keeps an **active view**: `degree` symmetric links (up to `degree + degreeSlack`),
/// the only links items travel on; and a **passive view** (`PeerView`) of peers it knows of, to
/// repair the active view from. A new node joins through one contact: it sends JOIN, the contact
/// takes it in (dropping a random neighbour if it is full) and sends FORWARD_JOIN random walks
/// through the network, each of which ends at a node that dials the joiner. A node below `degree`
/// asks peers from its passive view to become neighbours (they accept while they have room, or
/// answer with peers to try), and falls back to its bootstrappers. Periodic PUSH/PULL shuffles
/// keep the passive views fresh.
///
/// The runtime tells it what happened on the wire, and `GossipProtocol` turns the actions it
/// returns into effects.
public struct Overlay: Sendable {
    public struct Configuration: Sendable {
        /// Active links to maintain (the INI `degree`).
        public var degree: Int
        /// Active links accepted above `degree` before a neighbour is dropped to make room.
        public var degreeSlack: Int
        /// Most peers kept in the passive view.
        public var viewCapacity: Int
        /// Most links, active or not (requests, handshakes); more are closed at once.
        public var maximumLinks: Int
        /// Time between shuffles (PUSH/PULL with a random neighbour).
        public var gossipIntervalNanoseconds: UInt64
        /// Time between anti-entropy digests.
        public var antiEntropyIntervalNanoseconds: UInt64
        /// Silence after which a link is pinged.
        public var pingIntervalNanoseconds: UInt64
        /// Silence after which a link is closed as dead (zombie detection); also the limit for a
        /// handshake and for a link to become active.
        public var peerTimeoutNanoseconds: UInt64
        /// An active link on which the peer sent nothing but PING/PONG this long is dropped while
        /// the node has more than `degree` active links; 0 keeps idle links for ever.
        public var idleTimeoutNanoseconds: UInt64
        /// Failed dials in a row after which a peer leaves the passive view.
        public var dialFailureLimit: Int
        /// Most dials under way at once.
        public var maximumConcurrentDials: Int
        /// Hops of a FORWARD_JOIN walk (HyParView's active random walk length); 0: a contact
        /// introduces nobody, and a joiner links to its contact only.
        public var joinWalkLength: Int
        /// Entries in a shuffle's PUSH (the sender's own entry included).
        public var shuffleSize: Int
        /// Time a link has for its handshake (HELLO and AUTH both ways).
        public var handshakeTimeoutNanoseconds: UInt64
        /// Inbound links still in their handshake at once; one more closes the oldest of them.
        /// They do not count against `maximumLinks`: idle connections cannot take link slots.
        public var maximumHandshakes: Int
        /// Inbound links from one IP address at once (0: no limit); loopback is exempt.
        public var maximumLinksPerAddress: Int
        /// Inbound links from one /24 (IPv4) or /48 (IPv6) at once (0: no limit); loopback is exempt.
        public var maximumLinksPerPrefix: Int
        /// The walk ends (dials for a joiner) each link's FORWARD_JOINs may cause: 32 at once, then
        /// 4 a second. Each such dial ends in our signature for whoever answers there. In a join
        /// storm a young node whose only link is the contact ends every walk the contact sends
        /// it: 8 at once and 1 a second dropped such walks (a deeper tree at 10,000 simulated
        /// nodes); with 32 and 4 none was dropped there.
        public var walkEndBudget: TokenBucket

        public init(
            degree: Int, degreeSlack: Int = 2, viewCapacity: Int, maximumLinks: Int, gossipIntervalNanoseconds: UInt64,
            antiEntropyIntervalNanoseconds: UInt64, pingIntervalNanoseconds: UInt64, peerTimeoutNanoseconds: UInt64,
            idleTimeoutNanoseconds: UInt64 = 0, dialFailureLimit: Int = 3, maximumConcurrentDials: Int = 8,
            joinWalkLength: Int = 6, shuffleSize: Int = 16, handshakeTimeoutNanoseconds: UInt64 = 5_000_000_000,
            maximumHandshakes: Int = 256, maximumLinksPerAddress: Int = 8, maximumLinksPerPrefix: Int = 64,
            walkEndBudget: TokenBucket = TokenBucket(capacity: 32, perSecond: 4)
        ) {
            self.degree = degree
            self.degreeSlack = degreeSlack
            self.viewCapacity = viewCapacity
            self.maximumLinks = maximumLinks
            self.gossipIntervalNanoseconds = gossipIntervalNanoseconds
            self.antiEntropyIntervalNanoseconds = antiEntropyIntervalNanoseconds
            self.pingIntervalNanoseconds = pingIntervalNanoseconds
            self.peerTimeoutNanoseconds = peerTimeoutNanoseconds
            self.idleTimeoutNanoseconds = idleTimeoutNanoseconds
            self.dialFailureLimit = dialFailureLimit
            self.maximumConcurrentDials = maximumConcurrentDials
            self.joinWalkLength = joinWalkLength
            self.shuffleSize = shuffleSize
            self.handshakeTimeoutNanoseconds = handshakeTimeoutNanoseconds
            self.maximumHandshakes = maximumHandshakes
            self.maximumLinksPerAddress = maximumLinksPerAddress
            self.maximumLinksPerPrefix = maximumLinksPerPrefix
            self.walkEndBudget = walkEndBudget
        }

        /// The most active links a node ever holds.
        public var activeBound: Int { degree + degreeSlack }

        /// The walk hop at which a forwarded joiner also enters the passive view (HyParView's
        /// passive random walk length).
        var passiveWalkLength: Int { max(0, joinWalkLength - 3) }
    }

    /// Where to dial: a known peer, or a bootstrapper given by host name and port.
    public struct DialTarget: Hashable, Sendable, CustomStringConvertible {
        public var host: String
        public var port: UInt16
        /// Known for view entries; nil for bootstrappers.
        public var identity: PeerIdentity?

        public init(host: String, port: UInt16, identity: PeerIdentity? = nil) {
            self.host = host
            self.port = port
            self.identity = identity
        }

        var key: String { "\(host)|\(port)" }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public enum Action: Equatable, Sendable {
        case dial(DialTarget)
        case send(link: LinkID, PeerMessage)
        /// Close the link; the overlay has already forgotten it.
        case close(link: LinkID, CloseReason)
        /// Send this link a DIGEST of the newest cached items (the protocol asks the engine).
        case antiEntropy(link: LinkID)
        /// The link joined the active view: items may travel on it. (A link leaves the view
        /// only by closing.)
        case activated(LinkID)
    }

    /// What an outbound link asks for once its handshake is done.
    enum Intent: Equatable, Sendable {
        /// JOIN through a bootstrapper.
        case join
        /// Become neighbours; `high` when the peer must accept.
        case neighbor(high: Bool)
        /// Become neighbours (high priority) on a tree link: the way back onto the broadcast tree
        /// that a neighbour handed over when it dropped us.
        case treeNeighbor
        /// Become neighbours (high priority): the end of a joiner's walk dials the joiner.
        case walkEnd
        /// Become neighbours with the joiner a neighbour took in when it dropped us to make room:
        /// the two links that replace the one dropped. Low priority (the joiner may have filled
        /// up meanwhile), unless we have no neighbour left.
        case splice

        /// Whether the peer must accept, and we take the link in even if full.
        var isHigh: Bool { self == .neighbor(high: true) || self == .treeNeighbor || self == .walkEnd }

        /// Whether the dial was for one particular peer, so that another node answering there
        /// must not get the request.
        var needsDialedPeer: Bool { self == .treeNeighbor || self == .walkEnd || self == .splice }
    }

    enum Role: Equatable, Sendable {
        /// HELLO and AUTH under way.
        case handshaking
        /// Authenticated, not active: an outbound link awaits the answer to its request, an
        /// inbound one the peer's request.
        case waiting
        case active
    }

    struct Link: Sendable {
        var outbound: Bool
        var dialed: DialTarget?
        var intent: Intent?
        var identity: PeerIdentity?
        var listenAddress: PeerAddress?
        var role: Role = .handshaking
        var opened: Moment
        var lastReceived: Moment
        /// The last frame other than PING/PONG from the peer (or the link's opening).
        var lastTraffic: Moment
        var lastPing: Moment?
        /// Where an inbound connection came from (for the per-address limits).
        var remote: PeerAddress?
        /// An outbound link awaiting the answer to our request took the one PUSH it may bring
        /// unasked (the peers a full node hands us with its REJECT).
        var tookAnswerPush = false
        var established: Bool { identity != nil }
    }

    public private(set) var configuration: Configuration
    public let selfIdentity: PeerIdentity
    public let selfAddress: PeerAddress
    /// The passive view: every peer known by a proven HELLO or from others' lists.
    public private(set) var view: PeerView
    private var links: [LinkID: Link] = [:]
    /// The active links, in the order they became active.
    private var active: [LinkID] = []
    /// The link of each authenticated peer.
    private var linkOf: [PeerIdentity: LinkID] = [:]
    /// Dials under way, with what they are for and when they started.
    private var dialing: [String: (target: DialTarget, intent: Intent, started: Moment)] = [:]
    private let bootstrappers: [DialTarget]
    /// The identity found behind each bootstrapper address, once one answered.
    private var bootstrapperIdentities: [String: PeerIdentity] = [:]
    /// Addresses that turned out to be this node (a bootstrapper naming ourselves, say).
    private var selfTargets: Set<String> = []
    private var nextRound: Moment = .zero
    private var nextAntiEntropy: Moment = .zero
    /// When `tick` last looked at every link (pings, timeouts, idle links).
    private var lastLinkCheck: Moment?
    private var nextBootstrap: Moment = .zero
    /// Doubles while the bootstrappers are tried without reaching `degree`, up to a limit.
    private var bootstrapBackoff: UInt64
    /// Whether the node is on the bootstrappers' network: a contact took our JOIN, or a peer that
    /// a full contact handed us took our NEIGHBOR, or we are the seed. Until then the node keeps
    /// joining through its bootstrappers; links that others opened to us, or that peers learnt
    /// elsewhere accepted, do not count (they may belong to a group apart).
    private var joined: Bool
    private var nonce: UInt64 = 0
    private var random: SeededRandom
    /// Links we sent a PULL and whose PUSH we await.
    private var pulled: Set<LinkID> = []
    /// Peers a bootstrapper handed us instead of taking our JOIN (it was full): a link one of
    /// them accepts puts us on the bootstrapper's network, as the JOIN would have.
    private var contactReferrals: Set<PeerIdentity> = []
    /// This round's unsolicited PUSHes (at most `maximumUnsolicitedPushes`), merged at its end.
    private var roundPushes: [(source: PeerIdentity, entries: [PeerEntry])] = []
    private var unsolicitedPushes = 0
    /// Rounds whose shuffles were ignored because too many came in.
    public private(set) var ignoredPushRounds = 0
    /// A tree-link dial or request ended without the link (see `takeTreeRequestFailure`).
    private var treeRequestFailed = false
    /// While a MEMBERSHIP message is handled: the tree links (eager at our end). They are spared
    /// when a neighbour must be dropped, and a DISCONNECT on one names a way back onto the tree
    /// (a handover), never a joiner (a splice).
    private var spareLinks: Set<LinkID> = []
    /// Until then, while it has a neighbour, the node makes no dials of its own to reach `degree`
    /// other than to remembered peers: its contact took the JOIN and sent walks, whose ends are
    /// dialing it (see `walkWait`). Walk ends, splices and handovers it is asked for still go out.
    private var walkWaitEnd: Moment?
    /// Peers this node knew first-hand in an earlier run (`remember`) and has not dialed since:
    /// dialed whatever the join is doing, so that a restarted node's first neighbours (its
    /// settled half) are peers it knew, not ones its contact's walks chose.
    private var remembered: Set<PeerIdentity> = []
    /// Splices this node follows: 8 at once, then 2 a second.
    private var spliceBudget = TokenBucket(capacity: 8, perSecond: 2)

    /// How long a node whose JOIN its contact took leaves the filling of its active view to the
    /// walks' ends before it dials anyone: two shuffle rounds, at most a handshake's time. In a
    /// join storm the walk ends reach a joiner over seconds; dialing meanwhile found most nodes
    /// full (300 processes on two CPUs: a third of all dials rejected) and each dial costs a
    /// handshake at both ends.
    private var walkWait: UInt64 { min(2 * configuration.gossipIntervalNanoseconds, handshakeLimit) }

    /// Whether the node is waiting for its walks' ends at `now` (see `walkWaitEnd`).
    private func waitsForWalks(at now: Moment) -> Bool { walkWaitEnd.map { now < $0 } == true && !active.isEmpty }

    /// Time a link has for its handshake: the handshake timeout, or the peer timeout if shorter.
    private var handshakeLimit: UInt64 { min(configuration.handshakeTimeoutNanoseconds, configuration.peerTimeoutNanoseconds) }

    /// The longest wait between two rounds of dials to the bootstrappers.
    static let bootstrapBackoffLimitNanoseconds: UInt64 = 4_000_000_000


    public init(
        configuration: Configuration, selfIdentity: PeerIdentity, selfAddress: PeerAddress, bootstrappers: [DialTarget],
        random: SeededRandom
    ) {
        self.configuration = configuration
        self.selfIdentity = selfIdentity
        self.selfAddress = selfAddress
        self.bootstrappers = bootstrappers
        self.view = PeerView(capacity: configuration.viewCapacity, selfIdentity: selfIdentity)
        self.random = random
        self.joined = bootstrappers.isEmpty
        self.bootstrapBackoff = Self.baseBackoff(configuration)
    }

    private static func baseBackoff(_ configuration: Configuration) -> UInt64 {
        min(configuration.gossipIntervalNanoseconds, bootstrapBackoffLimitNanoseconds)
    }

    /// Takes new settings while the node runs (degree, slack, link limits, intervals, timeouts,
    /// join walks, the passive view's capacity); they apply from the next event on. A smaller view
    /// drops random entries at once, never a linked peer's (`PeerView.resize`).
    public mutating func reconfigure(_ new: Configuration) {
        if new.viewCapacity != configuration.viewCapacity {
            view.resize(to: new.viewCapacity, protecting: Set(linkOf.keys), using: &random)
        }
        configuration = new
    }

    // MARK: Queries

    /// The active links, in the order they became active.
    public var activeLinks: [LinkID] { active }


    public func identity(of link: LinkID) -> PeerIdentity? { links[link]?.identity }


    /// Whether `link` is in the active view.
    public func isActive(_ link: LinkID) -> Bool { links[link]?.role == .active }

    /// What an operator sees of one link (`gossip status`).
    public struct LinkSummary: Sendable, Equatable {
        public var identity: PeerIdentity?
        /// Where the peer accepts P2P connections, as its HELLO said.
        public var listenAddress: PeerAddress?
        public var outbound: Bool
        public var isActive: Bool
        public var opened: Moment
        public var lastReceived: Moment
    }

    /// The link's summary; nil if the overlay does not know it.
    public func summary(of link: LinkID) -> LinkSummary? {
        guard let state = links[link] else { return nil }
        return LinkSummary(
            identity: state.identity, listenAddress: state.listenAddress, outbound: state.outbound, isActive: state.role == .active,
            opened: state.opened, lastReceived: state.lastReceived)
    }

    /// Puts peers this node knew first-hand in an earlier run (its own record, not hearsay) in the
    /// passive view, from which a node below `degree` dials: they are asked to be neighbours, not
    /// to introduce it, and a node without bootstrappers stays a network's first node.
    public mutating func remember(_ entries: [PeerEntry]) {
        view.merge(entries, protecting: protectedIdentities(adding: entries.count), using: &random)
        remembered.formUnion(entries.map(\.identity).filter { view[$0] != nil })
    }

    /// Up to `limit` neighbours whose links have lasted longest, oldest first, as view entries:
    /// the peers a restarted node should try first.
    public func longLivedPeers(limit: Int) -> [PeerEntry] {
        let oldestFirst = active.sorted { (links[$0]?.opened ?? .zero, $0) < (links[$1]?.opened ?? .zero, $1) }
        return Array(oldestFirst.lazy.compactMap { self.entry(of: $0) }.filter { !$0.address.isUnspecified }.prefix(limit))
    }

    /// The peer on `link` as a view entry (its proven identity and its listening address).
    public func entry(of link: LinkID) -> PeerEntry? {
        guard let state = links[link], let identity = state.identity, let address = state.listenAddress else { return nil }
        return PeerEntry(identity: identity, address: address)
    }

    /// Whether a dial or a request for a tree link (see `dialForTree`) is under way.
    public var isSeekingTreeLink: Bool {
        dialing.values.contains { $0.intent == .treeNeighbor }
            || links.values.contains { $0.intent == .treeNeighbor && $0.role != .active }
    }

    /// The link to `identity`, if any.
    public func link(to identity: PeerIdentity) -> LinkID? { linkOf[identity] }

    /// Dials `entry` to make it a neighbour on a tree link (a neighbour that dropped us handed it
    /// over); nothing if a link or a dial to it exists already.
    public mutating func dialForTree(_ entry: PeerEntry, now: Moment) -> [Action] {
        guard let target = requestedTarget(entry) else { return [] }
        dialing[target.key] = (target, .treeNeighbor, now)
        return [.dial(target)]
    }

    /// Where to dial `entry` for a neighbour that named it (a handover, a splice), or nil: not
    /// ourselves, not a peer we have a link to, a dialable address with no dial or handshake to it
    /// under way, and within the dial limits (walk ends keep the same).
    private func requestedTarget(_ entry: PeerEntry) -> DialTarget? {
        guard entry.identity != selfIdentity, linkOf[entry.identity] == nil, !entry.address.isUnspecified,
            entry.address.port != 0, dialing.count < configuration.maximumConcurrentDials,
            outboundHandshakes < configuration.maximumHandshakes
        else { return nil }
        let target = DialTarget(host: entry.address.host, port: entry.address.port, identity: entry.identity)
        return dialsInProgress.keys.contains(target.key) ? nil : target
    }

    /// Whether a contact took this node in (always true for a node without bootstrappers).
    public var hasJoined: Bool { joined }

    /// Up to `count` random active links, leaving out `excluded`: a partial shuffle.
    public mutating func randomLinks(_ count: Int, excluding excluded: Set<LinkID> = []) -> [LinkID] {
        var candidates = excluded.isEmpty ? active : active.filter { !excluded.contains($0) }
        let take = min(count, candidates.count)
        for index in 0..<take {
            candidates.swapAt(index, Int.random(in: index..<candidates.count, using: &random))
        }
        return Array(candidates.prefix(take))
    }

    /// The identities a merge of `count` entries must not evict: the linked peers, needed only
    /// when the merge may overflow the view.
    private func protectedIdentities(adding count: Int) -> Set<PeerIdentity> {
        view.count + count > view.capacity ? Set(linkOf.keys) : []
    }

    private var ourEntry: PeerEntry { PeerEntry(identity: selfIdentity, address: selfAddress) }

    private func membership(_ kind: PeerMembership.Kind) -> PeerMessage {
        .membership(PeerMembership(kind: kind, entry: ourEntry))
    }

    // MARK: Events

    /// A connection opened (we dialed it, or accepted it). Both sides start with HELLO, carrying
    /// `nonce` (fresh random bytes from the runtime) for the peer to sign.
    /// `remote` is where an inbound connection came from, if known (for the per-address limits).
    public mutating func linkOpened(
        _ link: LinkID, outbound: Bool, dialed: DialTarget?, remote: PeerAddress? = nil,
        nonce: [UInt8] = Array(repeating: 0, count: PeerHello.nonceSize), helloFlags: UInt8 = 0, now: Moment
    ) -> [Action] {
        var intent: Intent?
        if let dialed, let pending = dialing.removeValue(forKey: dialed.key) { intent = pending.intent }
        if outbound && intent == nil { intent = .neighbor(high: active.isEmpty) }
        links[link] = Link(
            outbound: outbound, dialed: dialed, intent: intent, opened: now, lastReceived: now, lastTraffic: now,
            remote: outbound ? nil : remote)
        let hello = PeerHello(flags: helloFlags, identity: selfIdentity, listenAddress: selfAddress, nonce: nonce)
        var actions: [Action] = [.send(link: link, .hello(hello))]
        guard !outbound else { return actions }
        if let remote, !remote.isLoopback {
            // One host, or one network, holds only its share of our inbound connections.
            let perAddress = configuration.maximumLinksPerAddress, perPrefix = configuration.maximumLinksPerPrefix
            if perAddress > 0 && inboundCount(where: { $0.hostKey == remote.hostKey }) > perAddress {
                return actions + [close(link, .addressLimit)]
            }
            if perPrefix > 0 && inboundCount(where: { $0.prefixKey == remote.prefixKey }) > perPrefix {
                return actions + [close(link, .prefixLimit)]
            }
        }
        // Handshakes have slots of their own, so connections that never finish one cannot crowd
        // out links. When they are all taken, the oldest goes: every newcomer then has the time
        // of `maximumHandshakes` further arrivals to finish (an honest handshake takes a few
        // round trips), and an attacker who wants to keep honest peers out must open
        // connections faster than that, all the time. (A random victim instead cut honest
        // handshakes short during a join storm: 100,000 simulated nodes never formed a network.)
        var oldest: (opened: Moment, id: LinkID)?
        var handshaking = 0
        for (id, state) in links where id != link && !state.outbound && state.role == .handshaking {
            handshaking += 1
            if oldest.map({ (state.opened, id) < ($0.opened, $0.id) }) ?? true { oldest = (state.opened, id) }
        }
        if handshaking >= configuration.maximumHandshakes, let victim = oldest?.id {
            actions.append(close(victim, .handshakeCrowded))
        }
        return actions
    }

    /// Inbound links whose remote address satisfies `matches`.
    private func inboundCount(where matches: (PeerAddress) -> Bool) -> Int {
        links.values.reduce(0) { count, link in count + (link.remote.map(matches) == true ? 1 : 0) }
    }

    /// A dial failed before a connection existed.
    public mutating func dialFailed(_ target: DialTarget, now: Moment = .zero) {
        if dialing.removeValue(forKey: target.key)?.intent == .treeNeighbor { treeRequestFailed = true }
        if let identity = target.identity { recordFailure(identity, now: now) }
    }

    /// Whether a dial or link for a tree link (see `dialForTree`) ended without the link since
    /// the last call; the caller then finds another way back onto the tree.
    public mutating func takeTreeRequestFailure() -> Bool {
        defer { treeRequestFailed = false }
        return treeRequestFailed
    }

    private mutating func recordFailure(_ identity: PeerIdentity, now: Moment) {
        guard let entry = view[identity] else { return }
        if !view.recordFailure(identity, limit: configuration.dialFailureLimit) {
            // Retry after 1, 2, 4 ... shuffle intervals, at most 4 s.
            let wait = min(configuration.gossipIntervalNanoseconds << UInt64(min(entry.failures, 16)), Self.bootstrapBackoffLimitNanoseconds)
            view.postpone(identity, until: now.adding(nanoseconds: wait))
        }
    }

    /// Any frame arrived on `link`: it is alive. `isTraffic` is false for PING and PONG, which keep
    /// a link alive but do not make it useful.
    public mutating func received(on link: LinkID, now: Moment, isTraffic: Bool = true) {
        guard var state = links[link] else { return }
        state.lastReceived = now
        state.lastPing = nil
        if isTraffic { state.lastTraffic = now }
        links[link] = state
    }

    /// The peer's HELLO, once its AUTH proved the identity: learn who it is, or close the link if
    /// it is ourselves, a second link to a peer we already have, or a protocol version we do not
    /// speak. On a link we dialed, our request (JOIN or NEIGHBOR) follows.
    public mutating func receivedHello(_ hello: PeerHello, on link: LinkID, now: Moment) -> [Action] {
        guard var state = links[link] else { return [] }
        guard hello.version == PeerHello.currentVersion else { return [close(link, .versionMismatch)] }
        if !state.outbound && links.values.count(where: { $0.role != .handshaking }) >= configuration.maximumLinks {
            // Full. The dialer still gets peers to try, whatever it was going to ask (a full node
            // must not be a dead end for a network that joins through it); then the answer is no.
            return [.send(link: link, .push(makeBusyPush(excluding: hello.identity))), .send(link: link, membership(.reject)), close(link, .overCapacity)]
        }
        if hello.identity == selfIdentity {
            if let dialed = state.dialed { selfTargets.insert(dialed.key) }
            if bootstrappers.allSatisfy({ selfTargets.contains($0.key) }) { joined = true }  // we are the seed
            return [close(link, .selfConnection)]
        }
        if let dialed = state.dialed, dialed.identity == nil { bootstrapperIdentities[dialed.key] = hello.identity }
        var actions: [Action] = []
        if let otherLink = linkOf[hello.identity], let other = links[otherLink] {
            // Two links to one peer. An active link stays: the new one is a request the peer need
            // not make. Otherwise, opened the same way: the newer wins (the older is likely a dead
            // connection from before the peer restarted). Opposite ways (both dialed at once):
            // both ends keep the link opened by the node with the smaller identity, so they agree.
            let keepsNew =
                other.role != .active
                && (state.outbound == other.outbound
                    || (state.outbound ? selfIdentity : hello.identity) < (other.outbound ? selfIdentity : hello.identity))
            guard keepsNew else {
                if state.intent == .join { joined = true }  // already linked to our contact
                return [close(link, .duplicateLink)]
            }
            actions.append(close(otherLink, .duplicateLink))
        }
        state.identity = hello.identity
        state.listenAddress = hello.listenAddress
        state.lastReceived = now
        state.role = .waiting
        links[link] = state
        linkOf[hello.identity] = link
        if let stale = state.dialed?.identity, stale != hello.identity {
            view.remove(stale)  // that address now hosts another node
            if state.intent?.needsDialedPeer == true { return actions + [close(link, .wrongPeer)] }
        }
        view.merge(
            [PeerEntry(identity: hello.identity, address: hello.listenAddress)], protecting: protectedIdentities(adding: 1),
            using: &random)
        view.recordSuccess(hello.identity)
        remembered.remove(hello.identity)  // reached, whoever dialed: no longer owed a dial
        switch state.intent {
        case .join: actions.append(.send(link: link, membership(.join)))
        case .neighbor(let high): actions.append(.send(link: link, membership(high || active.isEmpty ? .neighborHigh : .neighborLow)))
        case .splice: actions.append(.send(link: link, membership(active.isEmpty ? .neighborHigh : .neighborLow)))
        case .treeNeighbor:
            actions.append(.send(link: link, .membership(PeerMembership(kind: .neighborHigh, tree: true, entry: ourEntry))))
        case .walkEnd:
            actions.append(.send(link: link, membership(.neighborHigh)))
        case nil: break  // inbound: the peer asks
        }
        return actions
    }

    /// A MEMBERSHIP message on an authenticated link. `treeLinks` are the active links that carry
    /// the broadcast tree: when a neighbour must be dropped to make room, others go first.
    public mutating func receivedMembership(
        _ message: PeerMembership, on link: LinkID, now: Moment, treeLinks: Set<LinkID> = []
    ) -> [Action] {
        spareLinks = treeLinks
        defer { spareLinks = [] }
        guard let state = links[link], let peer = state.identity else { return [] }
        let requestable = !state.outbound && state.role == .waiting
        let answerable = state.outbound && state.role == .waiting && state.intent != nil
        switch message.kind {
        case .join:
            guard requestable else { return [close(link, .unexpectedMembership)] }
            var actions = activate(link, evicting: true, splicing: true, now: now)
            actions.append(.send(link: link, membership(.accept)))
            let joiner = PeerEntry(identity: peer, address: state.listenAddress ?? message.entry.address)
            let walk = UInt8(clamping: configuration.joinWalkLength)
            for other in active where other != link && walk > 0 {
                actions.append(.send(link: other, .membership(PeerMembership(kind: .forwardJoin, ttl: walk, entry: joiner))))
            }
            return actions
        case .neighborHigh, .neighborLow:
            guard requestable else { return [close(link, .unexpectedMembership)] }
            if message.kind == .neighborHigh || active.count < configuration.activeBound {
                var actions = activate(link, evicting: true, now: now)
                actions.append(.send(link: link, membership(.accept)))
                return actions
            }
            // Full: hand over peers to try, then say no.
            return [.send(link: link, .push(makePush())), .send(link: link, membership(.reject)), close(link, .neighborRejected)]
        case .accept:
            guard answerable else { return [close(link, .unexpectedMembership)] }
            // A contact took our JOIN, or a peer a full contact handed us took our request. A link
            // that some other peer accepts does not count: it may belong to another group.
            if state.intent == .join || contactReferrals.contains(peer) {
                joined = true
                contactReferrals.removeAll()  // needed only until then
            }
            if state.intent == .join && configuration.joinWalkLength > 0 {
                walkWaitEnd = now.adding(nanoseconds: walkWait)
            }
            guard active.count < configuration.activeBound || state.intent?.isHigh == true else {
                // Filled up meanwhile (dials run in parallel): not this one after all.
                return [.send(link: link, membership(.disconnect)), close(link, .displaced)]
            }
            // The end of a join walk takes the joiner in even if full, as the contact did.
            return activate(link, evicting: state.intent?.isHigh == true, splicing: state.intent == .walkEnd, now: now)
        case .reject:
            guard answerable else { return [close(link, .unexpectedMembership)] }
            view.postpone(peer, until: now.adding(nanoseconds: 5 * configuration.gossipIntervalNanoseconds))
            return [close(link, .neighborRejected)]
        case .disconnect:
            guard state.role == .active else { return [close(link, .unexpectedMembership)] }
            view.postpone(peer, until: now.adding(nanoseconds: configuration.gossipIntervalNanoseconds))
            let closing = close(link, .disconnected)
            // On a link lazy at our end, an entry other than the sender's names the joiner it
            // dropped us for: linking to it (if we are short now) replaces the one link with two,
            // where a random dial would find most nodes full in a network that is growing. (On a
            // tree link the entry is a way back onto the tree, which the protocol follows.)
            guard message.entry.identity != peer, !spareLinks.contains(link),
                active.count + pendingRequests < configuration.degree
            else {
                return [closing]
            }
            return [closing] + dialSplice(message.entry, now: now)
        case .leave:
            // Gone for now: not a peer to dial or to hand to others. It comes back by dialing.
            view.remove(peer)
            return [close(link, .peerLeft)]
        case .forwardJoin:
            guard state.role == .active else { return [close(link, .unexpectedMembership)] }
            return forwardJoin(message, from: link, now: now)
        }
    }

    /// One hop of a joiner's random walk: the walk ends here (this node dials the joiner) when its
    /// hops are used up or this node has no other neighbour to pass it to.
    private mutating func forwardJoin(_ message: PeerMembership, from link: LinkID, now: Moment) -> [Action] {
        let joiner = message.entry
        guard joiner.identity != selfIdentity, linkOf[joiner.identity] == nil,
            !joiner.address.isUnspecified, joiner.address.port != 0
        else { return [] }
        let hops = min(Int(message.ttl), configuration.joinWalkLength)  // a peer cannot make a walk longer
        let next = randomLinks(1, excluding: [link]).first
        if hops <= 1 || next == nil {
            let target = DialTarget(host: joiner.address.host, port: joiner.address.port, identity: joiner.identity)
            // Walks share the dial limit, and stop at `maximumHandshakes` connections of ours still
            // in their handshake: a neighbour cannot make this node dial, or hold connections
            // open to wherever it names, without bound.
            // And each link's walk ends are held to a budget: each dial ends in our signature
            // for whoever answers there, and a walk of ttl 1 costs the neighbour one message.
            guard dialing[target.key] == nil, dialing.count < configuration.maximumConcurrentDials,
                outboundHandshakes < configuration.maximumHandshakes,
                walkEndBudgets[link, default: configuration.walkEndBudget].take(now: now)
            else { return [] }
            dialing[target.key] = (target, .walkEnd, now)
            return [.dial(target)]
        }
        if hops == configuration.passiveWalkLength {
            view.merge([joiner], from: links[link]?.identity, protecting: protectedIdentities(adding: 1), using: &random)
        }
        return [.send(link: next!, .membership(PeerMembership(kind: .forwardJoin, ttl: UInt8(hops - 1), entry: joiner)))]
    }

    /// Dials `entry`, the joiner a neighbour dropped us for: one dial per link the neighbour gave
    /// up, to a peer that must prove the identity named, within the dial limits walk ends keep,
    /// never to a peer we postponed (one that just dropped us), and within `spliceBudget`: peers
    /// taking turns at dropping us and naming each other would otherwise make us dial (and sign)
    /// as fast as they can answer.
    private mutating func dialSplice(_ entry: PeerEntry, now: Moment) -> [Action] {
        guard view[entry.identity].map({ $0.notBefore <= now }) ?? true, let target = requestedTarget(entry),
            spliceBudget.take(now: now)
        else { return [] }
        dialing[target.key] = (target, .splice, now)
        return [.dial(target)]
    }

    /// Makes `link` active; if the view is full, drops a random neighbour first (telling it), or,
    /// when not `evicting`, leaves it out. The neighbour dropped is never one of the
    /// `settledNeighbors`, and a tree link only if nothing else is left.
    private mutating func activate(_ link: LinkID, evicting: Bool, splicing: Bool = false, now: Moment) -> [Action] {
        guard var state = links[link], state.role != .active else { return [] }
        var actions: [Action] = []
        if active.count >= configuration.activeBound {
            let kept = settledNeighbors.union([link])
            guard evicting,
                let victim = randomLinks(1, excluding: kept.union(spareLinks)).first ?? randomLinks(1, excluding: kept).first
            else { return [] }
            if let identity = links[victim]?.identity {
                view.postpone(identity, until: now.adding(nanoseconds: configuration.gossipIntervalNanoseconds))
            }
            // Dropped for a joiner (ours by JOIN, or the end of its walk), a lazy neighbour is
            // told who: if that leaves it short, it links to the joiner (a splice: one link
            // becomes two). A tree link's DISCONNECT names the way back onto the tree instead.
            let joiner = splicing && !spareLinks.contains(victim) ? entry(of: link) : nil
            let notice = PeerMembership(kind: .disconnect, entry: joiner ?? ourEntry)
            actions.append(.send(link: victim, .membership(notice)))
            actions.append(close(victim, .displaced))
        }
        state.role = .active
        links[link] = state
        active.append(link)
        if let identity = state.identity { view.recordSuccess(identity) }
        if active.count >= configuration.degree { bootstrapBackoff = Self.baseBackoff(configuration) }
        actions.append(.activated(link))
        return actions
    }

    /// The longest-standing half of the active view (`activeBound / 2` links, in the order they
    /// became active): a JOIN, NEIGHBOR_HIGH or walk end that finds the view full displaces one of
    /// the others. HyParView drops a random neighbour, so about `activeBound` fresh identities
    /// (their work paid once) asking in turn could take every slot; now they can take at most the
    /// younger half, and the node keeps neighbours it had before they came.
    var settledNeighbors: Set<LinkID> { Set(active.prefix(configuration.activeBound / 2)) }

    /// What each link's walk ends have left of `configuration.walkEndBudget`.
    private var walkEndBudgets: [LinkID: TokenBucket] = [:]

    /// Forgets `link` and returns the action that closes it.
    private mutating func close(_ link: LinkID, _ reason: CloseReason) -> Action {
        forget(link)
        return .close(link: link, reason)
    }

    private mutating func forget(_ link: LinkID) {
        guard let state = links.removeValue(forKey: link) else { return }
        if state.intent == .treeNeighbor && state.role != .active { treeRequestFailed = true }
        if let identity = state.identity, linkOf[identity] == link { linkOf[identity] = nil }
        pulled.remove(link)
        walkEndBudgets[link] = nil
        if state.role == .active, let index = active.firstIndex(of: link) { active.remove(at: index) }
    }

    /// A PUSH: merge its entries into the passive view, at most `shuffleSize` of them (a random
    /// choice if it holds more), as learned from the peer on `link`. A PUSH we asked for (the
    /// answer to our PULL, or the peers a node hands us with its REJECT) is merged at once; the
    /// others (shuffles) wait for the end of the round, and if more than
    /// `maximumUnsolicitedPushes` came in that round, none of them changes the view (Brahms's
    /// rule: a flood of pushes is a sign of an attack, and those entries are the attacker's).
    public mutating func receivedPush(_ push: PeerPush, on link: LinkID) {
        guard let state = links[link], state.established, let source = state.identity else { return }
        var entries = push.entries
        let limit = max(1, configuration.shuffleSize)
        if entries.count > limit {
            for index in 0..<limit { entries.swapAt(index, Int.random(in: index..<entries.count, using: &random)) }
            entries.removeLast(entries.count - limit)
        }
        // Asked for: the answer to our PULL, or the one PUSH a peer we asked to be our neighbour
        // may send before its REJECT. Anything else (inbound links, active or waiting) is a shuffle.
        var solicited = pulled.remove(link) != nil
        if !solicited && state.outbound && state.role == .waiting && !state.tookAnswerPush {
            solicited = true
            links[link]?.tookAnswerPush = true
            if state.intent == .join { contactReferrals.formUnion(entries.map(\.identity)) }
        }
        if solicited {
            view.merge(entries, from: source, protecting: protectedIdentities(adding: entries.count), using: &random)
            return
        }
        unsolicitedPushes += 1
        if unsolicitedPushes <= Self.maximumUnsolicitedPushes { roundPushes.append((source, entries)) }
    }

    /// Unsolicited PUSHes (shuffles) one round may bring without being ignored as a flood. A node
    /// pushes to one random neighbour a round, so a node gets one a round on average.
    public static let maximumUnsolicitedPushes = 8

    /// The end of a round: the shuffles it brought join the view, unless there were too many.
    private mutating func mergeRoundPushes() {
        if unsolicitedPushes <= Self.maximumUnsolicitedPushes {
            for (source, entries) in roundPushes {
                view.merge(entries, from: source, protecting: protectedIdentities(adding: entries.count), using: &random)
            }
        } else {
            ignoredPushRounds += 1
        }
        roundPushes.removeAll(keepingCapacity: true)
        unsolicitedPushes = 0
        pulled.removeAll()  // a PULL of the last round that got no answer: a later PUSH there is a shuffle
    }

    /// A PULL: answer with a PUSH of our view (and ourselves).
    public mutating func receivedPull(on link: LinkID) -> [Action] {
        guard links[link]?.established == true else { return [] }
        return [.send(link: link, .push(makePush()))]
    }

    /// The link closed, for whatever reason. Returns whether it was active.
    @discardableResult
    public mutating func linkClosed(_ link: LinkID, now: Moment = .zero) -> Bool {
        guard let state = links[link] else { return false }
        forget(link)
        if !state.established, let identity = state.dialed?.identity { recordFailure(identity, now: now) }
        return state.role == .active
    }

    /// This node is shutting down: every neighbour (active or waiting for an answer) is told
    /// with LEAVE and its link closes after it, so it repairs at once rather than after
    /// `peer_timeout_ms`; links still in their handshake just close.
    public mutating func leave() -> [Action] {
        var actions: [Action] = []
        for id in links.keys.sorted() {
            guard let state = links[id] else { continue }
            if state.identity != nil && state.role != .handshaking {
                actions.append(.send(link: id, membership(.leave)))
                actions.append(close(id, .leaving))
            } else {
                actions.append(close(id, .nodeStopping))
            }
        }
        return actions
    }

    // MARK: Timer

    /// Everything due at `now`: liveness checks, dials to reach `degree`, the shuffle and
    /// anti-entropy.
    /// `treeLinks` are spared by the idle rule: dropping one would cut the broadcast tree.
    public mutating func tick(now: Moment, treeLinks: Set<LinkID> = []) -> [Action] {
        // A dial the runtime never answered (no thread to run it) counts as failed.
        for (key, pending) in dialing where now.nanoseconds(since: pending.started) >= 2 * configuration.peerTimeoutNanoseconds {
            dialing[key] = nil
            if pending.intent == .treeNeighbor { treeRequestFailed = true }
        }
        var actions: [Action] = []
        lastLinkCheck = now
        for id in links.keys.sorted() {
            guard let state = links[id] else { continue }
            let silent = now.nanoseconds(since: state.lastReceived)
            if state.role != .active {
                let limit = state.role == .handshaking ? handshakeLimit : configuration.peerTimeoutNanoseconds
                if now.nanoseconds(since: state.opened) >= limit {
                    actions.append(close(id, .handshakeTimeout))
                }
            } else if silent >= configuration.peerTimeoutNanoseconds {
                actions.append(close(id, .unresponsive))
            } else if silent >= configuration.pingIntervalNanoseconds,
                state.lastPing.map({ now.nanoseconds(since: $0) >= configuration.pingIntervalNanoseconds }) ?? true
            {
                nonce &+= 1
                links[id]?.lastPing = now
                actions.append(.send(link: id, .ping(nonce)))
            }
        }
        if configuration.idleTimeoutNanoseconds > 0, active.count > configuration.degree, let idle = longestIdle(now: now, sparing: treeLinks) {
            // One a tick, the longest idle first, and only while above degree.
            actions.append(.send(link: idle, membership(.disconnect)))
            actions.append(close(idle, .idle))
        }
        if now >= nextRound { mergeRoundPushes() }  // before the dials: they may pick from it
        actions += dials(now: now)
        if now >= nextRound {
            nextRound = now.adding(nanoseconds: configuration.gossipIntervalNanoseconds)
            let partners = randomLinks(2)
            if let pushTo = partners.first { actions.append(.send(link: pushTo, .push(makePush()))) }
            if let pullFrom = partners.last {
                pulled.insert(pullFrom)
                actions.append(.send(link: pullFrom, .pull(selfAddress)))
            }
        }
        if now >= nextAntiEntropy {
            nextAntiEntropy = now.adding(nanoseconds: configuration.antiEntropyIntervalNanoseconds)
            if let partner = randomLinks(1).first { actions.append(.antiEntropy(link: partner)) }
        }
        return actions
    }

    /// The active link idle for `idleTimeoutNanoseconds` or more that has been idle longest.
    private func longestIdle(now: Moment, sparing spared: Set<LinkID>) -> LinkID? {
        var best: (at: Moment, id: LinkID)?
        for id in active where !spared.contains(id) {
            let state = links[id]!
            guard now.nanoseconds(since: state.lastTraffic) >= configuration.idleTimeoutNanoseconds else { continue }
            if best.map({ (state.lastTraffic, id) < ($0.at, $0.id) }) ?? true { best = (state.lastTraffic, id) }
        }
        return best?.id
    }

    /// Dials under way and links we opened that have not said HELLO yet: their addresses (dial
    /// keys) and the identities expected there (the dialed peer's, and the one found behind a
    /// bootstrapper address before). Dialing one of them again only adds a connection to a peer
    /// that is slow to answer: during a join storm the bootstrapper is exactly such a peer, and a
    /// node that redialed it every tick while its first handshakes waited (about 10 connections
    /// a second from each isolated node) kept it overloaded for everyone.
    private var dialsInProgress: (keys: Set<String>, identities: Set<PeerIdentity>) {
        var keys = Set<String>(), identities = Set<PeerIdentity>()
        let targets = dialing.values.map(\.target) + links.values.compactMap { $0.outbound && !$0.established ? $0.dialed : nil }
        for target in targets {
            keys.insert(target.key)
            if let identity = target.identity { identities.insert(identity) }
            if let identity = bootstrapperIdentities[target.key] { identities.insert(identity) }
        }
        return (keys, identities)
    }

    /// Dials under way, and links we opened whose handshake is not done: the connections this
    /// node's own dials hold. Those a neighbour asks for (walk ends, handovers) stop at
    /// `maximumHandshakes` of them, as connections that reach us do.
    private var outboundHandshakes: Int {
        dialing.count + links.values.reduce(0) { $0 + ($1.outbound && $1.role == .handshaking ? 1 : 0) }
    }

    /// Links we opened that are not active yet, plus dials under way: requests in flight.
    private var pendingRequests: Int {
        dialing.count + links.values.reduce(0) { $0 + ($1.outbound && $1.role != .active ? 1 : 0) }
    }

    /// The least time between two looks at every link: a quarter of the ping interval (a silent
    /// link is pinged, and a dead one closed, at most that late), but at most half the margin
    /// between the ping interval and the peer timeout, so a PING still goes out and its PONG
    /// still has time to come before the link counts as dead; never less than the tick interval.
    private func linkCheckSpacing(_ tickInterval: UInt64) -> UInt64 {
        let margin = configuration.peerTimeoutNanoseconds &- configuration.pingIntervalNanoseconds
        return max(tickInterval, min(configuration.pingIntervalNanoseconds / 4, margin / 2))
    }

    /// Whether the node wants to dial its bootstrappers: it has not joined, or it is below
    /// `degree` with nothing else to try.
    private func wantsBootstrap(now: Moment, candidates: Int) -> Bool {
        guard !bootstrappers.isEmpty else { return false }
        if !joined { return true }
        return active.count < configuration.degree && candidates == 0 && pendingRequests == 0
    }

    /// The next moment `tick` has work to do: a link's ping or timeout, the shuffle, anti-entropy,
    /// or, while the node is below `degree`, its next dial. `tickInterval` paces retries that no
    /// deadline drives.
    public func nextWake(after now: Moment, tickInterval: UInt64) -> Moment {
        var next = min(nextRound, nextAntiEntropy)
        let idleCheck = configuration.idleTimeoutNanoseconds > 0 && active.count > configuration.degree
        var linkCheck = Moment(nanoseconds: .max)
        for state in links.values {
            if state.role != .active {
                let limit = state.role == .handshaking ? handshakeLimit : configuration.peerTimeoutNanoseconds
                linkCheck = min(linkCheck, state.opened.adding(nanoseconds: limit))
                continue
            }
            linkCheck = min(linkCheck, state.lastReceived.adding(nanoseconds: configuration.peerTimeoutNanoseconds))
            let pingFrom = state.lastPing ?? state.lastReceived
            linkCheck = min(linkCheck, pingFrom.adding(nanoseconds: configuration.pingIntervalNanoseconds))
            if idleCheck { linkCheck = min(linkCheck, state.lastTraffic.adding(nanoseconds: configuration.idleTimeoutNanoseconds)) }
        }
        // Link checks run at most once per `linkCheckSpacing`: each link's deadline falls at its
        // own moment and a tick looks at every link, so exact wake-ups would cost links² a round;
        // and with 30 links a ping falls due every 70 ms or so. Batching them pings several links
        // per wake-up: 300 idle nodes on one 2-core machine spent a quarter of it in their tickers
        // when links were checked up to 10 times a second.
        let spacingFloor = lastLinkCheck.map { $0.adding(nanoseconds: linkCheckSpacing(tickInterval)) } ?? now
        next = min(next, max(linkCheck, spacingFloor, now.adding(nanoseconds: tickInterval)))
        let wanted = configuration.degree - active.count - pendingRequests
        let room = configuration.maximumConcurrentDials - dialing.count
        if let end = walkWaitEnd, waitsForWalks(at: now) {
            // Waiting for the walks' ends: no dials of our own, bootstrappers included, until then.
            next = min(next, end)
            if wanted > 0 && room > 0 && anyDialable(remembered, now: now) {
                next = min(next, now.adding(nanoseconds: tickInterval))
            }
        } else {
            if wanted > 0 && room > 0 && view.count > linkOf.count + dialing.count
                && (joined || !joinInFlight || anyDialable(contactReferrals, now: now)
                    || anyDialable(remembered, now: now))
            {
                next = min(next, now.adding(nanoseconds: tickInterval))
            }
            if wantsBootstrap(now: now, candidates: view.count > linkOf.count + dialing.count ? 1 : 0) {
                next = min(next, max(nextBootstrap, now.adding(nanoseconds: tickInterval)))
            }
        }
        return max(next, now.adding(nanoseconds: 1))
    }

    /// Whether one of `identities` could be dialed now: in the passive view, not postponed, not
    /// linked, and no dial to it under way (what `dials` picks from them).
    private func anyDialable(_ identities: Set<PeerIdentity>, now: Moment) -> Bool {
        guard !identities.isEmpty else { return false }
        let inProgress = dialsInProgress
        return eligible(identities, excluding: Set(linkOf.keys).union(inProgress.identities), now: now).contains {
            !inProgress.keys.contains(DialTarget(host: $0.address.host, port: $0.address.port).key)
        }
    }

    /// Those of `identities` that `dials` may pick now, in identity order: in the passive view, not
    /// postponed, not `excluded`.
    private func eligible(
        _ identities: Set<PeerIdentity>, excluding excluded: Set<PeerIdentity>, now: Moment
    ) -> [PeerEntry] {
        identities.sorted().compactMap { identity -> PeerEntry? in
            guard !excluded.contains(identity), let entry = view[identity], entry.notBefore <= now else { return nil }
            return PeerEntry(identity: identity, address: entry.address)
        }
    }

    /// Up to `count` of the `eligible` ones of `identities`, chosen at random.
    private mutating func pick(
        _ count: Int, of identities: Set<PeerIdentity>, excluding excluded: Set<PeerIdentity>, now: Moment
    ) -> [PeerEntry] {
        var candidates = eligible(identities, excluding: excluded, now: now)
        candidates.shuffle(using: &random)
        return Array(candidates.prefix(max(0, count)))
    }

    /// A JOIN under way at a bootstrapper that answered: a link to it in its handshake, or awaiting
    /// the answer to our JOIN. (A dial not yet connected does not count: a bootstrapper that
    /// never answers must not keep the node from the peers it knows.)
    private var joinInFlight: Bool {
        links.values.contains { $0.outbound && $0.intent == .join && $0.role != .active }
    }

    private mutating func dials(now: Moment) -> [Action] {
        let waitingForWalks = waitsForWalks(at: now)
        let wanted = configuration.degree - active.count - pendingRequests
        let room = configuration.maximumConcurrentDials - dialing.count
        var actions: [Action] = []
        var candidates = 0
        let inProgress = dialsInProgress
        if wanted > 0 && room > 0 {
            var excluded = Set(linkOf.keys).union(inProgress.identities)
            var picks: [PeerEntry] = []
            if !joined && !contactReferrals.isEmpty {
                // Not on the network yet: the peers the full contact handed us first, since their
                // ACCEPT is what puts us there.
                picks = pick(min(wanted, room), of: contactReferrals, excluding: excluded, now: now)
                excluded.formUnion(picks.map(\.identity))
            }
            if !remembered.isEmpty {
                // Peers known first-hand from an earlier run: dialed at once, whatever the join
                // is doing (see `remembered`).
                remembered = remembered.filter { view[$0] != nil }
                let taken = pick(min(wanted, room) - picks.count, of: remembered, excluding: excluded, now: now)
                picks += taken
                excluded.formUnion(taken.map(\.identity))
            }
            // While its JOIN is under way at a bootstrapper that answered, a node dials no one
            // else from its passive view: whatever it finds that way does not put it on the
            // network (see `joined`), and in a join storm most nodes it knows are full (a fifth of
            // all dials, most of them refused, at 300 processes). Nor while it waits for its
            // walks' ends (see `walkWaitEnd`).
            if !waitingForWalks && (joined || !joinInFlight) {
                let count = max(0, min(wanted, room) - picks.count)
                picks += view.sample(count, excluding: excluded, eligibleAt: now, using: &random)
            }
            // An address, whoever is said to be there, is not dialed twice at once.
            picks.removeAll { inProgress.keys.contains(DialTarget(host: $0.address.host, port: $0.address.port).key) }
            remembered.subtract(picks.map(\.identity))  // each dialed once this way
            candidates = picks.count
            let high = active.isEmpty
            for entry in picks {
                let target = DialTarget(host: entry.address.host, port: entry.address.port, identity: entry.identity)
                guard dialing[target.key] == nil else { continue }  // two entries at one address
                dialing[target.key] = (target, .neighbor(high: high), now)
                actions.append(.dial(target))
            }
        }
        if !waitingForWalks && wantsBootstrap(now: now, candidates: candidates) && now >= nextBootstrap {
            // Not joined yet, or below degree with no one else to ask: through the bootstrappers,
            // less often each round until the node is back at degree. A bootstrapper still
            // answering an earlier dial is left to finish (or time out) first.
            let intent: Intent = !joined || active.isEmpty ? .join : .neighbor(high: false)
            var dialed = false
            for target in bootstrappers where !selfTargets.contains(target.key) && !inProgress.keys.contains(target.key) && dialing[target.key] == nil {
                if let known = bootstrapperIdentities[target.key], linkOf[known] != nil { continue }  // linked already
                dialing[target.key] = (target, intent, now)
                actions.append(.dial(target))
                dialed = true
            }
            // The next round comes a back-off later either way (or the node would wake every tick
            // while nobody can be dialed); only a round that dialed lengthens the back-off.
            nextBootstrap = now.adding(nanoseconds: bootstrapBackoff)
            if dialed { bootstrapBackoff = min(bootstrapBackoff * 2, Self.bootstrapBackoffLimitNanoseconds) }
        }
        return actions
    }

    /// The peers a full node hands a dialer it turns away: its own neighbours first (linked and
    /// proven, and on the broadcast tree if this node is: a joiner that links to one of them
    /// is part of the network at once, where two joiners that found each other in a passive
    /// view would only have each other), then passive entries, never itself or the dialer.
    private mutating func makeBusyPush(excluding dialer: PeerIdentity) -> PeerPush {
        let wanted = min(configuration.shuffleSize, PeerPush.maximumEntries) - 1
        var entries = randomLinks(wanted).compactMap { entry(of: $0) }.filter { $0.identity != dialer }
        if entries.count < wanted {
            let known = Set(entries.map(\.identity)).union([dialer, selfIdentity])
            entries += view.sample(wanted - entries.count, excluding: known, provenOnly: true, using: &random)
        }
        return PeerPush(listenAddress: selfAddress, entries: entries)
    }

    /// Our entry and a random sample of the passive view, leaving out entries whose dials failed
    /// since we last reached them: an address that failed does not spread from here.
    private mutating func makePush() -> PeerPush {
        let count = min(configuration.shuffleSize, PeerPush.maximumEntries) - 1
        let sample = count > 0 ? view.sample(count, provenOnly: true, using: &random) : []
        return PeerPush(listenAddress: selfAddress, entries: [ourEntry] + sample)
    }
}
