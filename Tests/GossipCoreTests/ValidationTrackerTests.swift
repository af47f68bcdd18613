import GossipWire
import Testing

@testable import GossipCore

@Suite("Validation tracker")
struct ValidationTrackerTests {
    let a = ConnectionID(1), b = ConnectionID(2)
    let second: UInt64 = 1_000_000_000

    func id(_ n: UInt64) -> ItemID { ItemID(high: 0, low: n) }

    @Test("an item is valid once every subscriber answered valid")
    func allValid() {
        var tracker = ValidationTracker(timeoutNanoseconds: second)
        let (message, evicted) = tracker.begin(itemID: id(1), origin: .peer(9), item: nil, subscribers: [a, b], now: .zero)
        #expect(evicted.isEmpty)
        let outcome1 = tracker.answer(message, from: a, isValid: true)
        #expect(outcome1 == .recorded)
        guard case .completed(let completion) = tracker.answer(message, from: b, isValid: true) else {
            Issue.record("expected completion")
            return
        }
        #expect(completion.outcome == .valid)
        #expect(completion.itemID == id(1))
        #expect(tracker.pendingCount == 0)
    }

    @Test("one invalid answer makes the item invalid")
    func oneInvalid() {
        var tracker = ValidationTracker(timeoutNanoseconds: second)
        let (message, _) = tracker.begin(itemID: id(1), origin: .peer(9), item: nil, subscribers: [a, b], now: .zero)
        let outcome2 = tracker.answer(message, from: a, isValid: false)
        #expect(outcome2 == .recorded)
        guard case .completed(let completion) = tracker.answer(message, from: b, isValid: true) else {
            Issue.record("expected completion")
            return
        }
        #expect(completion.outcome == .invalid)
    }

    @Test("answers for IDs never sent, sent to someone else, or already given are unknown")
    func unknownAnswers() {
        var tracker = ValidationTracker(timeoutNanoseconds: second)
        let (message, _) = tracker.begin(itemID: id(1), origin: .peer(9), item: nil, subscribers: [a], now: .zero)
        let outcome3 = tracker.answer(message &+ 1, from: a, isValid: true)
        #expect(outcome3 == .unknown)
        let outcome4 = tracker.answer(message, from: b, isValid: true)
        #expect(outcome4 == .unknown)
        guard case .completed = tracker.answer(message, from: a, isValid: true) else {
            Issue.record("expected completion")
            return
        }
        let outcome5 = tracker.answer(message, from: a, isValid: true)
        #expect(outcome5 == .unknown)
    }

    @Test("the deadline decides an unanswered item; a late answer is ignored, not a violation")
    func timeoutAndLateAnswer() {
        var tracker = ValidationTracker(timeoutNanoseconds: second)
        let (message, _) = tracker.begin(itemID: id(1), origin: .peer(9), item: nil, subscribers: [a, b], now: .zero)
        #expect(tracker.nextDeadline == Moment(nanoseconds: second))
        let outcome6 = tracker.expire(now: Moment(nanoseconds: second - 1))
        #expect(outcome6.isEmpty)
        let expired = tracker.expire(now: Moment(nanoseconds: second))
        #expect(expired.map(\.outcome) == [.timedOut])
        let outcome7 = tracker.answer(message, from: a, isValid: true)
        #expect(outcome7 == .late)
        let outcome8 = tracker.answer(message, from: a, isValid: true)
        #expect(outcome8 == .unknown)
        #expect(tracker.nextDeadline == nil)
    }

    @Test("a new timeout moves pending deadlines, counted from each item's notification")
    func changeTimeout() {
        var tracker = ValidationTracker(timeoutNanoseconds: 4 * second)
        _ = tracker.begin(itemID: id(1), origin: .peer(9), item: nil, subscribers: [a], now: .zero)
        _ = tracker.begin(itemID: id(2), origin: .peer(9), item: nil, subscribers: [a], now: Moment(nanoseconds: second))
        tracker.changeTimeout(to: second)
        #expect(tracker.nextDeadline == Moment(nanoseconds: second), "shortened: due one second after it was notified")
        #expect(tracker.expire(now: Moment(nanoseconds: second)).map(\.itemID) == [id(1)])
        #expect(tracker.expire(now: Moment(nanoseconds: 2 * second - 1)).isEmpty)
        tracker.changeTimeout(to: 3 * second)
        #expect(tracker.nextDeadline == Moment(nanoseconds: 4 * second), "lengthened: the later deadline")
        _ = tracker.begin(itemID: id(3), origin: .peer(9), item: nil, subscribers: [a], now: Moment(nanoseconds: 2 * second))
        #expect(tracker.expire(now: Moment(nanoseconds: 4 * second)).map(\.itemID) == [id(2)])
        #expect(tracker.expire(now: Moment(nanoseconds: 5 * second)).map(\.itemID) == [id(3)], "new items get the new timeout")
    }

