/// A node's identity on the network: the SHA-256 of its public key (DER, SubjectPublicKeyInfo), as
/// the course's modules define peer identities. Held inline as four words, so views of many peers
/// cost no allocation per entry and hash quickly.
public struct PeerIdentity: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 bytes as four big-endian words.
    public let words: (UInt64, UInt64, UInt64, UInt64)

    /// Bytes on the wire.
    public static let encodedSize = 32

    /// From exactly 32 bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.encodedSize else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() { words[index / 8] = words[index / 8] << 8 | UInt64(byte) }
        self.words = (words[0], words[1], words[2], words[3])
    }

    /// From four words, most significant first (tests and the simulator name identities this way).
    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.encodedSize)
        for word in [words.0, words.1, words.2, words.3] { bytes.appendBigEndian(word) }
        return bytes
    }

    public static func == (lhs: PeerIdentity, rhs: PeerIdentity) -> Bool {
        lhs.words == rhs.words
    }

    /// Hashes all 32 bytes: identities in a PUSH are the sender's claims, not proven, so a
    /// shorter hash would let a peer pick colliding entries.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Byte order (the words compare as the bytes do).
    public static func < (lhs: PeerIdentity, rhs: PeerIdentity) -> Bool {
        (lhs.words.0, lhs.words.1, lhs.words.2, lhs.words.3) < (rhs.words.0, rhs.words.1, rhs.words.2, rhs.words.3)
    }

    /// The first 8 bytes in hex: enough to tell nodes apart in logs.
    public var description: String { Self.hex(words.0) }

    /// All 32 bytes in hex.
    public var hex: String { [words.0, words.1, words.2, words.3].map(Self.hex).joined() }

    private static func hex(_ word: UInt64) -> String {
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    func encode(into bytes: inout [UInt8]) {
        bytes.appendBigEndian(words.0)
        bytes.appendBigEndian(words.1)
        bytes.appendBigEndian(words.2)
        bytes.appendBigEndian(words.3)
    }

    static func decode(from reader: inout ByteReader) throws(WireError) -> PeerIdentity {
        PeerIdentity(words: (try reader.readUInt64(), try reader.readUInt64(), try reader.readUInt64(), try reader.readUInt64()))
    }
}
