/// The recording file format (`gossipd --record FILE`, `gossip replay FILE`): a 12-byte header,
/// then length-prefixed records, every integer big-endian. docs/record-format.md describes it for
/// readers in other languages; this file is its one implementation.
///
/// ```text
/// header:  magic "GOSSIPRC" (8 bytes) | version u32 (1)
/// record:  length u32 (bytes after this field) | crc u32 | kind u8 | ...
///          crc: CRC-32C of the length field and of every byte after the crc up to the record's end
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
    /// The largest record a reader accepts (the length field's value); anything larger is damage.
    public static let maximumRecordSize = 1 << 20
    /// The smallest: a checksum and a kind byte.
    public static let minimumRecordSize = checksumSize + 1
    /// The checksum after each record's length field: CRC-32C, big-endian.
    public static let checksumSize = 4
    /// The kind byte of an item record. Readers skip records of other kinds (later additions).
    public static let itemKind: UInt8 = 1
    /// An item record's size before its data, after the length field and the checksum.
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

        /// Appends the record: its length, its checksum, then its fields.
        public func encode(into bytes: inout [UInt8]) {
            let start = bytes.count
            bytes.appendBigEndian(UInt32(ItemRecording.checksumSize + ItemRecording.itemFixedSize + data.count))
            bytes.appendBigEndian(UInt32(0))  // the checksum, once the rest is there
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
            let checksum = ItemRecording.checksum(bytes[start...])
            for index in 0..<4 { bytes[start + 4 + index] = UInt8(truncatingIfNeeded: checksum >> (24 - 8 * index)) }
        }

        /// Decodes an item record's body (after the length field and the checksum, from the kind byte); bytes after
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

    /// The checksum of a whole record (`record`: its length field first): CRC-32C of the length
    /// field and of everything after the checksum field.
    static func checksum(_ record: ArraySlice<UInt8>) -> UInt32 {
        let base = record.startIndex
        let crc = CRC32C.update(CRC32C.start, record[base..<base + 4])
        return CRC32C.finalize(CRC32C.update(crc, record[(base + 4 + checksumSize)...]))
    }

    /// Why bytes are not a recording this build can read, or not all of one.
    public enum FormatError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The file does not begin with the magic: not a recording.
        case notARecording
        /// A recording of a newer format version than this build reads.
        case newerVersion(UInt32)
        /// The bytes end inside the 12-byte header.
        case truncatedHeader
        /// The record at `offset` is damaged (`damage` says how), after `records` good records: a
        /// crash or power loss tore the file there (a record cut off, zeros or other bytes where
        /// its last writes should be), or the disk corrupted it. The recording is good up to `offset`.
        case damagedRecord(offset: UInt64, records: Int, damage: Damage)

        public var description: String {
            switch self {
            case .notARecording:
                "not a gossip recording (a recording begins with \"GOSSIPRC\")"
            case .newerVersion(let version):
                "a recording of format version \(version); this build reads version \(ItemRecording.version) and older"
            case .truncatedHeader:
                "truncated: shorter than the 12-byte header"
            case .damagedRecord(let offset, let records, let damage):
                "damaged record at byte \(offset), after \(records) good records: \(damage)"
            }
        }
    }

    /// How a record is damaged.
    public enum Damage: Equatable, Sendable, CustomStringConvertible {
        /// The input ends inside the record, `bytes` after its start (its length field may be
        /// incomplete): the node stopped while writing it, or is writing it now.
        case cutOff(bytes: UInt64)
        /// Its length field is outside 5 to 1,048,576 (0: zeros where a record should begin).
        case lengthOutOfBounds(UInt32)
        /// Its checksum does not match its bytes.
        case checksumMismatch(stored: UInt32, computed: UInt32)
        /// Its checksum matches but its fields do not fit it.
        case undecodable(String)

        public var description: String {
            switch self {
            case .cutOff(let bytes):
                "the file ends inside it, \(bytes) bytes after its start"
            case .lengthOutOfBounds(let length):
                "length \(length) out of bounds (\(ItemRecording.minimumRecordSize) to \(ItemRecording.maximumRecordSize))"
            case .checksumMismatch(let stored, let computed):
                "checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))"
            case .undecodable(let reason):
                "its fields do not fit it (\(reason))"
            }
        }

        private func hex(_ value: UInt32) -> String {
            let digits = String(value, radix: 16, uppercase: true)
            return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
        }
    }

    /// Reads a recording from bytes fed in chunks of any size (`append`), record by record
    /// (`next`), checking each record's checksum; `finish` at the end of the input says whether
    /// it ended after a whole record. The first damaged record (`FormatError.damagedRecord`: cut
    /// off, out of bounds, a checksum that does not match, fields that do not fit) ends the
    /// reading: `next` and `finish` throw it from then on, and `offset` and `records` stay at the
    /// end of the last good record. Its memory stays bounded whatever the size of the input.
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
        /// Good records read (item records and skipped ones).
        public private(set) var records = 0
        /// Bytes of input consumed: the end of the header or of the last good record.
        public private(set) var offset: UInt64 = 0
        /// The first damaged record, once found.
        public private(set) var damage: FormatError?

        /// Bytes the decoder holds (consumed ones included until it drops them): bounded by the
        /// largest chunk appended plus the largest record, whatever the size of the input.
        var heldBytes: Int { buffer.count }

        public init() {}

        /// Adds the next bytes of the input (ignored once a damaged record was found).
        public mutating func append(_ bytes: some Collection<UInt8>) {
            guard damage == nil else { return }
            if start > 0 && start >= buffer.count / 2 {
                buffer.removeFirst(start)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next item record; nil when the input so far holds no further whole record.
        /// Records of unknown kinds are skipped.
        public mutating func next() throws(FormatError) -> Record? {
            if let damage { throw damage }
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
            while buffer.count - start >= 4 {
                var reader = ByteReader(buffer[start..<start + 4])
                let length = try! reader.readUInt32()
                guard length >= ItemRecording.minimumRecordSize && length <= ItemRecording.maximumRecordSize else {
                    throw damaged(.lengthOutOfBounds(length))
                }
                let end = start + 4 + Int(length)
                guard buffer.count >= end else { return nil }
                let record = buffer[start..<end]
                var stored = ByteReader(record.dropFirst(4))
                let checksum = try! stored.readUInt32()
                let computed = ItemRecording.checksum(record)
                guard checksum == computed else { throw damaged(.checksumMismatch(stored: checksum, computed: computed)) }
                let body = record.dropFirst(4 + ItemRecording.checksumSize)
                guard body.first == ItemRecording.itemKind else {  // a kind added later: skipped
                    consume(4 + Int(length))
                    records += 1
                    continue
                }
                let item: Record
                do {
                    item = try Record(body: body)
                } catch {
                    throw damaged(.undecodable("\(error)"))
                }
                consume(4 + Int(length))
                records += 1
                return item
            }
            return nil
        }

        /// Checks that the input, now complete, ended after a good record (or the header).
        public mutating func finish() throws(FormatError) {
            if let damage { throw damage }
            if version == nil {
                let available = buffer.count - start
                let seen = min(available, ItemRecording.magic.count)
                guard available > 0, buffer[start..<start + seen].elementsEqual(ItemRecording.magic.prefix(seen)) else { throw .notARecording }
                throw .truncatedHeader
            }
            guard buffer.count == start else { throw damaged(.cutOff(bytes: UInt64(buffer.count - start))) }
        }

        /// Notes the record at `offset` as damaged; what to throw.
        private mutating func damaged(_ damage: Damage) -> FormatError {
            let error = FormatError.damagedRecord(offset: offset, records: records, damage: damage)
            self.damage = error
            buffer = []
            start = 0
            return error
        }

        private mutating func consume(_ count: Int) {
            start += count
            offset += UInt64(count)
        }
    }
}
