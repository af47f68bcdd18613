/// The recording file format (`gossipd --record FILE`, `gossip replay FILE`): a 12-byte header,
/// then length-prefixed records, every integer big-endian. docs/record-format.md describes it for
/// readers in other languages; this file is its one implementation.
///
/// ```text
/// header:  magic "GOSSIPRC" (8 bytes) | version u32 (1)
/// record:  length u32 (bytes after this field) | kind u8 | ...
/// item (kind 1): time u64 (Unix ns) | outcome u8 | source u8 | source number u64
///                | peer identity (32) | item ID (16) | ttl u8 | data type u16 | size u32 | data
/// ```
public enum ItemRecording {
    /// The first 8 bytes of every recording: "GOSSIPRC" in ASCII.
    public static let magic: [UInt8] = Array("GOSSIPRC".utf8)
    /// The format version this build writes and the newest it reads.
    public static let version: UInt32 = 1
    /// Magic and version.
    public static let headerSize = 12
    /// The largest record a reader accepts (the length field's value); anything larger is corruption.
    public static let maximumRecordSize = 1 << 20
    /// The kind byte of an item record. Readers skip records of other kinds (later additions).
    public static let itemKind: UInt8 = 1
    /// An item record's size before its data, after the length field.
    public static let itemFixedSize = 1 + 8 + 1 + 1 + 8 + PeerIdentity.encodedSize + ItemID.encodedSize + 1 + 2 + 4

    /// The header a new recording starts with.
    public static var header: [UInt8] {
        var bytes = magic
        bytes.appendBigEndian(version)
        return bytes
    }

    /// One item as a node saw it.
    public struct Record: Equatable, Sendable {
        /// Where the item came from.
        public enum Source: Equatable, Sendable {
            /// A local module, by its connection number in the recording node's run (`api#N`).
            case module(UInt64)
            /// A peer, by its link number in that run (`peer#N`), and its identity if known.
            case peer(UInt64, PeerIdentity?)
        }

        /// When the node saw the item: Unix time in nanoseconds (UTC).
        public var unixNanoseconds: UInt64
        /// What the node made of it, as `ItemObservation.Outcome`'s code: 1 announced by a local
        /// module, 2 awaiting local validation, 3 relayed unvalidated (other values may appear).
        public var outcome: UInt8
        public var source: Source
        public var id: ItemID
        /// The TTL as the item reached the node.
        public var ttl: UInt8
        public var dataType: UInt16
        public var data: [UInt8]

        public init(
            unixNanoseconds: UInt64, outcome: UInt8, source: Source, id: ItemID, ttl: UInt8, dataType: UInt16, data: [UInt8]
        ) {
            self.unixNanoseconds = unixNanoseconds
            self.outcome = outcome
            self.source = source
            self.id = id
            self.ttl = ttl
            self.dataType = dataType
            self.data = data
        }

        /// Appends the record, its length prefix first.
        public func encode(into bytes: inout [UInt8]) {
            bytes.appendBigEndian(UInt32(ItemRecording.itemFixedSize + data.count))
            bytes.append(ItemRecording.itemKind)
            bytes.appendBigEndian(unixNanoseconds)
            bytes.append(outcome)
            switch source {
            case .module(let number):
                bytes.append(1)
                bytes.appendBigEndian(number)
                bytes.append(contentsOf: repeatElement(0, count: PeerIdentity.encodedSize))
            case .peer(let number, let identity):
                bytes.append(2)
                bytes.appendBigEndian(number)
                bytes.append(contentsOf: identity?.bytes ?? Array(repeating: 0, count: PeerIdentity.encodedSize))
            }
            bytes.appendBigEndian(id.high)
            bytes.appendBigEndian(id.low)
            bytes.append(ttl)
            bytes.appendBigEndian(dataType)
            bytes.appendBigEndian(UInt32(data.count))
            bytes.append(contentsOf: data)
        }

