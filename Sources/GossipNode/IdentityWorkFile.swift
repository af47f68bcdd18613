import GossipCore
import GossipWire
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the node's proof of work (`IdentityWork`) once per identity and keeps it in a small file
/// beside the host key (`<hostkey>.work`), so a restart costs nothing. A node without a host key
/// has a new identity each start and computes its work each start.
///
/// The file is one line: `gossip-work-v1 <identity hex> <bits> <nonce>`. A file for another
/// identity, with fewer bits than asked, or that does not parse is ignored and rewritten.
enum IdentityWorkFile {
    /// The file for a host key at `hostkeyPath`.
    static func path(forHostkey hostkeyPath: String) -> String { hostkeyPath + ".work" }

    /// The node's work for `identity` at `bits`: read from `path` if it holds a valid one, else
    /// computed (logging progress) and saved there. `path` nil: computed, not saved. nil if
    /// `isCancelled` turned true during the search.
    static func work(
        for identity: PeerIdentity, bits: Int, path: String?, logger: Logger, isCancelled: () -> Bool = { false }
    ) -> UInt64? {
        if bits <= 0 { return 0 }
        if let path, let saved = read(path, identity: identity), IdentityWork.isValid(saved, for: identity, bits: bits) {
            return saved
        }
        logger.info(
            "finding the identity's proof of work", metadata: ["bits": "\(bits)", "expected_hashes": "\(1 << min(bits, 62))"])
        let started = ContinuousClock.now
        guard
            let nonce = IdentityWork.solve(
                for: identity, bits: bits,
                continuing: { tried in
                    if isCancelled() { return false }
                    if tried & 0x3F_FFFF == 0 { logger.info("still finding the proof of work", metadata: ["hashes_so_far": "\(tried)"]) }
                    return true
                })
        else {
            logger.info("the search for the proof of work was stopped")
            return nil
        }
        let took = ContinuousClock.now - started
        logger.info("proof of work found", metadata: ["bits": "\(bits)", "took": "\(took)"])
        if let path {
            write(path, identity: identity, bits: bits, nonce: nonce, logger: logger)
        } else {
            logger.info("the proof of work is not saved: the node has no host key, so a new identity each start")
        }
        return nonce
    }

    private static func read(_ path: String, identity: PeerIdentity) -> UInt64? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 4, fields[0] == "gossip-work-v1", fields[1] == Substring(hex(identity.bytes)) else { return nil }
        return UInt64(fields[3])
    }

    private static func write(_ path: String, identity: PeerIdentity, bits: Int, nonce: UInt64, logger: Logger) {
        func failed(_ code: Int32) {
            logger.warning(
                "cannot save the proof of work; it will be found again at the next start",
                metadata: ["path": "\(path)", "reason": "\(String(cString: strerror(code)))"])
        }
        let line = "gossip-work-v1 \(hex(identity.bytes)) \(bits) \(nonce)\n"
        guard let file = fopen(path, "w") else { return failed(errno) }
        guard line.withCString({ fputs($0, file) }) >= 0 else {
            let code = errno
            fclose(file)
            return failed(code)
        }
        guard fclose(file) == 0 else { return failed(errno) }
        logger.info("proof of work saved", metadata: ["path": "\(path)"])
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
