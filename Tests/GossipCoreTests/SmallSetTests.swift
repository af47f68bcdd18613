import Testing

@testable import GossipCore

@Suite("Small sets")
struct SmallSetTests {
    @Test("inserts, removals and lookups agree with Set on either side of the array limit", arguments: [3, 16, 17, 40])
    func agreesWithSet(size: Int) {
        var small = SmallSet<LinkID>()
        var reference = Set<LinkID>()
        var random = SeededRandom(seed: UInt64(size))
        for _ in 0..<(size * 20) {
            let link = LinkID(UInt64.random(in: 0..<UInt64(size * 2), using: &random))
            if Bool.random(using: &random) {
                let inserted = small.insert(link)
                #expect(inserted == reference.insert(link).inserted)
            } else {
                let removed = small.remove(link)
                #expect(removed == (reference.remove(link) != nil))
            }
            #expect(small.count == reference.count)
            #expect(small.isEmpty == reference.isEmpty)
        }
        for raw in 0..<UInt64(size * 2) { #expect(small.contains(LinkID(raw)) == reference.contains(LinkID(raw))) }
        #expect(Set(small) == reference)
    }

    @Test("made from an array: repeats count once, a long array goes to a hash set, equality ignores order")
    func fromArray() {
        let repeated = SmallSet<ConnectionID>([1, 2, 1, 3, 2])
        #expect(repeated.count == 3)
        #expect(repeated == [3, 2, 1])
        #expect(repeated != [1, 2])
        #expect(repeated != [1, 2, 4])
        let long = SmallSet<ConnectionID>((0..<100).map { ConnectionID(UInt64($0 % 50)) })
        #expect(long.count == 50)
        #expect(long.contains(49) && !long.contains(50))
        var shrinking = long
        for raw in 0..<50 {
            let removed = shrinking.remove(ConnectionID(UInt64(raw)))
            #expect(removed)
        }
        #expect(shrinking.isEmpty)
        let removedTwice = shrinking.remove(0)
        #expect(!removedTwice)
    }
}
