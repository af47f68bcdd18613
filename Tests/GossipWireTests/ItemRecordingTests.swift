import Testing

@testable import GossipWire

@Suite("Recording file format")
struct ItemRecordingTests {
    typealias Record = ItemRecording.Record

    static let records: [Record] = [
        Record(unixNanoseconds: 1_800_000_000_123_456_789, outcome: 1, source: .module(3), id: ItemID(high: 1, low: 2), ttl: 0, dataType: 1337, data: Array("hello".utf8)),
        Record(
            unixNanoseconds: 1_800_000_001_000_000_000, outcome: 2, source: .peer(9, PeerIdentity(words: (1, 2, 3, 4))),
            id: ItemID(high: .max, low: 7), ttl: 4, dataType: 65535, data: []),
        Record(unixNanoseconds: 1_800_000_002_000_000_000, outcome: 3, source: .peer(10, nil), id: ItemID(high: 5, low: 6), ttl: 255, dataType: 0, data: Array(repeating: 0xAB, count: 65_535)),
    ]

    static func file(_ records: [Record] = records) -> [UInt8] {
        var bytes = ItemRecording.header
        for record in records { record.encode(into: &bytes) }
        return bytes
    }

    /// Decodes `bytes` fed in chunks of `chunk` bytes; the records, and what `finish` threw.
    static func decode(_ bytes: [UInt8], chunk: Int = .max) -> (records: [Record], error: ItemRecording.FormatError?) {
        var decoder = ItemRecording.Decoder()
        var records: [Record] = []
        do {
            var index = 0
            repeat {
                let end = min(bytes.count, index + min(chunk, bytes.count))
                decoder.append(bytes[index..<end])
                index = end
                while let record = try decoder.next() { records.append(record) }
            } while index < bytes.count
            try decoder.finish()
            return (records, nil)
        } catch {
            return (records, error)
        }
    }

    @Test("the header is the magic and version 1, big-endian")
    func header() {
        #expect(ItemRecording.header == Array("GOSSIPRC".utf8) + [0, 0, 0, 1])
        #expect(ItemRecording.headerSize == 12)
        #expect(ItemRecording.itemFixedSize == 74)
    }

    @Test("an item record's layout: length, kind, time, outcome, source, number, identity, ID, ttl, type, size, data")
    func layout() {
        var bytes: [UInt8] = []
        Self.records[0].encode(into: &bytes)
        #expect(bytes.count == 4 + 74 + 5)
        #expect(Array(bytes[0..<4]) == [0, 0, 0, 79])
        #expect(bytes[4] == 1)
        #expect(Array(bytes[5..<13]) == [0x18, 0xFA, 0xE2, 0x76, 0x9B, 0x0F, 0xCD, 0x15])
        #expect(bytes[13] == 1 && bytes[14] == 1)
        #expect(Array(bytes[15..<23]) == [0, 0, 0, 0, 0, 0, 0, 3])
        #expect(bytes[23..<55].allSatisfy { $0 == 0 })
        #expect(Array(bytes[55..<71]) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2])
        #expect(bytes[71] == 0)
        #expect(Array(bytes[72..<74]) == [0x05, 0x39])
        #expect(Array(bytes[74..<78]) == [0, 0, 0, 5])
        #expect(Array(bytes[78...]) == Array("hello".utf8))
    }

    @Test("records round-trip, whether the file comes whole or a byte at a time")
    func roundTrip() {
        for chunk in [Int.max, 1, 7, 4096] {
            let (records, error) = Self.decode(Self.file(), chunk: chunk)
            #expect(error == nil)
            #expect(records == Self.records)
        }
        #expect(Self.decode(ItemRecording.header).records.isEmpty)
        #expect(Self.decode(ItemRecording.header).error == nil, "a header alone is an empty recording")
    }

    @Test("records of a kind added later are skipped; bytes after an item's data are ignored")
    func forwardCompatible() {
        var bytes = ItemRecording.header
        bytes += [0, 0, 0, 3, 9, 0xAA, 0xBB]  // kind 9
        var record: [UInt8] = []
        Self.records[0].encode(into: &record)
        record[3] += 2  // two more bytes in the record
        bytes += record + [0xEE, 0xFF]
        let (records, error) = Self.decode(bytes)
        #expect(error == nil)
        #expect(records == [Self.records[0]])
    }

    @Test("a file that is not a recording is refused at its first bytes")
    func badMagic() {
        #expect(Self.decode(Array("hello world, not a recording".utf8)).error == .notARecording)
        #expect(Self.decode(Array("GOSSIPRX".utf8) + [0, 0, 0, 1]).error == .notARecording)
        #expect(Self.decode([]).error == .notARecording, "an empty file")
        #expect(Self.decode(Array("XY".utf8)).error == .notARecording)
        #expect(Self.decode(Array("GOSSIPRC".utf8) + [0, 0, 0, 0]).error == .notARecording, "version 0")
    }

    @Test("a recording of a newer version is refused, naming the version")
    func newerVersion() {
        let bytes = Array("GOSSIPRC".utf8) + [0, 0, 0, 2] + Self.file().dropFirst(12)
        #expect(Self.decode(bytes).error == .newerVersion(2))
        #expect(ItemRecording.FormatError.newerVersion(2).description.contains("version 2"))
    }

