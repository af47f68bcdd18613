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

    /// A record of `body` (its kind byte first) with its length and checksum.
    static func frame(_ body: [UInt8]) -> [UInt8] {
        var record: [UInt8] = []
        record.appendBigEndian(UInt32(4 + body.count))
        record.appendBigEndian(CRC32C.checksum(record + body))
        return record + body
    }

    /// `record` with its checksum computed again (after a test changed it).
    static func resealed(_ record: [UInt8]) -> [UInt8] {
        var record = record
        let checksum = ItemRecording.checksum(record[...])
        for index in 0..<4 { record[4 + index] = UInt8(truncatingIfNeeded: checksum >> (24 - 8 * index)) }
        return record
    }

    static func isDamaged(_ error: ItemRecording.FormatError?, at offset: UInt64) -> Bool {
        if case .damagedRecord(offset, _, _) = error { true } else { false }
    }

    @Test("the header is the magic and version 1, big-endian")
    func header() {
        #expect(ItemRecording.header == Array("GOSSIPRC".utf8) + [0, 0, 0, 1])
        #expect(ItemRecording.headerSize == 12)
        #expect(ItemRecording.checksumSize == 4)
        #expect(ItemRecording.minimumRecordSize == 5)
        #expect(ItemRecording.itemFixedSize == 74)
    }

    @Test("an item record's layout: length, checksum, kind, time, outcome, source, number, identity, ID, ttl, type, size, data")
    func layout() {
        var bytes: [UInt8] = []
        Self.records[0].encode(into: &bytes)
        #expect(bytes.count == 4 + 4 + 74 + 5)
        #expect(Array(bytes[0..<4]) == [0, 0, 0, 83])
        #expect(Array(bytes[4..<8]) == [0xDF, 0xAB, 0x95, 0x66])
        #expect(CRC32C.checksum(bytes[0..<4] + bytes[8...]) == 0xDFAB_9566, "the checksum covers the length and all after the checksum")
        #expect(bytes[8] == 1)
        #expect(Array(bytes[9..<17]) == [0x18, 0xFA, 0xE2, 0x76, 0x9B, 0x0F, 0xCD, 0x15])
        #expect(bytes[17] == 1 && bytes[18] == 1)
        #expect(Array(bytes[19..<27]) == [0, 0, 0, 0, 0, 0, 0, 3])
        #expect(bytes[27..<59].allSatisfy { $0 == 0 })
        #expect(Array(bytes[59..<75]) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2])
        #expect(bytes[75] == 0)
        #expect(Array(bytes[76..<78]) == [0x05, 0x39])
        #expect(Array(bytes[78..<82]) == [0, 0, 0, 5])
        #expect(Array(bytes[82...]) == Array("hello".utf8))
    }

    @Test("the example in docs/record-format.md, byte for byte")
    func documentedExample() {
        let example: [UInt8] =
            [0x47, 0x4F, 0x53, 0x53, 0x49, 0x50, 0x52, 0x43, 0, 0, 0, 1]  // GOSSIPRC, version 1
            + [0, 0, 0, 0x53, 0xDF, 0xAB, 0x95, 0x66, 1]  // length 83, checksum, kind 1
            + [0x18, 0xFA, 0xE2, 0x76, 0x9B, 0x0F, 0xCD, 0x15, 1, 1, 0, 0, 0, 0, 0, 0, 0, 3]
            + [UInt8](repeating: 0, count: 32) + [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]
            + [0, 0x05, 0x39, 0, 0, 0, 5] + Array("hello".utf8)
        #expect(Self.file([Self.records[0]]) == example)
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
        bytes += Self.frame([9, 0xAA, 0xBB])  // kind 9
        var record: [UInt8] = []
        Self.records[0].encode(into: &record)
        record[3] += 2  // two more bytes in the record
        bytes += Self.resealed(record + [0xEE, 0xFF])
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
        #expect(Self.decode([UInt8](repeating: 0, count: 4096)).error == .notARecording, "zeros")
    }

    @Test("a recording of a newer version is refused, naming the version")
    func newerVersion() {
        let bytes = Array("GOSSIPRC".utf8) + [0, 0, 0, 2] + Self.file().dropFirst(12)
        #expect(Self.decode(bytes).error == .newerVersion(2))
        #expect(ItemRecording.FormatError.newerVersion(2).description.contains("version 2"))
    }

    @Test("a file cut off inside a record yields its good records, then the damaged one: where it begins, how many came before")
    func cutOff() {
        let bytes = Self.file()
        let (records, error) = Self.decode(Array(bytes.dropLast()))
        #expect(records == Array(Self.records.prefix(2)))
        let lastStart = UInt64(bytes.count - (4 + 4 + 74 + 65_535))
        #expect(error == .damagedRecord(offset: lastStart, records: 2, damage: .cutOff(bytes: 4 + 4 + 74 + 65_534)))
        #expect(
            error?.description == "damaged record at byte \(lastStart), after 2 good records: the file ends inside it, 65616 bytes after its start")
        #expect(Self.decode(Array(bytes.prefix(14))).error == .damagedRecord(offset: 12, records: 0, damage: .cutOff(bytes: 2)), "inside a length field")
        #expect(Self.decode(Array("GOSSIP".utf8)).error == .truncatedHeader, "inside the header")
        #expect(Self.decode(Array("GOSSIPRC".utf8) + [0, 0]).error == .truncatedHeader, "inside the version")
    }

    @Test("a record whose length is out of bounds, whose checksum does not match, or whose fields do not fit it is damaged")
    func damaged() {
        #expect(Self.decode(ItemRecording.header + [0, 0, 0, 0, 0, 0, 7]).error == .damagedRecord(offset: 12, records: 0, damage: .lengthOutOfBounds(0)))
        #expect(Self.decode(ItemRecording.header + [0, 0, 0, 4, 1, 2, 3, 4]).error == .damagedRecord(offset: 12, records: 0, damage: .lengthOutOfBounds(4)))
        #expect(Self.decode(ItemRecording.header + [0x7F, 0, 0, 0]).error == .damagedRecord(offset: 12, records: 0, damage: .lengthOutOfBounds(0x7F00_0000)))
        #expect(
            ItemRecording.FormatError.damagedRecord(offset: 12, records: 0, damage: .lengthOutOfBounds(0)).description
                == "damaged record at byte 12, after 0 good records: length 0 out of bounds (5 to 1048576)")
        var record: [UInt8] = []
        Self.records[0].encode(into: &record)
        // One bit flipped anywhere after the length field: the checksum no longer matches.
        for index in 4..<record.count {
            for bit in 0..<8 {
                var flipped = record
                flipped[index] ^= 1 << bit
                let (records, error) = Self.decode(ItemRecording.header + flipped)
                #expect(records.isEmpty)
                guard case .damagedRecord(12, 0, .checksumMismatch(let stored, let computed)) = error, stored != computed else {
                    Issue.record("byte \(index) bit \(bit): \(String(describing: error))")
                    continue
                }
            }
        }
        #expect(
            ItemRecording.Damage.checksumMismatch(stored: 0xAB, computed: 0xDFAB_9566).description
                == "checksum mismatch (stored 0x000000AB, computed 0xDFAB9566)")
        // The checksum matches, but the data no longer fits the record.
        var short = record
        short[3] -= 1
        let undecodable = Self.decode(ItemRecording.header + Self.resealed(Array(short.dropLast())))
        guard case .damagedRecord(12, 0, .undecodable) = undecodable.error else {
            Issue.record("\(String(describing: undecodable.error))")
            return
        }
    }

    @Test("after a damaged record the decoder stays there: it throws the same error, ignores more input, and holds nothing")
    func damageIsFinal() throws {
        var decoder = ItemRecording.Decoder()
        let good = Self.file([Self.records[0]])
        decoder.append(good + [0, 0, 0, 0] + good.dropFirst(12))
        #expect(try decoder.next() == Self.records[0])
        let damage = ItemRecording.FormatError.damagedRecord(offset: UInt64(good.count), records: 1, damage: .lengthOutOfBounds(0))
        #expect(throws: damage) { try decoder.next() }
        decoder.append(good.dropFirst(12))
        #expect(throws: damage) { try decoder.next() }
        #expect(throws: damage) { try decoder.finish() }
        #expect(decoder.damage == damage && decoder.offset == UInt64(good.count) && decoder.records == 1 && decoder.heldBytes == 0)
    }

    /// Small records, so that every offset of each can be tried.
    static let small: [Record] = (0..<4).map { (index: Int) -> Record in
        let number = UInt64(index)
        let source: Record.Source = index % 2 == 0 ? .module(number) : .peer(number, PeerIdentity(words: (9, 8, 7, number)))
        let data = [UInt8](repeating: 0xC3, count: 3 * index + 1)
        return Record(
            unixNanoseconds: 1_800_000_000_000_000_000 + number, outcome: UInt8(1 + index % 3), source: source,
            id: ItemID(high: 0xA5A5, low: number), ttl: UInt8(index), dataType: UInt16(100 + index), data: data)
    }

    @Test("a torn tail from any byte of any record to the end (zeros, or random bytes): the good records before it, then that record's offset")
    func tornTailEverywhere() {
        let bytes = Self.file(Self.small)
        var starts = [ItemRecording.headerSize]
        for record in Self.small {
            var encoded: [UInt8] = []
            record.encode(into: &encoded)
            starts.append(starts.last! + encoded.count)
        }
        var generator = Generator(seed: 2024)
        for cut in ItemRecording.headerSize..<bytes.count {
            for random in [false, true] {
                var torn = bytes
                for index in cut..<torn.count { torn[index] = random ? UInt8(truncatingIfNeeded: generator.next()) : 0 }
                // The first record whose bytes changed is the damaged one (a zero or random byte may equal the one it replaced).
                let changed = (0..<Self.small.count).first { torn[starts[$0]..<starts[$0 + 1]] != bytes[starts[$0]..<starts[$0 + 1]] }
                for chunk in [Int.max, 5] {
                    let (records, error) = Self.decode(torn, chunk: chunk)
                    let label = "\(random ? "random" : "zeros") from byte \(cut), chunks of \(chunk)"
                    guard let changed else {
                        #expect(records == Self.small && error == nil, "\(label)")
                        continue
                    }
                    #expect(records == Array(Self.small.prefix(changed)), "\(label)")
                    guard case .damagedRecord(UInt64(starts[changed]), changed, _) = error else {
                        Issue.record("\(label): \(String(describing: error))")
                        continue
                    }
                }
            }
        }
    }

    @Test("the decoder's memory stays bounded: read in chunks, it holds about a chunk and a record")
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
        // Then a record that claims 1 MiB, but is cut off: the decoder waits for it, no more.
        var claimed: [UInt8] = []
        claimed.appendBigEndian(UInt32(ItemRecording.maximumRecordSize))
        decoder.append(claimed + [UInt8](repeating: 0x77, count: chunkSize - 4))
        #expect(try decoder.next() == nil)
        largest = max(largest, decoder.heldBytes)
        #expect(records == count)
        #expect(largest <= 2 * chunkSize + record.count, "held at most \(largest) bytes")
        #expect(throws: ItemRecording.FormatError.damagedRecord(offset: decoder.offset, records: records, damage: .cutOff(bytes: UInt64(chunkSize)))) {
            try decoder.finish()
        }
    }
}
