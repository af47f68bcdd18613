import GossipWire
import Testing

@testable import GossipCore

/// The observations in `effects`, in order.
func observations(in effects: [GossipEffect]) -> [ItemObservation] {
    effects.compactMap { if case .observed(let observation) = $0 { observation } else { nil } }
}

@Suite("Item observation in the core")
struct ItemObservationTests {
    @Test("off by default: announcements, peer items and verdicts report nothing")
    func offByDefault() {
        var pair = CorePair()
        pair.connect()
        _ = pair.b.received(apiMessage: .notify(GossipNotify(dataType: 5)), from: 1, now: pair.now)
        var effects = pair.a.received(apiMessage: .announce(GossipAnnounce(ttl: 3, dataType: 5, data: [1, 2])), from: 2, now: pair.now)
        let item = GossipItem.bound(salt: UInt32(4), ttl: 0, dataType: 5, data: [7])
        effects += pair.b.received(peerMessage: .item(item), on: pair.link, now: pair.now)
        effects += pair.b.screenItem(item, on: pair.link, now: pair.now) ?? []
        effects += pair.b.received(
            apiMessage: .validation(GossipValidation(messageID: notifications(in: effects)[0].1.messageID, isValid: true)), from: 1,
            now: pair.now)
        #expect(observations(in: effects).isEmpty)
    }

    @Test("switched on: a local announcement, a validated peer item with its verdict, a copy, an unvalidated relay")
    func outcomes() {
        var pair = CorePair()
        pair.connect()
        pair.a.observesItems = true
        pair.b.observesItems = true

        let announced = observations(
            in: pair.a.received(apiMessage: .announce(GossipAnnounce(ttl: 3, dataType: 5, data: [1, 2])), from: 2, now: pair.now))
        #expect(announced.count == 1)
        #expect(announced.first?.outcome == .announced)
        #expect(announced.first?.source == .local(2))
        #expect(announced.first?.peer == nil)
        #expect(announced.first.map { ($0.dataType, $0.ttl, $0.data) } ?? (0, 0, []) == (5, 3, [1, 2]))

        _ = pair.b.received(apiMessage: .notify(GossipNotify(dataType: 5)), from: 1, now: pair.now)
        let item = GossipItem.bound(salt: UInt32(4), ttl: 2, dataType: 5, data: [7])
        let arrival = pair.b.received(peerMessage: .item(item), on: pair.link, now: pair.now)
        #expect(
            observations(in: arrival) == [
                ItemObservation(id: item.id, source: .peer(pair.link), peer: identity(1), dataType: 5, ttl: 2, data: [7], outcome: .awaitingValidation)
            ])
        let copy = pair.b.screenItem(item, on: pair.link, now: pair.now) ?? []
        #expect(observations(in: copy).map(\.outcome) == [.duplicate])
        let verdict = pair.b.received(
            apiMessage: .validation(GossipValidation(messageID: notifications(in: arrival)[0].1.messageID, isValid: true)), from: 1,
            now: pair.now)
        #expect(observations(in: verdict).map(\.outcome) == [.valid])
        #expect(observations(in: verdict).first?.id == item.id)

        let rejected = GossipItem.bound(salt: UInt32(5), ttl: 0, dataType: 5, data: [8])
        let second = pair.b.received(peerMessage: .item(rejected), on: pair.link, now: pair.now)
        let answer = pair.b.received(
            apiMessage: .validation(GossipValidation(messageID: notifications(in: second)[0].1.messageID, isValid: false)), from: 1,
            now: pair.now)
        #expect(observations(in: answer).map(\.outcome) == [.invalid])

        let other = GossipItem.bound(salt: UInt32(7), ttl: 0, dataType: 6, data: [])
        let relayed = pair.b.received(peerMessage: .item(other), on: pair.link, now: pair.now)
        #expect(observations(in: relayed).map(\.outcome) == [.relayedUnvalidated])

        let unanswered = GossipItem.bound(salt: UInt32(6), ttl: 0, dataType: 5, data: [9])
        _ = pair.b.received(peerMessage: .item(unanswered), on: pair.link, now: pair.now)
        let expired = pair.b.tick(now: pair.now.adding(nanoseconds: 1500 * ms))
        #expect(observations(in: expired).map(\.outcome) == [.timedOut])
    }

    @Test("switched off again: nothing more is reported")
    func offAgain() {
        var pair = CorePair()
        pair.connect()
        pair.a.observesItems = true
        #expect(!observations(in: pair.a.received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 5, data: [1])), from: 2, now: pair.now)).isEmpty)
        pair.a.observesItems = false
        #expect(observations(in: pair.a.received(apiMessage: .announce(GossipAnnounce(ttl: 0, dataType: 5, data: [2])), from: 2, now: pair.now)).isEmpty)
    }

    @Test("first sightings are the outcomes a recording keeps")
    func firstSight() {
        #expect(ItemObservation.Outcome.allCases.filter(\.isFirstSight) == [.announced, .awaitingValidation, .relayedUnvalidated])
    }
}
