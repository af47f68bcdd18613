/// How late the tree's copy of an item comes after the item was first announced to this node (0
/// if it came before any announcement), smoothed the way TCP smooths round-trip times (RFC 6298:
/// a mean and a mean deviation, each moved an eighth and a quarter of the way toward every
/// sample). `BroadcastTree` waits about
/// `mean + 4 × deviation` before it fetches or grafts an announced item, so that a node deep in
/// the tree, or behind a slow link, does not fetch copies the tree is about to bring.
struct LatenessEstimate: Sendable, Equatable {
    private(set) var mean: UInt64
    private(set) var deviation: UInt64

    /// The first sample sets the mean, and half of it the deviation (as RFC 6298 does).
    init(first sample: UInt64) {
        mean = sample
        deviation = sample / 2
    }

    mutating func add(_ sample: UInt64) {
        let difference = sample > mean ? sample - mean : mean - sample
        deviation = deviation - deviation / 4 + difference / 4
        mean = mean - mean / 8 + sample / 8
    }

    /// The wait that most tree copies beat: the mean plus four deviations (saturating).
    var wait: UInt64 {
        let (spread, overflow) = deviation.multipliedReportingOverflow(by: 4)
        let (sum, carry) = mean.addingReportingOverflow(spread)
        return overflow || carry ? .max : sum
    }
}
