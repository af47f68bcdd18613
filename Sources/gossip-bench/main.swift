import ArgumentParser
import Foundation
import GossipClient
import GossipConfig
import GossipNode
import GossipWire
import Logging
import Synchronization

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip-bench",
        abstract: "Benchmarks of the gossip node. Figures go to docs/benchmarks.md.",
        version: GossipVersion.text,
        subcommands: [APIBench.self, NetBench.self, Probe.self, WorkBench.self, LinkBench.self, AbuseBench.self, LockBench.self, CodePagesBench.self])
}

Bench.main()
