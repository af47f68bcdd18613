/// Records that events refer to by a 32-bit slot, with freed slots reused, so a long run's
/// in-flight records take the memory of the most ever in flight at once.
struct SlotTable<Record: Sendable>: Sendable {
    private var records: [Record] = []
    private var free: [UInt32] = []

    /// Stores `record` and returns its slot.
    mutating func store(_ record: Record) -> UInt32 {
        if let slot = free.popLast() {
            records[Int(slot)] = record
            return slot
        }
        records.append(record)
        return UInt32(records.count - 1)
    }

    /// The record in `slot`, which becomes free.
    mutating func take(_ slot: UInt32) -> Record {
        free.append(slot)
        return records[Int(slot)]
    }

    subscript(slot: UInt32) -> Record {
        get { records[Int(slot)] }
        set { records[Int(slot)] = newValue }
    }
}
