import GossipWire
import Testing

@testable import GossipCore

@Suite("Gossip engine, local API")
struct GossipEngineTests {
    let announcer = ConnectionID(1), s1 = ConnectionID(2), s2 = ConnectionID(3), other = ConnectionID(4)

    func engine(cache: Int = 4) -> GossipEngine {
        GossipEngine(
            configuration: .init(cacheSize: cache, validationTimeoutNanoseconds: 1_000_000_000),
            random: SeededRandom(seed: 42))
    }

    @Test("an ANNOUNCE notifies the other subscribers of its type with one shared message ID")
    func fanOut() throws {
        var engine = engine()
        engine.subscribe(s1, to: 1337)
        engine.subscribe(s2, to: 1337)
        engine.subscribe(other, to: 1)
        engine.subscribe(announcer, to: 1337)
        let result = engine.announce(GossipAnnounce(ttl: 4, dataType: 1337, data: [0xDE, 0xAD]), from: announcer, now: .zero)
        let delivery = try #require(result.delivery)
        #expect(delivery.subscribers == [s1, s2])
        #expect(delivery.notification.dataType == 1337)
        #expect(delivery.notification.data == [0xDE, 0xAD])
        #expect(result.item.ttl == 4)
        #expect(engine.cache.contains(result.item.id))
        #expect(engine.validations.isAwaiting(delivery.notification.messageID, from: s1))
        #expect(!engine.validations.isAwaiting(delivery.notification.messageID, from: announcer))
    }

    @Test("an item nobody else subscribed to is cached but notifies no one and takes no message ID")
    func noSubscribers() {
        var engine = engine()
        engine.subscribe(announcer, to: 5)
        let result = engine.announce(GossipAnnounce(ttl: 0, dataType: 5, data: []), from: announcer, now: .zero)
        #expect(result.delivery == nil)
        #expect(engine.validations.pendingCount == 0)
        #expect(engine.cache.count == 1)
    }

    @Test("validations pair with notifications; a second answer or a stranger's answer is unknown")
    func validationPairing() throws {
        var engine = engine()
        engine.subscribe(s1, to: 1)
        let delivery = try #require(engine.announce(GossipAnnounce(ttl: 0, dataType: 1, data: [1]), from: announcer, now: .zero).delivery)
        let id = delivery.notification.messageID
        let outcome1 = engine.validate(GossipValidation(messageID: id, isValid: true), from: other)
        #expect(outcome1 == .unknown)
        guard case .completed(let completion) = engine.validate(GossipValidation(messageID: id, isValid: true), from: s1) else {
            Issue.record("expected completion")
            return
        }
        #expect(completion.origin == .local(announcer))
        let outcome2 = engine.validate(GossipValidation(messageID: id, isValid: true), from: s1)
        #expect(outcome2 == .unknown)
    }

    @Test("closing a subscriber ends its subscriptions")
    func closeEndsSubscriptions() {
        var engine = engine()
        engine.subscribe(s1, to: 1)
        _ = engine.close(s1)
        let outcome3 = engine.announce(GossipAnnounce(ttl: 0, dataType: 1, data: [1]), from: announcer, now: .zero)
        #expect(outcome3.delivery == nil)
    }

    @Test("the cache keeps the newest cache_size items")
    func cacheBound() {
        var engine = engine(cache: 2)
        let ids = (0..<3).map { n in engine.announce(GossipAnnounce(ttl: 0, dataType: 1, data: [UInt8(n)]), from: announcer, now: .zero).item.id }
        #expect(engine.cache.idsOldestFirst == Array(ids[1...]))
    }

    @Test("item IDs are distinct and reproducible from the seed")
    func itemIDs() {
        var first = engine(), second = engine()
        let a = (0..<100).map { _ in first.announce(GossipAnnounce(ttl: 0, dataType: 1, data: []), from: announcer, now: .zero).item.id }
        let b = (0..<100).map { _ in second.announce(GossipAnnounce(ttl: 0, dataType: 1, data: []), from: announcer, now: .zero).item.id }
        #expect(Set(a).count == 100)
        #expect(a == b)
    }
}
