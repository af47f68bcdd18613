import GossipWire

/// The membership logic of the protocol core, with no sockets and no clocks: which peers to dial, whom
/// to PUSH to and PULL from each round, when to PING, and which links to close. The runtime tells
/// it what happened on the wire, and `GossipProtocol` turns the actions it returns into effects.
public struct Overlay: Sendable {
    public struct Configuration: Sendable {
        /// Established links to maintain (the INI `degree`).
        public var degree: Int
        /// Most peers kept in the view.
        public var viewCapacity: Int
        /// Most links, inbound and outbound; more are closed.
        public var maximumLinks: Int
        /// Time between push/pull rounds.
        public var gossipIntervalNanoseconds: UInt64
        /// Time between anti-entropy digests.
        public var antiEntropyIntervalNanoseconds: UInt64
        /// Silence after which a link is pinged.
        public var pingIntervalNanoseconds: UInt64
        /// Silence after which a link is closed as dead (zombie detection); also the handshake limit.
        public var peerTimeoutNanoseconds: UInt64
        /// A link on which the peer sent nothing but PING/PONG this long is closed while the node
        /// has more than `degree` links; 0 keeps idle links for ever.
        public var idleTimeoutNanoseconds: UInt64
        /// Failed dials in a row after which a peer leaves the view.
        public var dialFailureLimit: Int
        /// Most dials under way at once.
        public var maximumConcurrentDials: Int

        public init(
            degree: Int, viewCapacity: Int, maximumLinks: Int, gossipIntervalNanoseconds: UInt64,
            antiEntropyIntervalNanoseconds: UInt64, pingIntervalNanoseconds: UInt64, peerTimeoutNanoseconds: UInt64,
            idleTimeoutNanoseconds: UInt64 = 0, dialFailureLimit: Int = 3, maximumConcurrentDials: Int = 8
        ) {
            self.idleTimeoutNanoseconds = idleTimeoutNanoseconds
            self.degree = degree
            self.viewCapacity = viewCapacity
            self.maximumLinks = maximumLinks
            self.gossipIntervalNanoseconds = gossipIntervalNanoseconds
            self.antiEntropyIntervalNanoseconds = antiEntropyIntervalNanoseconds
            self.pingIntervalNanoseconds = pingIntervalNanoseconds
            self.peerTimeoutNanoseconds = peerTimeoutNanoseconds
            self.dialFailureLimit = dialFailureLimit
            self.maximumConcurrentDials = maximumConcurrentDials
        }
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
        case close(link: LinkID, CloseReason)
        /// Send this link a DIGEST of the newest cached items (the protocol asks the engine).
        case antiEntropy(link: LinkID)
    }

    struct Link: Sendable {
        var outbound: Bool
        var dialed: DialTarget?
        var identity: PeerIdentity?
        var listenAddress: PeerAddress?
        var opened: Moment
        var lastReceived: Moment
        /// The last frame other than PING/PONG from the peer (or the link's opening).
        var lastTraffic: Moment
        var lastPing: Moment?
        var established: Bool { identity != nil }
    }

