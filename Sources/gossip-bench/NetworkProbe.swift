import Foundation
import GossipClient
import GossipNode
import GossipWire
import Synchronization

/// A node of a running network, as the probe reaches it.
struct ProbeNode: Sendable {
    var index: Int
    var host: String
    var apiPort: UInt16
    var pid: Int32?
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
    private let duplicates = Mutex<Int>(0)
    private var clients: [Int: GossipAPIClient] = [:]
    private var announcers: [Int: GossipAPIClient] = [:]
    private var random = SystemRandomNumberGenerator()

    init(nodes: [ProbeNode], dataType: UInt16 = 31_337, size: Int = 64) {
        self.nodes = nodes
        self.dataType = dataType
        self.size = max(16, size)
    }

    // MARK: Status

    func status(of node: ProbeNode) -> NodeStatus? {
        guard let client = try? GossipAPIClient(host: node.host, port: node.apiPort, connectTimeout: .seconds(2)) else { return nil }
        defer { client.close() }
        guard let json = try? client.status(timeout: .seconds(5)) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(NodeStatus.self, from: Data(json))
    }

    /// Waits until every node in `members` answers, has a peer, and the links join them all into
    /// one graph. Returns the seconds it took, or nil at the timeout.
    func waitUntilConnected(_ members: [ProbeNode], timeout: Duration) -> Double? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            let statuses = members.map { status(of: $0) }
            if statuses.allSatisfy({ $0 != nil && !$0!.peers.isEmpty }) {
                let list = statuses.map { $0! }
                let prefixes = list.map { String($0.identity.prefix(16)) }
                let index = Dictionary(uniqueKeysWithValues: prefixes.enumerated().map { ($1, $0) })
                var reached: Set<Int> = [0]
                var frontier = [0]
                while let next = frontier.popLast() {
                    for peer in list[next].peers {
                        if let other = index[peer], reached.insert(other).inserted { frontier.append(other) }
                    }
                }
                if reached.count == members.count { return seconds(ContinuousClock.now - start) }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    /// Waits until the number of links stops changing (the nodes have dialed up to their degree),
    /// so measurements do not include the overlay's start-up. Returns the seconds it took.
    func waitUntilSettled(_ members: [ProbeNode], timeout: Duration) -> Double {
        let start = ContinuousClock.now
        var last = -1
        while ContinuousClock.now - start < timeout {
            let links = members.compactMap { status(of: $0)?.peers.count }.reduce(0, +)
            if links == last { break }
            last = links
            Thread.sleep(forTimeInterval: 1)
        }
        return seconds(ContinuousClock.now - start)
    }

    // MARK: Subscribers and announcers

    /// A validating subscriber on every node of `members`, each reading on a thread of its own.
    func subscribe(_ members: [ProbeNode]) throws {
        for node in members where clients[node.index] == nil {
            let client = try GossipAPIClient(host: node.host, port: node.apiPort)
            try client.notify(dataType: dataType)
            clients[node.index] = client
            let thread = Thread { [self] in read(client, node: node.index) }
            thread.name = "probe-sub-\(node.index)"
            thread.start()
        }
        // The node records a NOTIFY before it reads anything else from that connection; a status
        // round trip on a second connection is not ordered with it, so give the readers a moment.
        Thread.sleep(forTimeInterval: 0.2)
    }

    private func read(_ client: GossipAPIClient, node: Int) {
        var answers: [UInt8] = []
        while true {
            guard case .notification(let notification)? = try? client.receive(timeout: nil) else { return }
            let now = ContinuousClock.now
            if notification.data.count >= 16 {
                let sequence = notification.data[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
                let runNonce = notification.data[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
                if runNonce == nonce {
                    let isNew = receipts.withLock { table in
                        table[Int(sequence), default: [:]].updateValue(now, forKey: node) == nil
                    }
                    if !isNew { duplicates.withLock { $0 += 1 } }
                }
            }
            APIMessage.validation(GossipValidation(messageID: notification.messageID, isValid: true)).encode(into: &answers)
            if !client.hasBufferedData {
                try? client.sendRaw(answers)
                answers.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Announces items `sequences` one after another from random nodes of `members`, `gap` apart.
    /// Returns when each was sent and from which node.
    func announce(_ sequences: Range<Int>, from members: [ProbeNode], gap: Duration) throws -> [Int: (sent: ContinuousClock.Instant, node: Int)] {
        var sent: [Int: (ContinuousClock.Instant, Int)] = [:]
        for sequence in sequences {
            let node = members.randomElement(using: &random)!
            let announcer: GossipAPIClient
            if let existing = announcers[node.index] {
                announcer = existing
            } else {
                announcer = try GossipAPIClient(host: node.host, port: node.apiPort)
                announcers[node.index] = announcer
            }
            var data = [UInt8](repeating: 0xA5, count: size)
            withUnsafeBytes(of: UInt64(sequence).bigEndian) { data.replaceSubrange(0..<8, with: $0) }
            withUnsafeBytes(of: nonce.bigEndian) { data.replaceSubrange(8..<16, with: $0) }
            sent[sequence] = (.now, node.index)
            try announcer.announce(dataType: dataType, ttl: 0, data: data)
            Thread.sleep(forTimeInterval: seconds(gap))
        }
        return sent
    }

    /// Waits until every item reached every member, or `timeout` passes after the call.
    func waitForCoverage(_ sequences: Range<Int>, members: [ProbeNode], timeout: Duration) {
        let wanted = Set(members.map(\.index))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let done = receipts.withLock { table in
                sequences.allSatisfy { wanted.isSubset(of: Set(table[$0]?.keys.map { $0 } ?? [])) }
            }
            if done { return }
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
        var perItem: [(sequence: Int, reached: Int, fullMilliseconds: Double?)]
    }

    func coverage(_ sent: [Int: (sent: ContinuousClock.Instant, node: Int)], members: [ProbeNode]) -> Coverage {
        let wanted = Set(members.map(\.index))
        let table = receipts.withLock { $0 }
        var result = Coverage(items: sent.count, fullyCovered: 0, meanCoverage: 0, toHalf: [], toNinety: [], toFull: [], duplicates: duplicates.withLock { $0 }, perItem: [])
        var coverageSum = 0.0
        for sequence in sent.keys.sorted() {
            let start = sent[sequence]!.sent
            let times = (table[sequence] ?? [:]).filter { wanted.contains($0.key) }.map { milliseconds($0.value - start) }.sorted()
            coverageSum += Double(times.count) / Double(wanted.count)
            func reach(_ fraction: Double) -> Double? {
                let needed = Int((Double(wanted.count) * fraction).rounded(.up))
                return times.count >= needed ? times[needed - 1] : nil
            }
            if let value = reach(0.5) { result.toHalf.append(value) }
            if let value = reach(0.9) { result.toNinety.append(value) }
            if let value = reach(1.0) {
                result.toFull.append(value)
                result.fullyCovered += 1
            }
            result.perItem.append((sequence, times.count, reach(1.0)))
        }
        result.meanCoverage = sent.isEmpty ? 0 : coverageSum / Double(sent.count) * 100
        return result
    }

    func closeClients() {
        for client in clients.values { client.close() }
        for client in announcers.values { client.close() }
        clients = [:]
        announcers = [:]
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1000 }

/// The value at fraction `p` of the sorted `values`.
func percentile(_ values: [Double], _ p: Double) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func format(_ value: Double?, _ unit: String = " ms") -> String {
    value.map { String(format: "%.1f", $0) + unit } ?? "n/a"
}
