import GossipCore
import GossipWire
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few long-lived peers a node keeps across restarts, in a small file beside the host key
/// (`<hostkey>.peers`): a restarted node dials them first, before its bootstrappers, so it finds
/// the network again even when its configured contact is gone, and so an attacker who floods the
/// passive view while it was down cannot decide all its first links. A node without a host key has
/// a new identity each start and keeps no file.
///
/// The file is text: a first line `gossip-peers-v1`, then one peer per line,
/// `<identity as 64 hex digits> <host> <port>`, oldest link first. Lines that do not parse are
/// skipped; a file that does not start with that line is ignored (and rewritten at the next save).
enum PeerStateFile {
    /// How many peers are kept.
    static let capacity = 8
    /// How often a running node rewrites the file (it also does when it stops).
    static let saveInterval: Duration = .seconds(60)

    /// The file for a host key at `hostkeyPath`.
    static func path(forHostkey hostkeyPath: String) -> String { hostkeyPath + ".peers" }

    /// The peers saved at `path`, at most `capacity`; none if there is no readable file.
    static func load(_ path: String) -> [PeerEntry] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var entries: [PeerEntry] = []
        var buffer = [CChar](repeating: 0, count: 512)
        var first = true
        while entries.count < capacity, fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" })
            if first {
                guard fields == ["gossip-peers-v1"] else { return [] }
                first = false
                continue
            }
            guard fields.count == 3, let identity = identity(hex: fields[0]), let port = UInt16(fields[2]),
                let address = PeerAddress(host: String(fields[1]), port: port), !address.isUnspecified, port != 0
            else { continue }
            entries.append(PeerEntry(identity: identity, address: address))
        }
        return entries
    }

    /// Replaces the file at `path` with `entries` (written to a temporary file, then renamed, so a
    /// crash leaves the old file or the new one). Returns whether it worked; a failure is logged.
    @discardableResult
    static func save(_ entries: [PeerEntry], to path: String, logger: Logger) -> Bool {
        var text = "gossip-peers-v1\n"
        for entry in entries.prefix(capacity) {
            text += "\(entry.identity.hex) \(entry.address.host) \(entry.address.port)\n"
        }
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "w") else {
            logger.warning("cannot save the long-lived peers", metadata: ["path": "\(path)"])
            return false
        }
        let written = text.withCString { fputs($0, file) } >= 0 && fflush(file) == 0 && fsync(fileno(file)) == 0
        let closed = fclose(file) == 0
        guard written && closed && rename(temporary, path) == 0 else {
            unlink(temporary)
            logger.warning("cannot save the long-lived peers", metadata: ["path": "\(path)"])
            return false
        }
        return true
    }

    private static func identity(hex: Substring) -> PeerIdentity? {
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return PeerIdentity(bytes: bytes)
    }
}
