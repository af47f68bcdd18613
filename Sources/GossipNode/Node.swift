import CoreMetrics
import GossipConfig
import GossipCore
import GossipIdentity
import GossipSockets
import GossipWire
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A gossip node: the API server and the P2P server feeding one item queue, its handler, and the
/// protocol ticker beside them, all around one protocol core (`GossipProtocol`).
///
/// ```swift
/// let node = try Node(configuration: configuration)
/// try node.start()
/// // ... modules connect to node.apiPort, peers to node.p2pPort ...
/// node.stop()
/// ```
public final class Node: Sendable {
    private let configuration: NodeConfiguration
    /// The configuration as the last `reload` left it (nil: as started).
    private let reloaded = Mutex<NodeConfiguration?>(nil)
    private let logger: Logger
    private let seed: UInt64?
    private let key: NodeKey
    /// The node's identity: the SHA-256 of its key's public key.
    public var identity: PeerIdentity { key.identity }
    private let clock: any NodeClock
    private let metricsFactory: (any MetricsFactory)?
    private let state = Mutex<State>(.idle)
    /// Set by `cancelStart()`: a start still finding its proof of work gives up.
    private let startCancelled = Atomic<Bool>(false)
    /// For tests: wraps the signer the node starts with (to hold its signatures, say).
    let signerWrapper = Mutex<(@Sendable (any HandshakeSigner) -> any HandshakeSigner)?>(nil)
    /// For tests: the slots for handshakes' work with a slow key (nil: one fewer than CPUs).
    let handshakeWorkSlots = Mutex<HandshakeWorkSlots?>(nil)
    /// Where observers of the items passing through attach (a live tap, the recorder); usable
    /// before `start`, so nothing from the first item on is missed.
    public let itemObservers = ItemObservers()

    private enum State {
        case idle
        case running(Running)
        case stopped
    }

    private struct Running {
        var context: NodeContext
        var api: APIServer
        var p2p: P2PServer
        var handler: ItemHandler
        var ticker: ProtocolTicker
        /// The `api_socket` file this node made.
        var socketFile: SocketFile?
        /// Writes the `record_file`, if there is one.
        var recorder: ItemRecorder?
    }

    /// A file this node made, known by device and inode: removed only if it is still that file,
    /// not one another process put at the path since.
    private struct SocketFile {
        let path: String
        let device: UInt64
        let inode: UInt64

        /// The file at `path` now; nil if there is none.
        init?(path: String) {
            var status = stat()
            guard lstat(path, &status) == 0 else { return nil }
            self.path = path
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
        }

        func removeIfUnchanged() {
            guard let now = SocketFile(path: path), now.device == device, now.inode == inode else { return }
            unlink(path)
        }
    }

    /// Why a node could not start.
    public enum StartError: Error, CustomStringConvertible {
        /// The configured host key cannot be used: a configuration error.
        case hostKey(NodeKey.LoadError)
        /// A listen address cannot be bound: `which` is `p2p_address` or `api_address`.
        case listen(which: String, Endpoint, SocketError)
        /// The `api_socket` path cannot be bound.
        case listenSocket(path: String, SocketError)
        /// The `record_file` cannot be opened, or is not a recording this build can append to.
        case record(path: String, reason: String)
        /// `cancelStart()` was called before the node listened (a stop signal during the proof of work).
        case cancelled

        public var description: String {
            switch self {
            case .hostKey(let error): "\(error)"
            case .listen(let which, let endpoint, let error): "cannot listen on \(which) \(endpoint): \(error)"
            case .listenSocket(let path, let error): "cannot listen on api_socket \(path): \(error)"
            case .record(let path, let reason): "cannot record to \(path): \(reason)"
            case .cancelled: "stopped while starting"
            }
        }

        /// Whether the configuration is at fault (rather than the machine's state).
        public var isConfigurationError: Bool {
            if case .hostKey = self { return true }
            return false
        }
    }

    /// - Parameters:
    ///   - key: the node's key; by default the configured host key, or a fresh P-256 key when
    ///     there is none.
    ///   - seed: fixes the node's random choices (item IDs, peer picks); nil seeds from the system.
    ///   - clock: the time the core is given with each event.
    ///   - metrics: where the node's metrics go (`exportMetrics`); nil: the node keeps none beyond
    ///     its counters.
    public init(
        configuration: NodeConfiguration, key: NodeKey? = nil, logger: Logger = Logger(label: "gossipd"),
        seed: UInt64? = nil, clock: any NodeClock = MonotonicNodeClock(), metrics: (any MetricsFactory)? = nil
    ) throws(StartError) {
        self.configuration = configuration
        self.metricsFactory = metrics
        self.logger = logger
        self.seed = seed
        self.clock = clock
        if let key {
            self.key = key
        } else if let path = configuration.hostkeyPath {
            do {
                self.key = try NodeKey.load(hostkeyPath: path)
            } catch {
                throw .hostKey(error)
            }
        } else {
            self.key = .ephemeral()
        }
    }

