/// The items of a run with a kill, in the three groups whose costs differ: those that reached
/// every eligible node before the kill (the formed tree's cost), those still spreading when it
/// came (their repair is the kill's cost), and those announced after it (the repaired network).
///
/// Splitting at the announcement alone puts the second group in with the first: at 100,000
/// nodes the six items in flight when half the nodes died cost an RMR of 0.04-0.51 and lifted the
/// mean of the 50 "before" items from 0.081 to 0.107.
public struct KillPhases: Sendable, Equatable {
    /// RMR and time to 100% of one group of items.
    public struct Group: Sendable, Equatable {
        public var items: [SimulationReport.ItemReport]

        public init(items: [SimulationReport.ItemReport]) { self.items = items }

        public var count: Int { items.count }
        /// Mean RMR over the items that have one; nil if none.
        public var rmrMean: Double? { Self.mean(items.compactMap(\.rmr)) }
        /// Mean RMR of the first `n` items, and of the rest.
        public func rmrMean(first n: Int) -> (first: Double?, rest: Double?) {
            (Self.mean(items.prefix(n).compactMap(\.rmr)), Self.mean(items.dropFirst(n).compactMap(\.rmr)))
        }
        /// Mean time to 100% over the items that got there; nil if none.
        public var t100Mean: Double? { Self.mean(items.compactMap(\.t100Ms)) }

        static func mean(_ values: [Double]) -> Double? {
            values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
    }

    public var killAtS: Double
    /// Reached 100% of the eligible nodes before `killAtS`.
    public var doneBefore: Group
    /// Announced before `killAtS`, and not at 100% by then.
    public var inFlight: Group
    /// Announced at or after `killAtS`.
    public var after: Group

    /// Groups the announced items of `report`; nil if the run had no kill.
    public init?(_ report: SimulationReport) {
        guard report.killedNodes > 0 else { return nil }
        self.init(items: report.items, killAtS: report.settings.killAtS)
    }

    public init(items: [SimulationReport.ItemReport], killAtS: Double) {
        self.killAtS = killAtS
        var doneBefore: [SimulationReport.ItemReport] = [], inFlight: [SimulationReport.ItemReport] = []
        var after: [SimulationReport.ItemReport] = []
        for item in items where item.announced {
            guard let announced = item.announcedS else { continue }
            if announced >= killAtS {
                after.append(item)
            } else if let t100 = item.t100Ms, announced + t100 / 1000 < killAtS {
                doneBefore.append(item)
            } else {
                inFlight.append(item)
            }
        }
        self.doneBefore = Group(items: doneBefore)
        self.inFlight = Group(items: inFlight)
        self.after = Group(items: after)
    }
}
