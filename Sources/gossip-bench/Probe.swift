import ArgumentParser
import Foundation
import GossipConfig

/// The testnet's check: waits for a running network to join up, subscribes a validating client
/// on every node, announces a few items and prints who got each and how fast.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check a running network: connectivity, then per-item coverage and time to full coverage.")

    @Option(help: "Comma-separated API addresses of the nodes (host:port).")
    var api: String

    @Option(help: "Items to announce from random nodes.")
    var items = 5

    @Option(help: "Seconds to wait for the overlay to join up.")
    var timeout = 60

    @Option(help: "The nodes' degree: once connected, the items wait until the links stop changing with every node at this many (or for three seconds), so they do not meet the rest of the join.")
    var degree = ConfigurationDefaults.degree

    func run() throws {
        let nodes = try api.split(separator: ",").enumerated().map { index, text in
            let endpoint = try Endpoint(parsing: text.trimmingCharacters(in: .whitespaces))
            return ProbeNode(index: index, host: endpoint.host, apiPort: endpoint.port, pid: nil)
        }
        let probe = NetworkProbe(nodes: nodes)
        defer { probe.closeClients() }  // on every way out (closing twice is harmless)
        print("waiting for \(nodes.count) nodes to join up...")
        guard let joined = probe.waitUntilConnected(nodes, timeout: .seconds(timeout)) else {
            throw BenchFailure("the overlay did not join up within \(timeout) s")
        }
        print(String(format: "overlay connected after %.1f s", joined))
        let settled = probe.waitUntilSettled(nodes, floor: min(degree, nodes.count - 1), timeout: .seconds(30))
        print(String(format: "links settled after %.1f s more", settled))
        try probe.subscribe(nodes)
        let sent = try probe.announce(0..<items, from: nodes, gap: .milliseconds(50))
        probe.waitForCoverage(0..<items, members: nodes, timeout: .seconds(10))
        let coverage = probe.coverage(sent, members: nodes)
        for item in coverage.perItem {
            let origin = sent[item.sequence]!.node
            print("item \(item.sequence) from node \(origin): reached \(item.reached)/\(nodes.count) nodes, full coverage \(format(item.fullMilliseconds))")
        }
        print("duplicates delivered to modules: \(coverage.duplicates)")
        probe.closeClients()
        if coverage.fullyCovered < coverage.items { throw ExitCode(1) }
    }
}