    /// Makes a `start()` under way give up while it finds the identity's proof of work (which can
    /// take minutes at high `identity_work_bits`): it then throws `StartError.cancelled`. No
    /// effect on a node that has started; call `stop()` for that.
    public func cancelStart() {
        startCancelled.store(true, ordering: .relaxed)
    }

    /// Binds both listen addresses and starts the node's threads.
    public func start() throws(StartError) {
        // The recording first, so a file that cannot be used stops the start before anything listens.
        var recorder: ItemRecorder?
        if let path = configuration.recordPath {
            do {
                recorder = try ItemRecorder(path: path, observers: itemObservers, logger: logger)
            } catch {
                throw .record(path: path, reason: error.reason)
            }
        }
        var started = false
        defer { if !started { recorder?.finish() } }
        // The identity's proof of work, before listening: found once per key, kept beside the host key.
        guard
            let work = IdentityWorkFile.work(
                for: key.identity, bits: configuration.identityWorkBits,
                path: configuration.hostkeyPath.map(IdentityWorkFile.path(forHostkey:)), logger: logger,
                isCancelled: { startCancelled.load(ordering: .relaxed) })
        else { throw .cancelled }
        // The P2P listener comes first: its bound port is part of what the node advertises.
        let p2pAddress = configuration.p2pAddress
        let listener: Socket
        do {
            listener = try Socket.listen(host: p2pAddress.host, port: p2pAddress.port)
        } catch {
            throw .listen(which: "p2p_address", p2pAddress, error)
        }
        var bound = configuration
        bound.p2pAddress.port = listener.localPort
        let advertised = Self.advertisedAddress(for: bound.p2pAddress)
        // The neighbours of the last run, kept beside the host key, are dialed first.
        let savedPeers = configuration.hostkeyPath.map { PeerStateFile.load(PeerStateFile.path(forHostkey: $0)) } ?? []
        let keySigner = KeySigner(key: key, work: work)
        let context = NodeContext(
            configuration: bound, signer: signerWrapper.withLock { $0 }?(keySigner) ?? keySigner, advertised: advertised, clock: clock, logger: logger,
            seed: seed, savedPeers: savedPeers.filter { $0.identity != key.identity }, metrics: metricsFactory.map(NodeMetrics.init),
            observers: itemObservers, handshakeWorkSlots: handshakeWorkSlots.withLock { $0 } ?? HandshakeWorkSlots())
        let p2p = P2PServer(context: context, listener: listener)
        var socketListener: Socket?
        var socketFile: SocketFile?
        if let path = configuration.apiSocketPath {
            do {
                socketListener = try Socket.listen(unixPath: path)
            } catch {
                throw .listenSocket(path: path, error)
            }
            socketFile = SocketFile(path: path)
        }
        let api: APIServer
        do {
            api = try APIServer(context: context, socketListener: socketListener)
        } catch {
            socketFile?.removeIfUnchanged()
            throw .listen(which: "api_address", configuration.apiAddress, error)
        }
        context.apiPort.store(api.port, ordering: .relaxed)
        let handler = ItemHandler(context: context)
        let ticker = ProtocolTicker(context: context)
        state.withLock { $0 = .running(Running(context: context, api: api, p2p: p2p, handler: handler, ticker: ticker, socketFile: socketFile, recorder: recorder)) }
        started = true
        handler.start()
        p2p.start()
        api.start()
        ticker.start()
        logger.info(
            "node started",
            metadata: [
                "identity": "\(identity)", "api": "\(Endpoint(host: configuration.apiAddress.host, port: api.port))",
                "p2p": "\(advertised)", "bootstrappers": "\(configuration.bootstrappers.map(\.description))",
                "api_socket": "\(configuration.apiSocketPath ?? "none")",
            ])
    }

    /// Closes every connection and stops the threads. Safe to call more than once.
    /// How long a stopping node gives its peers' LEAVEs and its modules' outboxes to go out
    /// before it closes what is left.
    public static let shutdownGrace: Duration = .seconds(2)

