import Dispatch
import Foundation
import GossipClient
import GossipNode
import GossipSockets
import GossipWire
import Synchronization

/// A node of a running network, as the probe reaches it.
struct ProbeNode: Sendable {
    var index: Int
    var host: String
    var apiPort: UInt16
    var pid: Int32?
    /// The P2P port, where known (to check that the node listening there is this one).
    var p2pPort: UInt16? = nil
    /// The node's `api_socket`, if the benchmark's modules are to use it instead of TCP.
    var apiSocketPath: String? = nil

    /// A module's connection to the node's API: on its Unix-domain socket if it has one here,
    /// else over TCP. (STATUS polls always use TCP.)
    func connectModule() throws(SocketError) -> GossipAPIClient {
        if let apiSocketPath { return try GossipAPIClient(unixPath: apiSocketPath) }
        return try GossipAPIClient(host: host, port: apiPort)
    }
}

/// Drives a running network from outside through the API of each node: waits for the overlay to
/// join up, subscribes a validating client on every node, announces items from random nodes,
/// and measures who got what, when, and how often.
final class NetworkProbe: @unchecked Sendable {
    let nodes: [ProbeNode]
    let dataType: UInt16
    let size: Int
    /// A run nonce in every item, so items of an earlier run can never be counted.
    private let nonce = UInt64.random(in: 1...UInt64.max)
    private let receipts = Mutex<[Int: [Int: ContinuousClock.Instant]]>([:])
    /// Duplicate NOTIFICATIONs seen, per item sequence number (so each phase counts its own).
    private let duplicates = Mutex<[Int: Int]>([:])
    private var clients: [Int: GossipAPIClient] = [:]
    /// Connections kept open for the next poll's STATUS, by node index (`peersStatus(of:)`).
    private let statusClients = Mutex<[Int: GossipAPIClient]>([:])
    /// Nodes that closed a STATUS request for the peers (built before scopes): asked for the whole.
    private let wholeStatusNodes = Mutex<Set<Int>>([])
    private var announcers: [Int: GossipAPIClient] = [:]
    private var random = SystemRandomNumberGenerator()
    /// Threads that serve the subscribers (0: a thread of its own for each, blocking in `recv`).
    let subscriberThreads: Int
    private var loops: SubscriberLoops?

    init(nodes: [ProbeNode], dataType: UInt16 = 31_337, size: Int = 64, subscriberThreads: Int = 2) {
        self.nodes = nodes
        self.dataType = dataType
        self.size = max(16, size)
        self.subscriberThreads = subscriberThreads
    }

    // MARK: Status

    func status(of node: ProbeNode) -> NodeStatus? {
        queryStatus(NodeStatus.self, host: node.host, port: node.apiPort, connectTimeout: .seconds(2))
    }

    /// Who `node` is and whom it is linked to (a STATUS request for ``StatusScope/peers``), on a
    /// connection kept open for the next poll: the polls of the join must load the machine whose
    /// join they time as little as they can (a connection, a thread in the node and the whole
    /// status for each node and poll took about a fifth of the machine at 300 nodes). A kept
    /// connection that fails is tried once more fresh; a node from before STATUS scopes, which
    /// closes such a request, is asked for the whole status from then on (`--gossipd` of an
    /// older build).
    func peersStatus(of node: ProbeNode) -> NodePeersStatus? {
        let whole = { queryStatus(NodePeersStatus.self, host: node.host, port: node.apiPort, connectTimeout: .seconds(2)) }
        if wholeStatusNodes.withLock({ $0.contains(node.index) }) { return whole() }
        if let kept = statusClients.withLock({ $0.removeValue(forKey: node.index) }), let answer = try? askPeers(on: kept, node) {
            return answer
        }
        guard let client = try? GossipAPIClient(host: node.host, port: node.apiPort, connectTimeout: .seconds(2)) else { return nil }
        do {
            return try askPeers(on: client, node)
        } catch {
            // Closed on the request itself: a node that does not know the scope.
            guard let answer = whole() else { return nil }
            wholeStatusNodes.withLock { _ = $0.insert(node.index) }
            return answer
        }
    }

    /// The peers `client` reports, keeping it for the next poll; nil, with the client closed, if
    /// it fails; throws `.closed` if the node closed the connection on the request.
    private func askPeers(on client: GossipAPIClient, _ node: ProbeNode) throws(GossipAPIClient.ReceiveError) -> NodePeersStatus? {
        let json: [UInt8]
        do {
            json = try client.status(.peers, timeout: .seconds(5))
        } catch {
            client.close()
            if case .closed = error as? GossipAPIClient.ReceiveError { throw .closed }
            return nil
        }
        guard let answer = try? JSONDecoder.snakeCase.decode(NodePeersStatus.self, from: Data(json)) else {
            client.close()
            return nil
        }
        statusClients.withLock { $0[node.index] = client }
        return answer
    }

