import GossipCore
import Testing

@testable import GossipNode

@Suite("Write batches")
struct WriteBatchesTests {
    @Test("one byte string per connection, in the order connections first appear, with its messages and items counted; the same past the scan limit", arguments: [3, 8, 9, 50])
    func batches(connections: Int) {
        var batches = WriteBatches<LinkID>()
        #expect(batches.isEmpty)
        // Connection k gets k + 1 messages; every other message is an item. Round-robin, so the
        // messages of one connection are spread over the whole run.
        let order = (0..<connections).map { LinkID(UInt64(1000 - $0)) }
        var expected: [LinkID: (bytes: [UInt8], frames: Int, items: Int)] = [:]
        for round in 0..<connections {
            for (k, link) in order.enumerated() where round <= k {
                let bytes = [UInt8(truncatingIfNeeded: k), UInt8(truncatingIfNeeded: round)]
                let isItem = round % 2 == 0
                batches.add(bytes, for: link, isItem: isItem)
                expected[link, default: ([], 0, 0)].bytes += bytes
                expected[link, default: ([], 0, 0)].frames += 1
                expected[link, default: ([], 0, 0)].items += isItem ? 1 : 0
            }
        }
        #expect(batches.batches.map(\.key) == order)
        for batch in batches.batches {
            #expect(batch.bytes == expected[batch.key]!.bytes)
            #expect(batch.frames == expected[batch.key]!.frames)
            #expect(batch.items == expected[batch.key]!.items)
        }
    }
}