        /// Decodes an item record's body (after the length field, from the kind byte); bytes after
        /// the data are ignored (fields a later revision of this version may add).
        init(body: ArraySlice<UInt8>) throws(WireError) {
            var reader = ByteReader(body)
            guard try reader.readUInt8() == ItemRecording.itemKind else { throw .invalidField("record kind") }
            unixNanoseconds = try reader.readUInt64()
            outcome = try reader.readUInt8()
            let sourceKind = try reader.readUInt8()
            let number = try reader.readUInt64()
            let identityBytes = try reader.readBytes(PeerIdentity.encodedSize)
            switch sourceKind {
            case 1: source = .module(number)
            case 2: source = .peer(number, identityBytes.allSatisfy { $0 == 0 } ? nil : PeerIdentity(bytes: identityBytes))
            default: throw .invalidField("source \(sourceKind)")
            }
            id = ItemID(high: try reader.readUInt64(), low: try reader.readUInt64())
            ttl = try reader.readUInt8()
            dataType = try reader.readUInt16()
            let size = try reader.readUInt32()
            data = try reader.readBytes(Int(size))
        }
    }

    /// Why bytes are not a recording this build can read.
    public enum FormatError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The file does not begin with the magic: not a recording.
        case notARecording
        /// A recording of a newer format version than this build reads.
        case newerVersion(UInt32)
        /// The bytes end inside the header or a record: `offset` is where the incomplete part
        /// begins, after `records` whole records.
        case truncated(offset: UInt64, records: Int)
        /// A record that cannot be read: its length is out of bounds, or its fields do not fit it.
        case malformedRecord(offset: UInt64, reason: String)
        /// The bytes from `offset` (where a record should begin, after `records` whole records)
        /// to the end are all zero, `bytes` of them: a torn tail, as a crash or power loss leaves
        /// on file systems that extend a file before its data reaches the disk (ext4, xfs).
        case zeroFilledTail(offset: UInt64, bytes: UInt64, records: Int)

