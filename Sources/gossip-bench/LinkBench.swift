import ArgumentParser
import Crypto
import Foundation
import GossipCore
import GossipIdentity
import GossipWire

/// What securing a link costs on this machine: the handshake's public-key work for each kind of
/// host key (RSA-4096 as the course's nodes use, RSA-2048, EC P-256 and P-384), the X25519
/// agreement that makes the link's keys, and sealing and opening frames of typical sizes.
struct LinkBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Time the handshake's signatures and the frame cipher (encrypted links) on this machine.",
        discussion: """
            One side of a handshake signs its AUTH, verifies the peer's, and makes the link's keys \
            (an X25519 key, the agreement, HKDF). Sealing and opening are timed for frames of \
            --sizes bytes. Single-threaded; figures are means over --runs (handshakes) and \
            --frames (frames). Then each size is sealed, opened and, for comparison, copied \
            --cold-calls times one call at a time, each right after touching 64 MiB: roughly \
            what a frame costs when its thread has just woken on a busy machine, its caches gone.

            Example: gossip-bench link --runs 20 --frames 100000
            """)

    @Option(help: "Signatures and verifications per key kind.")
    var runs = 20

    @Option(help: "Frames sealed and opened per size.")
    var frames = 100_000

    @Option(help: "Calls per size timed one at a time with cold caches (0: none).")
    var coldCalls = 100

    @Option(help: "Frame sizes in bytes (header included), comma-separated.")
    var sizes = "40,92,1052,65535"

    func validate() throws {
        guard runs > 0, frames > 0 else { throw ValidationError("--runs and --frames must be positive") }
        guard coldCalls >= 0 else { throw ValidationError("--cold-calls must be 0 or more") }
        guard parsedSizes != nil else { throw ValidationError("--sizes must list sizes from 4 to 65535") }
    }

    private var parsedSizes: [Int]? {
        let values = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return values.isEmpty || values.contains(where: { !(4...65_535).contains($0) }) ? nil : values
    }

    func run() throws {
        print("handshake, one side (\(runs) runs each): sign our AUTH, verify the peer's, make the link's keys")
        let agreement = time(runs) {
            let ours = Curve25519.KeyAgreement.PrivateKey()
            let theirs = Curve25519.KeyAgreement.PrivateKey()
            _ = LinkKeys.derive(
                agreementKey: ours, peerAgreementKey: Array(theirs.publicKey.rawRepresentation),
                ourNonce: Array(repeating: 1, count: 16), theirNonce: Array(repeating: 2, count: 16),
                ourIdentity: PeerIdentity(words: (1, 1, 1, 1)), theirIdentity: PeerIdentity(words: (2, 2, 2, 2)))
        }
        print("  link keys (X25519 key, agreement, HKDF): \(format(agreement * 1e3)) ms")
        let kinds: [(String, () throws -> NodeKey)] = [
            ("RSA-4096", { try NodeKey.fromPEM(NodeKey.generateRSAKeyPEM(bits: 4096)) }),
            ("RSA-2048", { try NodeKey.fromPEM(NodeKey.generateRSAKeyPEM(bits: 2048)) }),
            ("EC P-256", { try NodeKey.fromPEM(P256.Signing.PrivateKey().pemRepresentation) }),
            ("EC P-384", { try NodeKey.fromPEM(P384.Signing.PrivateKey().pemRepresentation) }),
        ]
        let message = PeerAuth.signedBytes(
            receiverNonce: Array(repeating: 1, count: 16), senderNonce: Array(repeating: 2, count: 16),
            senderIdentity: PeerIdentity(words: (1, 1, 1, 1)), receiverIdentity: PeerIdentity(words: (2, 2, 2, 2)),
            senderAgreementKey: Array(repeating: 3, count: 32))
        for (name, make) in kinds {
            let key = try make()
            var signature: [UInt8] = []
            let signing = time(runs) { signature = (try? key.sign(message)) ?? [] }
            var verified = true
            let verifying = time(runs) { verified = verified && NodeKey.verify(signature: signature, of: message, publicKeyDER: key.publicKeyDER) != nil }
            guard verified else { throw BenchFailure("\(name): a signature did not verify") }
            print(
                "  \(name): sign \(format(signing * 1e3)) ms, verify \(format(verifying * 1e3)) ms;"
                    + " one side's handshake \(format((signing + verifying + agreement) * 1e3)) ms of CPU")
        }

        print("frame cipher (ChaChaPoly, \(frames) frames per size): seal and open, per frame")
        for size in parsedSizes! {
            let plain = Self.frame(of: size)
            var keys = Self.testKeys()
            var peer = keys.peerSide
            var bytes: [UInt8] = []
            let sealing = time(frames) {
                bytes.removeAll(keepingCapacity: true)
                keys.sealer.seal(plain, into: &bytes)
            }
            // Opening needs the frames in the order they were sealed: seal a fresh run of them
            // first (at most 64 MiB, so memory does not weigh on the figure), then open it.
            var fresh = Self.testKeys()
            peer = fresh.peerSide
            let count = min(frames, max(1, 64 * 1_048_576 / size))
            var sealed: [Frame] = (0..<count).map { _ in
                var bytes: [UInt8] = []
                fresh.sealer.seal(plain, into: &bytes)
                return Frame(type: 0x01FC, body: Array(bytes[Framing.headerSize...]))
            }
            var opened = 0
            var index = 0
            let opening = time(count) {
                if peer.opener.open(&sealed[index]) { opened += 1 }  // in place, as the node's readers open
                index += 1
            }
            guard opened == count else { throw BenchFailure("only \(opened) of \(count) frames opened") }
            let megabytes = Double(size) / 1_048_576
            print(
                "  \(size) bytes: seal \(format(sealing * 1e6)) µs (\(format(megabytes / sealing)) MiB/s),"
                    + " open \(format(opening * 1e6)) µs (\(format(megabytes / opening)) MiB/s)")
        }
        guard coldCalls > 0 else { return }
        print("frame cipher with cold caches (\(coldCalls) calls per size, each after touching 64 MiB): per call")
        var evict = [UInt8](repeating: 1, count: 64 << 20)
        for size in parsedSizes! {
            let cold = coldFigures(frameOf: size, evicting: &evict)
            print(
                "  \(size) bytes: seal \(format(cold.seal * 1e6)) µs, open in place \(format(cold.open * 1e6)) µs,"
                    + " for scale, a copy into a new array \(format(cold.copy * 1e6)) µs")
        }
    }

    /// Mean seconds of one seal, one open in place (as the node's readers open) and, for scale, one
    /// copy of the frame into a new array (an allocation and a copy, as cold), each timed alone
    /// right after `evict` was written through, so that code, data and the frame are cold.
    private func coldFigures(frameOf size: Int, evicting evict: inout [UInt8]) -> (seal: Double, open: Double, copy: Double) {
        let plain = Self.frame(of: size)
        var keys = Self.testKeys()
        var peer = keys.peerSide
        func evictCaches() {
            for index in stride(from: 0, to: evict.count, by: 64) { evict[index] &+= 1 }
        }
        var total = (seal: 0.0, open: 0.0, copy: 0.0)
        // One warm-up round first, so the figures are of cold caches, not of first calls.
        for call in 0...coldCalls {
            var sealed: [UInt8] = []
            sealed.reserveCapacity(size + 64)
            evictCaches()
            let sealStart = ContinuousClock.now
            keys.sealer.seal(plain, into: &sealed)
            let sealTime = ContinuousClock.now - sealStart
            var frame = Frame(type: 0x01FC, body: Array(sealed[Framing.headerSize...]))
            evictCaches()
            let openStart = ContinuousClock.now
            let opened = peer.opener.open(&frame)
            let openTime = ContinuousClock.now - openStart
            precondition(opened, "a sealed frame did not open")
            evictCaches()
            let copyStart = ContinuousClock.now
            let copy = plain.withUnsafeBytes { [UInt8]($0) }  // a real copy, not a shared buffer
            let copyTime = ContinuousClock.now - copyStart
            precondition(copy.count == plain.count)
            if call > 0 {
                total.seal += seconds(sealTime)
                total.open += seconds(openTime)
                total.copy += seconds(copyTime)
            }
        }
        let calls = Double(coldCalls)
        return (total.seal / calls, total.open / calls, total.copy / calls)
    }

    /// A plaintext frame of `size` bytes, header included.
    private static func frame(of size: Int) -> [UInt8] {
        var plain = [UInt8](repeating: 0xAB, count: size)
        plain[0] = UInt8(size >> 8)
        plain[1] = UInt8(size & 0xFF)
        plain[2] = 0x01
        plain[3] = 0xFC
        return plain
    }

    /// The keys of a link between two made-up identities, from fresh X25519 keys.
    private static func testKeys() -> LinkKeys {
        LinkKeys.derive(
            agreementKey: Curve25519.KeyAgreement.PrivateKey(), peerAgreementKey: Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation),
            ourNonce: Array(repeating: 1, count: 16), theirNonce: Array(repeating: 2, count: 16),
            ourIdentity: PeerIdentity(words: (1, 1, 1, 1)), theirIdentity: PeerIdentity(words: (2, 2, 2, 2)))!
    }

    /// Mean seconds per call of `body` over `count` calls.
    private func time(_ count: Int, _ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        for _ in 0..<count { body() }
        return seconds(ContinuousClock.now - start) / Double(count)
    }

    private func format(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }
}
