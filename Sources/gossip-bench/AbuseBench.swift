import ArgumentParser
import Foundation
import GossipClient
import GossipCore
import GossipIdentity
import GossipNode
import GossipSockets
import GossipWire
import Synchronization

/// Runs the attacks of docs/security.md against a real `gossipd` on 127.0.0.1 (the victim, with
/// two honest neighbours) and checks after each one that the victim still serves its modules, that
/// its memory, threads and descriptors came back to within 10% of where they started, and what its
/// counters say. Bounded in time (a few seconds per attack) and loopback only. Resources are
/// compared with where they stood just before each attack, so each attack answers for its own.
struct AbuseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abuse",
        abstract: "Attack a local gossipd (loopback only) and check it still serves and recovers.",
        discussion: """
            Starts three gossipd processes (release binary beside gossip-bench unless --gossipd), \
            subscribes a validating module on the victim (node 0) and runs each attack in turn: idle \
            P2P connections, idle API connections, impossible headers, REQUEST amplification, a flood \
            of fresh items, a poisoning PUSH, one identity reconnecting to make the node sign, a \
            flood of PULLs, fresh identities asking in turn to be neighbours, and many identities making \
            the node sign while items are timed through it (the victim has an RSA-4096 host key unless \
            --victim-key p256). After each it announces an item on a neighbour and \
            checks the victim's module gets it, and compares the victim's RSS, threads and open \
            descriptors with where they stood before that attack (10% slack plus a small constant, \
            and about 100 bytes for each ID the seen set took in, which it keeps by design for \
            seen_ttl_ms). Exits 1 if any check fails.

            Example: gossip-bench abuse
            """)

    @Option(help: "The gossipd binary (default: the one beside this program).")
    var gossipd: String?

    @Option(help: "Seconds each attack lasts.")
    var seconds: Double = 3

    @Option(help: "The victim's host key: rsa-4096 (as the course's nodes have; about 4 ms a signature) or p256 (a node without a hostkey).")
    var victimKey: VictimKey = .rsa4096

    enum VictimKey: String, ExpressibleByArgument {
        case rsa4096 = "rsa-4096"
        case p256
    }

    func run() throws {
        let binary = gossipd ?? LocalNetwork.gossipdBesideThisProgram
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchFailure("no gossipd at \(binary); build it first: swift build -c release --product gossipd")
        }
        print(raiseOpenFileLimit(needed: 8192))
        let folder = NSTemporaryDirectory() + "gossip-abuse-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var victimKeys: [String: String] = [:]
        if victimKey == .rsa4096 {
            let path = folder + "/victim-key.pem"
            try NodeKey.generateRSAKeyPEM(bits: 4096).write(toFile: path, atomically: true, encoding: .utf8)
            victimKeys["hostkey"] = path
        }
        let network = try LocalNetwork(
            count: 3, join: .single, folder: folder, gossipd: binary,
            extraKeys: ["degree": "2", "identity_work_bits": "\(Self.workBits)", "cache_size": "50"], nodeKeys: [0: victimKeys])
        let signals = network.stopOnSignals()
        defer {
            network.stopAll()
            _ = signals
        }
        let nodes = try network.start { node in
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if let client = try? GossipAPIClient(host: node.host, port: node.apiPort) {
                    client.close()
                    return true
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }
        Thread.sleep(forTimeInterval: 1)  // the neighbours start and join
        let victim = nodes[0]
        guard let pid = network.pid(0) else { throw BenchFailure("the victim did not start") }
        let probe = try Service(victim: victim, neighbour: nodes[1])
        guard probe.wait(until: 10, { probe.victimPeers() >= 1 }) else { throw BenchFailure("the victim never linked") }
        Thread.sleep(forTimeInterval: 1)
        let baseline = Resources(pid: pid)
        let baselineSeen = probe.status()?.seenItems ?? 0
        print("victim's key: \(victimKey.rawValue)")
        print("victim pid \(pid): baseline RSS \(format(baseline.rssMiB)) MiB, \(baseline.threads) threads, \(baseline.descriptors) descriptors")
        print("served before any attack: \(probe.deliver().map { "item delivered in \(format($0)) ms" } ?? "NOT DELIVERED")")

        var failures = 0
        let attacks: [(String, () throws -> AttackResult)] = [
            ("idle P2P connections", { try idleP2P(victim) }),
            ("idle API connections", { try idleAPI(victim) }),
            ("impossible headers", { try impossibleHeaders(victim, probe: probe) }),
            ("REQUEST amplification", { try amplification(victim, probe: probe) }),
            ("flood of fresh items", { try flood(victim, probe: probe) }),
            ("poisoning PUSH", { try poisoning(victim, probe: probe) }),
            ("reconnecting signer", { try reconnectingSigner(victim, probe: probe) }),
            ("PULL flood", { try pullFlood(victim, probe: probe) }),
            ("neighbour takeover", { try neighbourTakeover(victim, probe: probe) }),
            ("signatures for many identities", { try signaturesForMany(victim, probe: probe) }),
        ]
        for (name, attack) in attacks {
            let before = Resources(pid: pid)
            let seenBefore = probe.status()?.seenItems ?? 0
            let result = try attack()
            Thread.sleep(forTimeInterval: 3)  // closes finish and the node trims its memory (every 2 s at most)
            let served = probe.deliver()
            let now = Resources(pid: pid)
            // The seen set keeps the IDs of the items it took in (a flood's included) for
            // seen_ttl_ms by design; each costs about 100 bytes, which the check allows for.
            let seenMiB = Double(max(0, (probe.status()?.seenItems ?? 0) - seenBefore)) * 100 / 1_048_576
            let recovered = now.within(before, plusMiB: seenMiB)
            let ok = served != nil && recovered && result.held
            if !ok { failures += 1 }
            print(
                "\(ok ? "PASS" : "FAIL") \(name): \(result.detail); then \(served.map { "an item reached the victim's module in \(format($0)) ms" } ?? "NO item reached the victim's module"); "
                    + "RSS \(format(now.rssMiB)) MiB (\(format(seenMiB)) MiB of it allowed for the seen set), \(now.threads) threads, \(now.descriptors) descriptors\(recovered ? "" : " (NOT within 10% of the baseline)")")
        }
        let end = Resources(pid: pid)
        print(
            "after all attacks: RSS \(format(end.rssMiB)) MiB (baseline \(format(baseline.rssMiB)); the seen set holds "
                + "\((probe.status()?.seenItems ?? 0) - baselineSeen) more IDs), \(end.threads) threads, \(end.descriptors) descriptors")
        print(failures == 0 ? "PASS: every attack" : "FAIL: \(failures) attack(s)")
        if failures > 0 { throw ExitCode(1) }
    }

    static let workBits = 12

    /// Fresh identities that ask in turn to be the victim's neighbours: with HyParView's rule
    /// (any neighbour may be displaced) 30 displaced one of the two honest ones in both runs of 2026-12-01.
    static let takeoverIdentities = 30

    /// What an attack found: its line for the report (which says in capitals where the victim
    /// did not hold), and whether the victim held; an attack it did not hold fails the run.
    struct AttackResult {
        var detail: String
        var held: Bool
    }

    // MARK: Attacks

    /// Connections that never say a word, held open; a fresh handshake must still complete.
    func idleP2P(_ victim: ProbeNode) throws -> AttackResult {
        var sockets: [Socket] = []
        defer { for socket in sockets { socket.close() } }
        for _ in 0..<600 { if let socket = try? Socket.connect(host: victim.host, port: (victim.p2pPort ?? 0), deadline: .now + .seconds(2)) { sockets.append(socket) } }
        Thread.sleep(forTimeInterval: seconds / 2)
        let started = ContinuousClock.now
        let peer = try AttackerPeer(victim)
        let took = ContinuousClock.now - started
        peer.close()
        Thread.sleep(forTimeInterval: seconds / 2)
        return AttackResult(detail: "\(sockets.count) idle connections held; a fresh handshake still completed in \(format(milliseconds(took))) ms", held: true)
    }

    /// More API connections than `max_api_connections` (1,024), all idle; STATUS must answer.
    func idleAPI(_ victim: ProbeNode) throws -> AttackResult {
        var sockets: [Socket] = []
        defer { for socket in sockets { socket.close() } }
        for _ in 0..<1200 { if let socket = try? Socket.connect(host: victim.host, port: victim.apiPort, deadline: .now + .seconds(2)) { sockets.append(socket) } }
        Thread.sleep(forTimeInterval: seconds / 2)
        let status = try GossipAPIClient(host: victim.host, port: victim.apiPort)
        defer { status.close() }
        let answered = (try? status.status()) != nil
        return AttackResult(detail: "\(sockets.count) idle API connections; STATUS \(answered ? "answered" : "DID NOT answer")", held: answered)
    }

    /// Connections that each send one header no message can have; each must close at once.
    func impossibleHeaders(_ victim: ProbeNode, probe: Service) throws -> AttackResult {
        let before = probe.closes("unknown_type")
        var sent = 0
        for round in 0..<1000 {
            guard let socket = try? Socket.connect(host: victim.host, port: round % 2 == 0 ? (victim.p2pPort ?? 0) : victim.apiPort, deadline: .now + .seconds(2)) else { continue }
            try? socket.send([0xFF, 0xFF, 0x7F, 0x00], deadline: .now + .seconds(1))  // type 32512, 65,535 bytes promised
            sent += 1
            socket.close()
        }
        _ = probe.wait(until: seconds) { probe.closes("unknown_type") - before >= sent }
        let closed = probe.closes("unknown_type") - before
        return AttackResult(
            detail: "\(sent) connections with an impossible header; \(closed) closed as unknown_type" + (closed >= sent ? "" : " (NOT ALL CLOSED)"),
            held: closed >= sent)
    }

    /// An authenticated peer asks for one cached 60 KB item over and over; the answers must stay
    /// within the per-link byte budget.
    func amplification(_ victim: ProbeNode, probe: Service) throws -> AttackResult {
        let peer = try AttackerPeer(victim)
        defer { peer.close() }
        try probe.announceLargeItem()
        _ = peer.drain(for: 1)  // hear its ID (an ITEM or an IHAVE)
        guard let id = peer.heard else { return AttackResult(detail: "FAILED: the attacker never heard of the large item", held: false) }
        let request = PeerMessage.request(Array(repeating: id, count: 16))
        var sent = 0
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            guard peer.send([request]) else { break }
            sent += request.encodedSize
        }
        let received = peer.drain(for: 1)
        let limit = 4 * 1_048_576 + Int(seconds + 1) * 1_048_576
        let held = received <= limit + 65_536
        return AttackResult(
            detail: "sent \(sent / 1024) KiB of REQUESTs for one 60 KB item, got \(received / 1024) KiB back (budget \(limit / 1024) KiB)"
                + (held ? "" : " OVER THE BUDGET"),
            held: held)
    }

    /// An authenticated peer floods fresh items for a while, then stops; the victim must stop
    /// relaying soon after.
    func flood(_ victim: ProbeNode, probe: Service) throws -> AttackResult {
        let peer = try AttackerPeer(victim)
        defer { peer.close() }
        let stamp = UInt32(Date().timeIntervalSince1970)
        var sent = 0
        let deadline = ContinuousClock.now + .seconds(seconds)
        var salt: UInt32 = 0
        while ContinuousClock.now < deadline {
            var batch: [PeerMessage] = []
            for _ in 0..<64 {
                salt &+= 1
                batch.append(.item(GossipItem.bound(stamp: stamp, salt: salt, ttl: 0, dataType: 4242, data: [1, 2, 3])))
            }
            guard peer.send(batch) else { break }
            sent += 64
        }
        peer.close()
        Thread.sleep(forTimeInterval: 2)
        let settled = probe.victimItemsSent()
        Thread.sleep(forTimeInterval: 2)
        let after = probe.victimItemsSent() - settled
        let throttled = probe.victimCounter(\.itemsThrottled)
        return AttackResult(
            detail: "\(sent) fresh items sent; \(throttled) throttled so far; the victim sent \(after) ITEMs in the 2 s after it settled"
                + (after < 100 ? "" : " (STILL RELAYING)"),
            held: after < 100)
    }

    /// An authenticated peer pushes thousands of unreachable addresses.
    func poisoning(_ victim: ProbeNode, probe: Service) throws -> AttackResult {
        let peer = try AttackerPeer(victim)
        defer { peer.close() }
        var pushed = 0
        for round in 0..<20 {
            var entries: [PeerEntry] = []
            for n in 0..<1000 {
                var bytes: [UInt8] = [0xAB, UInt8(round), UInt8(n >> 8), UInt8(n & 0xFF)]
                bytes += [UInt8](repeating: 7, count: 28)
                let ip: [UInt8] = [100, 64, UInt8(round), UInt8(n % 250 + 1)]
                entries.append(PeerEntry(identity: PeerIdentity(bytes: bytes)!, address: PeerAddress(ip: ip, port: 9)!))
            }
            _ = peer.send([.push(PeerPush(listenAddress: PeerAddress(host: "127.0.0.1", port: 9)!, entries: entries))])
            pushed += entries.count
        }
        Thread.sleep(forTimeInterval: seconds)
        let neighbours = probe.victimPeers()
        return AttackResult(
            detail: "\(pushed) unreachable addresses pushed; the victim's view holds \(probe.victimViewSize()) entries and it keeps \(neighbours) neighbour(s)"
                + (neighbours > 0 ? "" : " (NO NEIGHBOUR LEFT)"),
            held: neighbours > 0)
    }

    /// One identity, its work paid once, reconnects as fast as it can; the victim signs its AUTH
    /// only within the identity's budget (8 at once, then one every 4 s) and closes the rest.
    func reconnectingSigner(_ victim: ProbeNode, probe: Service) throws -> AttackResult {
        let key = NodeKey.ephemeral()
        let work = IdentityWork.solve(for: key.identity, bits: Self.workBits)
        let address = PeerAddress(host: "127.0.0.1", port: 9)!
        let before = probe.closes("handshake_throttled")
        var signed = 0, refused = 0, failed = 0
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            guard let client = try? PeerClient(host: victim.host, port: victim.p2pPort ?? 0, key: key, work: work, listenAddress: address)
            else {
                failed += 1
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            if client.theirAuth != nil { signed += 1 } else { refused += 1 }
            client.close()
        }
        let budget = 8 + Int(seconds / 4) + 1
        let closed = probe.closes("handshake_throttled") - before
        let reached = refused > 0 && signed >= 8
        return AttackResult(
            detail: "one identity made \(signed + refused) handshakes in \(format(seconds)) s (\(failed) more failed to connect): the victim signed "
                + "\(signed) (the budget allows \(budget)), refused \(refused), \(closed) closed as handshake_throttled"
                + (signed > budget ? " OVER THE BUDGET" : reached ? "" : " (FAILED: the budget was never reached)"),
            held: signed <= budget && reached)
    }

    /// An authenticated peer sends PULLs as fast as it can; each is answered with a PUSH, about 22
    /// times its size, at most 2 a second (4 at once).
    func pullFlood(_ victim: ProbeNode, probe: Service) throws -> AttackResult {
        let peer = try AttackerPeer(victim)
        defer { peer.close() }
        let before = probe.victimCounter(\.announcementsThrottled)
        let batch = [PeerMessage](repeating: .pull(PeerAddress(host: "127.0.0.1", port: 9)!), count: 256)
        // (Not `wireBytes`, which would number the frames on: the victim would see a gap.)
        let wire = batch.count * (batch[0].encodedSize + FrameSealer.tagSize)
        var sent = 0, bytes = 0
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            guard peer.send(batch) else { break }
            sent += batch.count
            bytes += wire
        }
        let received = peer.drain(for: 1)
        let ignored = probe.victimCounter(\.announcementsThrottled) - before
        // What it got back includes PINGs and IHAVEs; a PUSH holds at most 16 entries.
        let entry = PeerEntry(identity: PeerIdentity(bytes: [UInt8](repeating: 1, count: 32))!, address: PeerAddress(host: "127.0.0.1", port: 9)!)
        let fullPush = PeerMessage.push(PeerPush(listenAddress: entry.address, entries: Array(repeating: entry, count: 16))).encodedSize
        let allowed = (4 + 2 * Int(seconds + 2)) * fullPush + 65_536
        let held = ignored > 0 && received <= allowed
        return AttackResult(
            detail: "sent \(sent) PULLs (\(bytes / 1024) KiB), got \(received / 1024) KiB back in all; \(ignored) ignored over the link's budget"
                + (held ? "" : " (NOT HELD TO THE BUDGET: at most \(allowed / 1024) KiB)"),
            held: held)
    }

    /// Fresh identities, one after another, ask to be neighbours with NEIGHBOR_HIGH, which a full
    /// node takes in by dropping a neighbour: only from the younger half of its active view, so
    /// the neighbours it had longest stay.
    func neighbourTakeover(_ victim: ProbeNode, probe: Service) throws -> AttackResult {
        guard let before = probe.status()?.peers, !before.isEmpty else { return AttackResult(detail: "FAILED: the victim has no neighbours", held: false) }
        var attackers: [AttackerPeer] = []
        defer { for attacker in attackers { attacker.close() } }
        for _ in 0..<Self.takeoverIdentities {
            attackers.append(try AttackerPeer(victim))
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 1)
        let after = probe.status()?.peers ?? []
        let kept = Set(before).intersection(after)
        let held = kept.count >= min(before.count, 2)
        return AttackResult(
            detail: "\(Self.takeoverIdentities) fresh identities asked in turn to be neighbours; the victim kept \(kept.count) of the \(before.count) neighbours it had "
                + "and has \(after.count) links" + (held ? "" : " (NEIGHBOURS DISPLACED)"),
            held: held)
    }

    /// Identities whose work was paid in advance, dialing the victim from 4 threads as fast as they
    /// can to make it sign: each gets 8 signatures at once, then one every 4 s.
    static let signingIdentities = 48
    /// The median time for a neighbour's item to reach the victim's module while those identities'
    /// first signatures are made, above which the attack fails.
    static let slowedItemMilliseconds = 5.0

    /// Many identities make the victim sign (with an RSA-4096 key, about 4 ms of its CPU each)
    /// while a neighbour's module announces an item every 50 ms. The items that go out while the
    /// identities' first signatures are made (8 each, at once) are the ones a signing core would
    /// hold up; the victim signs with its core unlocked, so they go on (before the evening of
    /// 2026-12-01 each signature held the core's lock). Their median decides.
    func signaturesForMany(_ victim: ProbeNode, probe: Service) throws -> AttackResult {
        var idle: [Double] = []
        for _ in 0..<10 { if let took = probe.deliver() { idle.append(took) } }
        let identities = (0..<Self.signingIdentities).map { _ in
            let key = NodeKey.ephemeral()
            return (key, IdentityWork.solve(for: key.identity, bits: Self.workBits))
        }
        let signed = Atomic<Int>(0), refused = Atomic<Int>(0), failed = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let done = DispatchGroup()
        let (host, port) = (victim.host, victim.p2pPort ?? 0)
        for thread in 0..<4 {
            let own = identities.enumerated().filter { $0.offset % 4 == thread }.map(\.element)
            done.enter()
            Thread {
                let address = PeerAddress(host: "127.0.0.1", port: 9)!
                var next = 0
                while !stop.load(ordering: .relaxed) {
                    let (key, work) = own[next % own.count]
                    next += 1
                    guard let client = try? PeerClient(host: host, port: port, key: key, work: work, listenAddress: address) else {
                        failed.add(1, ordering: .relaxed)
                        Thread.sleep(forTimeInterval: 0.01)
                        continue
                    }
                    if client.theirAuth != nil {
                        signed.add(1, ordering: .relaxed)
                    } else {
                        refused.add(1, ordering: .relaxed)
                    }
                    client.close()
                }
                done.leave()
            }.start()
        }
        let burst = Self.signingIdentities * 8
        var duringBurst: [Double] = [], after: [Double] = []
        var lost = 0
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let inBurst = signed.load(ordering: .relaxed) < burst
            if let took = probe.deliver() {
                if inBurst { duringBurst.append(took) } else { after.append(took) }
            } else {
                lost += 1
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop.store(true, ordering: .relaxed)
        done.wait()
        let made = signed.load(ordering: .relaxed)
        let budget = Self.signingIdentities * (8 + Int(seconds / 4) + 1)
        func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
        let all = duringBurst + after
        // Items wait for the signatures only if the victim signs with its core locked (in the
        // runs of 2026-12-01, median 11 ms so and 0.5-0.7 ms without; 0.1-0.3 ms with no attack).
        let slowed = median(duringBurst) > Self.slowedItemMilliseconds
        let reached = made >= burst && refused.load(ordering: .relaxed) > 0 && duringBurst.count >= 3
        let held = lost == 0 && made <= budget && reached && !slowed
        return AttackResult(
            detail: "\(Self.signingIdentities) identities made \(made + refused.load(ordering: .relaxed)) handshakes in \(format(seconds)) s "
                + "(\(failed.load(ordering: .relaxed)) more failed to connect): the victim signed \(made) (the budget allows \(budget)), refused "
                + "\(refused.load(ordering: .relaxed)); meanwhile \(all.count) items reached its module: \(duringBurst.count) while the first \(burst) "
                + "signatures were made, median \(format(median(duringBurst))) ms, slowest \(format(duringBurst.max() ?? 0)) ms; all, median "
                + "\(format(median(all))) ms, slowest \(format(all.max() ?? 0)) ms (before the attack: median \(format(median(idle))) ms)"
                + (lost > 0 ? " (\(lost) ITEMS DID NOT ARRIVE)" : "") + (made > budget ? " OVER THE BUDGET" : "")
                + (reached ? "" : " (FAILED: the first signatures were never all made, or none refused, or under 3 items were timed meanwhile)")
                + (slowed ? " (ITEMS SLOWED: the median while they were made is over \(format(Self.slowedItemMilliseconds)) ms)" : ""),
            held: held)
    }

    private func format(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// The victim's memory, threads and open descriptors.
struct Resources {
    /// RSS less any code mapped with 2 MiB pages (the lines print it as "RSS").
    var rssMiB: Double
    var threads: Int
    var descriptors: Int

    init(pid: pid_t) {
        let stats = ProcessStats(pid: pid)
        // Less the code mapped with 2 MiB pages (where the page cache holds gossipd so): shared
        // pages, mapped 2 MiB at a time as the node first runs a region, not memory it holds.
        rssMiB = (stats?.rssMiB ?? 0) - (CodePageCache.hugeMappedMiB(pid: pid) ?? 0)
        threads = stats?.threads ?? 0
        descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    /// Within 10% of `baseline` (and `plusMiB` of memory the node keeps by design), plus a little
    /// for what a quiet node's housekeeping holds.
    func within(_ baseline: Resources, plusMiB: Double = 0) -> Bool {
        rssMiB <= baseline.rssMiB * 1.1 + 1 + plusMiB && Double(threads) <= Double(baseline.threads) * 1.1 + 2
            && Double(descriptors) <= Double(baseline.descriptors) * 1.1 + 2
    }
}

/// A validating module on the victim, an announcer on a neighbour, and STATUS on the victim.
final class Service {
    let victim: ProbeNode
    let subscriber: GossipAPIClient
    let announcer: GossipAPIClient
    private var sequence: UInt8 = 0

    init(victim: ProbeNode, neighbour: ProbeNode) throws {
        self.victim = victim
        subscriber = try GossipAPIClient(host: victim.host, port: victim.apiPort)
        try subscriber.notify(dataType: 77)
        announcer = try GossipAPIClient(host: neighbour.host, port: neighbour.apiPort)
    }

    /// Announces an item on the neighbour; milliseconds until the victim's module got it, or nil.
    func deliver() -> Double? {
        sequence &+= 1
        let started = ContinuousClock.now
        guard (try? announcer.announce(dataType: 77, ttl: 0, data: [sequence, 1, 2, 3])) != nil else { return nil }
        let deadline = started + .seconds(3)
        while ContinuousClock.now < deadline {
            let message: APIMessage? = (try? subscriber.receive(timeout: .seconds(1))) ?? nil
            guard case .notification(let note)? = message else { continue }
            try? subscriber.validate(messageID: note.messageID, isValid: true)
            if note.data.first == sequence { return milliseconds(ContinuousClock.now - started) }
        }
        return nil
    }

    /// Announces a 60 KB item on the victim itself, so that it caches it and spreads it (ITEM or
    /// IHAVE) to its neighbours, an attacker among them.
    func announceLargeItem() throws {
        let local = try GossipAPIClient(host: victim.host, port: victim.apiPort)
        defer { local.close() }
        try local.announce(dataType: 4343, ttl: 0, data: [UInt8](repeating: 0x5A, count: 60_000))
    }

    func status() -> NodeStatus? { queryStatus(NodeStatus.self, host: victim.host, port: victim.apiPort) }

    func closes(_ reason: String) -> Int {
        guard let statistics = status()?.statistics else { return 0 }
        return statistics.closedConnections[reason, default: 0] + statistics.closedPeerLinks[reason, default: 0]
    }

    func victimPeers() -> Int { status()?.peers.count ?? 0 }
    func victimViewSize() -> Int { status()?.viewSize ?? 0 }
    func victimItemsSent() -> Int { status()?.statistics.peerItemsSent ?? 0 }
    func victimCounter(_ path: KeyPath<NodeStatistics.Snapshot, Int>) -> Int { status()?.statistics[keyPath: path] ?? 0 }

    func wait(until seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }
}

/// An authenticated peer speaking raw frames (sealed, as the victim's links are): a fresh key with
/// its proof of work, through HELLO and AUTH, asking to be a neighbour.
final class AttackerPeer {
    let client: PeerClient
    /// The newest item ID this peer heard of (an ITEM, IHAVE or DIGEST from the victim).
    private(set) var heard: ItemID?

    init(_ victim: ProbeNode) throws {
        let key = NodeKey.ephemeral()
        let address = PeerAddress(host: "127.0.0.1", port: 9)!
        client = try PeerClient(
            host: victim.host, port: victim.p2pPort ?? 0, key: key, work: IdentityWork.solve(for: key.identity, bits: AbuseBench.workBits),
            listenAddress: address)
        try client.send(.membership(PeerMembership(kind: .neighborHigh, entry: PeerEntry(identity: key.identity, address: address))))
    }

    /// Sends `messages` in one write; false if the victim closed the link.
    func send(_ messages: [PeerMessage]) -> Bool {
        (try? client.sendWire(client.wireBytes(messages), timeout: .seconds(1))) != nil
    }

    /// Reads whatever comes for `seconds`, noting item IDs it hears of; returns the bytes read.
    func drain(for seconds: Double) -> Int {
        var bytes = 0
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline, let message = client.receive(until: deadline) {
            bytes += message.encodedSize
            note(message)
        }
        return bytes
    }

    private func note(_ message: PeerMessage) {
        switch message {
        case .item(let item): heard = item.id
        case .ihave(let ids), .digest(let ids): if let last = ids.last { heard = last }
        default: break
        }
    }

    func close() { client.close() }
}
