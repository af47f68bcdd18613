/// A set that nearly always holds one element or a few: the modules an item awaits answers from,
/// the links that already sent a copy of it, a node's tree links. Every item a node takes makes
/// one or looks one up, so it is kept in an array (no hash table to allocate, no hashing) while it
/// has at most `arrayLimit` elements.
/// Past that it moves to a `Set` for good, so that a large one (a type with thousands of
/// subscribed modules) still costs one hash lookup per operation, not a scan.
///
/// Equality is set equality; iteration order is unspecified.
public struct SmallSet<Element: Hashable & Sendable>: Sendable, Equatable, ExpressibleByArrayLiteral, Sequence {
    /// The most elements kept in the array.
    public static var arrayLimit: Int { 16 }

    private var array: [Element]
    private var hashed: Set<Element>?

    public init() {
        array = []
        hashed = nil
    }

    /// The distinct elements of `elements`. An array without repeats (what the callers pass: a
    /// subscriber list, one link) is kept as it is: no copy.
    public init(_ elements: [Element]) {
        self.init()
        if elements.count > Self.arrayLimit {
            hashed = Set(elements)
        } else if Self.hasRepeats(elements) {
            for element in elements { insert(element) }
        } else {
            array = elements
        }
    }

    public init(arrayLiteral elements: Element...) { self.init(elements) }

    public var count: Int { hashed?.count ?? array.count }

    public var isEmpty: Bool { hashed?.isEmpty ?? array.isEmpty }

    public func contains(_ element: Element) -> Bool {
        if let hashed { return hashed.contains(element) }
        return array.contains(element)
    }

    /// Adds `element`; returns whether it was new.
    @discardableResult
    public mutating func insert(_ element: Element) -> Bool {
        if hashed != nil { return hashed!.insert(element).inserted }
        guard !array.contains(element) else { return false }
        if array.count < Self.arrayLimit {
            array.append(element)
        } else {
            var grown = Set(array)
            grown.insert(element)
            hashed = grown
            array = []
        }
        return true
    }

    /// Removes `element`; returns whether it was there.
    @discardableResult
    public mutating func remove(_ element: Element) -> Bool {
        if hashed != nil { return hashed!.remove(element) != nil }
        guard let index = array.firstIndex(of: element) else { return false }
        array.swapAt(index, array.count - 1)  // order does not matter: no shifting
        array.removeLast()
        return true
    }

    public func makeIterator() -> AnyIterator<Element> {
        if let hashed {
            var iterator = hashed.makeIterator()
            return AnyIterator { iterator.next() }
        }
        var iterator = array.makeIterator()
        return AnyIterator { iterator.next() }
    }

    public static func == (lhs: SmallSet, rhs: SmallSet) -> Bool {
        lhs.count == rhs.count && lhs.allSatisfy(rhs.contains)
    }

    private static func hasRepeats(_ elements: [Element]) -> Bool {
        for index in elements.indices.dropFirst() where elements[..<index].contains(elements[index]) { return true }
        return false
    }
}