        public var description: String {
            switch self {
            case .notARecording:
                "not a gossip recording (a recording begins with \"GOSSIPRC\")"
            case .newerVersion(let version):
                "a recording of format version \(version); this build reads version \(ItemRecording.version) and older"
            case .truncated(let offset, let records):
                offset == 0
                    ? "truncated: shorter than the 12-byte header"
                    : "truncated: ends inside a record at byte \(offset), after \(records) whole records"
            case .malformedRecord(let offset, let reason):
                "malformed record at byte \(offset): \(reason)"
            case .zeroFilledTail(let offset, let bytes, let records):
                "torn tail: ends in \(bytes) zero bytes from byte \(offset), after \(records) whole records"
                    + " (left by a crash or power loss)"
            }
        }
    }

    /// Reads a recording from bytes fed in chunks of any size (`append`), record by record
    /// (`next`); `finish` at the end of the input says whether it ended cleanly: after a whole
    /// record, inside one (`truncated`), or in zero bytes where a record should begin
    /// (`zeroFilledTail`). Its memory stays bounded whatever the size of the input.
    ///
    /// ```swift
    /// var decoder = ItemRecording.Decoder()
    /// while let chunk = read() {
    ///     decoder.append(chunk)
    ///     while let record = try decoder.next() { use(record) }
    /// }
    /// try decoder.finish()
    /// ```
    public struct Decoder: Sendable {
        private var buffer: [UInt8] = []
        private var start = 0
        /// The version the header gave, once read.
        public private(set) var version: UInt32?
        /// Whole records read (item records and skipped ones).
        public private(set) var records = 0
        /// Bytes of input consumed: the end of the header or of the last whole record.
        public private(set) var offset: UInt64 = 0
        /// Once a record's length reads 0: the zero bytes seen since `offset`, all dropped. While
        /// every later byte is zero too this is a torn tail (`finish` says so); a non-zero byte
        /// makes it a malformed record.
        private var zeroTail: UInt64?

        /// Bytes the decoder holds (consumed ones included until it drops them): bounded by the
        /// largest chunk appended plus the largest record, whatever the size of the input.
        var heldBytes: Int { buffer.count }

        public init() {}

        /// Adds the next bytes of the input.
        public mutating func append(_ bytes: some Collection<UInt8>) {
            if start > 0 && start >= buffer.count / 2 {
                buffer.removeFirst(start)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next item record; nil when the input so far holds no further whole record.
        /// Records of unknown kinds are skipped.
        public mutating func next() throws(FormatError) -> Record? {
            if version == nil {
                let available = buffer.count - start
                let seen = min(available, ItemRecording.magic.count)
                guard buffer[start..<start + seen].elementsEqual(ItemRecording.magic.prefix(seen)) else { throw .notARecording }
                guard available >= ItemRecording.headerSize else { return nil }
                var reader = ByteReader(buffer[(start + ItemRecording.magic.count)...])
                let version = try! reader.readUInt32()
                guard version >= 1 else { throw .notARecording }
                guard version <= ItemRecording.version else { throw .newerVersion(version) }
                self.version = version
                consume(ItemRecording.headerSize)
            }
            if zeroTail != nil {
                try skipZeros()
                return nil
            }
            while buffer.count - start >= 4 {
                var reader = ByteReader(buffer[start..<start + 4])
                let length = Int(try! reader.readUInt32())
                if length == 0 {
                    // Where a record should begin, zeros: a torn tail if the input ends in nothing else.
                    zeroTail = 0
                    try skipZeros()
                    return nil
                }
                guard length <= ItemRecording.maximumRecordSize else {
                    let reason = "length \(length) out of bounds (1 to \(ItemRecording.maximumRecordSize))"
                    throw .malformedRecord(offset: offset, reason: reason)
                }
                guard buffer.count - start >= 4 + length else { return nil }
                let body = buffer[(start + 4)..<(start + 4 + length)]
                let recordOffset = offset
                consume(4 + length)
                records += 1
                guard body.first == ItemRecording.itemKind else { continue }  // a kind added later: skipped
                do {
                    return try Record(body: body)
                } catch {
                    throw .malformedRecord(offset: recordOffset, reason: "\(error)")
                }
            }
            return nil
        }

        /// Checks that the input, now complete, ended after a whole record (or the header).
        public func finish() throws(FormatError) {
            if version == nil {
                let available = buffer.count - start
                guard available > 0, buffer[start...].elementsEqual(ItemRecording.magic.prefix(available)) else { throw .notARecording }
                throw .truncated(offset: 0, records: 0)
            }
            if let zeroTail {
                if let index = buffer[start...].firstIndex(where: { $0 != 0 }) {
                    throw Self.notZeroFilled(at: offset, nonZero: offset + zeroTail + UInt64(index - start))
                }
                throw .zeroFilledTail(offset: offset, bytes: zeroTail + UInt64(buffer.count - start), records: records)
            }
            guard buffer.count == start else { throw .truncated(offset: offset, records: records) }
        }

        /// In a zero tail: drops the zero bytes held, or throws at the first non-zero one.
        private mutating func skipZeros() throws(FormatError) {
            guard let zeroTail else { return }
            if let index = buffer[start...].firstIndex(where: { $0 != 0 }) {
                throw Self.notZeroFilled(at: offset, nonZero: offset + zeroTail + UInt64(index - start))
            }
            self.zeroTail = zeroTail + UInt64(buffer.count - start)
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }

        /// A record of length 0 with non-zero bytes after it: corruption, not a torn tail.
        private static func notZeroFilled(at offset: UInt64, nonZero: UInt64) -> FormatError {
            .malformedRecord(
                offset: offset,
                reason: "length 0 out of bounds (1 to \(ItemRecording.maximumRecordSize)), and byte \(nonZero) after it is not zero")
        }

        private mutating func consume(_ count: Int) {
            start += count
            offset += UInt64(count)
        }
    }
}