    /// Stops the node gracefully, within `shutdownGrace` plus the readers' exit: no new
    /// connections; items already queued are handled (a module's last announcements still go
    /// out); every neighbour is told with LEAVE (so it repairs at once); every module gets what
    /// its outbox holds before its connection closes. An ANNOUNCE that arrives once stopping
    /// began is dropped.
    public func stop() {
        let running = state.withLock { state -> Running? in
            guard case .running(let running) = state else { return nil }
            state = .stopped
            return running
        }
        guard let running else { return }
        let context = running.context
        context.savePeers()  // while the links are still up
        context.isStopping.store(true, ordering: .releasing)
        running.ticker.stop()
        running.p2p.stopAccepting()
        running.api.stopAccepting()
        // Items already queued first, while the links are up: a module's last announcements
        // still reach the network. Then the peers are told.
        context.itemQueue.close()
        running.handler.waitUntilFinished()
        context.withCore { core, now in core.leave(now: now) }
        running.api.finishAll(linger: Self.shutdownGrace)
        // Done once every connection has written all it had and ended its side (or is gone).
        let graceEnd = ContinuousClock.now + Self.shutdownGrace
        while ContinuousClock.now < graceEnd
            && !(context.peerLinks.withLock { $0.values.allSatisfy(\.sender.hasEndedOutput) }
                && context.apiConnections.withLock { $0.values.allSatisfy(\.sender.hasEndedOutput) })
        {
            usleep(2_000)
        }
        running.p2p.stop()  // whatever did not finish in time
        running.api.stop()
        running.socketFile?.removeIfUnchanged()  // it outlives its listener
        // Every socket is shut down, so the readers are on their way out; wait for them (bounded),
        // so nothing touches the node's state after stop() returns.
        let deadline = ContinuousClock.now + .seconds(5)
        while context.liveReaders.load(ordering: .acquiring) > 0 && ContinuousClock.now < deadline {
            usleep(1_000)
        }
        running.recorder?.finish()  // everything handled is recorded by now
        logger.info("node stopped")
    }

    private var running: Running? {
        state.withLock { state in
            if case .running(let running) = state { return running }
            return nil
        }
    }

    /// The API port actually bound (useful when the configuration asked for port 0).
    public var apiPort: UInt16 { running?.api.port ?? 0 }

    /// The P2P port actually bound.
    public var p2pPort: UInt16 { running?.p2p.port ?? 0 }

    /// The keys a running node takes from a reloaded configuration (`reload`); the others need a
    /// restart.
    public static let reloadableKeys: Set<ConfigurationKey> = [
        .degree, .degreeSlack, .maxPeerConnections, .gossipIntervalMilliseconds, .antiEntropyIntervalMilliseconds,
        .pingIntervalMilliseconds, .peerTimeoutMilliseconds, .linkIdleTimeoutMilliseconds, .joinWalkLength,
        .handshakeTimeoutMilliseconds, .maxPendingHandshakes, .maxLinksPerIP, .maxLinksPerPrefix,
        .ihaveIntervalMilliseconds, .graftTimeoutMilliseconds, .digestSize, .apiAllow, .apiToken,
        .logLevel, .cacheSize, .validationTimeoutMilliseconds, .announceQueueCapacity, .outboxCapacityBytes, .maxAPIConnections,
        .frameTimeoutMilliseconds, .writeTimeoutMilliseconds, .connectTimeoutMilliseconds, .viewSize, .profile,
    ]

    /// Applies what of `configuration` can change while the node runs (`reloadableKeys`: the
    /// overlay's degree, limits, intervals, timeouts and view size, the tree's timings, the digest size,
    /// the cache size and validation timeout, the item queue's and the
    /// outboxes' bounds, the API connection limit, the frame, write and connect timeouts, who
    /// may use the API, and the log level), and says which keys changed and which of them need a
    /// restart to take effect. A changed `log_level` goes to the node's logger's `LogLevelSwitch`,
    /// if its handler is a `SwitchedLogHandler` (gossipd's): only a change, so a level given on the
    /// command line stays until the file's own changes.
    public func reload(_ configuration: NodeConfiguration) -> (applied: [String], needsRestart: [String]) {
        guard let running else { return ([], []) }
        let context = running.context
        let started = self.configuration  // as the node was started (ports 0 still 0)
        let current = reloaded.withLock { $0 } ?? started
        // (The token's value reads "(set)" either way: compare the tokens themselves.)
        let changed = ConfigurationKey.allCases.filter {
            $0 == .apiToken ? configuration.apiToken != current.apiToken : $0.value(in: configuration) != $0.value(in: current)
        }
        context.apiAccess.withLock { $0 = NodeContext.APIAccess(configuration) }
        if changed.contains(.logLevel), let level = Logger.Level(rawValue: configuration.logLevel) {
            (logger.handler as? SwitchedLogHandler)?.levelSwitch.level = level
            context.refreshObservation()  // at debug the core reports verdicts for the item log
        }
        context.limits.withLock { $0 = RunTimeLimits(configuration) }
        context.itemQueue.capacity = configuration.announceQueueCapacity
        context.withCore { core, _ in
            core.reconfigure(configuration.protocolConfiguration)
            return []
        }
        // What the node runs with now: the reloadable keys from the file, the others as started.
        var effective = current
        for key in Self.reloadableKeys { key.copy(from: configuration, into: &effective) }
        reloaded.withLock { $0 = effective }
        let stillDiffering = ConfigurationKey.allCases.filter { !Self.reloadableKeys.contains($0) && $0.value(in: configuration) != $0.value(in: started) }
        return (changed.filter(Self.reloadableKeys.contains).map(\.name), stillDiffering.map(\.name))
    }

