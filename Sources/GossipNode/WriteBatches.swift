/// What one `NodeContext.perform` writes to each connection: one byte string per connection, in
/// the order the connections first appear. Nearly always one or two connections, so they are kept
/// in an array and found by a scan (no hash table made per call); past `scanLimit` an index is
/// built, so a batch for thousands of subscribers still finds each in one lookup.
struct WriteBatches<Key: Hashable> {
    struct Batch {
        var key: Key
        var bytes: [UInt8]
        /// Messages in `bytes`.
        var frames: Int
        /// Of those, the ones counted as items (peer ITEMs).
        var items: Int
    }

    /// The most connections found by a scan.
    static var scanLimit: Int { 8 }

    private(set) var batches: [Batch] = []
    private var index: [Key: Int]?

    var isEmpty: Bool { batches.isEmpty }

    /// Adds one message for `key`. A connection's first message shares `bytes` (one encoding for
    /// every connection it goes to); only a second one for the same connection copies them.
    mutating func add(_ bytes: [UInt8], for key: Key, isItem: Bool = false) {
        if let position = position(of: key) {
            batches[position].bytes.append(contentsOf: bytes)
            batches[position].frames += 1
            batches[position].items += isItem ? 1 : 0
            return
        }
        batches.append(Batch(key: key, bytes: bytes, frames: 1, items: isItem ? 1 : 0))
        if index != nil {
            index![key] = batches.count - 1
        } else if batches.count > Self.scanLimit {
            index = Dictionary(uniqueKeysWithValues: batches.indices.map { (batches[$0].key, $0) })
        }
    }

    private func position(of key: Key) -> Int? {
        if let index { return index[key] }
        return batches.firstIndex { $0.key == key }
    }
}