    public let configuration: Configuration
    public let selfIdentity: PeerIdentity
    public let selfAddress: PeerAddress
    public private(set) var view: PeerView
    private var links: [LinkID: Link] = [:]
    /// The links whose HELLO arrived, in order; kept with `links` so picks cost no pass over them.
    private var established: [LinkID] = []
    private var dialing: [String: DialTarget] = [:]
    private let bootstrappers: [DialTarget]
    /// Addresses that turned out to be this node (a bootstrapper naming ourselves, say).
    private var selfTargets: Set<String> = []
    private var nextRound: Moment = .zero
    private var nextAntiEntropy: Moment = .zero
    private var nextBootstrap: Moment = .zero
    /// Whether a HELLO came back on a link we dialed to a bootstrapper. Until then the node keeps
    /// dialing its bootstrappers (once a round) even if others already connected to it: peers
    /// that found us first do not make us part of the bootstrapper's network.
    private var joined: Bool
    private var nonce: UInt64 = 0
    private var random: SeededRandom

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
    }

    // MARK: Queries

    /// Links whose HELLO arrived, in order.
    public var establishedLinks: [LinkID] { established }

    /// Every open link, established or not.
    public var linkCount: Int { links.count }

    public func identity(of link: LinkID) -> PeerIdentity? { links[link]?.identity }

    /// Whether `link` finished its handshake.
    public func isEstablished(_ link: LinkID) -> Bool { links[link]?.established == true }

    /// Up to `count` random established links, leaving out `excluded`: a partial shuffle.
    public mutating func randomLinks(_ count: Int, excluding excluded: Set<LinkID> = []) -> [LinkID] {
        var candidates = excluded.isEmpty ? established : established.filter { !excluded.contains($0) }
        let take = min(count, candidates.count)
        for index in 0..<take {
            candidates.swapAt(index, Int.random(in: index..<candidates.count, using: &random))
        }
        return Array(candidates.prefix(take))
    }

    private mutating func refreshEstablished() {
        established = links.filter { $0.value.established }.map(\.key).sorted()
    }

    /// The identities a merge of `count` entries must not evict: the connected peers, needed only
    /// when the merge may overflow the view (building the set costs a pass over the links).
    private func protectedIdentities(adding count: Int) -> Set<PeerIdentity> {
        view.count + count > view.capacity ? connectedIdentities : []
    }

    private var connectedIdentities: Set<PeerIdentity> { Set(links.values.compactMap(\.identity)) }

    private var ourEntry: PeerEntry { PeerEntry(identity: selfIdentity, address: selfAddress) }

    // MARK: Events

    /// A connection opened (we dialed it, or accepted it). Both sides start with HELLO, carrying
    /// `nonce` (fresh random bytes from the runtime) for the peer to sign.
    public mutating func linkOpened(
        _ link: LinkID, outbound: Bool, dialed: DialTarget?, nonce: [UInt8] = Array(repeating: 0, count: PeerHello.nonceSize),
        now: Moment
    ) -> [Action] {
        if let dialed { dialing[dialed.key] = nil }
        links[link] = Link(outbound: outbound, dialed: dialed, opened: now, lastReceived: now, lastTraffic: now)
        let hello = PeerHello(identity: selfIdentity, listenAddress: selfAddress, nonce: nonce)
        var actions: [Action] = [.send(link: link, .hello(hello))]
        if links.count > configuration.maximumLinks && !outbound {
            actions.append(.close(link: link, .overCapacity))
        }
        return actions
    }

    /// A dial failed before a connection existed.
    public mutating func dialFailed(_ target: DialTarget) {
        dialing[target.key] = nil
        if let identity = target.identity {
            view.recordFailure(identity, limit: configuration.dialFailureLimit)
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
    /// it is ourselves, a second link to a peer we already have, or a protocol version we do not speak.
    public mutating func receivedHello(_ hello: PeerHello, on link: LinkID, now: Moment) -> [Action] {
        guard var state = links[link] else { return [] }
        guard hello.version == PeerHello.currentVersion else { return [.close(link: link, .versionMismatch)] }
        if hello.identity == selfIdentity {
            if let dialed = state.dialed { selfTargets.insert(dialed.key) }
            if bootstrappers.allSatisfy({ selfTargets.contains($0.key) }) { joined = true }  // we are the seed
            return [.close(link: link, .selfConnection)]
        }
        if state.outbound, let dialed = state.dialed, dialed.identity == nil { joined = true }
        if let (otherLink, other) = links.first(where: { $0.key != link && $0.value.identity == hello.identity }) {
            // Two links to one peer. Opened the same way: the newer wins (the older is likely a
            // dead connection from before the peer restarted). Opposite ways (both dialed at once):
            // both ends keep the link opened by the node with the smaller identity, so they agree.
            let keepsNew =
                state.outbound == other.outbound
                || (state.outbound ? selfIdentity : hello.identity) < (other.outbound ? selfIdentity : hello.identity)
            guard keepsNew else { return [.close(link: link, .duplicateLink)] }
            links[otherLink] = nil
            state.identity = hello.identity
            state.listenAddress = hello.listenAddress
            state.lastReceived = now
            links[link] = state
            refreshEstablished()
            return [.close(link: otherLink, .duplicateLink)]
        }
        state.identity = hello.identity
        state.listenAddress = hello.listenAddress
        state.lastReceived = now
        links[link] = state
        refreshEstablished()
        if state.dialed?.identity != nil && state.dialed?.identity != hello.identity, let stale = state.dialed?.identity {
            view.remove(stale)  // that address now hosts another node
        }
        view.merge([PeerEntry(identity: hello.identity, address: hello.listenAddress)], protecting: protectedIdentities(adding: 1), using: &random)
        view.recordSuccess(hello.identity)
        return []
    }

    /// A PUSH: merge its entries into the view.
    public mutating func receivedPush(_ push: PeerPush, on link: LinkID) {
        guard links[link]?.established == true else { return }
        view.merge(push.entries, protecting: protectedIdentities(adding: push.entries.count), using: &random)
    }

    /// A PULL: answer with a PUSH of our view (and ourselves).
    public mutating func receivedPull(on link: LinkID) -> [Action] {
        guard links[link]?.established == true else { return [] }
        return [.send(link: link, .push(makePush()))]
    }

    /// The link closed, for whatever reason.
    public mutating func linkClosed(_ link: LinkID) {
        guard let state = links.removeValue(forKey: link) else { return }
        if state.established { refreshEstablished() }
        if !state.established, let dialed = state.dialed, let identity = dialed.identity {
            view.recordFailure(identity, limit: configuration.dialFailureLimit)
        }
    }

    // MARK: Timer

    /// Everything due at `now`: liveness checks, dials to reach `degree`, the push/pull round and
    /// anti-entropy.
    public mutating func tick(now: Moment) -> [Action] {
        var actions: [Action] = []
        for id in links.keys.sorted() {
            let state = links[id]!
            let silent = Self.span(state.lastReceived, now)
            if !state.established {
                if Self.span(state.opened, now) >= configuration.peerTimeoutNanoseconds {
                    actions.append(.close(link: id, .handshakeTimeout))
                }
            } else if silent >= configuration.peerTimeoutNanoseconds {
                actions.append(.close(link: id, .unresponsive))
            } else if silent >= configuration.pingIntervalNanoseconds,
                state.lastPing.map({ Self.span($0, now) >= configuration.pingIntervalNanoseconds }) ?? true
            {
                nonce &+= 1
                links[id]?.lastPing = now
                actions.append(.send(link: id, .ping(nonce)))
            }
        }
        if configuration.idleTimeoutNanoseconds > 0, links.count > configuration.degree, let idle = longestIdle(now: now) {
            // One a tick, the longest idle first, and only while above degree.
            links[idle]?.lastTraffic = now
            actions.append(.close(link: idle, .idle))
        }
        actions += dials(now: now)
        if now >= nextRound {
            nextRound = now.adding(nanoseconds: configuration.gossipIntervalNanoseconds)
            let partners = randomLinks(2)
            if let pushTo = partners.first { actions.append(.send(link: pushTo, .push(makePush()))) }
            if let pullFrom = partners.last { actions.append(.send(link: pullFrom, .pull(selfAddress))) }
        }
        if now >= nextAntiEntropy {
            nextAntiEntropy = now.adding(nanoseconds: configuration.antiEntropyIntervalNanoseconds)
            if let partner = randomLinks(1).first { actions.append(.antiEntropy(link: partner)) }
        }
        return actions
    }

    /// Nanoseconds from `earlier` to `now`; 0 if `earlier` is later (a driver may hand in moments
    /// read on different threads).
    private static func span(_ earlier: Moment, _ now: Moment) -> UInt64 {
        now.nanoseconds > earlier.nanoseconds ? now.nanoseconds - earlier.nanoseconds : 0
    }

    /// The established link idle for `idleTimeoutNanoseconds` or more that has been idle longest.
    private func longestIdle(now: Moment) -> LinkID? {
        var best: (at: Moment, id: LinkID)?
        for (id, state) in links
        where state.established && Self.span(state.lastTraffic, now) >= configuration.idleTimeoutNanoseconds {
            if best.map({ (state.lastTraffic, id) < ($0.at, $0.id) }) ?? true { best = (state.lastTraffic, id) }
        }
        return best?.id
    }

    /// The next moment `tick` has work to do: a link's ping or timeout, the push/pull round,
    /// anti-entropy, or, while the node is below `degree` with peers left to try, its next dial.
    /// `tickInterval` paces retries that no deadline drives.
    public func nextWake(after now: Moment, tickInterval: UInt64) -> Moment {
        var next = min(nextRound, nextAntiEntropy)
        let idleCheck = configuration.idleTimeoutNanoseconds > 0 && links.count > configuration.degree
        var linkCheck = Moment(nanoseconds: .max)
        for state in links.values {
            if !state.established {
                linkCheck = min(linkCheck, state.opened.adding(nanoseconds: configuration.peerTimeoutNanoseconds))
                continue
            }
            linkCheck = min(linkCheck, state.lastReceived.adding(nanoseconds: configuration.peerTimeoutNanoseconds))
            let pingFrom = state.lastPing ?? state.lastReceived
            linkCheck = min(linkCheck, pingFrom.adding(nanoseconds: configuration.pingIntervalNanoseconds))
            if idleCheck { linkCheck = min(linkCheck, state.lastTraffic.adding(nanoseconds: configuration.idleTimeoutNanoseconds)) }
        }
        // Link checks run at most once a tick interval: each link's deadline falls at its own
        // moment, and a tick looks at every link, so exact wake-ups would cost links² a round.
        next = min(next, max(linkCheck, now.adding(nanoseconds: tickInterval)))
        let wanted = configuration.degree - links.count - dialing.count
        let room = configuration.maximumConcurrentDials - dialing.count
        if wanted > 0 && room > 0 && view.count > links.count + dialing.count {
            next = min(next, now.adding(nanoseconds: tickInterval))
        }
        if !joined || (links.isEmpty && dialing.isEmpty) { next = min(next, max(nextBootstrap, now.adding(nanoseconds: tickInterval))) }
        return max(next, now.adding(nanoseconds: 1))
    }

    private mutating func dials(now: Moment) -> [Action] {
        let wanted = configuration.degree - links.count - dialing.count
        let room = configuration.maximumConcurrentDials - dialing.count
        guard (wanted > 0 && room > 0) || !joined else { return [] }
        var excluded = connectedIdentities
        excluded.formUnion(dialing.values.compactMap(\.identity))
        var targets =
            wanted > 0 && room > 0
            ? view.sample(min(wanted, room), excluding: excluded, using: &random).map {
                DialTarget(host: $0.address.host, port: $0.address.port, identity: $0.identity)
            } : []
        let alone = targets.isEmpty && links.isEmpty && dialing.isEmpty
        if (alone || !joined) && now >= nextBootstrap {
            // Not yet joined, or alone again: (re)join through the bootstrappers, once a round.
            nextBootstrap = now.adding(nanoseconds: configuration.gossipIntervalNanoseconds)
            targets += bootstrappers.filter { !selfTargets.contains($0.key) && dialing[$0.key] == nil }
        }
        for target in targets { dialing[target.key] = target }
        return targets.map { .dial($0) }
    }

    private mutating func makePush() -> PeerPush {
        let sample = view.sample(min(configuration.viewCapacity, PeerPush.maximumEntries - 1), using: &random)
        return PeerPush(listenAddress: selfAddress, entries: [ourEntry] + sample)
    }
}
