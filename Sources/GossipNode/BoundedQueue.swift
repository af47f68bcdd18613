import DequeModule
import Foundation

/// A blocking FIFO with a fixed capacity: producers wait while it is full (back-pressure),
/// the consumer takes everything queued at once.
///
/// `@unchecked Sendable`: every stored property is read and written only while holding `condition`.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var elements: Deque<Element> = []
    private var isClosed = false
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Appends `element`, waiting while the queue is full. Returns false if the queue was closed.
    func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while elements.count >= capacity && !isClosed { condition.wait() }
        guard !isClosed else { return false }
        elements.append(element)
        if elements.count == 1 { condition.broadcast() }
        return true
    }

    /// Takes every queued element, waiting until `deadline` for at least one.
    /// Returns an empty array at the deadline, and nil once closed and drained.
    func popAll(until deadline: Date) -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while elements.isEmpty && !isClosed {
            if !condition.wait(until: deadline) { return [] }
        }
        if elements.isEmpty { return nil }
        let wasFull = elements.count >= capacity
        let taken = Array(elements)
        elements.removeAll(keepingCapacity: true)
        if wasFull || !taken.isEmpty { condition.broadcast() }
        return taken
    }

    /// Wakes every waiter; later pushes fail, and the consumer drains what is left.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return elements.count
    }
}