    /// The STATUS of every node of `members` (nil where none came).
    func statuses(of members: [ProbeNode]) -> [NodeStatus?] { ask(members, status(of:)) }

    /// Who every node of `members` is linked to (nil where no answer came).
    func peersStatuses(of members: [ProbeNode]) -> [NodePeersStatus?] { ask(members, peersStatus(of:)) }

    /// `question` for every node of `members`, asked by up to 16 threads at once so that a poll
    /// of hundreds of nodes takes a fraction of a second.
    private func ask<Answer: Sendable>(_ members: [ProbeNode], _ question: @escaping @Sendable (ProbeNode) -> Answer?) -> [Answer?] {
        let work = PollWork<Answer>(count: members.count)
        let group = DispatchGroup()
        for _ in 0..<min(16, members.count) {
            group.enter()
            let thread = Thread {
                while true {
                    let index = work.next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < members.count else { break }
                    let answer = question(members[index])
                    work.results.withLock { $0[index] = answer }
                }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        return work.results.withLock { $0 }
    }

    /// The overlay among `members` at one moment, from their STATUS answers.
    struct Overlay {
        var members: Int
        /// Members that answered STATUS.
        var answering: Int
        /// Connected components among the members (links in either direction count; a member
        /// that does not answer is a component of its own).
        var components: Int
        /// Pieces of the broadcast tree among the answering members (1: items need no graft).
        var treeComponents: Int
        var largestComponent: Int
        /// Members with no link to another member, or that did not answer.
        var isolated: [Int]
        /// Established links each answering member reports (any peer, member or not), by index.
        var links: [Int: Int]
        /// Answering members whose STATUS names another API or P2P port than the one they were given.
        var wrongPorts: [Int]
        /// The broadcast tree: each answering member's tree (eager) neighbours among the members,
        /// by index, as either end reports them.
        var tree: [Int: Set<Int>]

        /// One component and no isolated member; a network of one member that answers is connected.
        var connected: Bool { components == 1 && (isolated.isEmpty || (members == 1 && answering == 1)) }
        func above(_ bound: Int) -> [Int] { links.filter { $0.value > bound }.map(\.key).sorted() }

        /// Hops along the tree from `origin` to every member its piece of the tree holds (0 for
        /// itself): how many relays an item from `origin` passes at least, with no graft. Empty
        /// if `origin` did not answer (it is not on the tree as read).
        func treeHops(from origin: Int) -> [Int: Int] {
            guard tree[origin] != nil else { return [:] }
            var hops = [origin: 0]
            var frontier = [origin]
            while !frontier.isEmpty {
                var next: [Int] = []
                for node in frontier {
                    for neighbour in tree[node, default: []] where hops[neighbour] == nil {
                        hops[neighbour] = hops[node]! + 1
                        next.append(neighbour)
                    }
                }
                frontier = next
            }
            return hops
        }

        /// For every member on the tree, the hops to the farthest member of its piece (its
        /// eccentricity); the largest is the tree's diameter.
        var treeReach: [Int: Int] {
            Dictionary(uniqueKeysWithValues: tree.keys.map { ($0, treeHops(from: $0).values.max() ?? 0) })
        }
    }

    func overlay(_ members: [ProbeNode]) -> Overlay {
        let answers = peersStatuses(of: members)
        // (Two answers with one identity would be one node behind two API ports: keep the first.)
        let position = Dictionary(answers.enumerated().compactMap { offset, status in
            status.map { (String($0.identity.prefix(16)), offset) }
        }, uniquingKeysWith: { first, _ in first })
        // Union-find over positions in `members`.
        var parent = Array(0..<members.count)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        // The same over tree (eager) links alone: the pieces the broadcast tree is in.
        var treeParent = Array(0..<members.count)
        func treeRoot(_ x: Int) -> Int {
            var x = x
            while treeParent[x] != x { treeParent[x] = treeParent[treeParent[x]]; x = treeParent[x] }
            return x
        }
        var linked = Set<Int>()
        var links: [Int: Int] = [:]
        var tree: [Int: Set<Int>] = [:]
        var wrongPorts: [Int] = []
        for (offset, status) in answers.enumerated() {
            guard let status else { continue }
            let node = members[offset]
            links[node.index] = status.peers.count
            if status.apiPort != node.apiPort || (node.p2pPort.map { !status.p2pAddress.hasSuffix(":\($0)") } ?? false) {
                wrongPorts.append(node.index)
            }
            if tree[node.index] == nil { tree[node.index] = [] }
            for peer in status.treePeers {
                guard let other = position[peer], other != offset else { continue }
                treeParent[treeRoot(offset)] = treeRoot(other)
                tree[node.index, default: []].insert(members[other].index)
                tree[members[other].index, default: []].insert(node.index)
            }
            for peer in status.peers {
                guard let other = position[peer], other != offset else { continue }
                linked.insert(offset)
                linked.insert(other)
                parent[root(offset)] = root(other)
            }
        }
        var sizes: [Int: Int] = [:]
        for offset in members.indices { sizes[root(offset), default: 0] += 1 }
        let treeComponents = Set(members.indices.filter { answers[$0] != nil }.map(treeRoot)).count
        let isolated = members.indices.filter { answers[$0] == nil || !linked.contains($0) }.map { members[$0].index }
        return Overlay(
            members: members.count, answering: answers.count { $0 != nil }, components: sizes.count, treeComponents: treeComponents,
            largestComponent: sizes.values.max() ?? 0, isolated: isolated, links: links, wrongPorts: wrongPorts, tree: tree)
    }

    /// Polls the overlay until it is one connected graph with no isolated node, or `timeout`
    /// after `start` passes. `connected` is the seconds from `start` to the end of the first poll
    /// that found it so (nil if none did); `allAnswering` the same for the first poll where every
    /// member answered; `last` is that poll's overlay (or the last one's, at the deadline).
    /// `progress` is told of each poll: the seconds from `start` to its end, and what it found.
    func waitForOverlay(
        _ members: [ProbeNode], since start: ContinuousClock.Instant, timeout: Duration, progress: (Double, Overlay) -> Void = { _, _ in }
    ) -> (connected: Double?, allAnswering: Double?, polls: Int, last: Overlay) {
        var polls = 0
        var allAnswering: Double?
        while true {
            let snapshot = overlay(members)
            polls += 1
            let elapsed = ContinuousClock.now - start
            progress(seconds(elapsed), snapshot)
            if allAnswering == nil && snapshot.answering == members.count { allAnswering = seconds(elapsed) }
            if snapshot.connected { return (seconds(elapsed), allAnswering, polls, snapshot) }
            if elapsed >= timeout { return (nil, allAnswering, polls, snapshot) }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Waits until every node in `members` answers, has a peer, and the links join them all into
    /// one graph. Returns the seconds it took, or nil at the timeout.
    func waitUntilConnected(_ members: [ProbeNode], timeout: Duration) -> Double? {
        waitForOverlay(members, since: .now, timeout: timeout).connected
    }

    /// Waits until the overlay has stopped growing, so measurements do not include its start-up:
    /// the number of links the same at two polls a second apart with every node at `floor` links
    /// or more (its degree), or the same at four polls (three seconds) whatever the counts, for
    /// a node that cannot reach its degree. A join makes its links in rounds, and a second
    /// between rounds can make as many links as it loses; a settled overlay taken from one
    /// unchanged second started the items with nodes at 2 of their 30 links. Returns the seconds
    /// it took.
    func waitUntilSettled(_ members: [ProbeNode], floor: Int, timeout: Duration) -> Double {
        let start = ContinuousClock.now
        var (last, unchanged) = (-1, 0)  // polls in a row that found `last` links in all
        while ContinuousClock.now - start < timeout {
            let counts = peersStatuses(of: members).map { $0?.peers.count ?? 0 }
            let total = counts.reduce(0, +)
            (last, unchanged) = (total, total == last ? unchanged + 1 : 1)
            if unchanged >= 4 || (unchanged >= 2 && counts.allSatisfy { $0 >= floor }) { break }
            Thread.sleep(forTimeInterval: 1)
        }
        return seconds(ContinuousClock.now - start)
    }

    // MARK: Subscribers and announcers

    /// A validating subscriber on every node of `members`, served by the subscriber loops, or
    /// each reading on a thread of its own.
    func subscribe(_ members: [ProbeNode]) throws {
        if subscriberThreads > 0 && loops == nil {
            loops = try SubscriberLoops(threads: subscriberThreads) { [self] node, notification, received in
                record(notification, node: node, received: received)
            }
        }
        for node in members where clients[node.index] == nil {
            let client = try node.connectModule()
            try client.notify(dataType: dataType)
            clients[node.index] = client
            if let loops {
                try loops.add(client, node: node.index)
            } else {
                let thread = Thread { [self] in read(client, node: node.index) }
                thread.name = "probe-sub-\(node.index)"
                thread.start()
            }
        }
        // The node records a NOTIFY before it reads anything else from that connection; a status
        // round trip on a second connection is not ordered with it, so give the readers a moment.
        Thread.sleep(forTimeInterval: 0.2)
    }

    private func read(_ client: GossipAPIClient, node: Int) {
        var answers: [UInt8] = []
        while true {
            guard case .notification(let notification)? = try? client.receive(timeout: nil) else { return }
            record(notification, node: node, received: .now)
            APIMessage.validation(GossipValidation(messageID: notification.messageID, isValid: true)).encode(into: &answers)
            if !client.hasBufferedData {
                try? client.sendRaw(answers)
                answers.removeAll(keepingCapacity: true)
            }
        }
    }

    /// How the subscribers are served, for the report: by what ran, not by what was asked.
    var serving: String {
        guard let loops else { return "a thread per subscriber" }
        return "\(loops.threadCount) subscriber thread\(loops.threadCount == 1 ? "" : "s") with epoll"
    }

    /// Notes when `node`'s subscriber got an item of this run, and whether it had it already.
    private func record(_ notification: GossipNotification, node: Int, received: ContinuousClock.Instant) {
        guard notification.data.count >= 16 else { return }
        let sequence = notification.data[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        let runNonce = notification.data[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
        guard runNonce == nonce else { return }
        let isNew = receipts.withLock { table in
            table[Int(sequence), default: [:]].updateValue(received, forKey: node) == nil
        }
        if !isNew { duplicates.withLock { $0[Int(sequence), default: 0] += 1 } }
    }

    /// Announces items `sequences` one after another from random nodes of `members`, item k
    /// `k * gap` after the first (a fixed rate: the time an ANNOUNCE takes does not add up).
    /// Returns when each was sent and from which node.
    func announce(_ sequences: Range<Int>, from members: [ProbeNode], gap: Duration) throws -> [Int: (sent: ContinuousClock.Instant, node: Int)] {
        var sent: [Int: (ContinuousClock.Instant, Int)] = [:]
        let first = ContinuousClock.now
        for (offset, sequence) in sequences.enumerated() {
            let wait = first + gap * offset - .now
            if wait > .zero { Thread.sleep(forTimeInterval: seconds(wait)) }
            let node = members.randomElement(using: &random)!
            let announcer: GossipAPIClient
            if let existing = announcers[node.index] {
                announcer = existing
            } else {
                announcer = try node.connectModule()
                announcers[node.index] = announcer
            }
            var data = [UInt8](repeating: 0xA5, count: size)
            withUnsafeBytes(of: UInt64(sequence).bigEndian) { data.replaceSubrange(0..<8, with: $0) }
            withUnsafeBytes(of: nonce.bigEndian) { data.replaceSubrange(8..<16, with: $0) }
            sent[sequence] = (.now, node.index)
            try announcer.announce(dataType: dataType, ttl: 0, data: data)
        }
        return sent
    }

    /// Waits until every item reached every member, or `timeout` passes after the call.
    func waitForCoverage(_ sequences: Range<Int>, members: [ProbeNode], timeout: Duration) {
        let wanted = Set(members.map(\.index))
        let deadline = ContinuousClock.now + timeout
        // Items not yet seen at every member. The subscribers record under the receipts' lock
        // before they answer VALIDATION, so a poll looks at a copy (taken in O(1), copied on their
        // next write) and not under the lock: the first poll, right after the last item was sent,
        // goes through every item (30,000 lookups at 300 nodes), and a covered item is looked at
        // once; a poll that did all that under the lock held up the last item's wave.
        var uncovered = Array(sequences)
        while ContinuousClock.now < deadline {
            do {  // The copy ends here: while it lives, the subscribers' next write copies the table.
                let table = receipts.withLock { $0 }
                uncovered = uncovered.filter { sequence in
                    guard let got = table[sequence], got.count >= wanted.count else { return true }
                    return !wanted.allSatisfy { got[$0] != nil }
                }
            }
            if uncovered.isEmpty { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    // MARK: Figures

    struct Coverage {
        var items: Int
        var fullyCovered: Int
        var meanCoverage: Double
        /// Per item, milliseconds from ANNOUNCE to 50/90/100% of members (nil where not reached).
        var toHalf: [Double], toNinety: [Double], toFull: [Double]
        var duplicates: Int
        var perItem: [ItemCoverage]
    }

    /// How one item spread: from which node, and when it reached how many of the members.
    struct ItemCoverage {
        var sequence: Int
        var origin: Int
        /// How many nodes the phase counts.
        var members: Int
        /// Milliseconds from ANNOUNCE to each member that got it, by member index.
        var arrivals: [Int: Double]

        /// The same times, earliest first.
        var times: [Double] { arrivals.values.sorted() }
        /// The member that got it last.
        var last: Int? { arrivals.max { ($0.value, $0.key) < ($1.value, $1.key) }?.key }

        /// Members that got it.
        var reached: Int { arrivals.count }

        /// Milliseconds until `fraction` of the members had it; nil if that many never did.
        func milliseconds(toReach fraction: Double) -> Double? {
            let needed = Int((Double(members) * fraction).rounded(.up))
            return arrivals.count >= needed ? times[needed - 1] : nil
        }

        var fullMilliseconds: Double? { milliseconds(toReach: 1.0) }
    }

    func coverage(_ sent: [Int: (sent: ContinuousClock.Instant, node: Int)], members: [ProbeNode]) -> Coverage {
        let wanted = Set(members.map(\.index))
        let table = receipts.withLock { $0 }
        var result = Coverage(items: sent.count, fullyCovered: 0, meanCoverage: 0, toHalf: [], toNinety: [], toFull: [], duplicates: duplicates.withLock { counts in sent.keys.reduce(0) { $0 + counts[$1, default: 0] } }, perItem: [])
        var coverageSum = 0.0
        for sequence in sent.keys.sorted() {
            let start = sent[sequence]!.sent
            let arrivals = (table[sequence] ?? [:]).filter { wanted.contains($0.key) }.mapValues { milliseconds($0 - start) }
            coverageSum += Double(arrivals.count) / Double(wanted.count)
            let item = ItemCoverage(sequence: sequence, origin: sent[sequence]!.node, members: wanted.count, arrivals: arrivals)
            if let value = item.milliseconds(toReach: 0.5) { result.toHalf.append(value) }
            if let value = item.milliseconds(toReach: 0.9) { result.toNinety.append(value) }
            if let value = item.fullMilliseconds {
                result.toFull.append(value)
                result.fullyCovered += 1
            }
            result.perItem.append(item)
        }
        result.meanCoverage = sent.isEmpty ? 0 : coverageSum / Double(sent.count) * 100
        return result
    }

    func closeClients() {
        // A subscriber's reader thread may be between two reads: shut down only, and let the
        // descriptor close when the thread lets go of the client.
        for client in clients.values { client.shutdown() }
        loops?.stop()
        loops = nil
        for client in announcers.values { client.close() }
        clients = [:]
        announcers = [:]
        let kept = statusClients.withLock { table in
            defer { table.removeAll() }
            return Array(table.values)
        }
        for client in kept { client.close() }
    }
}

/// The next node to ask and the answers so far, shared by the threads of one poll.
private final class PollWork<Answer: Sendable>: Sendable {
    let next = Atomic<Int>(0)
    let results: Mutex<[Answer?]>
    init(count: Int) { results = Mutex(Array(repeating: nil, count: count)) }
}

extension JSONDecoder {
    /// A decoder for the STATUS replies' snake-case keys.
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

/// The whole STATUS of the node at `host`:`port`, asked on a connection of its own and read as
/// `T` (`NodeStatus`, or `NodePeersStatus` for its peers part); nil if anything fails.
func queryStatus<T: Decodable>(_ type: T.Type, host: String, port: UInt16, connectTimeout: Duration = .seconds(5)) -> T? {
    guard let client = try? GossipAPIClient(host: host, port: port, connectTimeout: connectTimeout) else { return nil }
    defer { client.close() }
    guard let json = try? client.status(timeout: .seconds(5)) else { return nil }
    return try? JSONDecoder.snakeCase.decode(type, from: Data(json))
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1000 }

/// The nearest-rank percentile: the smallest of `values` that at least a fraction `p` of them do
/// not exceed (of 100 values, p99 is the 99th smallest and p50 the 50th). The same rule as
/// `gossip-sim`'s reports (`SimulationReport.Summary`) and as `ItemCoverage.milliseconds(toReach:)`.
func percentile(_ values: [Double], _ p: Double) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = Int((Double(sorted.count) * p).rounded(.up))
    return sorted[min(sorted.count - 1, max(0, rank - 1))]
}

func format(_ value: Double?, _ unit: String = " ms") -> String {
    value.map { String(format: "%.1f", $0) + unit } ?? "n/a"
}
