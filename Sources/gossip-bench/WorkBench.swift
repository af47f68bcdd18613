import ArgumentParser
import Foundation
import GossipCore
import GossipIdentity

/// How long the identity proof of work (`IdentityWork`) takes to find on this machine, per bit
/// count, over fresh identities: the figure behind the default `identity_work_bits`.
struct WorkBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Time the identity proof of work (identity_work_bits) on this machine.",
        discussion: """
            Finds the proof for --runs fresh identities at each bit count and prints the mean, min and \
            max time and the hash rate. Each bit doubles the expected work; single runs vary a lot \
            (the number of tries is geometric), so use several.

            Example: gossip-bench work --bits 16,18,20 --runs 8
            """)

    @Option(help: "Bit counts to time, comma-separated.")
    var bits: String = "16,18,20"

    @Option(help: "Fresh identities per bit count.")
    var runs: Int = 8

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
        guard parsedBits != nil else { throw ValidationError("--bits must be a comma-separated list of integers 0 to 32") }
    }

    private var parsedBits: [Int]? {
        let values = bits.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return values.isEmpty || values.contains(where: { !(0...32).contains($0) }) ? nil : values
    }

    func run() throws {
        print("identity proof of work: \(runs) fresh identities per bit count")
        for bitCount in parsedBits! {
            var seconds: [Double] = []
            var hashes: UInt64 = 0
            for _ in 0..<runs {
                let identity = NodeKey.ephemeral().identity
                let start = ContinuousClock.now
                let nonce = IdentityWork.solve(for: identity, bits: bitCount)
                let (whole, fraction) = (ContinuousClock.now - start).components
                seconds.append(Double(whole) + Double(fraction) / 1e18)
                hashes += nonce + 1
            }
            let total = seconds.reduce(0, +)
            print(
                "\(bitCount) bits: mean \(format(total / Double(runs) * 1000, 1)) ms, min \(format(seconds.min()! * 1000, 1)) ms, "
                    + "max \(format(seconds.max()! * 1000, 1)) ms; \(format(Double(hashes) / total / 1e6, 2)) M hashes/s")
        }
    }

    private func format(_ value: Double, _ digits: Int) -> String {
        let scale = pow(10.0, Double(digits))
        return String((value * scale).rounded() / scale)
    }
}