    /// The running node's shared state, for tests.
    var context: NodeContext? { running?.context }

    /// Bytes accepted for local modules and not yet written to them (their outboxes, the batch
    /// being written included).
    public var moduleOutboxBytes: Int {
        running?.context.apiConnections.withLock { $0.values.reduce(0) { $0 + $1.sender.backlogBytes } } ?? 0
    }

    /// Brings the metrics given at `init` up to date: the counters' growth since the last call, and
    /// the gauges (links, views, caches, queues, outboxes) as they are now. A scraper calls this
    /// just before it reads the metrics.
    public func exportMetrics() {
        guard let running, let metrics = running.context.metrics else { return }
        let context = running.context
        metrics.export {
            NodeMetrics.Readings(
                statistics: context.statistics.snapshot(), status: context.status(),
                moduleOutboxBytes: context.apiConnections.withLock { $0.values.reduce(0) { $0 + $1.sender.backlogBytes } },
                peerOutboxBytes: context.peerLinks.withLock { $0.values.reduce(0) { $0 + $1.sender.backlogBytes } })
        }
    }

    /// The label of the first-sight-to-delivery timer among the node's metrics, for a factory that
    /// wants buckets per label.
    public static let firstSightToDeliveryLabel = "gossip_first_sight_to_delivery_seconds"

    /// Whether the node is up: both listeners bound and not stopping (`/ready`).
    public var isReady: Bool {
        guard let running else { return false }
        return !running.context.isStopping.load(ordering: .acquiring)
    }

    /// The `api_token` the node asks for now (a reload may have changed it); nil: none.
    public var apiToken: String? {
        running?.context.apiAccess.withLock { $0.token }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The STATUS reply's JSON (`/status` serves the same).
    public var statusJSON: [UInt8]? { running?.context.statusJSON() }

    /// The node's counters.
    public var statistics: NodeStatistics.Snapshot { running?.context.statistics.snapshot() ?? NodeStatistics().snapshot() }

    /// How many local connections are subscribed to `dataType`.
    public func subscriberCount(of dataType: UInt16) -> Int {
        running?.context.core.withLock { $0.engine.subscriptions.subscribers(of: dataType).count } ?? 0
    }

    /// How many items await validation.
    public var pendingValidations: Int {
        running?.context.core.withLock { $0.engine.validations.pendingCount } ?? 0
    }

    /// Active peer links (neighbours).
    public var establishedPeerCount: Int {
        running?.context.core.withLock { $0.overlay.activeLinks.count } ?? 0
    }

    /// Dials `endpoint` now, as if it were a bootstrapper: a way to join or mend a network by hand.
    public func join(_ endpoint: Endpoint) {
        guard let running else { return }
        running.p2p.dial(Overlay.DialTarget(host: endpoint.host, port: endpoint.port))
    }

    /// What a STATUS query would answer.
    public var status: NodeStatus? { running?.context.status() }

    /// The identities of the peers with an established link.
    public var connectedPeers: [PeerIdentity] {
        guard let running else { return [] }
        return running.context.core.withLock { core in core.overlay.activeLinks.compactMap { core.overlay.identity(of: $0) } }
    }

    /// The address other nodes dial: the P2P address as configured, with the bound port, as a literal.
    static func advertisedAddress(for endpoint: Endpoint) -> PeerAddress {
        if let literal = PeerAddress(host: endpoint.host, port: endpoint.port) { return literal }
        if let resolved = try? resolve(host: endpoint.host, port: endpoint.port, passive: false).first,
            let address = PeerAddress(ip: resolved.addressBytes, port: endpoint.port)
        {
            return address
        }
        return PeerAddress(host: "127.0.0.1", port: endpoint.port)!
    }
}