    @Test("a truncated file yields its whole records, then says where it ends")
    func truncated() {
        let bytes = Self.file()
        let (records, error) = Self.decode(Array(bytes.dropLast()))
        #expect(records == Array(Self.records.prefix(2)))
        let lastStart = UInt64(bytes.count - (4 + 74 + 65_535))
        #expect(error == .truncated(offset: lastStart, records: 2))
        #expect(Self.decode(Array(bytes.prefix(14))).error == .truncated(offset: 12, records: 0), "inside a length field")
        #expect(Self.decode(Array("GOSSIP".utf8)).error == .truncated(offset: 0, records: 0), "inside the header")
    }

    @Test("a record whose length is out of bounds or too short for its fields is malformed")
    func malformed() {
        #expect(
            Self.decode(ItemRecording.header + [0, 0, 0, 0, 0, 0, 7]).error
                == .malformedRecord(offset: 12, reason: "length 0 out of bounds (1 to 1048576), and byte 18 after it is not zero"))
        #expect(Self.decode(ItemRecording.header + [0x7F, 0, 0, 0]).error.map { if case .malformedRecord = $0 { true } else { false } } == true)
        var record: [UInt8] = []
        Self.records[0].encode(into: &record)
        record[3] -= 1  // the data no longer fits
        #expect(Self.decode(ItemRecording.header + record.dropLast()).error.map { if case .malformedRecord(12, _) = $0 { true } else { false } } == true)
    }

    @Test("a file that ends in zero bytes where a record should begin has a torn tail: its records, then where the zeros begin")
    func zeroFilledTail() {
        let bytes = Self.file(Array(Self.records.prefix(2)))
        for zeros in [4, 5, 4096, 3 << 20] {
            for chunk in [Int.max, 1, 7, 4096, 1 << 20] where zeros < 10_000 || chunk >= 4096 {
                let (records, error) = Self.decode(bytes + Array(repeating: 0, count: zeros), chunk: chunk)
                #expect(records == Array(Self.records.prefix(2)), "\(zeros) zeros in chunks of \(chunk)")
                #expect(error == .zeroFilledTail(offset: UInt64(bytes.count), bytes: UInt64(zeros), records: 2), "\(zeros) zeros in chunks of \(chunk)")
            }
        }
        #expect(Self.decode(ItemRecording.header + [0, 0, 0, 0]).error == .zeroFilledTail(offset: 12, bytes: 4, records: 0), "right after the header")
        #expect(Self.decode(bytes + [0, 0, 0]).error == .truncated(offset: UInt64(bytes.count), records: 2), "fewer zeros than a length field")
        #expect(
            ItemRecording.FormatError.zeroFilledTail(offset: 95, bytes: 4001, records: 1).description
                == "torn tail: ends in 4001 zero bytes from byte 95, after 1 whole records (left by a crash or power loss)")
        // A non-zero byte anywhere after the zeros: a malformed record in the middle, refused.
        for chunk in [Int.max, 1, 4096] {
            let middle = Self.decode(bytes + Array(repeating: 0, count: 5000) + [1] + Array(repeating: 0, count: 100), chunk: chunk)
            #expect(middle.records == Array(Self.records.prefix(2)))
            #expect(middle.error == .malformedRecord(offset: UInt64(bytes.count), reason: "length 0 out of bounds (1 to 1048576), and byte \(bytes.count + 5000) after it is not zero"), "chunks of \(chunk)")
            let record = Self.decode(bytes + [0, 0, 0, 0] + Self.file([Self.records[0]]).dropFirst(12), chunk: chunk)
            #expect(record.error.map { if case .malformedRecord = $0 { true } else { false } } == true, "a whole record after the zeros")
        }
    }

    @Test("the decoder's memory stays bounded: read in chunks, it holds about a chunk and a record, zeros included")
    func boundedMemory() throws {
        let chunkSize = 1 << 20
        var record: [UInt8] = []
        Record(unixNanoseconds: 1, outcome: 1, source: .module(1), id: ItemID(high: 0, low: 1), ttl: 0, dataType: 1, data: Array(repeating: 0x5A, count: 40_000))
            .encode(into: &record)
        var decoder = ItemRecording.Decoder()
        decoder.append(ItemRecording.header)
        var pending: [UInt8] = []
        var (records, largest) = (0, 0)
        // 16 MiB of records, then 8 MiB of zeros, in 1 MiB chunks.
        let count = (16 << 20) / record.count
        for _ in 0..<count {
            pending += record
            if pending.count >= chunkSize {
                decoder.append(pending.prefix(chunkSize))
                pending.removeFirst(chunkSize)
                while try decoder.next() != nil { records += 1 }
                largest = max(largest, decoder.heldBytes)
            }
        }
        decoder.append(pending)
        while try decoder.next() != nil { records += 1 }
        let zeros = [UInt8](repeating: 0, count: chunkSize)
        for _ in 0..<8 {
            decoder.append(zeros)
            #expect(try decoder.next() == nil)
            largest = max(largest, decoder.heldBytes)
        }
        #expect(records == count)
        #expect(largest <= 2 * chunkSize + record.count, "held at most \(largest) bytes")
        #expect(throws: ItemRecording.FormatError.zeroFilledTail(offset: decoder.offset, bytes: 8 << 20, records: records)) { try decoder.finish() }
    }
}