    @Test("an invalid answer before the deadline makes an expired item invalid, not timed out")
    func invalidThenTimeout() {
        var tracker = ValidationTracker(timeoutNanoseconds: second)
        let (message, _) = tracker.begin(itemID: id(1), origin: .peer(9), item: nil, subscribers: [a, b], now: .zero)
        _ = tracker.answer(message, from: a, isValid: false)
        let outcome9 = tracker.expire(now: Moment(nanoseconds: 2 * second))
        #expect(outcome9.map(\.outcome) == [.invalid])
    }

    @Test("a subscriber that closes without answering is no longer awaited, and the item has no full verdict")
    func closingSubscriber() {
        var tracker = ValidationTracker(timeoutNanoseconds: second)
        let (message, _) = tracker.begin(itemID: id(1), origin: .peer(9), item: nil, subscribers: [a, b], now: .zero)
        _ = tracker.answer(message, from: a, isValid: true)
        let completed = tracker.remove(b)
        #expect(completed.map(\.outcome) == [.timedOut], "a module that crashed on an item must not let it through")
        #expect(tracker.pendingCount == 0)
    }

    @Test("an ID awaiting validation is never reused; when all 65,536 are taken the oldest is given up")
    func idExhaustion() {
        var tracker = ValidationTracker(timeoutNanoseconds: second)
        var seen = Set<UInt16>()
        for n in 0..<ValidationTracker.idSpace {
            let (message, evicted) = tracker.begin(itemID: id(UInt64(n)), origin: .peer(9), item: nil, subscribers: [a], now: .zero)
            #expect(evicted.isEmpty)
            seen.insert(message)
        }
        #expect(seen.count == ValidationTracker.idSpace)
        // Answer one in the middle: its ID is free again, but the allocator walks on to the oldest.
        guard case .completed = tracker.answer(1000, from: a, isValid: true) else {
            Issue.record("expected completion")
            return
        }
        let (reused, noEviction) = tracker.begin(itemID: id(99_999), origin: .peer(9), item: nil, subscribers: [a], now: .zero)
        #expect(reused == 1000)
        #expect(noEviction.isEmpty)
        let (next, evicted) = tracker.begin(itemID: id(100_000), origin: .peer(9), item: nil, subscribers: [a], now: .zero)
        #expect(evicted.map(\.itemID) == [id(0)])
        #expect(evicted.map(\.outcome) == [.timedOut])
        #expect(next == evicted[0].messageID)
        #expect(tracker.pendingCount == ValidationTracker.idSpace)
    }

    @Test("held item bytes stay within the budget by giving up the oldest")
    func heldBytesBudget() {
        var tracker = ValidationTracker(timeoutNanoseconds: second, maximumHeldBytes: 250)
        func item(_ n: UInt64) -> GossipItem { GossipItem(id: id(n), ttl: 0, dataType: 1, data: Array(repeating: 0, count: 100)) }
        _ = tracker.begin(itemID: id(1), origin: .peer(9), item: item(1), subscribers: [a], now: .zero)
        _ = tracker.begin(itemID: id(2), origin: .peer(9), item: item(2), subscribers: [a], now: .zero)
        #expect(tracker.pendingBytes == 200)
        let (_, evicted) = tracker.begin(itemID: id(3), origin: .peer(9), item: item(3), subscribers: [a], now: .zero)
        #expect(evicted.map(\.itemID) == [id(1)])
        #expect(evicted.first?.item == item(1))
        #expect(tracker.pendingBytes == 200)
    }
}
